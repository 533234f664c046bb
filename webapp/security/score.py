"""The protection score on the security page and the next recommended step."""

from dataclasses import dataclass


@dataclass
class Protection:
    """0–100 and one sentence saying what to do next (None at the top)."""

    score: int
    level: str
    next_step: str | None


def protection(facts: dict) -> Protection:
    """Score the account's sign-in methods; a passkey plus a backup is the best."""
    score = 20  # a password
    if facts["sms"]:
        score = 40
    if facts["totp"]:
        score = 70
    if facts["passkey"]:
        score = 85
    backups = (facts["passkey"] > 1) + bool(facts["totp"]) + bool(facts["recovery_left"])
    if facts["passkey"] and backups:
        score = 100
    elif facts["totp"] and facts["recovery_left"]:
        score = 80
    if not facts["passkey"]:
        step = "Добавьте ключ доступа: вход по отпечатку или лицу, его нельзя украсть фишингом."
    elif not backups:
        step = "Добавьте запасной способ: второй ключ доступа, приложение или коды восстановления."
    elif facts["recovery_total"] and facts["recovery_left"] <= 2:
        step = "Коды восстановления заканчиваются — создайте новые."
    else:
        step = None
    level = "высокая" if score >= 85 else "средняя" if score >= 60 else "низкая"
    return Protection(score, level, step)
