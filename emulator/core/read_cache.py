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
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

#: Entries one connection keeps at most between changes (then it starts again, empty).
MAX_ENTRIES = 256

_KEPT = "_emulator_read_cache"  # the attribute on the connection's Database object


def fresh(db: sqlite_utils.Database) -> dict[Any, Any]:
    """This connection's cache, emptied first if the database may have changed since the
    last look. Connections never cross threads, so neither does the cache."""
    conn = db.conn
    stamp = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
    kept: tuple[tuple[int, int], dict[Any, Any]] | None = getattr(db, _KEPT, None)
    if kept is None or kept[0] != stamp or len(kept[1]) >= MAX_ENTRIES:
        kept = (stamp, {})
        setattr(db, _KEPT, kept)
    return kept[1]
