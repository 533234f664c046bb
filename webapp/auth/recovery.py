"""Recovery codes: 10 codes of 80 bits, written in four groups of four characters."""

import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols: no 0/O, 1/I
COUNT = 10
LENGTH = 16  # 16 × 5 bits = 80 bits


def new_codes() -> list[str]:
    """Ten fresh codes like 'K7QF-2M9X-ABCD-EFGH'."""
    return [
        format_code("".join(secrets.choice(ALPHABET) for _ in range(LENGTH))) for _ in range(COUNT)
    ]


def format_code(raw: str) -> str:
    """Group a code by four."""
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalize(typed: str) -> str | None:
    """What the person typed, as the canonical code, or None when it cannot be one."""
    cleaned = "".join(ch for ch in (typed or "").upper() if ch not in " -")
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return format_code(cleaned)
