"""The store's pool of serving connections (core/connection_pool.py): each lent to one
request at a time, the last given back lent first, never lent with a transaction open, and
cut back to one once the server is idle."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from emulator.core.connection_pool import ConnectionPool
from emulator.core.db import Store


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    made = Store(tmp_path / "emulator.db", tmp_path / "images")
    made.open()
    return made


def _open(db: Any) -> bool:
    try:
        db.execute("SELECT 1").fetchone()
    except sqlite3.ProgrammingError:  # "Cannot operate on a closed database."
        return False
    return True


def test_the_last_given_back_is_lent_first(store: Store) -> None:
    first, second = store.borrow(), store.borrow()
    assert first is not second
    store.give_back(first)
    store.give_back(second)
    assert store.borrow() is second
    assert store.borrow() is first
    assert store.pool.opened == 2  # both came back: nothing new was opened


def test_a_transaction_left_open_is_rolled_back(store: Store) -> None:
    db = store.borrow()
    db.execute("BEGIN IMMEDIATE")
    db.execute("CREATE TABLE scratch (x)")
    store.give_back(db)
    assert not db.conn.in_transaction
    other = store.connect()
    assert not other.execute("SELECT name FROM sqlite_master WHERE name = 'scratch'").fetchall()
    other.close()


def test_a_connection_moves_between_threads(store: Store) -> None:
    db = store.borrow()
    store.give_back(db)
    found: list[Any] = []

    def elsewhere() -> None:
        lent = store.borrow()
        found.append((lent, lent.execute("SELECT count(*) FROM images").fetchone()[0]))
        store.give_back(lent)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert found == [(db, 0)]


def test_no_two_requests_hold_one_connection(store: Store) -> None:
    held: set[int] = set()
    lock = threading.Lock()
    clashes: list[int] = []
    start = threading.Barrier(8)

    def client() -> None:
        start.wait()
        for _ in range(200):
            db = store.borrow()
            with lock:
                if id(db) in held:
                    clashes.append(id(db))
                held.add(id(db))
            db.execute("SELECT count(*) FROM images").fetchone()
            with lock:
                held.discard(id(db))
            store.give_back(db)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not clashes
    assert 1 <= store.pool.opened <= 8
    assert store.pool.idle == store.pool.opened


def test_shed_keeps_the_warmest_idle_connection_only(store: Store) -> None:
    lent = [store.borrow() for _ in range(4)]
    out = lent.pop()  # still lent out when the pool sheds
    for db in lent:
        store.give_back(db)
    assert store.pool.shed() == 2
    assert store.pool.idle == 1
    assert [_open(db) for db in lent] == [False, False, True]  # the last given back stays
    assert _open(out)
    store.give_back(out)
    assert store.borrow() is out
    assert store.borrow() is lent[-1]
    assert store.pool.shed() == 0  # nothing idle beyond the one kept


def test_shed_empties_the_kept_connections_page_cache() -> None:
    executed: list[str] = []

    class Conn:
        in_transaction = False

        def execute(self, sql: str) -> None:
            executed.append(sql)

        def close(self) -> None:
            executed.append("close")

    class Db:
        conn = Conn()

    pool = ConnectionPool(Db)  # type: ignore[arg-type]
    kept = pool.borrow()
    pool.give_back(kept)
    assert pool.shed() == 0
    assert executed == ["PRAGMA shrink_memory"]
    assert pool.borrow() is kept


def test_a_connection_that_cannot_roll_back_is_not_lent_again() -> None:
    closed: list[bool] = []

    class Broken:
        in_transaction = True

        def execute(self, sql: str) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        def close(self) -> None:
            closed.append(True)

    class Db:
        def __init__(self) -> None:
            self.conn = Broken()

    pool = ConnectionPool(Db)  # type: ignore[arg-type]
    broken = pool.borrow()
    with pytest.raises(sqlite3.OperationalError):
        pool.give_back(broken)
    assert closed == [True]
    assert pool.idle == 0
    assert pool.borrow() is not broken
