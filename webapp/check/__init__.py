"""The public check of a выписка by the link in its QR code."""
