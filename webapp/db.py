"""One SQLite connection per request, lent from a small per-process pool, with the pragmas of
DESIGN §5."""

import atexit
import contextlib
import sqlite3
import threading

import orjson
from flask import abort, current_app, g
from sqlite_utils import Database

# Per connection; journal_mode=WAL is stored in the file and set once by migrate().
PRAGMAS = (
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA journal_size_limit=67108864",
)


class WriteFirstDatabase(Database):
    """sqlite-utils' Database whose outermost atomic() takes the write lock at BEGIN.

    A deferred BEGIN that reads (sqlite-utils looks at the schema before inserting) and then
    writes cannot wait for another writer: SQLite answers "database is locked" at once instead
    of honouring busy_timeout. BEGIN IMMEDIATE waits its turn up front.
    """

    pending: dict  # what to do after the transaction commits: key → (action, items)

    @contextlib.contextmanager
    def atomic(self):
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self.rollback()
                raise
        self.run_pending()

    def rollback(self) -> None:
        self.pending = {}
        super().rollback()

    def on_commit(self, key, items, action) -> None:
        """`action(key, items)` once the open transaction commits, with the items of every call
        for the same key in it; at once when no transaction is open; never after a rollback."""
        if not self.conn.in_transaction:
            action(key, list(items))
            return
        self.pending.setdefault(key, (action, []))[1].extend(items)

    def run_pending(self) -> None:
        """Run what waited for the commit."""
        pending, self.pending = self.pending, {}
        for key, (action, items) in pending.items():
            action(key, items)

    def query(self, sql: str, params=None):
        """Rows as dicts. A plain SELECT runs as it is: sqlite-utils wraps every query in a
        SAVEPOINT and RELEASE (in case it writes), tripling the statements of a read."""
        if sql.lstrip()[:6].lower() != "select":
            return super().query(sql, params)
        cursor = self.conn.execute(sql, params if params is not None else ())
        keys = [column[0] for column in cursor.description]
        return (dict(zip(keys, row, strict=True)) for row in cursor)


POOL_SIZE = 8  # idle connections a process keeps; more are opened under load and closed after


def connect(path) -> Database:
    """Open the database file with our pragmas; used by requests, the CLI and tests."""
    conn = sqlite3.connect(str(path), timeout=5.0, check_same_thread=False)  # busy_timeout
    # Autocommit: a lone write is its own transaction without the module's implicit BEGIN and
    # COMMIT statements around it; several writes that belong together use atomic().
    conn.isolation_level = None
    for pragma in PRAGMAS:
        conn.execute(pragma)
    db = WriteFirstDatabase(conn, recursive_triggers=False, execute_plugins=False)
    db.pending = {}
    db.path = str(path)  # the file, for per-database caches (workdays' calendar)
    return db


_COLUMNS: dict[str, list[str]] = {}  # table → its columns, read once per process


def columns(db: Database, table: str) -> list[str]:
    """A table's column names (the schema changes only with a migration and a restart)."""
    if table not in _COLUMNS:
        _COLUMNS[table] = [row[1] for row in db.execute(f"pragma table_info({table})")]
    return _COLUMNS[table]


def rows_json(db: Database, table: str, where: str, order: str) -> str:
    """A subquery giving the rows of `table` that match `where` as one JSON array in `order`:
    several tables in one statement instead of one statement each. Read them back with
    `from_json`.

    The aggregate takes the rows in the order the inner query yields them (a co-routine feeding
    it). SQLite documents no order for json_group_array before 3.44's ORDER BY inside the
    aggregate; its planner (3.41+) drops an inner ORDER BY it thinks useless, but not under an
    aggregate like this one, and never with a LIMIT: `limit -1` (no limit) makes that doubly
    sure. tests/unit/test_rows_json.py holds it to the order on shuffled rows. Half the cost of
    numbering the rows with a window function (~70 µs a record page, bench/README.md)."""
    pairs = ", ".join(f"'{c}', {c}" for c in columns(db, table))
    return (
        f"(select json_group_array(json_object({pairs})) from "  # noqa: S608
        f"(select * from {table} where {where} order by {order} limit -1))"
    )


def from_json(text: str) -> list[dict]:
    """The rows of a `rows_json` column, in their order."""
    return orjson.loads(text)


def one_or_404(db: Database, sql: str, params) -> dict:
    """The single row a query finds, or the 404 answer: the tail of every get_<thing>_or_404."""
    row = next(db.query(sql, params), None)
    if row is None:
        abort(404)
    return row


def get_db() -> Database:
    """Return this request's database: an idle pooled connection, or a new one."""
    if "db" not in g:
        _keep_open(current_app)
        pool = current_app.extensions["db_pool"]
        with pool.lock:
            db = pool.idle.pop() if pool.idle else None
        g.db = db or connect(current_app.config["DATABASE"])
    return g.db


class _Pool:
    """Connections of one process waiting for the next request (opening one with its pragmas
    cost about 0.6 ms a request)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.idle: list[Database] = []


def _keep_open(app) -> None:
    """Hold one idle connection per process for the app's lifetime.

    When the last connection to a WAL database closes, SQLite checkpoints and removes the WAL;
    with a connection per request that happened after nearly every request (≈0.8 ms each, and
    a checkpoint's writes). The idle keeper makes request connections never the last one.
    """
    if "db_keeper" not in app.extensions:
        keeper = sqlite3.connect(str(app.config["DATABASE"]), check_same_thread=False)
        keeper.execute("select count(*) from sqlite_master").fetchone()  # really open the file
        app.extensions["db_keeper"] = keeper
        app.extensions["db_pool"] = _Pool()
        atexit.register(keeper.close)


def close_db(_exc=None) -> None:
    """Give this request's connection back at teardown, as a new one would be: no transaction
    left open (what was not committed is undone, as closing it would), no tracer."""
    db = g.pop("db", None)
    if db is None:
        return
    try:
        if db.conn.in_transaction:
            db.conn.rollback()
        db.pending = {}
        db.conn.set_trace_callback(None)
    except sqlite3.Error:
        db.close()
        return
    pool = current_app.extensions.get("db_pool")
    if pool is not None:
        with pool.lock:
            if len(pool.idle) < POOL_SIZE:
                pool.idle.append(db)
                return
    db.close()


def migrate(db: Database) -> list[str]:
    """Apply pending migrations; return the names applied."""
    from migrations.migrations import migrations

    db.execute("PRAGMA journal_mode=WAL")
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending


def close_keeper(app) -> None:
    """Close the idle per-process connections (tests that build many apps call this)."""
    pool = app.extensions.pop("db_pool", None)
    for db in pool.idle if pool else ():
        db.close()
    keeper = app.extensions.pop("db_keeper", None)
    if keeper is not None:
        atexit.unregister(keeper.close)
        keeper.close()


def init_app(app) -> None:
    """Register teardown."""
    app.teardown_appcontext(close_db)
