"""Which Host names the site answers to.

Links in mail are built from the configured address anyway (`links.external_url`); refusing
other hosts outside DEBUG also keeps a forged Host out of redirects, logs and caches. Loopback
names stay allowed for health checks and `make run`.
"""

from urllib.parse import urlsplit

LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


def allowed_hosts(config) -> list[str]:
    """SITE_DOMAIN, the hosts of the WebAuthn origins, ALLOWED_HOSTS and loopback."""
    origins = [urlsplit(origin).hostname or "" for origin in config["WEBAUTHN_ORIGINS"]]
    names = [config["SITE_DOMAIN"], *origins, *config["ALLOWED_HOSTS"], *LOOPBACK]
    return sorted({name for name in names if name})


def init_app(app) -> None:
    """Outside DEBUG, Flask answers 400 to any other Host (its TRUSTED_HOSTS check)."""
    if not app.debug:
        app.config["TRUSTED_HOSTS"] = allowed_hosts(app.config)
