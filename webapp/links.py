"""Links that leave the site (mail, SMS, reminders) and the signed tokens they carry.

Every absolute link is built from the configured public address, never from the request's
`Host`, so a forged header cannot make the site mail a link to somebody else's server.
"""

from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import URLSafeTimedSerializer


def site_origin(config) -> str:
    """The origin people open the site at: the first WebAuthn origin, else scheme + domain."""
    if config["WEBAUTHN_ORIGINS"]:
        return config["WEBAUTHN_ORIGINS"][0].rstrip("/")
    return f"{'https' if config['HTTPS'] else 'http'}://{config['SITE_DOMAIN']}"


def external_url(endpoint: str, app=None, **values) -> str:
    """The absolute URL of an endpoint at the public origin; works outside a request too."""
    app = app or current_app._get_current_object()
    parts = urlsplit(site_origin(app.config))
    adapter = app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def signer(salt: str) -> URLSafeTimedSerializer:
    """Signs the tokens of one kind of link (the salt keeps kinds apart)."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)
