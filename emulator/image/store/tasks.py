"""Task rows: insert, load, save, list (the tasks table of migration 5)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlite_utils

from emulator.core.db import insert_row
from emulator.image.domain.tasks import Task

COLUMNS = (
    "id",
    "type",
    "status",
    "owner",
    "input",
    "result",
    "message",
    "expires_at",
    "created_at",
    "updated_at",
    "deleted",
    "deleted_at",
    "image_id",
    "request_id",
    "user_id",
)
_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM tasks"
#: Columns a list may sort on or filter by equality (glance/db/sqlalchemy/api.py).
SORTABLE = (
    "id",
    "type",
    "status",
    "owner",
    "expires_at",
    "created_at",
    "updated_at",
    "image_id",
    "request_id",
    "user_id",
)


def _decode(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    value = json.loads(text)
    return value if isinstance(value, dict) else None


def _to_task(row: Sequence[Any]) -> Task:
    values = dict(zip(COLUMNS, row, strict=True))
    values["input"] = _decode(values["input"])
    values["result"] = _decode(values["result"])
    values["deleted"] = bool(values["deleted"])
    return Task(**values)


def _row(task: Task) -> dict[str, Any]:
    row = {name: getattr(task, name) for name in COLUMNS}
    row["input"] = None if task.input is None else json.dumps(task.input)
    row["result"] = None if task.result is None else json.dumps(task.result)
    row["deleted"] = int(task.deleted)
    return row


def insert(db: sqlite_utils.Database, task: Task) -> None:
    insert_row(db, "tasks", _row(task))


def save(db: sqlite_utils.Database, task: Task) -> None:
    row = _row(task)
    task_id = row.pop("id")
    assignments = ", ".join(f"{name} = ?" for name in row)
    db.execute(f"UPDATE tasks SET {assignments} WHERE id = ?", [*row.values(), task_id])


def get(db: sqlite_utils.Database, task_id: str, *, include_deleted: bool = False) -> Task | None:
    where = " WHERE id = ?" + ("" if include_deleted else " AND deleted = 0")
    row = db.execute(_SELECT + where, [task_id]).fetchone()
    return None if row is None else _to_task(row)


def with_status(db: sqlite_utils.Database, statuses: Sequence[str]) -> list[Task]:
    marks = ",".join("?" * len(statuses))
    rows = db.execute(_SELECT + f" WHERE deleted = 0 AND status IN ({marks})", list(statuses))
    return [_to_task(r) for r in rows]


def for_image(db: sqlite_utils.Database, image_id: str, owner: str | None) -> list[Task]:
    """Live tasks of one image, oldest first; ``owner`` None means every owner (admin)."""
    sql = _SELECT + " WHERE deleted = 0 AND image_id = ?"
    params: list[Any] = [image_id]
    if owner is not None:
        sql += " AND owner = ?"
        params.append(owner)
    return [_to_task(r) for r in db.execute(sql + " ORDER BY created_at, id", params)]


def expire(db: sqlite_utils.Database, now: str) -> int:
    """Soft-delete every task whose ``expires_at`` has passed (Glance does it lazily)."""
    cursor = db.execute(
        "UPDATE tasks SET deleted = 1, deleted_at = ? "
        "WHERE deleted = 0 AND expires_at IS NOT NULL AND expires_at <= ?",
        [now, now],
    )
    return int(cursor.rowcount or 0)


def page(
    db: sqlite_utils.Database,
    filters: dict[str, str],
    owner: str | None,
    sort_key: str,
    sort_dir: str,
    limit: int,
    marker: Task | None,
) -> list[Task]:
    """One page of live tasks; ``owner`` None means all owners (admin)."""
    where = ["deleted = 0"]
    params: list[Any] = []
    if owner is not None:
        where.append("owner = ?")
        params.append(owner)
    for key, value in filters.items():
        where.append(f"{key} = ?")
        params.append(value)
    op = "<" if sort_dir == "desc" else ">"
    if marker is not None:
        value = getattr(marker, sort_key)
        where.append(f"(({sort_key} {op} ?) OR ({sort_key} = ? AND id {op} ?))")
        params.extend([value, value, marker.id])
    order = f"{sort_key} {sort_dir.upper()}, id {sort_dir.upper()}"
    sql = _SELECT + " WHERE " + " AND ".join(where) + f" ORDER BY {order} LIMIT ?"
    params.append(limit)
    return [_to_task(r) for r in db.execute(sql, params)]


def delete_everything(db: sqlite_utils.Database) -> None:
    db.execute("DELETE FROM tasks")
