"""Image rows, their properties and tags: load, insert, save, delete."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from emulator.core import read_cache
from emulator.core.db import insert_row
from emulator.image.domain.images import Image

# Every scalar attribute of the entity is a column; tags and properties have their tables.
COLUMNS = tuple(
    field.name
    for field in dataclasses.fields(Image)
    if field.name not in ("tags", "extra_properties", "stores")
)
_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM images"
#: A list of ids as one parameter (a JSON array), so that a statement reads the same
#: for any number of ids: with one ``?`` per id, each count was a statement of its own,
#: and every connection kept up to 128 of them prepared (SQLite's memory under a mixed
#: load grew 3.3 -> 9.3 MiB). No limit on the count either (SQLITE_LIMIT_VARIABLE_NUMBER).
_IN_LIST = "(SELECT value FROM json_each(?))"


def _id_list(ids: Iterable[str]) -> str:
    return json.dumps(list(ids))


def _row_to_image(row: Sequence[Any]) -> Image:
    values = dict(zip(COLUMNS, row, strict=True))
    values["protected"] = bool(values["protected"])
    values["os_hidden"] = bool(values["os_hidden"])
    return Image(**values)


def _attach(db: sqlite_utils.Database, images: list[Image]) -> list[Image]:
    """Fill tags, extra properties and stores for a batch of images with three queries."""
    if not images:
        return images
    by_id = {image.id: image for image in images}
    ids = [_id_list(by_id)]
    for image_id, name, value in db.execute(
        f"SELECT image_id, name, value FROM image_properties WHERE image_id IN {_IN_LIST} "
        "ORDER BY rowid",
        ids,
    ):
        by_id[image_id].extra_properties[name] = value
    for image_id, value in db.execute(
        f"SELECT image_id, value FROM image_tags WHERE image_id IN {_IN_LIST} ORDER BY rowid",
        ids,
    ):
        by_id[image_id].tags.append(value)
    for image_id, store in db.execute(
        f"SELECT image_id, store FROM image_stores WHERE image_id IN {_IN_LIST} ORDER BY store",
        ids,
    ):
        by_id[image_id].stores.append(store)
    return images


def get(db: sqlite_utils.Database, image_id: str, whole: bool = True) -> Image | None:
    """A live (not deleted) image, or None; with ``whole`` False its own row only (no
    properties, tags or stores: three queries fewer for who only needs owner and
    visibility). Kept by the connection until the database changes (``core/read_cache.py``);
    each caller gets its own copy to change."""
    kept = read_cache.fresh(db)
    image: Image | None = kept.get(("image", image_id, whole))
    if image is None:
        row = db.execute(
            _SELECT + " WHERE id = ? COLLATE NOCASE AND deleted = 0", [image_id]
        ).fetchone()
        if row is None:
            return None
        image = _row_to_image(row)
        if whole:
            _attach(db, [image])
        kept[("image", image_id, whole)] = image
    return image.copy()


def get_many(db: sqlite_utils.Database, image_ids: Iterable[str]) -> list[Image]:
    """Live images in the order of ``image_ids``, each a copy of its own. A batch that fits
    in the read cache (a page of a list) is kept there, and what ``get`` or an earlier call
    kept is not read again (``core/read_cache.py``). Inside a read transaction the cache is
    its snapshot's: SQLite's ``data_version`` does not move while the transaction lasts,
    whatever other connections commit."""
    ids = list(image_ids)
    if not ids:
        return []
    if len(ids) > read_cache.MAX_ENTRIES:
        return _attach(db, _read_rows(db, ids, ordered=True))
    kept = read_cache.fresh(db)
    missing = [i for i in ids if ("image", i, True) not in kept]
    if missing:
        for image in _attach(db, _read_rows(db, missing, ordered=False)):
            kept[("image", image.id, True)] = image
    found = (kept.get(("image", i, True)) for i in ids)
    return [image.copy() for image in found if image is not None]


def _read_rows(db: sqlite_utils.Database, ids: list[str], *, ordered: bool) -> list[Image]:
    """The live rows among ``ids`` (no tags or properties yet), in the order of ``ids`` if
    ``ordered``."""
    rows = db.execute(_SELECT + f" WHERE id IN {_IN_LIST} AND deleted = 0", [_id_list(ids)])
    images = [_row_to_image(row) for row in rows]
    if not ordered:
        return images
    found = {image.id: image for image in images}
    return [found[i] for i in ids if i in found]


def exists_any(db: sqlite_utils.Database, image_id: str) -> bool:
    """Including deleted rows: Glance refuses to reuse a deleted image's id (409)."""
    return (
        db.execute("SELECT 1 FROM images WHERE id = ? COLLATE NOCASE", [image_id]).fetchone()
        is not None
    )


def _row(image: Image) -> dict[str, Any]:
    row = {name: getattr(image, name) for name in COLUMNS}
    row["protected"] = int(image.protected)
    row["os_hidden"] = int(image.os_hidden)
    return row


def _write_children(db: sqlite_utils.Database, image: Image) -> None:
    db.execute("DELETE FROM image_properties WHERE image_id = ?", [image.id])
    db.execute("DELETE FROM image_tags WHERE image_id = ?", [image.id])
    _insert_properties(db, image)
    _insert_tags(db, image)


def _insert_properties(db: sqlite_utils.Database, image: Image) -> None:
    if image.extra_properties:
        db.conn.executemany(
            "INSERT INTO image_properties (image_id, name, value) VALUES (?, ?, ?)",
            [(image.id, k, v) for k, v in image.extra_properties.items()],
        )


def _insert_tags(db: sqlite_utils.Database, image: Image) -> None:
    if image.tags:
        db.conn.executemany(
            "INSERT OR IGNORE INTO image_tags (image_id, value) VALUES (?, ?)",
            [(image.id, tag) for tag in image.tags],
        )


def insert(db: sqlite_utils.Database, image: Image) -> None:
    """A new image: no rows of its own yet to replace. Call inside ``atomic``."""
    insert_row(db, "images", _row(image))
    _insert_properties(db, image)
    _insert_tags(db, image)


def save(
    db: sqlite_utils.Database,
    image: Image,
    *,
    children: bool = True,
    before: Image | None = None,
) -> None:
    """Write every column (and, unless told not to, properties and tags); or, given the
    image as it was read ``before`` in the same transaction, only what differs from it.
    Inside ``atomic``.

    An UPDATE rewrites every index on each column it names, even one set to the value it
    had: images has sixteen indexes, and renaming an image by writing every column (and
    its tags and properties anew) wrote 20 pages to the WAL per commit, where writing the
    name and ``updated_at`` writes 3.
    """
    row = _row(image)
    image_id = row.pop("id")
    if before is not None:
        old = _row(before)
        row = {name: value for name, value in row.items() if old[name] != value}
    if row:
        assignments = ", ".join(f"{name} = ?" for name in row)
        db.execute(f"UPDATE images SET {assignments} WHERE id = ?", [*row.values(), image_id])
    if not children:
        return
    if before is None or not _write_changed_properties(db, before, image):
        _write_children(db, image)
    elif before.tags != image.tags:
        db.execute("DELETE FROM image_tags WHERE image_id = ?", [image.id])
        _insert_tags(db, image)


def _write_changed_properties(db: sqlite_utils.Database, before: Image, image: Image) -> bool:
    """The property rows that differ from ``before``'s, each changed in place: False (and
    nothing written) when the properties kept would come back in another order, which only
    writing them all anew keeps (they are read in the order they were written)."""
    old, new = before.extra_properties, image.extra_properties
    if [name for name in new if name in old] != [name for name in old if name in new]:
        return False
    for name in old.keys() - new.keys():
        db.execute("DELETE FROM image_properties WHERE image_id = ? AND name = ?", [image.id, name])
    for name, value in new.items():
        if name not in old:
            db.execute(
                "INSERT INTO image_properties (image_id, name, value) VALUES (?, ?, ?)",
                [image.id, name, value],
            )
        elif old[name] != value:
            db.execute(
                "UPDATE image_properties SET value = ? WHERE image_id = ? AND name = ?",
                [value, image.id, name],
            )
    return True


def update_fields(db: sqlite_utils.Database, image_id: str, **fields: Any) -> None:
    assignments = ", ".join(f"{name} = ?" for name in fields)
    db.execute(f"UPDATE images SET {assignments} WHERE id = ?", [*fields.values(), image_id])


def set_property(db: sqlite_utils.Database, image_id: str, name: str, value: str | None) -> None:
    """One property set (or replaced) without touching the others. Inside ``atomic``."""
    db.execute(
        "INSERT INTO image_properties (image_id, name, value) VALUES (?, ?, ?) "
        "ON CONFLICT (image_id, name) DO UPDATE SET value = excluded.value",
        [image_id, name, value],
    )


def add_stores(db: sqlite_utils.Database, image_id: str, stores: Iterable[str]) -> None:
    db.conn.executemany(
        "INSERT OR IGNORE INTO image_stores (image_id, store) VALUES (?, ?)",
        [(image_id, store) for store in stores],
    )


def remove_store(db: sqlite_utils.Database, image_id: str, store: str) -> None:
    db.execute("DELETE FROM image_stores WHERE image_id = ? AND store = ?", [image_id, store])


def ids_importing(db: sqlite_utils.Database) -> list[str]:
    """Live images whose status says an import or a stage is under way."""
    rows = db.execute(
        "SELECT id FROM images WHERE deleted = 0 AND status IN ('uploading', 'importing')"
    )
    return [row[0] for row in rows]


def mark_deleted(db: sqlite_utils.Database, image_id: str, when: str) -> None:
    """Keep a tombstone row (the id stays taken) and drop everything hanging off it."""
    db.execute(
        "UPDATE images SET deleted = 1, deleted_at = ?, updated_at = ?, status = 'deleted' "
        "WHERE id = ?",
        [when, when, image_id],
    )
    for table in ("image_properties", "image_tags", "image_members", "image_stores"):
        db.execute(f"DELETE FROM {table} WHERE image_id = ?", [image_id])


def member_status(db: sqlite_utils.Database, image_id: str, project_id: str | None) -> str | None:
    """The caller's membership status on an image, or None."""
    if project_id is None:
        return None
    kept = read_cache.fresh(db)
    key = ("member status", image_id, project_id)
    if key not in kept:
        row = db.execute(
            "SELECT status FROM image_members WHERE image_id = ? AND member = ?",
            [image_id, project_id],
        ).fetchone()
        kept[key] = row[0] if row else None
    status: str | None = kept[key]
    return status


def add_tag(db: sqlite_utils.Database, image_id: str, tag: str, when: str) -> None:
    """One tag more (a tag already there is kept once). Inside ``atomic``."""
    db.execute("INSERT OR IGNORE INTO image_tags (image_id, value) VALUES (?, ?)", [image_id, tag])
    update_fields(db, image_id, updated_at=when)


def delete_tag(db: sqlite_utils.Database, image_id: str, tag: str, when: str) -> None:
    db.execute("DELETE FROM image_tags WHERE image_id = ? AND value = ?", [image_id, tag])
    update_fields(db, image_id, updated_at=when)


def count_live(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT count(*) FROM images WHERE deleted = 0").fetchone()[0])


def live_ids(db: sqlite_utils.Database) -> list[str]:
    """Every live image, oldest first."""
    rows = db.execute("SELECT id FROM images WHERE deleted = 0 ORDER BY created_at, id")
    return [row[0] for row in rows]


def delete_everything(db: sqlite_utils.Database) -> None:
    """Every image row, deleted ones too, with all that hangs off them (a reset)."""
    for table in ("image_members", "image_tags", "image_properties", "image_stores", "images"):
        db.execute(f"DELETE FROM {table}")


def ids_with_status(db: sqlite_utils.Database, status: str) -> list[str]:
    rows = db.execute("SELECT id FROM images WHERE status = ? AND deleted = 0", [status])
    return [row[0] for row in rows]


def ids_with_data(db: sqlite_utils.Database) -> set[str]:
    """Live images whose status says their data file exists."""
    rows = db.execute(
        "SELECT lower(id) FROM images WHERE deleted = 0 AND status IN ('active', 'deactivated')"
    )
    return {row[0] for row in rows}


# --- usage for the unified limits (glance/db/sqlalchemy/api.py user_get_*) ---------------

_COPYING = (
    "EXISTS (SELECT 1 FROM image_properties p WHERE p.image_id = images.id "
    "AND p.name = 'os_glance_importing_to_stores' AND p.value != '')"
)


def storage_usage(db: sqlite_utils.Database, owner: str | None) -> int:
    """Bytes in the store (one location per image with data)."""
    row = db.execute(
        "SELECT coalesce(sum(size), 0) FROM images WHERE deleted = 0 AND owner IS ? "
        "AND size > 0 AND status IN ('active', 'deactivated')",
        [owner],
    ).fetchone()
    return int(row[0])


def staging_usage(db: sqlite_utils.Database, owner: str | None) -> int:
    """Bytes staged or being imported, and of images being copied."""
    row = db.execute(
        "SELECT coalesce(sum(size), 0) FROM images WHERE deleted = 0 AND owner IS ? "
        f"AND size > 0 AND (status IN ('uploading', 'importing') OR ({_COPYING} "
        "AND status NOT IN ('killed', 'pending_delete')))",
        [owner],
    ).fetchone()
    return int(row[0])


def image_count(db: sqlite_utils.Database, owner: str | None) -> int:
    row = db.execute(
        "SELECT count(*) FROM images WHERE deleted = 0 AND owner IS ? "
        "AND status NOT IN ('killed', 'pending_delete')",
        [owner],
    ).fetchone()
    return int(row[0])


def uploading_count(db: sqlite_utils.Database, owner: str | None) -> int:
    row = db.execute(
        "SELECT count(*) FROM images WHERE deleted = 0 AND owner IS ? "
        f"AND (status IN ('saving', 'uploading', 'importing') OR ({_COPYING} "
        "AND status NOT IN ('killed', 'pending_delete')))",
        [owner],
    ).fetchone()
    return int(row[0])
