"""WebAuthn ceremonies with py_webauthn: options out, verified credentials in."""

import json

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from webapp.clock import now

CHALLENGE_SECONDS = 300
ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]


class CeremonyError(Exception):
    """A WebAuthn response was refused; the message is Russian and safe to show."""


def _remember(session, purpose: str, challenge: bytes, **extra) -> None:
    session["webauthn"] = {
        "purpose": purpose,
        "challenge": bytes_to_base64url(challenge),
        "expires": now().timestamp() + CHALLENGE_SECONDS,
        **extra,
    }


def take_challenge(session, purpose: str) -> dict:
    """Pop this session's pending challenge: single use, ≤ 5 minutes, for this purpose only."""
    pending = session.pop("webauthn", None)
    if not pending or pending.get("purpose") != purpose:
        raise CeremonyError("Запрос устарел. Попробуйте ещё раз.")
    if now().timestamp() > pending["expires"]:
        raise CeremonyError("Время на подтверждение истекло. Попробуйте ещё раз.")
    pending["challenge"] = base64url_to_bytes(pending["challenge"])
    return pending


def registration_options(
    session, config, *, handle: bytes, name: str, display_name: str, existing: list[str]
) -> str:
    """Options for creating a passkey: resident key, UV required, no attestation."""
    options = generate_registration_options(
        rp_id=config["WEBAUTHN_RP_ID"],
        rp_name=config["WEBAUTHN_RP_NAME"],
        user_id=handle,
        user_name=name,
        user_display_name=display_name,
        timeout=CHALLENGE_SECONDS * 1000,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in existing
        ],
        supported_pub_key_algs=ALGORITHMS,
    )
    _remember(session, "register", options.challenge)
    return options_to_json(options)


def verify_registration(session, config, credential: dict):
    """Check a new passkey against the pending challenge; returns py_webauthn's result."""
    pending = take_challenge(session, "register")
    try:
        return verify_registration_response(
            credential=credential,
            expected_challenge=pending["challenge"],
            expected_rp_id=config["WEBAUTHN_RP_ID"],
            expected_origin=config["WEBAUTHN_ORIGINS"],
            require_user_verification=True,
            supported_pub_key_algs=ALGORITHMS,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise CeremonyError("Ключ доступа не прошёл проверку. Попробуйте ещё раз.") from exc


def authentication_options(
    session,
    config,
    *,
    purpose: str,
    allow: list[str] = (),
    require_uv: bool = False,
    challenge: bytes | None = None,
) -> str:
    """Options for signing in; an empty allow list lets the browser offer any passkey.

    A given `challenge` (the hash of what is being signed) makes the assertion a signature of
    it; otherwise the challenge is random."""
    options = generate_authentication_options(
        rp_id=config["WEBAUTHN_RP_ID"],
        challenge=challenge,
        timeout=CHALLENGE_SECONDS * 1000,
        allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in allow],
        user_verification=UserVerificationRequirement.REQUIRED
        if require_uv
        else UserVerificationRequirement.PREFERRED,
    )
    _remember(session, purpose, options.challenge, require_uv=require_uv)
    return options_to_json(options)


def credential_id_of(credential: dict) -> str:
    """The base64url id the browser says it used (checked against rawId by py_webauthn)."""
    value = credential.get("id") if isinstance(credential, dict) else None
    if not isinstance(value, str) or not value or len(value) > 1400:
        raise CeremonyError("Ответ браузера не похож на ключ доступа.")
    return value


def verify_authentication(session, config, *, purpose: str, credential: dict, stored: dict):
    """Check an assertion for a stored passkey against the pending challenge."""
    pending = take_challenge(session, purpose)
    try:
        return verify_authentication_response(
            credential=credential,
            expected_challenge=pending["challenge"],
            expected_rp_id=config["WEBAUTHN_RP_ID"],
            expected_origin=config["WEBAUTHN_ORIGINS"],
            credential_public_key=stored["public_key"],
            credential_current_sign_count=stored["sign_count"],
            require_user_verification=pending.get("require_uv", False),
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
        raise CeremonyError("Ключ доступа не прошёл проверку. Попробуйте ещё раз.") from exc


def parse_json(body: bytes) -> dict:
    """The credential JSON the page posted."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise CeremonyError("Ответ браузера не похож на ключ доступа.") from exc
    if not isinstance(data, dict):
        raise CeremonyError("Ответ браузера не похож на ключ доступа.")
    return data


def default_name(user_agent: str) -> str:
    """A passkey's first name, from the device it was made on."""
    from webapp.template_helpers import device_name

    return f"Ключ: {device_name(user_agent)}"[:60]
