"""The protection score on the security page and the next recommended step."""

from dataclasses import dataclass


@dataclass
class Protection:
    """0–100 and one sentence saying what to do next (None at the top)."""

    score: int
    level: str
    next_step: str | None


def protection(facts: dict) -> Protection:
    """Score the account's sign-in methods. 100 needs a passkey, a second device factor (another
    passkey or the app) and recovery codes: without codes, losing every device locks the person
    out until an admin checks their identity."""
    score = 20  # a password
    if facts["sms"]:
        score = 40
    if facts["totp"]:
        score = 70
    if facts["passkey"]:
        score = 85
    spare_device = facts["passkey"] > 1 or bool(facts["totp"])
    codes = facts["recovery_left"] > 0
    if facts["passkey"]:
        score += 5 * spare_device + 10 * codes
    elif facts["totp"] and codes:
        score = 80
    if not facts["passkey"]:
        step = "Добавьте ключ доступа: вход по отпечатку или лицу, его нельзя украсть фишингом."
    elif not codes:
        step = (
            "Создайте коды восстановления: они выручат, если потеряются все устройства. "
            "Сохраните их там, где не потеряете."
        )
    elif facts["recovery_left"] <= 2:
        step = "Коды восстановления заканчиваются — создайте новые."
    elif not spare_device:
        step = "Добавьте запасной способ: второй ключ доступа или приложение-аутентификатор."
    else:
        step = None
    level = "высокая" if score >= 85 else "средняя" if score >= 60 else "низкая"
    return Protection(score, level, step)
