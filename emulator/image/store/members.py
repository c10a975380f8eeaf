"""Rows of ``image_members(image_id, member, status, created_at, updated_at)``.

Glance soft-deletes member rows and revives the same row when a member is added again
(``glance/db/__init__.py`` ImageMemberRepo.add), resetting status and ``created_at``. We
delete the row and insert a fresh one, which is the same thing seen from the API.
Writes are called inside ``atomic``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlite_utils

from emulator.image.domain.members import Membership

_SELECT = "SELECT image_id, member, status, created_at, updated_at FROM image_members"
# Glance lists rows without ORDER BY: insertion (primary key) order in practice.
_ORDER = " ORDER BY rowid"


def _row_to_membership(row: Sequence[Any]) -> Membership:
    image_id, member, status, created_at, updated_at = row
    return Membership(image_id, member, status, created_at, updated_at)


def get(db: sqlite_utils.Database, image_id: str, member_id: str) -> Membership | None:
    row = db.execute(
        _SELECT + " WHERE image_id = ? AND member = ?", [image_id, member_id]
    ).fetchone()
    return _row_to_membership(row) if row else None


def list_for_image(
    db: sqlite_utils.Database, image_id: str, member_id: str | None = None
) -> list[Membership]:
    """Every row of an image, or only ``member_id``'s row when given."""
    if member_id is None:
        rows = db.execute(_SELECT + " WHERE image_id = ?" + _ORDER, [image_id])
    else:
        rows = db.execute(
            _SELECT + " WHERE image_id = ? AND member = ?" + _ORDER, [image_id, member_id]
        )
    return [_row_to_membership(row) for row in rows]


def count(db: sqlite_utils.Database, image_id: str) -> int:
    row = db.execute("SELECT COUNT(*) FROM image_members WHERE image_id = ?", [image_id])
    return int(row.fetchone()[0])


def insert(db: sqlite_utils.Database, membership: Membership) -> None:
    db.execute(
        "INSERT INTO image_members (image_id, member, status, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            membership.image_id,
            membership.member_id,
            membership.status,
            membership.created_at,
            membership.updated_at,
        ],
    )


def save_status(db: sqlite_utils.Database, membership: Membership) -> None:
    db.execute(
        "UPDATE image_members SET status = ?, updated_at = ? WHERE image_id = ? AND member = ?",
        [membership.status, membership.updated_at, membership.image_id, membership.member_id],
    )


def delete(db: sqlite_utils.Database, image_id: str, member_id: str) -> None:
    db.execute("DELETE FROM image_members WHERE image_id = ? AND member = ?", [image_id, member_id])


def set_times(
    db: sqlite_utils.Database, image_id: str, member_id: str, times: dict[str, str]
) -> None:
    """Restore ``created_at`` / ``updated_at`` (scenario and export loading only)."""
    columns = {k: v for k, v in times.items() if k in ("created_at", "updated_at")}
    if not columns:
        return
    assignments = ", ".join(f"{name} = ?" for name in columns)
    db.execute(
        f"UPDATE image_members SET {assignments} WHERE image_id = ? AND member = ?",
        [*columns.values(), image_id, member_id],
    )


def list_all(db: sqlite_utils.Database) -> list[Membership]:
    """Every member row of every live image, in the order images and rows were created."""
    rows = db.execute(
        "SELECT m.image_id, m.member, m.status, m.created_at, m.updated_at "
        "FROM image_members m JOIN images i ON i.id = m.image_id AND i.deleted = 0 "
        "ORDER BY i.created_at, m.image_id, m.created_at, m.member"
    )
    return [_row_to_membership(row) for row in rows]
