"""Assisted recovery for people who lost every sign-in factor."""
