"""The worker's professional record (ФРМР blocks): personal data, employment, education, НМО."""
