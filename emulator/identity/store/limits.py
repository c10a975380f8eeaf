"""Per-project limits (Keystone's project limits for the image service)."""

from __future__ import annotations

from collections.abc import Mapping

import sqlite_utils


def get(db: sqlite_utils.Database, project_id: str | None, resource: str) -> int | None:
    if project_id is None:
        return None
    row = db.execute(
        "SELECT resource_limit FROM project_limits WHERE project_id = ? AND resource = ?",
        [project_id, resource],
    ).fetchone()
    return None if row is None else int(row[0])


def of_project(db: sqlite_utils.Database, project_id: str) -> dict[str, int]:
    rows = db.execute(
        "SELECT resource, resource_limit FROM project_limits WHERE project_id = ? "
        "ORDER BY resource",
        [project_id],
    )
    return {resource: int(limit) for resource, limit in rows}


def replace(db: sqlite_utils.Database, project_id: str, limits: Mapping[str, int]) -> None:
    db.execute("DELETE FROM project_limits WHERE project_id = ?", [project_id])
    db.conn.executemany(
        "INSERT INTO project_limits (project_id, resource, resource_limit) VALUES (?, ?, ?)",
        [(project_id, resource, limit) for resource, limit in limits.items()],
    )


def clear(db: sqlite_utils.Database) -> None:
    db.execute("DELETE FROM project_limits")
