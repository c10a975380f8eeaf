"""The image cache's records: cached images and the queue (migration 6)."""

from __future__ import annotations

from typing import Any

import sqlite_utils

_CACHED = "id, image_id, last_accessed, last_modified, size, hits, checksum"


def cached(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    rows = db.execute(f"SELECT {_CACHED} FROM cached_images ORDER BY id").fetchall()
    names = [n.strip() for n in _CACHED.split(",")]
    return [dict(zip(names, row, strict=True)) for row in rows]


def queued(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT image_id FROM cache_queue ORDER BY queued_at")]


def is_cached(db: sqlite_utils.Database, image_id: str) -> bool:
    row = db.execute("SELECT 1 FROM cached_images WHERE image_id = ?", [image_id]).fetchone()
    return row is not None


def is_queued(db: sqlite_utils.Database, image_id: str) -> bool:
    row = db.execute("SELECT 1 FROM cache_queue WHERE image_id = ?", [image_id]).fetchone()
    return row is not None


def queue(db: sqlite_utils.Database, image_id: str, when: str) -> None:
    db.execute(
        "INSERT OR IGNORE INTO cache_queue (image_id, queued_at) VALUES (?, ?)", [image_id, when]
    )


def add(
    db: sqlite_utils.Database, image_id: str, size: int, checksum: str | None, now: float
) -> None:
    """Cache an image (a no-op if it already is) and take it off the queue."""
    db.execute(
        "INSERT OR IGNORE INTO cached_images "
        "(image_id, last_accessed, last_modified, size, hits, checksum) VALUES (?, ?, ?, ?, 0, ?)",
        [image_id, now, now, size, checksum],
    )
    db.execute("DELETE FROM cache_queue WHERE image_id = ?", [image_id])


def hit(db: sqlite_utils.Database, image_id: str, now: float) -> None:
    db.execute(
        "UPDATE cached_images SET hits = hits + 1, last_accessed = ? WHERE image_id = ?",
        [now, image_id],
    )


def remove(db: sqlite_utils.Database, image_id: str) -> None:
    db.execute("DELETE FROM cached_images WHERE image_id = ?", [image_id])
    db.execute("DELETE FROM cache_queue WHERE image_id = ?", [image_id])


def clear_cached(db: sqlite_utils.Database) -> int:
    return int(db.execute("DELETE FROM cached_images").rowcount or 0)


def clear_queue(db: sqlite_utils.Database) -> int:
    return int(db.execute("DELETE FROM cache_queue").rowcount or 0)
