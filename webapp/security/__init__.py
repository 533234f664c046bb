"""Cryptography helpers, password policy, audit log and response headers."""
