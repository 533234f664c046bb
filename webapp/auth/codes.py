"""One-time SMS codes: 6 digits, short-lived, single use, keyed hash at rest, rate limited."""

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from webapp.auth.store import codes as rows
from webapp.clock import now

PURPOSE_TEXT = {
    "register": "подтверждения телефона",
    "reset": "восстановления доступа",
    "login": "входа",
    "phone_change": "смены телефона",
    "email_change": "смены почты",
}


@dataclass
class Verdict:
    """Outcome of checking a code; `message` is Russian and safe to show."""

    ok: bool
    message: str = ""
    counted: bool = False  # a wrong guess that counts against the factor


def new_code() -> str:
    """Six random digits from the OS generator."""
    return f"{secrets.randbelow(10**6):06d}"


def sms_text(purpose: str, code: str, domain: str) -> str:
    """Message body; the last line lets browsers offer the code (WebOTP, one-time-code)."""
    return (
        f"Код для {PURPOSE_TEXT[purpose]} в Кабинете медработника: {code}. "
        f"Никому его не сообщайте.\n\n@{domain} #{code}"
    )


def send_refusal(db, config, *, phone: str, ip: str | None) -> str | None:
    """Why a code cannot be sent to this number from this address now, or None."""
    moment = now()

    def count_since(seconds: int, **who) -> int:
        since = (moment - timedelta(seconds=seconds)).isoformat(timespec="seconds")
        return rows.count_since(db, since=since, **who)

    last = rows.last_sent_at(db, phone)
    if last:
        waited = (moment - datetime.fromisoformat(last)).total_seconds()
        if waited < config["SMS_MIN_INTERVAL_SECONDS"]:
            left = int(config["SMS_MIN_INTERVAL_SECONDS"] - waited) + 1
            return f"Новый код можно запросить через {left} с."
    if count_since(600, phone=phone) >= config["SMS_PER_10_MIN"]:
        return "Слишком много кодов за 10 минут. Подождите немного и запросите снова."
    if count_since(86400, phone=phone) >= config["SMS_PER_DAY"]:
        return "На этот номер сегодня отправлено слишком много кодов. Попробуйте завтра."
    if ip and count_since(3600, ip=ip) >= config["SMS_PER_IP_PER_HOUR"]:
        return "С вашего адреса запрошено слишком много кодов. Попробуйте через час."
    day_start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    sent_today = rows.count_since(db, since=day_start.isoformat(timespec="seconds"))
    if sent_today >= config["SMS_DAILY_BUDGET"]:
        return "Отправка SMS временно приостановлена. Попробуйте позже или войдите другим способом."
    return None


def store_code(db, cipher, config, *, purpose: str, phone: str, user_id, ip) -> str:
    """Create a code for this purpose and number, superseding earlier ones; return the code."""
    code = new_code()
    moment = now()
    with db.atomic():
        rows.insert(
            db,
            purpose=purpose,
            phone=phone,
            user_id=user_id,
            code_hash=cipher.code_hash(purpose, phone, code),
            ip=ip,
            created_at=moment.isoformat(timespec="seconds"),
            expires_at=(moment + timedelta(seconds=config["SMS_CODE_TTL_SECONDS"])).isoformat(
                timespec="seconds"
            ),
        )
    return code


def check_code(db, cipher, config, *, purpose: str, phone: str, code: str) -> Verdict:
    """Verify and consume the live code for this purpose and number."""
    code = (code or "").strip().replace(" ", "")
    row = rows.live(db, purpose=purpose, phone=phone)
    if row is None or row["expires_at"] < now().isoformat(timespec="seconds"):
        return Verdict(False, "Код устарел. Запросите новый.")
    if row["attempts"] >= config["SMS_CODE_MAX_ATTEMPTS"]:
        return Verdict(False, "Код введён неверно слишком много раз. Запросите новый.")
    expected = row["code_hash"]
    if not (
        re.fullmatch(r"[0-9]{6}", code)
        and hmac.compare_digest(expected, cipher.code_hash(purpose, phone, code))
    ):
        rows.count_attempt(db, row["id"])
        left = config["SMS_CODE_MAX_ATTEMPTS"] - row["attempts"] - 1
        if left <= 0:
            return Verdict(False, "Неверный код. Попытки исчерпаны — запросите новый код.", True)
        return Verdict(False, f"Неверный код. Осталось попыток: {left}.", True)
    claimed = rows.claim(db, row["id"])
    if not claimed:
        return Verdict(False, "Код уже использован. Запросите новый.")
    return Verdict(True)
