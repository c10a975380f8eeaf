"""Connections and migrations.

Serving connections are lent to one request at a time and reused (``connection_pool.py``:
opening one per request cost more than serving a page of images), WAL mode and a busy
timeout so concurrent writers wait instead of failing. Migrations are a numbered list
applied in order and recorded in ``PRAGMA user_version``: a dozen lines, so no extra
dependency (sqlite-migrate is alpha and would add a package for this alone).
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from emulator.core.connection_pool import ConnectionPool
from emulator.core.migrations import MIGRATIONS

#: Each connection's page cache, in KiB.
PAGE_CACHE_KIB = 512


class Store:
    """Where state lives: one SQLite file and a folder of image data files."""

    def __init__(self, db_path: Path, blob_dir: Path, busy_timeout: float = 30.0):
        self.db_path = Path(db_path)
        self.blob_dir = Path(blob_dir)
        #: Seconds a writer waits for another before giving up (then: a 503).
        self.busy_timeout = busy_timeout
        #: The connections requests borrow (``borrow`` .. ``give_back``).
        self.pool = ConnectionPool(lambda: self.connect(shared=True))

    def open(self) -> None:
        """Create folders and bring the schema up to date. Called once by the app factory."""
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        db = self.connect()
        try:
            # WAL is a property of the database file: set once, not per connection.
            db.execute("PRAGMA journal_mode=WAL")
            migrate(db)
        finally:
            db.close()

    def connect(self, shared: bool = False) -> sqlite_utils.Database:
        """A new connection; ``shared``: one the pool hands from thread to thread (one at a
        time), else one that only the thread opening it may use."""
        conn = sqlite3.connect(
            self.db_path,
            timeout=self.busy_timeout,
            isolation_level=None,
            check_same_thread=not shared,
        )
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        # Each connection has its own page cache (SQLite's default: up to 2 MiB): a server
        # under a sustained load grew by ~2 MiB per connection as the database grew. Pages
        # missed here come from the OS's cache.
        conn.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
        return sqlite_utils.Database(conn)

    def borrow(self) -> sqlite_utils.Database:
        """A connection for one request, to ``give_back`` at its end."""
        return self.pool.borrow()

    def give_back(self, db: sqlite_utils.Database) -> None:
        """End of a request: the connection goes back to the pool, its transaction (if one
        is still open) rolled back."""
        self.pool.give_back(db)

    @contextmanager
    def session(self) -> Iterator[sqlite_utils.Database]:
        """A connection for one unit of work (a request, a CLI command)."""
        db = self.connect()
        try:
            yield db
        finally:
            db.close()


_savepoints = itertools.count(1)


def is_busy(exc: BaseException) -> bool:
    """SQLite gave up waiting for another writer (``busy_timeout`` passed): a 503, not a 500."""
    return isinstance(exc, sqlite3.OperationalError) and (
        "locked" in str(exc) or "busy" in str(exc)
    )


@contextmanager
def atomic(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """All-or-nothing writes: BEGIN IMMEDIATE so writers queue instead of deadlocking.

    Inside a transaction already open, a savepoint: a failure rolls back this block's
    writes only, and the caller decides whether the whole transaction fails.
    """
    conn = db.conn
    if conn.in_transaction:
        name = f"sp{next(_savepoints)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield db
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        else:
            conn.execute(f"RELEASE {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


@functools.lru_cache(maxsize=64)
def _insert_statement(table: str, columns: tuple[str, ...], or_ignore: bool) -> str:
    verb = "INSERT OR IGNORE" if or_ignore else "INSERT"
    marks = ", ".join("?" * len(columns))
    return f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({marks})"


def insert_row(
    db: sqlite_utils.Database, table: str, row: Mapping[str, Any], *, or_ignore: bool = False
) -> None:
    """One row, its values already what the columns hold. Not ``Table.insert``: that reads
    ``sqlite_master`` twice and opens a savepoint per call, four statements more than the
    insert itself (a quarter of an image create's CPU)."""
    db.conn.execute(_insert_statement(table, tuple(row), or_ignore), tuple(row.values()))


def migrate(db: sqlite_utils.Database) -> int:
    """Apply pending migrations; return the schema version reached."""
    current = int(db.execute("PRAGMA user_version").fetchone()[0])
    for number, statements in enumerate(MIGRATIONS, start=1):
        if number <= current:
            continue
        with atomic(db):
            for statement in statements:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
        current = number
    return current
