"""A software FIDO2 authenticator for test-client tests: real ES256 keys, real CBOR, real
signatures, so py_webauthn verifies its answers exactly as it does a phone's."""

import base64
import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """Holds discoverable credentials; `uv` says whether it verifies the user."""

    def __init__(self, origin="http://localhost", rp_id="localhost", uv=True):
        self.origin, self.rp_id, self.uv = origin, rp_id, uv
        self.credentials = {}  # id -> (private key, user handle, sign count)

    def _auth_data(self, rp_id, flags, count, attested=b""):
        return (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", count)
            + attested
        )

    def create(self, options: dict, *, origin=None, rp_id=None) -> dict:
        """navigator.credentials.create() answer for py_webauthn's options JSON."""
        key = ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        cose = cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        credential_id = os.urandom(32)
        attested = bytes(16) + struct.pack(">H", len(credential_id)) + credential_id + cose
        flags = 0x01 | (0x04 if self.uv else 0) | 0x40
        auth_data = self._auth_data(rp_id or self.rp_id, flags, 0, attested)
        client = json.dumps(
            {
                "type": "webauthn.create",
                "challenge": options["challenge"],
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()
        self.credentials[credential_id] = [key, unb64url(options["user"]["id"]), 0]
        return {
            "id": b64url(credential_id),
            "rawId": b64url(credential_id),
            "type": "public-key",
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64url(client),
                "attestationObject": b64url(
                    cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
                ),
                "transports": ["internal"],
            },
        }

    def get(
        self,
        options: dict,
        *,
        credential_id: bytes | None = None,
        origin=None,
        rp_id=None,
        client_type="webauthn.get",
    ) -> dict:
        """navigator.credentials.get() answer; picks the first (or the given) credential."""
        credential_id = credential_id or next(iter(self.credentials))
        key, handle, count = self.credentials[credential_id]
        count += 1
        self.credentials[credential_id][2] = count
        flags = 0x01 | (0x04 if self.uv else 0)
        auth_data = self._auth_data(rp_id or self.rp_id, flags, count)
        client = json.dumps(
            {
                "type": client_type,
                "challenge": options["challenge"],
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()
        signature = key.sign(auth_data + hashlib.sha256(client).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(credential_id),
            "rawId": b64url(credential_id),
            "type": "public-key",
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64url(client),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(handle),
            },
        }
