"""TOTP per RFC 6238 through pyotp: current and previous 30 s step only, no step twice."""

import hmac
from datetime import datetime

import pyotp
import segno

STEP_SECONDS = 30


def new_secret() -> str:
    """A random 160-bit base32 secret."""
    return pyotp.random_base32(32)


def grouped(secret: str) -> str:
    """The key in groups of four for typing by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """otpauth:// link understood by authenticator apps."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The link as an inline SVG QR code (no external image, no script)."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff", border=2)


def check(secret: str, code: str, moment: datetime, last_step: int) -> tuple[str, int | None]:
    """('ok', step) for a code of the current or previous step newer than last_step;
    ('reused', step) for a step already used; ('wrong', None) otherwise."""
    code = (code or "").replace(" ", "")
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return "wrong", None
    totp = pyotp.TOTP(secret)
    now_step = int(moment.timestamp()) // STEP_SECONDS
    for step in (now_step, now_step - 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return ("ok" if step > last_step else "reused"), step
    return "wrong", None
