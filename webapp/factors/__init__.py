"""Sign-in factors: passkeys, TOTP, SMS, recovery codes, step-up, the security page."""

STRENGTH = ("passkey", "totp", "sms", "password")
TITLES = {
    "passkey": "ключ доступа (отпечаток или лицо)",
    "totp": "приложение-аутентификатор",
    "sms": "код из SMS",
    "password": "пароль",
    "recovery": "код восстановления",
}
