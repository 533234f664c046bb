"""Applications: one engine, kinds as data (DESIGN §7)."""
