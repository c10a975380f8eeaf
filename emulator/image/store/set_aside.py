"""Rows of ``data_set_aside``: folders of image data that a committed reset replaced."""

from __future__ import annotations

import sqlite_utils


def note(db: sqlite_utils.Database, folder: str, when: str) -> None:
    """Inside the transaction that replaces the data: committed with it, or not at all."""
    db.execute("INSERT INTO data_set_aside (folder, created_at) VALUES (?, ?)", [folder, when])


def noted(db: sqlite_utils.Database) -> set[str]:
    return {row[0] for row in db.execute("SELECT folder FROM data_set_aside")}


def forget(db: sqlite_utils.Database, folder: str) -> None:
    db.execute("DELETE FROM data_set_aside WHERE folder = ?", [folder])
