"""SMS: one function, a dev backend (outbox) and an HTTP-gateway backend."""

import json
import urllib.request

from flask import current_app

from webapp.adapters import outbox


class SmsError(Exception):
    """The gateway refused or could not be reached."""


def send_sms(phone: str, text: str) -> None:
    """Send a text message to an E.164 number through the configured backend."""
    backend = current_app.config["SMS_BACKEND"]
    if backend == "dev":
        outbox.store("sms", phone, text)
    elif backend == "http":
        _send_http(current_app.config, phone, text)
    else:
        raise SmsError(f"unknown SMS backend {backend!r}")


def render_body(template: str, phone: str, text: str) -> bytes:
    """Fill the configured body template; values are JSON-escaped so they cannot break it."""
    body = template.replace("{phone}", json.dumps(phone)[1:-1]).replace(
        "{text}", json.dumps(text, ensure_ascii=False)[1:-1]
    )
    return body.encode()


def _send_http(config, phone: str, text: str) -> None:
    url = config["SMS_HTTP_URL"]
    if not url.startswith(("https://", "http://")):
        raise SmsError("MEDKAB_SMS_HTTP_URL must be an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=render_body(config["SMS_HTTP_BODY"], phone, text),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    if config["SMS_HTTP_TOKEN"]:
        request.add_header("Authorization", f"Bearer {config['SMS_HTTP_TOKEN']}")
    try:
        with urllib.request.urlopen(request, timeout=config["SMS_HTTP_TIMEOUT"]) as response:  # noqa: S310
            if response.status >= 300:
                raise SmsError(f"gateway answered {response.status}")
    except OSError as exc:
        raise SmsError(str(exc)) from exc
