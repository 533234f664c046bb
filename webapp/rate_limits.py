"""Where the per-IP throttles count: Redis shared by every app server when REDIS_URL is set,
else each process's memory; while Redis is unreachable each process counts in its own memory
(docs/decisions.md, «Shared limits (Redis)»)."""

import logging

from flask import Flask
from flask.logging import default_handler

# A Redis that hangs must not hold a sign-in: past these the request falls back to memory.
REDIS_TIMEOUT_SECONDS = 0.5


def storage_settings(redis_url: str) -> dict:
    """Flask-Limiter settings for a Redis URL; none (memory, the default) for an empty one."""
    if not redis_url:
        return {}
    return {
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_STORAGE_OPTIONS": {
            "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
            "socket_timeout": REDIS_TIMEOUT_SECONDS,
        },
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    }


def init_app(app: Flask) -> None:
    """Point the limiter at Redis when configured and bind it; its fallback is logged."""
    from webapp.extensions import limiter

    app.config.update(storage_settings(app.config["REDIS_URL"]))
    if app.config["REDIS_URL"]:
        # Flask-Limiter says «storage unreachable - falling back to in-memory storage» once per
        # outage and «recovered» after it, to a logger of its own that prints nowhere.
        log = logging.getLogger("flask-limiter")
        log.setLevel(logging.INFO)
        log.addHandler(default_handler)
    limiter.init_app(app)
