"""Projects, users and role assignments: the identity data behind the Keystone subset.

Identity use cases take the database connection only (a unit of work's ``db``): they need
neither the blob store nor a caller, and the CLI tools call them before any app exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlite_utils
from werkzeug.security import check_password_hash, generate_password_hash

from emulator.core import errors
from emulator.core.db import atomic
from emulator.identity.domain.entities import (
    DEFAULT_DOMAIN_ID,
    DEFAULT_DOMAIN_NAME,
    Project,
    User,
)
from emulator.identity.domain.passwords import VerifiedPasswords
from emulator.identity.store import accounts as store
from emulator.identity.store import tokens as token_store

__all__ = ["DEFAULT_DOMAIN_ID", "DEFAULT_DOMAIN_NAME", "Project", "User"]

# Werkzeug's scrypt, with a cost lowered for a test tool: every `openstack` CLI call logs in
# again, and the default cost would add ~0.1 s to each. These are emulator passwords, not
# secrets worth a stronger hash.
PASSWORD_METHOD = "scrypt:4096:8:1"

DEMO_ACCOUNTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("admin", ("admin",)),
    ("producer", ("member",)),
    ("consumer", ("member",)),
    ("outsider", ("member",)),
)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


#: Process-wide: a login repeated with a password already checked skips the slow hash.
_verified = VerifiedPasswords()


def password_matches(password_hash: str, password: str) -> bool:
    if _verified.known(password_hash, password):
        return True
    if not check_password_hash(password_hash, password):
        return False
    _verified.remember(password_hash, password)
    return True


def create_project(
    db: sqlite_utils.Database,
    name: str,
    project_id: str | None = None,
    domain_id: str = DEFAULT_DOMAIN_ID,
    description: str = "",
) -> Project:
    project = Project(project_id or uuid.uuid4().hex, name, domain_id, description)
    with atomic(db):
        if store.project_taken(db, project.id, name, domain_id):
            raise errors.Conflict(f"Project {name!r} already exists.")
        store.insert_project(db, project)
    return project


def create_user(
    db: sqlite_utils.Database,
    name: str,
    password: str,
    project_id: str | None,
    roles: Sequence[str] = ("member",),
    user_id: str | None = None,
    domain_id: str = DEFAULT_DOMAIN_ID,
) -> User:
    user = User(user_id or uuid.uuid4().hex, name, domain_id, project_id)
    with atomic(db):
        if store.user_taken(db, user.id, name, domain_id):
            raise errors.Conflict(f"User {name!r} already exists.")
        store.insert_user(db, user, hash_password(password))
        if project_id is not None:
            store.assign(db, user.id, project_id, roles)
    return user


def ensure_demo_accounts(db: sqlite_utils.Database) -> bool:
    """Give an empty identity store (a new data dir) the demo accounts. True if it did."""
    with atomic(db):
        if store.any_user(db):
            return False
        restore_demo_accounts(db)
    return True


def restore_demo_accounts(
    db: sqlite_utils.Database,
    *,
    reset_passwords: bool = False,
    project_ids: dict[str, str] | None = None,
    user_ids: dict[str, str] | None = None,
) -> None:
    """Each demo account that is missing is created (with the project or user id given for
    its name, if any); ``reset_passwords`` gives existing ones their demo password and
    role back."""
    project_ids, user_ids = project_ids or {}, user_ids or {}
    with atomic(db):
        for name, roles in DEMO_ACCOUNTS:
            project = find_project(db, name, DEFAULT_DOMAIN_ID) or upsert_project(
                db, name, project_ids.get(name)
            )
            user = find_user(db, name, DEFAULT_DOMAIN_ID)
            if user is None or reset_passwords:
                upsert_user(
                    db,
                    name,
                    project.id,
                    roles,
                    password=f"{name}-pass",
                    user_id=user_ids.get(name) if user is None else None,
                )


def get_project(db: sqlite_utils.Database, project_id: str) -> Project | None:
    return store.get_project(db, project_id)


def find_project(db: sqlite_utils.Database, name: str, domain_id: str) -> Project | None:
    return store.find_project(db, name, domain_id)


def list_projects(db: sqlite_utils.Database, name: str | None = None) -> list[Project]:
    return store.list_projects(db, name)


def project_ids_by_name(db: sqlite_utils.Database) -> dict[str, str]:
    return store.project_ids_by_name(db)


def get_user(db: sqlite_utils.Database, user_id: str) -> User | None:
    return store.get_user(db, user_id)


def find_user(db: sqlite_utils.Database, name: str, domain_id: str) -> User | None:
    return store.find_user(db, name, domain_id)


def list_users(db: sqlite_utils.Database) -> list[User]:
    return store.list_users(db)


def check_password(db: sqlite_utils.Database, user_id: str, password: str) -> bool:
    stored = store.password_hash(db, user_id)
    return stored is not None and password_matches(stored, password)


def password_hash_of(db: sqlite_utils.Database, user_id: str) -> str:
    return store.password_hash(db, user_id) or ""


def roles_on_project(db: sqlite_utils.Database, user_id: str, project_id: str) -> list[str]:
    return store.roles_on_project(db, user_id, project_id)


def upsert_project(
    db: sqlite_utils.Database,
    name: str,
    project_id: str | None = None,
    description: str = "",
    domain_id: str = DEFAULT_DOMAIN_ID,
) -> Project:
    """The project named ``name``, created if missing; an existing one keeps its id."""
    existing = find_project(db, name, domain_id)
    if existing is not None:
        if project_id is not None and project_id != existing.id:
            raise errors.Conflict(
                f"Project {name!r} already exists with id {existing.id}, not {project_id}."
            )
        return existing
    return create_project(db, name, project_id, domain_id, description)


def upsert_user(
    db: sqlite_utils.Database,
    name: str,
    project_id: str,
    roles: Sequence[str],
    *,
    password: str | None = None,
    password_hash: str | None = None,
    user_id: str | None = None,
    domain_id: str = DEFAULT_DOMAIN_ID,
    enabled: bool = True,
) -> User:
    """Create or reset a user: its password, default project, roles there, and whether it
    is enabled.

    An unchanged password keeps its stored hash: hashing it again would only change the
    salt, and an export taken before (which carries the hash) would then load as a new
    password and revoke the user's tokens."""
    with atomic(db):
        existing = find_user(db, name, domain_id)
        if existing is None:
            user = User(user_id or uuid.uuid4().hex, name, domain_id, project_id, enabled)
            store.insert_user(db, user, password_hash or hash_password(password or ""))
        else:
            if user_id is not None and user_id != existing.id:
                raise errors.Conflict(
                    f"User {name!r} already exists with id {existing.id}, not {user_id}."
                )
            user = User(existing.id, name, domain_id, project_id, enabled)
            wanted = sorted((project_id, role) for role in set(roles))
            roles_changed = sorted(store.assignments(db, user.id)) != wanted
            password_changed = _password_changed(db, user.id, password, password_hash)
            if roles_changed or password_changed or not enabled:
                # Keystone revokes a user's tokens when a role assignment goes, the
                # password changes or the user is disabled: a token must never outlive the
                # secret, the roles or the account it was issued for (unchanged users keep
                # theirs across resets).
                token_store.delete_for_user(db, user.id)
            secret = store.password_hash(db, user.id) or ""
            if password_changed:
                secret = password_hash or hash_password(password or "")
            store.update_user(db, user.id, secret, project_id, enabled)
            store.unassign_all(db, user.id)
        store.assign(db, user.id, project_id, roles)
    return user


def _password_changed(
    db: sqlite_utils.Database, user_id: str, password: str | None, password_hash: str | None
) -> bool:
    stored = store.password_hash(db, user_id) or ""
    if password_hash:
        return password_hash != stored
    return not password_matches(stored, password or "")


def keep_only(db: sqlite_utils.Database, users: set[str], projects: set[str]) -> None:
    """A reset: every user and project not named goes, with its assignments and tokens."""
    store.delete_all_but(db, users, projects)


def make_way(db: sqlite_utils.Database, kind: str, name: str, wanted_id: str) -> None:
    """Remove whatever stops project or user ``name`` from having ``wanted_id``: a row of
    that name with another id, a row of another name holding that id."""
    table = {"project": "projects", "user": "users"}[kind]
    for found in store.conflicting_ids(db, table, name, wanted_id):
        if kind == "project":
            store.delete_project(db, found)
        else:
            store.delete_user(db, found)
