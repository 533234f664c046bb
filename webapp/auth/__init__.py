"""Accounts: registration, sign-in, sessions, one-time codes, password reset."""
