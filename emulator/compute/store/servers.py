"""Rows of ``compute_servers``; JSON columns hold the record's dicts and lists.
Writes are called inside ``atomic``."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import sqlite_utils

from emulator.compute.domain.servers import Server

_JSON = ("image_meta", "flavor", "networks", "outcome", "addresses", "security_groups",
         "metadata", "tags", "fault")  # fmt: skip
_COLUMNS = tuple(f.name for f in fields(Server))
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM compute_servers"


def _to_row(server: Server) -> list[Any]:
    values = []
    for name in _COLUMNS:
        value = getattr(server, name)
        values.append(json.dumps(value) if name in _JSON and value is not None else value)
    return values


def _from_row(row: Any) -> Server:
    values = dict(zip(_COLUMNS, row, strict=True))
    for name in _JSON:
        if values[name] is not None:
            values[name] = json.loads(values[name])
    return Server(**values)


def insert(db: sqlite_utils.Database, server: Server) -> None:
    marks = ", ".join("?" for _ in _COLUMNS)
    db.execute(
        f"INSERT INTO compute_servers ({', '.join(_COLUMNS)}) VALUES ({marks})", _to_row(server)
    )


def save(db: sqlite_utils.Database, server: Server) -> None:
    assignments = ", ".join(f"{name} = ?" for name in _COLUMNS if name != "id")
    values = [v for name, v in zip(_COLUMNS, _to_row(server), strict=True) if name != "id"]
    db.execute(f"UPDATE compute_servers SET {assignments} WHERE id = ?", [*values, server.id])


def get(db: sqlite_utils.Database, server_id: str) -> Server | None:
    row = db.execute(_SELECT + " WHERE id = ?", [server_id]).fetchone()
    return _from_row(row) if row else None


def delete(db: sqlite_utils.Database, server_id: str) -> None:
    db.execute("DELETE FROM compute_servers WHERE id = ?", [server_id])


def delete_all(db: sqlite_utils.Database) -> None:
    db.execute("DELETE FROM compute_servers")


def listing(
    db: sqlite_utils.Database,
    project_id: str | None,
    image_ref: str | None = None,
    flavor_id: str | None = None,
) -> list[Server]:
    """Newest first (Nova's default sort: ``created_at`` desc, then ``id`` desc);
    ``project_id`` None: every project's."""
    where, args = [], []
    if project_id is not None:
        where.append("project_id = ?")
        args.append(project_id)
    if image_ref is not None:
        where.append("image_ref = ?")
        args.append(image_ref)
    if flavor_id is not None:
        where.append("flavor_id = ?")
        args.append(flavor_id)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    rows = db.execute(_SELECT + clause + " ORDER BY created_at DESC, id DESC", args)
    return [_from_row(row) for row in rows]


def due(db: sqlite_utils.Database, now: str) -> list[Server]:
    """Servers whose running task has reached its end time."""
    rows = db.execute(_SELECT + " WHERE task_done_at IS NOT NULL AND task_done_at <= ?", [now])
    return [_from_row(row) for row in rows]


def usage(db: sqlite_utils.Database, project_id: str) -> tuple[int, int, int]:
    """(instances, cores, ram MB) the project's servers hold."""
    row = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(json_extract(flavor, '$.vcpus')), 0), "
        "COALESCE(SUM(json_extract(flavor, '$.ram')), 0) FROM compute_servers "
        "WHERE project_id = ?",
        [project_id],
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])
