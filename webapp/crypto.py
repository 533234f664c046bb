"""AES-256-GCM for identifiers at rest, HMAC blind indexes, keyed hashes of one-time codes."""

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"v1"


def derive_key(master: bytes, purpose: str) -> bytes:
    """Derive an independent 256-bit key for one purpose from the master key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        master
    )


class FieldCipher:
    """Encrypts short identifiers; the field name is bound as associated data."""

    def __init__(self, master: bytes):
        self._aead = AESGCM(derive_key(master, "field-encryption"))
        self._index_key = derive_key(master, "blind-index")
        self._code_key = derive_key(master, "one-time-codes")

    def encrypt(self, field: str, plaintext: str) -> str:
        """Return 'v1:' + base64(nonce || ciphertext+tag)."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), field.encode())
        return (_VERSION + b":" + base64.urlsafe_b64encode(nonce + sealed)).decode()

    def decrypt(self, field: str, token: str) -> str:
        """Reverse encrypt(); raises cryptography.exceptions.InvalidTag when tampered with."""
        version, _, body = token.encode().partition(b":")
        if version != _VERSION:
            raise ValueError("unknown ciphertext version")
        raw = base64.urlsafe_b64decode(body)
        return self._aead.decrypt(raw[:12], raw[12:], field.encode()).decode()

    def blind_index(self, field: str, normalized: str) -> str:
        """Deterministic keyed digest for equality look-ups and UNIQUE constraints."""
        message = field.encode() + b"\x00" + normalized.encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()

    def code_hash(self, purpose: str, subject: str, code: str) -> str:
        """Keyed hash of a one-time code bound to its purpose and recipient."""
        message = "\x00".join((purpose, subject, code)).encode()
        return hmac.new(self._code_key, message, hashlib.sha256).hexdigest()
