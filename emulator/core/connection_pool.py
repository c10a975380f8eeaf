"""The serving connections: lent to one request at a time, the last given back first.

Opening a connection (and its PRAGMAs) costs more than serving a whole page of images, so
requests reuse them. They used to be one per serving thread, kept as long as the thread: a
connection that has served the request mix holds about 0.9 MiB (the parsed schema, prepared
statements, its page cache), and the server kept five after the bench's eight clients, though
requests take turns in one CPU slot and rarely more than two hold a connection at once.

Here a request borrows a connection for its unit of work and gives it back at its end:

* the one given back last is lent first (its pages and read cache are the warmest), and a new
  one is opened only when every connection is lent out, so the pool holds as many as
  requests ever ran at once;
* once the server has been idle a while (``shed``, called by the worker pool before it gives
  freed memory back), all but one idle connection are closed and the one kept empties its
  page cache: after a burst of load the idle server holds what one connection needs.

A connection is used by one thread at a time (the one whose request borrowed it), handed on
through the pool's lock, so it is opened without sqlite3's same-thread check.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

import sqlite_utils

#: Idle connections ``shed`` keeps open.
KEPT_WHEN_IDLE = 1


class ConnectionPool:
    def __init__(self, connect: Callable[[], sqlite_utils.Database]):
        self._connect = connect
        self._lock = threading.Lock()
        self._idle: list[sqlite_utils.Database] = []  # the last given back at the end
        self.opened = 0  # connections opened so far (tests, diagnostics)

    def borrow(self) -> sqlite_utils.Database:
        """A connection for one request: the last one given back, else a new one."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
            self.opened += 1
        return self._connect()

    def give_back(self, db: sqlite_utils.Database) -> None:
        """The request is over: never lend a connection with a transaction open. One that
        cannot even roll back is closed, not lent again."""
        try:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
        except sqlite3.Error:
            _close(db)
            raise
        with self._lock:
            self._idle.append(db)

    @property
    def idle(self) -> int:
        return len(self._idle)

    def shed(self) -> int:
        """Close the idle connections beyond KEPT_WHEN_IDLE, the least recently used first,
        and empty the page cache of those kept; the count closed. Connections lent out are
        not touched."""
        with self._lock:
            cut = max(0, len(self._idle) - KEPT_WHEN_IDLE)
            closing, self._idle = self._idle[:cut], self._idle[cut:]
            for db in self._idle:  # under the lock: no request can borrow it meanwhile
                try:
                    db.conn.execute("PRAGMA shrink_memory")
                except sqlite3.Error:
                    pass  # only memory not given back; the connection stays usable
        for db in closing:
            _close(db)
        return len(closing)


def _close(db: sqlite_utils.Database) -> None:
    try:
        db.conn.close()
    except sqlite3.Error:
        pass
