"""Settings: defaults here, then instance/config.py, then MEDKAB_* environment, then test_config."""

import contextlib
import os
import secrets
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the project: templates/, static/, service_worker/

DEFAULTS = {
    "DEBUG": False,
    "PROPAGATE_EXCEPTIONS": False,
    "HTTPS": False,
    "PROXY_HOPS": 0,  # reverse proxies in front that set X-Forwarded-For/-Proto/-Host
    "SITE_DOMAIN": "localhost",
    # A name for this deployment (e.g. the git commit): a new one makes installed apps fetch a
    # new service worker and offer «Доступна новая версия» even when no shell file changed.
    "RELEASE": "",
    # Who issues the accreditation выписка (printed on it as its issuer).
    "ACCREDITATION_ISSUER": (
        "Аккредитационная комиссия Министерства здравоохранения Российской Федерации"
    ),
    # Host names the site answers to besides SITE_DOMAIN, the WebAuthn origins and loopback
    # (outside DEBUG any other Host header gets 400: see webapp/hosts.py).
    "ALLOWED_HOSTS": [],
    "DATABASE": None,  # filled with instance/medkab.sqlite3 when unset
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 512 * 1024,
    # Documents: one upload request (all its pages), one file in it, all versions of one user.
    "UPLOAD_MAX_REQUEST_BYTES": 40 * 1024 * 1024,
    "DOCUMENT_MAX_FILE_BYTES": 15 * 1024 * 1024,
    "DOCUMENTS_QUOTA_BYTES": 200 * 1024 * 1024,
    "FILES_PATH": "",  # encrypted document files; empty = instance/files
    # Where the encrypted files live: "local" (FILES_PATH) or "s3" (a bucket; still encrypted
    # here first, the store never sees plaintext: docs/decisions.md «Object storage (S3)»).
    "STORAGE_BACKEND": "local",
    "S3_ENDPOINT_URL": "",  # empty = AWS; e.g. http://127.0.0.1:8333 for SeaweedFS or MinIO
    "S3_BUCKET": "medkab-documents",  # created on first use when missing
    "S3_ACCESS_KEY_ID": "",
    "S3_SECRET_ACCESS_KEY": "",
    "S3_REGION": "us-east-1",
    "SESSION_IDLE_SECONDS": 30 * 60,
    "SESSION_ABSOLUTE_SECONDS": 12 * 60 * 60,
    "SESSION_TOUCH_SECONDS": 60,
    "WTF_CSRF_TIME_LIMIT": None,
    "WTF_CSRF_HEADERS": ["X-CSRFToken"],
    "WTF_CSRF_SSL_STRICT": True,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    # Redis for the per-IP throttles, shared by every app server (e.g. redis://127.0.0.1:6379/0):
    # it replaces RATELIMIT_STORAGE_URI; each process counts in memory while it is unreachable.
    "REDIS_URL": "",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_LOGIN": "30/minute",
    "RATELIMIT_SIGNUP": "20/minute",
    "PASSWORD_MIN_LENGTH_WITH_2FA": 8,
    "PASSWORD_MIN_LENGTH": 15,
    "PASSWORD_MAX_LENGTH": 256,
    "ARGON2_MEMORY_KIB": 19 * 1024,
    "ARGON2_TIME_COST": 2,
    "ARGON2_PARALLELISM": 1,
    "FAILURE_DELAY_FROM": 5,
    "FAILURE_DELAY_MAX_SECONDS": 15 * 60,
    "FAILURE_DISABLE_AT": 100,
    "SMS_CODE_TTL_SECONDS": 5 * 60,
    "SMS_CODE_MAX_ATTEMPTS": 3,
    "SMS_MIN_INTERVAL_SECONDS": 60,
    # The job queue (webapp/jobs.py): SqliteHuey in this file (empty = instance/queue.sqlite3),
    # RedisHuey when REDIS_URL is set. JOBS_IMMEDIATE runs each task in the enqueuing process
    # (the test suite; never in production: a slow SMTP server would hold the request).
    "QUEUE_PATH": "",
    "JOBS_IMMEDIATE": False,
    "SMS_PER_10_MIN": 3,
    "SMS_PER_DAY": 10,
    "SMS_PER_IP_PER_HOUR": 20,
    "SMS_DAILY_BUDGET": 5000,
    "SMS_ALLOWED_REGIONS": ["RU"],
    "SMS_BACKEND": "dev",  # dev | http
    "SMS_HTTP_URL": "",
    "SMS_HTTP_BODY": '{"to": "{phone}", "text": "{text}"}',
    "SMS_HTTP_TOKEN": "",
    "SMS_HTTP_TIMEOUT": 5,
    "MAIL_BACKEND": "dev",  # dev | smtp
    "MAIL_SENDER": "Кабинет медработника <no-reply@localhost>",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 25,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": False,
    "SMTP_TIMEOUT": 10,
    # Web Push: the contact push services may write to about this site's pushes (VAPID `sub`).
    "VAPID_SUBJECT": "mailto:admin@localhost",
    "EMAIL_TOKEN_MAX_AGE": 48 * 60 * 60,
    "PENDING_REGISTRATION_SECONDS": 60 * 60,
    "CONSENT_VERSION": "2026-11-01",
    "AUDIT_PAGE_SIZE": 50,
    "WEBAUTHN_RP_ID": "localhost",
    "WEBAUTHN_RP_NAME": "Кабинет медработника",
    "WEBAUTHN_ORIGINS": ["http://localhost:8000"],
    "SECOND_FACTOR_OPTIONAL_FOR_WORKERS": False,
    "STEP_UP_SECONDS": 5 * 60,
    "RECOVERY_WAITING_HOURS": 72,
    "NOT_ME_LINK_MAX_AGE": 30 * 24 * 60 * 60,
    "DEVICE_COOKIE_DAYS": 400,
    # Wrong entries of codes to a number not yet proven (registration, reset, phone or e-mail
    # change), counted from the code rows whether real or decoy: at the cap, no code for that
    # number is sent or accepted until the window moves on (docs/decisions.md, issue 10).
    "SMS_WRONG_PER_NUMBER_PER_DAY": 10,
    "SMS_WRONG_PER_NUMBER_PER_30_DAYS": 30,
}

# Settings whose environment value is parsed as an int, a bool or a comma-separated list.
_INTS = {k for k, v in DEFAULTS.items() if isinstance(v, int) and not isinstance(v, bool)}
_BOOLS = {k for k, v in DEFAULTS.items() if isinstance(v, bool)}
_LISTS = {k for k, v in DEFAULTS.items() if isinstance(v, list)}


def from_environment(environ=os.environ) -> dict:
    """Read MEDKAB_<SETTING> variables, typed like their defaults."""
    found = {}
    for key in DEFAULTS:
        raw = environ.get(f"MEDKAB_{key}")
        if raw is None:
            continue
        if key in _BOOLS:
            found[key] = raw.strip().lower() in {"1", "true", "yes", "on"}
        elif key in _INTS:
            found[key] = int(raw)
        elif key in _LISTS:
            found[key] = [part.strip() for part in raw.split(",") if part.strip()]
        else:
            found[key] = raw
    return found


def publish_once(path: Path, content: bytes) -> None:
    """Write content to a temporary file beside path (0600), then link it into place; when path
    appeared meanwhile (another worker won the race), keep the file already there. For keys made
    on first use: of two racing workers both end up using the same one."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # created 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        os.unlink(temp)


def ensure_secret(instance_path: Path, name: str, nbytes: int = 32) -> bytes:
    """Read a secret from instance/<name>, creating it (mode 0600) on first use."""
    path = instance_path / name
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker created it a moment ago
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(nbytes))
    for _ in range(50):
        text = path.read_text().strip()
        if len(text) == nbytes * 2:
            return bytes.fromhex(text)
        time.sleep(0.01)  # the creating worker is still writing
    raise RuntimeError(f"{path} is damaged: expected {nbytes * 2} hex digits")
