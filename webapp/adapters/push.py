"""Web Push: the one place that calls pywebpush, and the site's VAPID key.

The key is an EC P-256 private key in `instance/vapid-private.pem` (PEM, mode 0600), created on
first use. Pages give browsers its public half (`public_key()`, the `applicationServerKey`);
every push is signed with it (VAPID, RFC 8292) and encrypted for the subscription's keys
(aes128gcm, RFC 8291). A new key would silently orphan every subscription: back it up with the
database.
"""

import base64
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from webapp.config import publish_once

KEY_NAME = "vapid-private.pem"
TIMEOUT_SECONDS = 5
GONE = (404, 410)  # the push service forgot the subscription: it never comes back


class PushError(Exception):
    """The push service refused the message or could not be reached in time."""


class PushGone(PushError):
    """The push service answered 404 or 410: the subscription is dead and must be deleted."""


def ensure_vapid_key(instance_path: Path) -> ec.EllipticCurvePrivateKey:
    """The site's VAPID key from instance/, created on first use.

    Written to a temporary file (0600) and published with os.link, which fails when the name
    exists: of two racing workers the loser drops its own key and uses the winner's."""
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / KEY_NAME
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        publish_once(path, pem)  # another worker won the race: use its key
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise RuntimeError(f"{path} is not an EC P-256 private key")
    return key


def _key() -> ec.EllipticCurvePrivateKey:
    """This app's VAPID key, read once per process."""
    app = current_app._get_current_object()
    if "vapid_key" not in app.extensions:
        app.extensions["vapid_key"] = ensure_vapid_key(Path(app.instance_path))
    return app.extensions["vapid_key"]


def public_key() -> str:
    """The `applicationServerKey` for PushManager.subscribe(): the public key as an uncompressed
    point, base64url without padding."""
    point = (
        _key()
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode()


def send(
    endpoint: str,
    p256dh: str,
    auth: str,
    data: str,
    *,
    ttl: int,
    urgency: str,
    topic: str | None = None,
) -> None:
    """Encrypt `data` for one subscription and post it to its push service.

    `ttl`: seconds the service keeps it for an offline device; `urgency`: very-low | low |
    normal | high; `topic`: a newer message with the same topic replaces one not yet delivered.
    Raises PushGone (404/410) or PushError (any other failure, including a redirect: a push
    service never answers with one, and following it would let an endpoint point us elsewhere).
    """
    headers = {"Urgency": urgency}
    if topic:
        headers["Topic"] = topic
    session = requests.Session()
    session.max_redirects = 0
    try:
        webpush(
            {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
            data=data,
            vapid_private_key=Vapid(_key()),
            vapid_claims={"sub": current_app.config["VAPID_SUBJECT"]},
            content_encoding="aes128gcm",
            ttl=ttl,
            timeout=TIMEOUT_SECONDS,
            headers=headers,
            requests_session=session,
        )
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if status in GONE:
            raise PushGone(f"push service answered {status}") from exc
        raise PushError(f"push service answered {status}") from exc
    except (requests.RequestException, ValueError) as exc:
        raise PushError(f"{exc.__class__.__name__}: {exc}"[:300]) from exc
    finally:
        session.close()
