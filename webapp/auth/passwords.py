"""Password hashing (argon2id) and the password policy of DESIGN §4."""

import functools
import unicodedata
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from webapp import offload

BLOCKLIST_PATH = Path(__file__).with_name("data") / "common-passwords.txt"


def hasher(config) -> PasswordHasher:
    """argon2id with the configured cost."""
    return _hasher(
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_KIB"], config["ARGON2_PARALLELISM"]
    )


@functools.cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def normalize(password: str) -> str:
    """NFC, as NIST asks, so the same password typed on two keyboards matches."""
    return unicodedata.normalize("NFC", password)


def hash_password(config, password: str) -> str:
    """Hash a password for storage."""
    return offload.run(hasher(config).hash, normalize(password))


def verify_password(config, stored: str | None, password: str) -> bool:
    """Check a password; with no stored hash, spend the same time and fail."""
    ph = hasher(config)
    try:
        checked = offload.run(ph.verify, stored or _dummy_hash(config), normalize(password))
        return checked and bool(stored)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(config, stored: str) -> bool:
    """True when the stored hash was made with weaker parameters than today's."""
    return hasher(config).check_needs_rehash(stored)


def _dummy_hash(config) -> str:
    return _dummy_for(
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_KIB"], config["ARGON2_PARALLELISM"]
    )


@functools.cache
def _dummy_for(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_cost, parallelism).hash("timing-equaliser")


@functools.cache
def blocklist() -> frozenset[str]:
    """Common passwords, lowercased (Russian, English and keyboard-layout transliterations)."""
    with BLOCKLIST_PATH.open(encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def _is_common(lowered: str) -> bool:
    """On the blocklist as is, with digits/punctuation around it, or as a repeated word."""
    common = blocklist()
    core = lowered.strip(" 0123456789!.?_-")
    if lowered in common or core in common:
        return True
    for times in (2, 3, 4):
        size, rest = divmod(len(core), times)
        if not rest and size >= 3 and core[:size] * times == core and core[:size] in common:
            return True
    return False


def personal_words(*, surname, name, patronymic, email, phone) -> list[str]:
    """What a person's password must not contain: their names, e-mail name and phone number."""
    return [surname, name, patronymic, (email or "").split("@")[0], (phone or "")[-10:]]


def password_problem(
    password: str, *, min_length: int, max_length: int, personal: list[str] = ()
) -> str | None:
    """Return a Russian sentence saying why the password is refused, or None when it is fine."""
    password = normalize(password)
    lowered = password.casefold()
    if _is_common(lowered):
        return "Этот пароль есть в списке самых распространённых — его легко подобрать."
    if len(password) < min_length:
        return (
            f"Пароль слишком короткий: нужно не меньше {min_length} символов, "
            f"а в нём {len(password)}. Удобно взять фразу из нескольких слов."
        )
    if len(password) > max_length:
        return f"Пароль слишком длинный: не больше {max_length} символов."
    if any(unicodedata.category(ch) == "Cc" for ch in password):
        return "Пароль содержит управляющие символы — уберите их."
    if len(set(lowered)) <= 2:
        return "Пароль из одного-двух повторяющихся символов легко подобрать."
    for item in personal:
        item = (item or "").casefold().strip()
        if len(item) >= 4 and item in lowered:
            return "Пароль не должен содержать ваши имя, фамилию, телефон или email."
    return None
