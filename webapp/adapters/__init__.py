"""Outside services behind small interfaces, each with a dev backend (DESIGN §9)."""
