"""Sign-in factors by strength, and the rules that depend only on which ones a user has.

`facts` is what `store.factors.enrolled()` returns: counts and dates per factor.
"""

STRENGTH = ("passkey", "totp", "sms", "password")
TITLES = {
    "passkey": "ключ доступа (отпечаток или лицо)",
    "totp": "приложение-аутентификатор",
    "sms": "код из SMS",
    "password": "пароль",
    "recovery": "код восстановления",
}


def second_factors(facts: dict) -> list[str]:
    """Enrolled second factors, strongest first."""
    return [name for name in STRENGTH[:-1] if facts[name]]


def strongest(facts: dict) -> str:
    """The strongest factor the user has (the password when nothing else)."""
    return next((name for name in STRENGTH if name == "password" or facts[name]), "password")


def password_min_length(config, facts: dict) -> int:
    """DESIGN §4: 8 characters when the account has a second factor, 15 otherwise."""
    key = "PASSWORD_MIN_LENGTH_WITH_2FA" if second_factors(facts) else "PASSWORD_MIN_LENGTH"
    return config[key]


def has_second_factor(facts: dict) -> bool:
    """A second factor or recovery codes: sign-in and reset must pass one of them."""
    return bool(second_factors(facts) or facts["recovery_left"])
