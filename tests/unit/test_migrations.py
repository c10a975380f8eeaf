"""Migrations bring an existing data dir up to date without losing a row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from emulator.core.db import atomic, migrate
from emulator.core.migrations import MIGRATIONS


def _at_version(path: Path, version: int) -> sqlite_utils.Database:
    db = sqlite_utils.Database(sqlite3.connect(path, isolation_level=None))
    for number, statements in enumerate(MIGRATIONS[:version], start=1):
        with atomic(db):
            for statement in statements:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
    return db


def test_a_fresh_database_reaches_the_last_version(tmp_path: Path) -> None:
    db = sqlite_utils.Database(sqlite3.connect(tmp_path / "new.db", isolation_level=None))
    assert migrate(db) == len(MIGRATIONS)
    assert migrate(db) == len(MIGRATIONS)  # and again: nothing to do


def test_properties_survive_being_made_nullable(tmp_path: Path) -> None:
    db = _at_version(tmp_path / "old.db", 3)
    db.execute(
        "INSERT INTO images (id, status, visibility, created_at, updated_at) "
        "VALUES ('i1', 'queued', 'shared', 't', 't')"
    )
    for name in ("b_first", "a_second"):
        db.execute(
            "INSERT INTO image_properties (image_id, name, value) VALUES ('i1', ?, 'v')", [name]
        )
    assert migrate(db) == len(MIGRATIONS)
    rows = db.execute("SELECT name, value FROM image_properties ORDER BY rowid").fetchall()
    assert rows == [("b_first", "v"), ("a_second", "v")]  # insertion order is kept
    db.execute("INSERT INTO image_properties (image_id, name, value) VALUES ('i1', 'k', NULL)")
    indexes = {row[1] for row in db.execute("PRAGMA index_list(image_properties)")}
    assert "idx_image_properties_name_value" in indexes
