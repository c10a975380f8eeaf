"""Rows of ``tokens``: one per token issued, keyed by a hash of the token (never the token)."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from emulator.core.db import insert_row


def insert(db: sqlite_utils.Database, id_hash: str, record: dict[str, Any]) -> None:
    """``record``: user_id, project_id, roles, methods, audit_id, issued_at, expires_at."""
    row = dict(record, id_hash=id_hash, revoked=0)
    row["roles"] = json.dumps(list(record["roles"]))
    row["methods"] = json.dumps(list(record["methods"]))
    insert_row(db, "tokens", row)


def get_live(db: sqlite_utils.Database, id_hash: str, now: str) -> dict[str, Any] | None:
    """The token's fields, unless it is unknown, revoked or expired by ``now``."""
    row = db.execute(
        "SELECT user_id, project_id, roles, methods, audit_id, issued_at, expires_at "
        "FROM tokens WHERE id_hash = ? AND revoked = 0 AND expires_at > ?",
        [id_hash, now],
    ).fetchone()
    if row is None:
        return None
    keys = ("user_id", "project_id", "roles", "methods", "audit_id", "issued_at", "expires_at")
    found = dict(zip(keys, row, strict=True))
    found["roles"] = tuple(json.loads(found["roles"]))
    found["methods"] = tuple(json.loads(found["methods"]))
    return found


def revoke(db: sqlite_utils.Database, id_hash: str) -> bool:
    cursor = db.execute(
        "UPDATE tokens SET revoked = 1 WHERE id_hash = ? AND revoked = 0", [id_hash]
    )
    return cursor.rowcount > 0


def delete_for_user(db: sqlite_utils.Database, user_id: str) -> None:
    db.execute("DELETE FROM tokens WHERE user_id = ?", [user_id])
