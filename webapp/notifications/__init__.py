"""Telling people things: the inbox, channel preferences and `deliver()` over every channel."""
