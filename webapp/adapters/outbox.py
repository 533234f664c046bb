"""The dev backends' outbox: messages kept in the database and printed to the console."""

import logging

from webapp.clock import now_iso
from webapp.db import get_db

log = logging.getLogger("medkab.outbox")


def store(channel: str, recipient: str, body: str, subject: str | None = None) -> None:
    """Keep a message that a dev backend 'sent'."""
    get_db().execute(
        "insert into dev_outbox (channel, recipient, subject, body, created_at) "
        "values (?, ?, ?, ?, ?)",
        [channel, recipient, subject, body, now_iso()],
    )
    print(f"[{channel} → {recipient}] {subject + ': ' if subject else ''}{body}", flush=True)


def latest(db, limit: int = 50, recipient: str | None = None) -> list[dict]:
    """Newest messages first (the /dev/outbox page and tests)."""
    if recipient:
        return list(
            db.query(
                "select * from dev_outbox where recipient = ? order by id desc limit ?",
                [recipient, limit],
            )
        )
    return list(db.query("select * from dev_outbox order by id desc limit ?", [limit]))
