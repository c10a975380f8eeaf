"""Namespace rows, resource types and their associations: all the SQL for them."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import sqlite_utils

from emulator.metadefs.domain.model import Association, Namespace, ResourceType

_COLUMNS = (
    "id",
    "namespace",
    "display_name",
    "description",
    "visibility",
    "protected",
    "owner",
    "created_at",
    "updated_at",
)
_SELECT = "SELECT " + ", ".join(_COLUMNS) + " FROM metadef_namespaces"
#: Columns a list may sort on (each indexed, or the unique name).
SORT_COLUMNS = frozenset(
    {"namespace", "display_name", "visibility", "owner", "created_at", "updated_at", "id"}
)


class Duplicate(Exception):
    """A unique name is taken (the caller words the 409)."""


def _namespace(row: Sequence[Any]) -> Namespace:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["protected"] = bool(values["protected"])
    return Namespace(**values)


def get(db: sqlite_utils.Database, name: str) -> Namespace | None:
    row = db.execute(_SELECT + " WHERE namespace = ?", [name]).fetchone()
    return _namespace(row) if row else None


def insert(db: sqlite_utils.Database, ns: Namespace) -> Namespace:
    try:
        cursor = db.execute(
            "INSERT INTO metadef_namespaces (namespace, display_name, description, "
            "visibility, protected, owner, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
            [
                ns.namespace,
                ns.display_name,
                ns.description,
                ns.visibility,
                int(ns.protected),
                ns.owner,
                ns.created_at,
                ns.updated_at,
            ],
        )
    except sqlite3.IntegrityError as exc:
        raise Duplicate(ns.namespace) from exc
    ns.id = cursor.lastrowid
    return ns


def save(db: sqlite_utils.Database, ns: Namespace) -> None:
    try:
        db.execute(
            "UPDATE metadef_namespaces SET namespace = ?, display_name = ?, description = ?, "
            "visibility = ?, protected = ?, owner = ?, updated_at = ? WHERE id = ?",
            [
                ns.namespace,
                ns.display_name,
                ns.description,
                ns.visibility,
                int(ns.protected),
                ns.owner,
                ns.updated_at,
                ns.id,
            ],
        )
    except sqlite3.IntegrityError as exc:
        raise Duplicate(ns.namespace) from exc


def delete(db: sqlite_utils.Database, namespace_id: int) -> None:
    db.execute("DELETE FROM metadef_namespaces WHERE id = ?", [namespace_id])


def delete_everything(db: sqlite_utils.Database) -> None:
    """Every namespace (children go with them) and every resource type."""
    db.execute("DELETE FROM metadef_namespaces")
    db.execute("DELETE FROM metadef_resource_types")


def page(
    db: sqlite_utils.Database,
    *,
    visible_to: str | None,
    everything: bool,
    visibility: str | None,
    resource_types: list[str] | None,
    sort_key: str,
    sort_dir: str,
    marker: Namespace | None,
    limit: int,
) -> list[Namespace]:
    """One page, as ``oslo_db``'s ``paginate_query`` orders it: ``sort_key``, then
    ``created_at``, then ``id``, all in ``sort_dir``; after ``marker`` if given."""
    where: list[str] = []
    args: list[Any] = []
    if not everything:
        if visible_to is not None:
            where.append("(owner = ? OR visibility = 'public')")
            args.append(visible_to)
        else:
            where.append("visibility = 'public'")
    if visibility is not None:
        where.append("visibility = ?")
        args.append(visibility)
    if resource_types is not None:
        marks = ",".join("?" * len(resource_types))
        where.append(
            "id IN (SELECT a.namespace_id FROM metadef_namespace_resource_types a "
            f"JOIN metadef_resource_types t ON t.id = a.resource_type_id WHERE t.name IN ({marks}))"
        )
        args.extend(resource_types)
    keys = [sort_key] + [k for k in ("created_at", "id") if k != sort_key]
    op = "<" if sort_dir == "desc" else ">"
    if marker is not None:
        # (k1, k2, k3) after the marker's values, NULLs first as SQLite orders them.
        values = [getattr(marker, key) for key in keys]
        clauses = []
        for i, key in enumerate(keys):
            equal = [f"{keys[j]} IS ?" for j in range(i)]
            value = values[i]
            if value is None:
                cmp = f"{key} IS NOT NULL" if op == ">" else "0"
                clauses.append(" AND ".join([*equal, cmp]))
                args.extend(values[:i])
            else:
                beyond = f"{key} {op} ?" if op == ">" else f"({key} {op} ? OR {key} IS NULL)"
                clauses.append(" AND ".join([*equal, beyond]))
                args.extend([*values[:i], value])
        where.append("(" + " OR ".join(f"({c})" for c in clauses) + ")")
    direction = "DESC" if sort_dir == "desc" else "ASC"
    sql = _SELECT
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY " + ", ".join(f"{k} {direction}" for k in keys) + " LIMIT ?"
    args.append(limit)
    return [_namespace(row) for row in db.execute(sql, args)]


# --- resource types and associations ------------------------------------------------------


def resource_types(db: sqlite_utils.Database) -> list[ResourceType]:
    rows = db.execute("SELECT name, created_at, updated_at FROM metadef_resource_types ORDER BY id")
    return [ResourceType(*row) for row in rows]


def resource_type_id(db: sqlite_utils.Database, name: str) -> int | None:
    row = db.execute("SELECT id FROM metadef_resource_types WHERE name = ?", [name]).fetchone()
    return int(row[0]) if row else None


def ensure_resource_type(
    db: sqlite_utils.Database, name: str, now: str, updated: str | None
) -> int:
    found = resource_type_id(db, name)
    if found is not None:
        return found
    cursor = db.execute(
        "INSERT INTO metadef_resource_types (name, protected, created_at, updated_at) "
        "VALUES (?, 0, ?, ?)",
        [name, now, updated],
    )
    return int(cursor.lastrowid or 0)


def associations(
    db: sqlite_utils.Database, namespace_ids: list[int]
) -> dict[int, list[Association]]:
    """The associations of each namespace, in the order they were made."""
    found: dict[int, list[Association]] = {i: [] for i in namespace_ids}
    if not namespace_ids:
        return found
    marks = ",".join("?" * len(namespace_ids))
    rows = db.execute(
        "SELECT a.namespace_id, t.name, a.prefix, a.properties_target, a.created_at, "
        "a.updated_at FROM metadef_namespace_resource_types a JOIN metadef_resource_types t "
        f"ON t.id = a.resource_type_id WHERE a.namespace_id IN ({marks}) ORDER BY a.rowid",
        namespace_ids,
    )
    for namespace_id, *rest in rows:
        found[namespace_id].append(Association(*rest))
    return found


def associate(
    db: sqlite_utils.Database, namespace_id: int, type_id: int, assoc: Association
) -> None:
    try:
        db.execute(
            "INSERT INTO metadef_namespace_resource_types (namespace_id, resource_type_id, "
            "prefix, properties_target, created_at, updated_at) VALUES (?,?,?,?,?,?)",
            [
                namespace_id,
                type_id,
                assoc.prefix,
                assoc.properties_target,
                assoc.created_at,
                assoc.updated_at,
            ],
        )
    except sqlite3.IntegrityError as exc:
        raise Duplicate(assoc.name) from exc


def dissociate(db: sqlite_utils.Database, namespace_id: int, type_id: int) -> bool:
    cursor = db.execute(
        "DELETE FROM metadef_namespace_resource_types WHERE namespace_id = ? AND "
        "resource_type_id = ?",
        [namespace_id, type_id],
    )
    return cursor.rowcount > 0


def catalog_loaded(db: sqlite_utils.Database) -> bool:
    return db.execute("SELECT 1 FROM metadef_catalog_loaded").fetchone() is not None


def note_catalog_loaded(db: sqlite_utils.Database, now: str) -> None:
    db.execute("DELETE FROM metadef_catalog_loaded")
    db.execute("INSERT INTO metadef_catalog_loaded (loaded_at) VALUES (?)", [now])


def all_namespaces(db: sqlite_utils.Database) -> list[Namespace]:
    return [_namespace(row) for row in db.execute(_SELECT + " ORDER BY created_at, id")]


def set_created_at(db: sqlite_utils.Database, name: str, created_at: str) -> None:
    db.execute(
        "UPDATE metadef_namespaces SET created_at = ? WHERE namespace = ?", [created_at, name]
    )
