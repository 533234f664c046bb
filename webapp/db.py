"""One SQLite connection per request, with the pragmas of DESIGN §5."""

import sqlite3

from flask import current_app, g
from sqlite_utils import Database

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA journal_size_limit=67108864",
)


def connect(path) -> Database:
    """Open the database file with our pragmas; used by requests, the CLI and tests."""
    conn = sqlite3.connect(str(path), check_same_thread=False)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    return Database(conn, execute_plugins=False)


def get_db() -> Database:
    """Return this request's database, opening it on first use."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(_exc=None) -> None:
    """Close this request's database at teardown."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


def migrate(db: Database) -> list[str]:
    """Apply pending migrations; return the names applied."""
    from migrations.migrations import migrations

    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending


def init_app(app) -> None:
    """Register teardown."""
    app.teardown_appcontext(close_db)
