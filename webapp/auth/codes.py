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
    "sign": "подписания заявления",
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


def sms_text(purpose: str, code: str, domain: str, about: str | None = None) -> str:
    """Message body; `about` names what the code confirms (a signature: the hash); the last
    line lets browsers offer the code (WebOTP, one-time-code)."""
    what = f" ({about})" if about else ""
    return (
        f"Код для {PURPOSE_TEXT[purpose]}{what} в Кабинете медработника: {code}. "
        f"Никому его не сообщайте.\n\n@{domain} #{code}"
    )


# Codes to a number or address nobody has proven yet: anyone may ask for them, so they are
# limited per number and per requesting address (IP), and decoys count like real codes.
UNPROVEN = ("register", "reset", "phone_change", "email_change")
# Codes to the account's own confirmed phone (sign-in, step-up, turning SMS on): only the
# account's holder can ask, so they are limited per number and per account, never per IP (a
# hospital's shared address must not stop everybody's sign-in).
OWN_PHONE = ("login", "sign")

TOO_MANY_WRONG = "Слишком много неверных кодов. Новый код можно будет запросить позже."


def _group(purpose: str) -> tuple[str, ...]:
    """The purposes whose codes share limits with this one."""
    return OWN_PHONE if purpose in OWN_PHONE else UNPROVEN


# Per number (and, for sign-in codes, per account): window in seconds, setting, answer.
WINDOWS = (
    (
        600,
        "SMS_PER_10_MIN",
        "Слишком много кодов за 10 минут. Подождите немного и запросите снова.",
    ),
    (
        86400,
        "SMS_PER_DAY",
        "На этот номер сегодня отправлено слишком много кодов. Попробуйте завтра.",
    ),
)


def send_refusal(
    db, config, *, purpose: str, phone: str, ip: str | None, user_id=None
) -> str | None:
    """Why a code for this purpose cannot go to this number now, or None.

    Unproven numbers: per number and per IP, and the number's wrong entries are capped. The
    account's own phone: per number and per account. The same limits whether a code is real
    or a decoy; the site-wide daily budget counts every code.
    """
    moment = now()
    group = _group(purpose)

    def since(seconds: int) -> str:
        return (moment - timedelta(seconds=seconds)).isoformat(timespec="seconds")

    holders = [{"phone": phone}]
    if group == OWN_PHONE and user_id is not None:
        holders.append({"user_id": user_id})
    for who in holders:
        last = rows.last_sent_at(db, purposes=group, **who)
        if last:
            waited = (moment - datetime.fromisoformat(last)).total_seconds()
            if waited < config["SMS_MIN_INTERVAL_SECONDS"]:
                left = int(config["SMS_MIN_INTERVAL_SECONDS"] - waited) + 1
                return f"Новый код можно запросить через {left} с."
    for seconds, key, message in WINDOWS:
        for who in holders:
            if rows.count_since(db, since=since(seconds), purposes=group, **who) >= config[key]:
                return message
    if group == UNPROVEN:
        from_ip = rows.count_since(db, since=since(3600), purposes=group, ip=ip) if ip else 0
        if from_ip >= config["SMS_PER_IP_PER_HOUR"]:
            return "С вашего адреса запрошено слишком много кодов. Попробуйте через час."
        if too_many_wrong(db, config, phone):
            return TOO_MANY_WRONG
    day_start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if rows.count_from(db, day_start.isoformat(timespec="seconds")) >= config["SMS_DAILY_BUDGET"]:
        return "Отправка SMS временно приостановлена. Попробуйте позже или войдите другим способом."
    return None


def too_many_wrong(db, config, phone: str) -> bool:
    """Wrong entries of unproven codes to this number reached the daily or the 30-day cap.

    Counted from the codes' rows, so a decoy number and a real one are capped alike, and a
    stranger's guesses never touch the owner's sign-in counter.
    """
    moment = now()
    for seconds, key in (
        (86400, "SMS_WRONG_PER_NUMBER_PER_DAY"),
        (30 * 86400, "SMS_WRONG_PER_NUMBER_PER_30_DAYS"),
    ):
        since = (moment - timedelta(seconds=seconds)).isoformat(timespec="seconds")
        if rows.wrong_entries_since(db, since=since, purposes=UNPROVEN, phone=phone) >= config[key]:
            return True
    return False


def _store(db, config, *, purpose: str, phone: str, user_id, code_hash: str, ip) -> None:
    """Insert a code row that lives SMS_CODE_TTL_SECONDS, superseding the live one."""
    moment = now()
    with db.atomic():
        rows.insert(
            db,
            purpose=purpose,
            phone=phone,
            user_id=user_id,
            code_hash=code_hash,
            ip=ip,
            created_at=moment.isoformat(timespec="seconds"),
            expires_at=(moment + timedelta(seconds=config["SMS_CODE_TTL_SECONDS"])).isoformat(
                timespec="seconds"
            ),
        )


def store_code(db, cipher, config, *, purpose: str, phone: str, user_id, ip) -> str:
    """Create a code for this purpose and number, superseding earlier ones; return the code."""
    code = new_code()
    _store(
        db,
        config,
        purpose=purpose,
        phone=phone,
        user_id=user_id,
        code_hash=cipher.code_hash(purpose, phone, code),
        ip=ip,
    )
    return code


def store_decoy(db, cipher, config, *, purpose: str, phone: str, ip) -> None:
    """A code row that is never sent and matches no six digits (its secret is 128 random
    bits): wrong guesses, expiry and the limits then answer as for a real code, so a number
    without an account looks like one with it."""
    _store(
        db,
        config,
        purpose=purpose,
        phone=phone,
        user_id=None,
        code_hash=cipher.code_hash(purpose, phone, secrets.token_hex(16)),
        ip=ip,
    )


def check_code(db, cipher, config, *, purpose: str, phone: str, code: str) -> Verdict:
    """Verify and consume the live code for this purpose and number."""
    code = (code or "").strip().replace(" ", "")
    if purpose in UNPROVEN and too_many_wrong(db, config, phone):
        return Verdict(False, TOO_MANY_WRONG)
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
