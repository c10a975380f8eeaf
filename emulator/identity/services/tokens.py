"""Opaque, random, expiring tokens. Only a SHA-256 of each token is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

import sqlite_utils

from emulator.core import clock
from emulator.core.context import RequestContext
from emulator.core.db import atomic


@dataclass(frozen=True)
class TokenRecord:
    user_id: str
    project_id: str | None
    roles: tuple[str, ...]
    methods: tuple[str, ...]
    audit_id: str
    issued_at: str
    expires_at: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue(
    db: sqlite_utils.Database,
    *,
    user_id: str,
    project_id: str | None,
    roles: list[str] | tuple[str, ...],
    methods: list[str] | tuple[str, ...],
    ttl_seconds: int,
    expires_at: str | None = None,
) -> tuple[str, TokenRecord]:
    """Create a token. ``expires_at`` caps the lifetime (a token made from a token keeps it)."""
    issued = clock.now()
    expires = clock.to_storage(issued + dt.timedelta(seconds=ttl_seconds))
    if expires_at is not None and expires_at < expires:
        expires = expires_at
    record = TokenRecord(
        user_id=user_id,
        project_id=project_id,
        roles=tuple(roles),
        methods=tuple(methods),
        audit_id=secrets.token_urlsafe(16)[:22],
        issued_at=clock.to_storage(issued),
        expires_at=expires,
    )
    token = "gAAAAA" + secrets.token_urlsafe(48)
    with atomic(db):
        db["tokens"].insert(
            {
                "id_hash": _hash(token),
                "user_id": record.user_id,
                "project_id": record.project_id,
                "roles": json.dumps(list(record.roles)),
                "methods": json.dumps(list(record.methods)),
                "audit_id": record.audit_id,
                "issued_at": record.issued_at,
                "expires_at": record.expires_at,
                "revoked": 0,
            }
        )
    return token, record


def lookup(db: sqlite_utils.Database, token: str) -> TokenRecord | None:
    """The live record for ``token``, or None if unknown, revoked or expired."""
    if not token or len(token) > 1024:
        return None
    row = db.execute(
        "SELECT user_id, project_id, roles, methods, audit_id, issued_at, expires_at, revoked "
        "FROM tokens WHERE id_hash = ?",
        [_hash(token)],
    ).fetchone()
    if row is None or row[7]:
        return None
    if row[6] <= clock.to_storage(clock.now()):
        return None
    return TokenRecord(
        user_id=row[0],
        project_id=row[1],
        roles=tuple(json.loads(row[2])),
        methods=tuple(json.loads(row[3])),
        audit_id=row[4],
        issued_at=row[5],
        expires_at=row[6],
    )


def revoke(db: sqlite_utils.Database, token: str) -> bool:
    with atomic(db):
        cursor = db.execute(
            "UPDATE tokens SET revoked = 1 WHERE id_hash = ? AND revoked = 0", [_hash(token)]
        )
    return cursor.rowcount > 0


def context_for_token(db: sqlite_utils.Database, token: str) -> RequestContext | None:
    record = lookup(db, token)
    if record is None:
        return None
    return RequestContext(
        project_id=record.project_id,
        user_id=record.user_id,
        roles=frozenset(record.roles),
    )
