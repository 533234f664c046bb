"""Password reset by an SMS code or an e-mailed link, behind the account's second factor."""
