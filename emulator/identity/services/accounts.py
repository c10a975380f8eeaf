"""Projects, users and role assignments: the identity data behind the Keystone subset."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlite_utils
from werkzeug.security import check_password_hash, generate_password_hash

from emulator.core import errors
from emulator.core.db import atomic

DEFAULT_DOMAIN_ID = "default"
DEFAULT_DOMAIN_NAME = "Default"

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


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    domain_id: str


@dataclass(frozen=True)
class User:
    id: str
    name: str
    domain_id: str
    default_project_id: str | None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def password_matches(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


def create_project(
    db: sqlite_utils.Database,
    name: str,
    project_id: str | None = None,
    domain_id: str = DEFAULT_DOMAIN_ID,
) -> Project:
    project = Project(id=project_id or uuid.uuid4().hex, name=name, domain_id=domain_id)
    if db.execute(
        "SELECT 1 FROM projects WHERE id = ? OR (name = ? AND domain_id = ?)",
        [project.id, name, domain_id],
    ).fetchone():
        raise errors.Conflict(f"Project {name!r} already exists.")
    with atomic(db):
        db["projects"].insert({"id": project.id, "name": name, "domain_id": domain_id})
    return project


def create_user(
    db: sqlite_utils.Database,
    name: str,
    password: str,
    project_id: str | None,
    roles: tuple[str, ...] | list[str] = ("member",),
    user_id: str | None = None,
    domain_id: str = DEFAULT_DOMAIN_ID,
) -> User:
    user = User(
        id=user_id or uuid.uuid4().hex,
        name=name,
        domain_id=domain_id,
        default_project_id=project_id,
    )
    if db.execute(
        "SELECT 1 FROM users WHERE id = ? OR (name = ? AND domain_id = ?)",
        [user.id, name, domain_id],
    ).fetchone():
        raise errors.Conflict(f"User {name!r} already exists.")
    with atomic(db):
        db["users"].insert(
            {
                "id": user.id,
                "name": name,
                "domain_id": domain_id,
                "password_hash": hash_password(password),
                "default_project_id": project_id,
            }
        )
        if project_id is not None:
            for role in roles:
                db["role_assignments"].insert(
                    {"user_id": user.id, "project_id": project_id, "role": role},
                    ignore=True,
                )
    return user


def ensure_demo_accounts(db: sqlite_utils.Database) -> bool:
    """Create the four demo users in an empty identity store. Returns True if it did."""
    if db.execute("SELECT 1 FROM users LIMIT 1").fetchone():
        return False
    with atomic(db):
        for name, roles in DEMO_ACCOUNTS:
            project = create_project(db, name)
            create_user(db, name, f"{name}-pass", project.id, roles)
    return True


def get_project(db: sqlite_utils.Database, project_id: str) -> Project | None:
    row = db.execute(
        "SELECT id, name, domain_id FROM projects WHERE id = ?", [project_id]
    ).fetchone()
    return Project(*row) if row else None


def find_project(db: sqlite_utils.Database, name: str, domain_id: str) -> Project | None:
    row = db.execute(
        "SELECT id, name, domain_id FROM projects WHERE name = ? AND domain_id = ?",
        [name, domain_id],
    ).fetchone()
    return Project(*row) if row else None


def list_projects(db: sqlite_utils.Database, name: str | None = None) -> list[Project]:
    sql, params = "SELECT id, name, domain_id FROM projects", []
    if name is not None:
        sql, params = sql + " WHERE name = ?", [name]
    return [Project(*row) for row in db.execute(sql + " ORDER BY name", params).fetchall()]


def get_user(db: sqlite_utils.Database, user_id: str) -> User | None:
    row = db.execute(
        "SELECT id, name, domain_id, default_project_id FROM users WHERE id = ?", [user_id]
    ).fetchone()
    return User(*row) if row else None


def find_user(db: sqlite_utils.Database, name: str, domain_id: str) -> User | None:
    row = db.execute(
        "SELECT id, name, domain_id, default_project_id FROM users "
        "WHERE name = ? AND domain_id = ?",
        [name, domain_id],
    ).fetchone()
    return User(*row) if row else None


def list_users(db: sqlite_utils.Database) -> list[User]:
    rows = db.execute(
        "SELECT id, name, domain_id, default_project_id FROM users ORDER BY name"
    ).fetchall()
    return [User(*row) for row in rows]


def check_password(db: sqlite_utils.Database, user_id: str, password: str) -> bool:
    row = db.execute("SELECT password_hash FROM users WHERE id = ?", [user_id]).fetchone()
    return bool(row) and password_matches(row[0], password)


def roles_on_project(db: sqlite_utils.Database, user_id: str, project_id: str) -> list[str]:
    rows = db.execute(
        "SELECT role FROM role_assignments WHERE user_id = ? AND project_id = ? ORDER BY role",
        [user_id, project_id],
    ).fetchall()
    return [row[0] for row in rows]


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
    project = create_project(db, name, project_id, domain_id)
    if description:
        with atomic(db):
            db.execute(
                "UPDATE projects SET description = ? WHERE id = ?", [description, project.id]
            )
    return project


def upsert_user(
    db: sqlite_utils.Database,
    name: str,
    project_id: str,
    roles: tuple[str, ...] | list[str],
    *,
    password: str | None = None,
    password_hash: str | None = None,
    user_id: str | None = None,
    domain_id: str = DEFAULT_DOMAIN_ID,
) -> User:
    """Create or reset a user: its password, default project and roles there."""
    secret = password_hash or hash_password(password or "")
    existing = find_user(db, name, domain_id)
    with atomic(db):
        if existing is None:
            user = User(
                id=user_id or uuid.uuid4().hex,
                name=name,
                domain_id=domain_id,
                default_project_id=project_id,
            )
            db["users"].insert(
                {
                    "id": user.id,
                    "name": name,
                    "domain_id": domain_id,
                    "password_hash": secret,
                    "default_project_id": project_id,
                }
            )
        else:
            if user_id is not None and user_id != existing.id:
                raise errors.Conflict(
                    f"User {name!r} already exists with id {existing.id}, not {user_id}."
                )
            user = User(existing.id, name, domain_id, project_id)
            before = db.execute(
                "SELECT project_id, role FROM role_assignments WHERE user_id = ?", [user.id]
            ).fetchall()
            if sorted(before) != sorted((project_id, role) for role in set(roles)):
                # Keystone revokes tokens when a role assignment goes: a token must never
                # keep roles its user lost (unchanged users keep theirs across resets).
                db.execute("DELETE FROM tokens WHERE user_id = ?", [user.id])
            db.execute(
                "UPDATE users SET password_hash = ?, default_project_id = ? WHERE id = ?",
                [secret, project_id, user.id],
            )
            db.execute("DELETE FROM role_assignments WHERE user_id = ?", [user.id])
        for role in roles:
            db["role_assignments"].insert(
                {"user_id": user.id, "project_id": project_id, "role": role}, ignore=True
            )
    return user


def password_hash_of(db: sqlite_utils.Database, user_id: str) -> str:
    row = db.execute("SELECT password_hash FROM users WHERE id = ?", [user_id]).fetchone()
    return row[0] if row else ""
