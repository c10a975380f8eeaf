"""Saving an image given what it was (store/images.save(before=...)) writes only what
changed, and leaves the file exactly as writing everything anew would."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlite_utils

from emulator.core.db import Store, atomic, insert_row
from emulator.image.domain.images import Image
from emulator.image.store import images as image_store

NOW = "2026-12-04T12:00:00.000000Z"
LATER = "2026-12-04T12:00:01.000000Z"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    store = Store(tmp_path / "emulator.db", tmp_path / "images")
    store.open()
    connection = store.connect()
    yield connection
    connection.close()


def _stored(db: sqlite_utils.Database) -> Image:
    """The image as a connection with nothing kept reads it from the file."""
    fresh = sqlite_utils.Database(db.conn.execute("PRAGMA database_list").fetchone()[2])
    try:
        found = image_store.get(fresh, "img")
    finally:
        fresh.close()
    assert found is not None
    return found


def _image() -> Image:
    return Image(
        id="img",
        owner="producer",
        created_at=NOW,
        updated_at=NOW,
        name="before",
        disk_format="raw",
        container_format="bare",
        tags=["a", "b"],
        extra_properties={"one": "1", "two": "2", "three": "3"},
    )


def _rename(image: Image) -> None:
    image.name = "after"


def _change_a_property(image: Image) -> None:
    image.extra_properties["two"] = "II"


def _add_and_remove_properties(image: Image) -> None:
    del image.extra_properties["one"]
    image.extra_properties["four"] = "4"
    image.extra_properties["five"] = None


def _move_a_property_to_the_end(image: Image) -> None:
    # JSON patch "remove" then "add" of the same key: the dict has it last now.
    value = image.extra_properties.pop("one")
    image.extra_properties["one"] = value


def _replace_tags(image: Image) -> None:
    image.tags = ["c", "a"]


def _everything(image: Image) -> None:
    for change in (_rename, _change_a_property, _add_and_remove_properties, _replace_tags):
        change(image)
    image.visibility, image.protected, image.min_ram = "shared", True, 512


@pytest.mark.parametrize(
    "change",
    [
        _rename,
        _change_a_property,
        _add_and_remove_properties,
        _move_a_property_to_the_end,
        _replace_tags,
        _everything,
    ],
)
def test_the_file_holds_what_a_whole_write_would(
    db: sqlite_utils.Database, change: Callable[[Image], None]
) -> None:
    with atomic(db):
        image_store.insert(db, _image())
    with atomic(db):
        image = image_store.get(db, "img")
        assert image is not None
        before = image.copy()
        change(image)
        image.updated_at = LATER
        image_store.save(db, image, before=before)
    stored = _stored(db)
    assert stored == image
    # In the same order too: properties and tags are shown in the order they were written.
    assert list(stored.extra_properties) == list(image.extra_properties)
    assert stored.tags == image.tags


def _save_traced(
    db: sqlite_utils.Database, change: Callable[[Image], None], *, with_before: bool
) -> tuple[Image, list[str]]:
    """Insert the image, then save it changed (given ``before`` or not); the image saved
    and the statements the save sent."""
    with atomic(db):
        image_store.insert(db, _image())
    statements: list[str] = []
    with atomic(db):
        image = image_store.get(db, "img")
        assert image is not None
        before = image.copy()
        change(image)
        db.conn.set_trace_callback(statements.append)
        image_store.save(db, image, before=before if with_before else None)
        db.conn.set_trace_callback(None)
    return image, statements


def _rename_later(image: Image) -> None:
    image.name, image.updated_at = "after", LATER


def test_only_the_changed_columns_are_written(db: sqlite_utils.Database) -> None:
    _, statements = _save_traced(db, _rename_later, with_before=True)
    assert len(statements) == 1
    update, _, where = statements[0].removeprefix("UPDATE images SET ").partition(" WHERE ")
    assert sorted(update.split(", ")) == ["name = 'after'", f"updated_at = '{LATER}'"]
    assert where == "id = 'img'"


def test_without_before_every_column_and_child_is_written(db: sqlite_utils.Database) -> None:
    image, statements = _save_traced(db, lambda image: None, with_before=False)
    assert statements[0].startswith("UPDATE images SET owner = ")
    assert any(s.startswith("DELETE FROM image_tags") for s in statements)
    assert _stored(db) == image


def test_an_insert_sends_the_row_and_its_children_only(db: sqlite_utils.Database) -> None:
    """No schema reads, savepoints or deletes of rows a new image cannot have yet: one
    INSERT for the row, one per property and tag, and the image reads back whole."""
    statements: list[str] = []
    with atomic(db):
        db.conn.set_trace_callback(statements.append)
        image_store.insert(db, _image())
        db.conn.set_trace_callback(None)
    verbs = [statement.split(" (")[0] for statement in statements]
    assert verbs == (
        ["INSERT INTO images"]
        + ["INSERT INTO image_properties"] * 3
        + ["INSERT OR IGNORE INTO image_tags"] * 2
    )
    stored = _stored(db)
    assert stored == _image()
    assert list(stored.extra_properties) == ["one", "two", "three"]


def test_insert_row_or_ignore_keeps_the_row_there(db: sqlite_utils.Database) -> None:
    row = {"image_id": "img", "name": "one", "value": "uno"}
    with atomic(db):
        image_store.insert(db, _image())
        insert_row(db, "image_properties", row, or_ignore=True)
    assert _stored(db).extra_properties["one"] == "1"
    with pytest.raises(sqlite3.IntegrityError), atomic(db):
        insert_row(db, "image_properties", row)
    with atomic(db):
        insert_row(db, "image_properties", {**row, "name": "four"})
    assert _stored(db).extra_properties["four"] == "uno"
