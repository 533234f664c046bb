"""Identifier checks as pure functions: СНИЛС, phone, names and dates."""

import functools
import re
import unicodedata
from datetime import date

import phonenumbers

_SEPARATORS = re.compile(r"[\s\-‐‑–—]+")


def _digits_only(value: str) -> str:
    """Drop spaces and dashes; keep everything else so junk stays visible."""
    return _SEPARATORS.sub("", value or "")


def snils_checksum(first9: str) -> int:
    """Control number of a СНИЛС from its first nine digits (ПФР rule)."""
    total = sum(int(d) * w for d, w in zip(first9, range(9, 0, -1), strict=True))
    if total < 100:
        return total
    if total in (100, 101):
        return 0
    rest = total % 101
    return 0 if rest == 100 else rest


def snils_is_valid(value: str) -> bool:
    """True for 11 digits (separators allowed) whose control number matches."""
    digits = _digits_only(value)
    if not re.fullmatch(r"[0-9]{11}", digits):
        return False
    # Numbers up to 001-001-998 were issued before the checksum existed.
    if int(digits[:9]) <= 1001998:
        return int(digits[:9]) > 0
    return snils_checksum(digits[:9]) == int(digits[9:])


def normalize_snils(value: str) -> str:
    """Format as '123-456-789 64'; the input must be valid."""
    d = _digits_only(value)
    return f"{d[0:3]}-{d[3:6]}-{d[6:9]} {d[9:11]}"


def mask_snils(formatted: str) -> str:
    """Show only the last digits of a СНИЛС: '***-***-789 64'."""
    return "***-***-" + formatted[-6:]


def normalize_phone(value: str, allowed_regions=("RU",)) -> str | None:
    """E.164 for a valid mobile number in an allowed region, else None."""
    raw = (value or "").strip()
    if not raw or len(raw) > 32:
        return None
    if raw.startswith("8") and len(re.sub(r"\D", "", raw)) == 11:
        raw = "+7" + re.sub(r"\D", "", raw)[1:]
    try:
        number = phonenumbers.parse(raw, "RU")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.region_code_for_number(number) not in allowed_regions:
        return None
    kind = phonenumbers.number_type(number)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=4096)
def format_phone(e164: str) -> str:
    """Human form: '+7 912 345-67-89' (phonenumbers takes a quarter millisecond: remembered)."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask_phone(e164: str) -> str:
    """'+7 *** ***-**-89'."""
    return f"{e164[:2]} *** ***-**-{e164[-2:]}"


_NAME = re.compile(r"[A-Za-zА-ЯЁа-яё]+(?:[ '\-’.][A-Za-zА-ЯЁа-яё]+)*\.?")


def person_name_problem(value: str) -> str | None:
    """Why a surname/name/patronymic is refused, or None: letters, spaces, hyphen, apostrophe."""
    value = unicodedata.normalize("NFC", value or "").strip()
    if len(value) > 60:
        return "Не длиннее 60 символов."
    if not _NAME.fullmatch(value):
        return "Только буквы, пробел, дефис или апостроф."
    return None


def birth_date_problem(born: date, today: date) -> str | None:
    """Why a birth date is refused, or None: 14 to 100 years ago."""
    if born > today:
        return "Дата рождения не может быть в будущем."
    if born.year < today.year - 100:
        return "Проверьте год рождения: не раньше чем 100 лет назад."
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < 14:
        return "Регистрация доступна с 14 лет."
    return None


_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_digit(digits: str, weights) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_is_valid(value: str) -> bool:
    """ИНН: 10 digits (organisation, one control digit) or 12 (person, two control digits)."""
    digits = _digits_only(value)
    if re.fullmatch(r"[0-9]{10}", digits):
        return _inn_digit(digits, _INN10) == int(digits[9])
    if re.fullmatch(r"[0-9]{12}", digits):
        return _inn_digit(digits, _INN11) == int(digits[10]) and _inn_digit(digits, _INN12) == int(
            digits[11]
        )
    return False


def oktmo_is_valid(value: str) -> bool:
    """ОКТМО: 8 digits (municipality) or 11 (settlement)."""
    return bool(re.fullmatch(r"[0-9]{8}|[0-9]{11}", _digits_only(value)))


def passport_is_valid(series: str, number: str) -> bool:
    """Russian internal passport: series of 4 digits, number of 6 (not all zeros)."""
    series, number = _digits_only(series), _digits_only(number)
    return bool(
        re.fullmatch(r"[0-9]{4}", series)
        and re.fullmatch(r"[0-9]{6}", number)
        and number != "000000"
    )


def division_code_is_valid(value: str) -> bool:
    """Код подразделения: six digits written NNN-NNN."""
    return bool(re.fullmatch(r"[0-9]{6}", _digits_only(value)))


def ogrn_is_valid(value: str) -> bool:
    """ОГРН (13 digits) or ОГРНИП (15): the last digit is the remainder of the rest by 11 or 13."""
    digits = _digits_only(value)
    if re.fullmatch(r"[0-9]{13}", digits):
        return int(digits[:12]) % 11 % 10 == int(digits[12])
    if re.fullmatch(r"[0-9]{15}", digits):
        return int(digits[:14]) % 13 % 10 == int(digits[14])
    return False


def digits_of(value: str) -> str:
    """The identifier with spaces and dashes removed (what is stored and compared)."""
    return _digits_only(value)
