"""What a namespace holds: objects, property definitions and tags. All the SQL for them.

Objects and properties come back in the order they were made (Glance's queries have no
ORDER BY); tags newest first, as ``metadef_api/tag.py get_all`` sorts by default.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import sqlite_utils

from emulator.metadefs.domain.model import MetadefObject, Property, Tag
from emulator.metadefs.store.namespaces import Duplicate

# --- objects -----------------------------------------------------------------------------

_OBJECT_SELECT = (
    "SELECT name, description, required, json_schema, created_at, updated_at FROM metadef_objects"
)


def _object(row: Sequence[Any]) -> MetadefObject:
    name, description, required, schema, created_at, updated_at = row
    return MetadefObject(
        name=name,
        description=description,
        required=json.loads(required) if required is not None else None,
        properties=json.loads(schema) if schema is not None else None,
        created_at=created_at,
        updated_at=updated_at,
    )


def objects(db: sqlite_utils.Database, namespace_id: int) -> list[MetadefObject]:
    rows = db.execute(_OBJECT_SELECT + " WHERE namespace_id = ? ORDER BY id", [namespace_id])
    return [_object(row) for row in rows]


def get_object(db: sqlite_utils.Database, namespace_id: int, name: str) -> MetadefObject | None:
    row = db.execute(
        _OBJECT_SELECT + " WHERE namespace_id = ? AND name = ?", [namespace_id, name]
    ).fetchone()
    return _object(row) if row else None


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def insert_object(db: sqlite_utils.Database, namespace_id: int, obj: MetadefObject) -> None:
    try:
        db.execute(
            "INSERT INTO metadef_objects (namespace_id, name, description, required, "
            "json_schema, created_at, updated_at) VALUES (?,?,?,?,?,?,?)",
            [
                namespace_id,
                obj.name,
                obj.description,
                # Glance stores an object without them as [] and {} (and lists them so).
                _dumps(obj.required if obj.required is not None else []),
                _dumps(obj.properties if obj.properties is not None else {}),
                obj.created_at,
                obj.updated_at,
            ],
        )
    except sqlite3.IntegrityError as exc:
        raise Duplicate(obj.name) from exc


def save_object(
    db: sqlite_utils.Database, namespace_id: int, old_name: str, obj: MetadefObject
) -> None:
    try:
        db.execute(
            "UPDATE metadef_objects SET name = ?, description = ?, required = ?, "
            "json_schema = ?, updated_at = ? WHERE namespace_id = ? AND name = ?",
            [
                obj.name,
                obj.description,
                _dumps(obj.required if obj.required is not None else []),
                _dumps(obj.properties if obj.properties is not None else {}),
                obj.updated_at,
                namespace_id,
                old_name,
            ],
        )
    except sqlite3.IntegrityError as exc:
        raise Duplicate(obj.name) from exc


def delete_object(db: sqlite_utils.Database, namespace_id: int, name: str) -> None:
    db.execute(
        "DELETE FROM metadef_objects WHERE namespace_id = ? AND name = ?", [namespace_id, name]
    )


# --- properties ----------------------------------------------------------------------------


def properties(db: sqlite_utils.Database, namespace_id: int) -> list[Property]:
    rows = db.execute(
        "SELECT name, json_schema FROM metadef_properties WHERE namespace_id = ? ORDER BY id",
        [namespace_id],
    )
    return [Property(name, json.loads(schema)) for name, schema in rows]


def get_property(db: sqlite_utils.Database, namespace_id: int, name: str) -> Property | None:
    row = db.execute(
        "SELECT name, json_schema FROM metadef_properties WHERE namespace_id = ? AND name = ?",
        [namespace_id, name],
    ).fetchone()
    return Property(row[0], json.loads(row[1])) if row else None


def insert_property(
    db: sqlite_utils.Database,
    namespace_id: int,
    prop: Property,
    now: str,
    updated: str | None = "",
) -> None:
    try:
        db.execute(
            "INSERT INTO metadef_properties (namespace_id, name, json_schema, created_at, "
            "updated_at) VALUES (?,?,?,?,?)",
            [
                namespace_id,
                prop.name,
                json.dumps(prop.schema, ensure_ascii=False),
                now,
                now if updated == "" else updated,
            ],
        )
    except sqlite3.IntegrityError as exc:
        raise Duplicate(prop.name) from exc


def save_property(
    db: sqlite_utils.Database, namespace_id: int, old_name: str, prop: Property, now: str
) -> None:
    try:
        db.execute(
            "UPDATE metadef_properties SET name = ?, json_schema = ?, updated_at = ? "
            "WHERE namespace_id = ? AND name = ?",
            [
                prop.name,
                json.dumps(prop.schema, ensure_ascii=False),
                now,
                namespace_id,
                old_name,
            ],
        )
    except sqlite3.IntegrityError as exc:
        raise Duplicate(prop.name) from exc


def delete_property(db: sqlite_utils.Database, namespace_id: int, name: str) -> None:
    db.execute(
        "DELETE FROM metadef_properties WHERE namespace_id = ? AND name = ?",
        [namespace_id, name],
    )


# --- tags ----------------------------------------------------------------------------------

_TAG_SELECT = "SELECT id, name, created_at, updated_at FROM metadef_tags"


def tags(
    db: sqlite_utils.Database,
    namespace_id: int,
    *,
    sort_dir: str = "desc",
    sort_key: str = "created_at",
    after: tuple[str, int] | None = None,
    limit: int | None = None,
) -> list[Tag]:
    """Tags by ``sort_key`` (``name`` or ``created_at``/``updated_at``), then ``id``."""
    direction = "DESC" if sort_dir == "desc" else "ASC"
    op = "<" if sort_dir == "desc" else ">"
    sql = _TAG_SELECT + " WHERE namespace_id = ?"
    args: list[Any] = [namespace_id]
    if after is not None:
        sql += f" AND ({sort_key}, id) {op} (?, ?)"
        args.extend(after)
    sql += f" ORDER BY {sort_key} {direction}, id {direction}"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return [Tag(name, created, updated) for _id, name, created, updated in db.execute(sql, args)]


def tag_position(
    db: sqlite_utils.Database, namespace_id: int, name: str, sort_key: str
) -> tuple[str, int] | None:
    row = db.execute(
        f"SELECT {sort_key}, id FROM metadef_tags WHERE namespace_id = ? AND name = ?",
        [namespace_id, name],
    ).fetchone()
    return (row[0], int(row[1])) if row else None


def get_tag(db: sqlite_utils.Database, namespace_id: int, name: str) -> Tag | None:
    row = db.execute(
        _TAG_SELECT + " WHERE namespace_id = ? AND name = ?", [namespace_id, name]
    ).fetchone()
    return Tag(row[1], row[2], row[3]) if row else None


def insert_tag(db: sqlite_utils.Database, namespace_id: int, tag: Tag) -> None:
    try:
        db.execute(
            "INSERT INTO metadef_tags (namespace_id, name, created_at, updated_at) "
            "VALUES (?,?,?,?)",
            [namespace_id, tag.name, tag.created_at, tag.updated_at],
        )
    except sqlite3.IntegrityError as exc:
        raise Duplicate(tag.name) from exc


def rename_tag(
    db: sqlite_utils.Database, namespace_id: int, old_name: str, new_name: str, now: str
) -> None:
    try:
        db.execute(
            "UPDATE metadef_tags SET name = ?, updated_at = ? WHERE namespace_id = ? AND name = ?",
            [new_name, now, namespace_id, old_name],
        )
    except sqlite3.IntegrityError as exc:
        raise Duplicate(new_name) from exc


def delete_tag(db: sqlite_utils.Database, namespace_id: int, name: str) -> None:
    db.execute("DELETE FROM metadef_tags WHERE namespace_id = ? AND name = ?", [namespace_id, name])


# --- a namespace's whole content ---------------------------------------------------------

_CONTENT_TABLES = {
    "objects": "metadef_objects",
    "properties": "metadef_properties",
    "tags": "metadef_tags",
}


def delete_all(db: sqlite_utils.Database, namespace_id: int, kind: str) -> None:
    """Every object, property or tag (``kind``) of a namespace."""
    db.execute(f"DELETE FROM {_CONTENT_TABLES[kind]} WHERE namespace_id = ?", [namespace_id])
