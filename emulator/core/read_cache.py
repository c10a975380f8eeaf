"""What a connection read, kept until the database may have changed.

Some reads repeat from one request to the next with the same answer: above all the token's
row, which every authenticated request reads. A connection may keep such an answer as long as
nothing in the database can have changed since it read it, and SQLite says exactly that:

* ``PRAGMA data_version`` changes, for a connection, whenever any other connection commits to
  the file: another serving thread's, another ``--workers`` process's, the CLI's;
* the connection's own ``total_changes`` grows with every row it inserts, updates or deletes
  (committed or rolled back).

So one cheap statement per look tells a connection whether what it kept is still what its
queries would find; the first look after any change finds the cache empty. Keep only what was
read from the database, under a key that names all it depends on, and nothing that depends on
the time: a token's expiry is compared with the clock on every use.

Within a request (``request_began`` .. ``request_ended``), outside a transaction, one look is
enough: a request reads the database as it was at its first look, as if all its reads had
been made at once then. That is an order a client cannot tell from the real one: a change it
saw committed before it sent the request was committed before that look. Each look costs a
statement and, for SQLite's read lock on the WAL, two ``fcntl`` calls; a show made three.
Inside a transaction every look checks again (a write transaction must see every commit made
before it began), and so does the first look after one, after the connection's own writes,
and every look outside a request (the CLI, background tasks).
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

#: Entries one connection keeps at most between changes (then it starts again, empty).
MAX_ENTRIES = 256

_KEPT = "_emulator_read_cache"  # the attribute on the connection's Database object


class _Kept:
    __slots__ = ("stamp", "entries", "in_request", "checked_at")

    def __init__(self, stamp: tuple[int, int]):
        self.stamp = stamp
        self.entries: dict[Any, Any] = {}
        self.in_request = False
        #: ``total_changes`` when a look in this request, outside a transaction, last
        #: checked; None when the next look must check.
        self.checked_at: int | None = None


def _kept(db: sqlite_utils.Database) -> _Kept | None:
    kept: _Kept | None = getattr(db, _KEPT, None)
    return kept


def fresh(db: sqlite_utils.Database) -> dict[Any, Any]:
    """This connection's cache, emptied first if the database may have changed since the
    last look. Connections never cross threads, so neither does the cache."""
    conn = db.conn
    kept = _kept(db)
    outside = not conn.in_transaction
    if (
        kept is not None
        and outside
        and kept.checked_at is not None
        and kept.checked_at == conn.total_changes
    ):
        return kept.entries  # looked already in this request, and nothing written since
    stamp = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
    if kept is None or kept.stamp != stamp or len(kept.entries) >= MAX_ENTRIES:
        in_request = kept is not None and kept.in_request
        kept = _Kept(stamp)
        kept.in_request = in_request
        setattr(db, _KEPT, kept)
    kept.checked_at = stamp[1] if kept.in_request and outside else None
    return kept.entries


def request_began(db: sqlite_utils.Database) -> None:
    """A request starts on this connection: its first look checks, later ones outside a
    transaction may trust it."""
    kept = _kept(db)
    if kept is None:
        kept = _Kept((-1, -1))  # a stamp no look can match: the first look starts afresh
        setattr(db, _KEPT, kept)
    kept.in_request, kept.checked_at = True, None


def request_ended(db: sqlite_utils.Database) -> None:
    """The request is over: every look checks again until the next one begins."""
    kept = _kept(db)
    if kept is not None:
        kept.in_request, kept.checked_at = False, None
