"""Opaque, random, expiring tokens. Only a SHA-256 of each token is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlite_utils

from emulator.core import clock, read_cache
from emulator.core.context import RequestContext
from emulator.core.db import atomic
from emulator.identity.store import tokens as token_store


@dataclass(frozen=True)
class TokenRecord:
    user_id: str
    project_id: str | None
    roles: tuple[str, ...]
    methods: tuple[str, ...]
    audit_id: str
    issued_at: str
    expires_at: str


def _usable(token: str) -> bool:
    return bool(token) and len(token) <= 1024


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
        token_store.insert(db, _hash(token), dict(vars(record)))  # fields are immutable
    return token, record


def lookup(db: sqlite_utils.Database, token: str) -> TokenRecord | None:
    """The live record for ``token``, or None if unknown, revoked or expired."""
    if not _usable(token):
        return None
    found = token_store.get_live(db, _hash(token), clock.to_storage(clock.now()))
    return None if found is None else TokenRecord(**found)


def revoke(db: sqlite_utils.Database, token: str) -> bool:
    with atomic(db):
        return token_store.revoke(db, _hash(token))


def context_for_token(db: sqlite_utils.Database, token: str) -> RequestContext | None:
    """Who ``token`` speaks for, or None if it is unknown, revoked or expired.

    Every authenticated request asks this, so the answer read from the token's row is kept
    by the connection until the database changes (``core/read_cache.py``): any revocation,
    password change or reset is a write, and empties it. The expiry is checked every time.
    """
    if not _usable(token):
        return None
    id_hash = _hash(token)
    kept = read_cache.fresh(db)
    found: tuple[RequestContext, dt.datetime] | None = kept.get(("token context", id_hash))
    now = clock.now()
    if found is None:
        record = token_store.get_live(db, id_hash, clock.to_storage(now))
        if record is None:
            return None
        context = RequestContext(
            project_id=record["project_id"],
            user_id=record["user_id"],
            roles=frozenset(record["roles"]),
        )
        found = kept[("token context", id_hash)] = (
            context,
            clock.from_storage(record["expires_at"]),
        )
    context, expires = found
    return context if now < expires else None
