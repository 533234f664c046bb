"""The only SQL for the auth package's tables: accounts, sessions, codes, factors, devices."""
