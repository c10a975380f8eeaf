"""Projects, users and role assignments: the identity tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlite_utils

from emulator.core.db import insert_row
from emulator.identity.domain.entities import DEFAULT_DOMAIN_ID, Project, User

_PROJECT = "SELECT id, name, domain_id, description, enabled FROM projects"
_USER = "SELECT id, name, domain_id, default_project_id, enabled FROM users"


def _project(row: Sequence[Any] | None) -> Project | None:
    if row is None:
        return None
    return Project(row[0], row[1], row[2], row[3], bool(row[4]))


def _user(row: Sequence[Any] | None) -> User | None:
    if row is None:
        return None
    return User(row[0], row[1], row[2], row[3], bool(row[4]))


# --- projects -----------------------------------------------------------------------------


def project_taken(db: sqlite_utils.Database, project_id: str, name: str, domain_id: str) -> bool:
    """Is the id, or the name within its domain, in use?"""
    sql = "SELECT 1 FROM projects WHERE id = ? OR (name = ? AND domain_id = ?)"
    return db.execute(sql, [project_id, name, domain_id]).fetchone() is not None


def insert_project(db: sqlite_utils.Database, project: Project) -> None:
    insert_row(
        db,
        "projects",
        {
            "id": project.id,
            "name": project.name,
            "domain_id": project.domain_id,
            "description": project.description,
            "enabled": int(project.enabled),
        },
    )


def set_project_description(db: sqlite_utils.Database, project_id: str, text: str) -> None:
    db.execute("UPDATE projects SET description = ? WHERE id = ?", [text, project_id])


def get_project(db: sqlite_utils.Database, project_id: str) -> Project | None:
    return _project(db.execute(_PROJECT + " WHERE id = ?", [project_id]).fetchone())


def find_project(db: sqlite_utils.Database, name: str, domain_id: str) -> Project | None:
    sql = _PROJECT + " WHERE name = ? AND domain_id = ?"
    return _project(db.execute(sql, [name, domain_id]).fetchone())


def list_projects(
    db: sqlite_utils.Database, name: str | None = None, domain_id: str | None = None
) -> list[Project]:
    """Every project (or those with this name / in this domain), by name then id."""
    clauses, params = [], []
    for column, value in (("name", name), ("domain_id", domain_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    rows = db.execute(_PROJECT + where + " ORDER BY name, id", params).fetchall()
    return [p for p in (_project(r) for r in rows) if p is not None]


def projects_of_user(db: sqlite_utils.Database, user_id: str | None) -> list[Project]:
    """The projects the user holds a role on, by name then id."""
    sql = (
        _PROJECT + " WHERE id IN (SELECT project_id FROM role_assignments WHERE user_id = ?)"
        " ORDER BY name, id"
    )
    return [p for p in (_project(r) for r in db.execute(sql, [user_id])) if p is not None]


def project_ids_by_name(db: sqlite_utils.Database) -> dict[str, str]:
    return {name: project_id for project_id, name in db.execute("SELECT id, name FROM projects")}


def known_domain_ids(db: sqlite_utils.Database) -> set[str]:
    """Every domain id (reads every project and user: see :func:`domain_exists`)."""
    rows = db.execute("SELECT domain_id FROM projects UNION SELECT domain_id FROM users")
    return {DEFAULT_DOMAIN_ID} | {row[0] for row in rows.fetchall()}


def domain_exists(db: sqlite_utils.Database, domain_id: str) -> bool:
    """Whether a project or user is in ``domain_id`` (the default domain always is): two
    lookups in the ``UNIQUE (domain_id, name)`` indexes, where :func:`known_domain_ids`
    reads both tables whole on every login."""
    if domain_id == DEFAULT_DOMAIN_ID:
        return True
    sql = (
        "SELECT EXISTS (SELECT 1 FROM projects WHERE domain_id = ?)"
        " OR EXISTS (SELECT 1 FROM users WHERE domain_id = ?)"
    )
    return bool(db.execute(sql, [domain_id, domain_id]).fetchone()[0])


# --- users --------------------------------------------------------------------------------


def any_user(db: sqlite_utils.Database) -> bool:
    return db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None


def user_taken(db: sqlite_utils.Database, user_id: str, name: str, domain_id: str) -> bool:
    sql = "SELECT 1 FROM users WHERE id = ? OR (name = ? AND domain_id = ?)"
    return db.execute(sql, [user_id, name, domain_id]).fetchone() is not None


def insert_user(db: sqlite_utils.Database, user: User, password_hash: str) -> None:
    insert_row(
        db,
        "users",
        {
            "id": user.id,
            "name": user.name,
            "domain_id": user.domain_id,
            "password_hash": password_hash,
            "default_project_id": user.default_project_id,
            "enabled": int(user.enabled),
        },
    )


def update_user(
    db: sqlite_utils.Database,
    user_id: str,
    password_hash: str,
    default_project_id: str | None,
    enabled: bool = True,
) -> None:
    db.execute(
        "UPDATE users SET password_hash = ?, default_project_id = ?, enabled = ? WHERE id = ?",
        [password_hash, default_project_id, int(enabled), user_id],
    )


def get_user(db: sqlite_utils.Database, user_id: str) -> User | None:
    return _user(db.execute(_USER + " WHERE id = ?", [user_id]).fetchone())


def find_user(db: sqlite_utils.Database, name: str, domain_id: str) -> User | None:
    sql = _USER + " WHERE name = ? AND domain_id = ?"
    return _user(db.execute(sql, [name, domain_id]).fetchone())


def list_users(db: sqlite_utils.Database) -> list[User]:
    rows = db.execute(_USER + " ORDER BY name").fetchall()
    return [u for u in (_user(r) for r in rows) if u is not None]


def password_hash(db: sqlite_utils.Database, user_id: str) -> str | None:
    row = db.execute("SELECT password_hash FROM users WHERE id = ?", [user_id]).fetchone()
    return row[0] if row else None


# --- role assignments ---------------------------------------------------------------------


def roles_on_project(db: sqlite_utils.Database, user_id: str, project_id: str) -> list[str]:
    rows = db.execute(
        "SELECT role FROM role_assignments WHERE user_id = ? AND project_id = ? ORDER BY role",
        [user_id, project_id],
    ).fetchall()
    return [row[0] for row in rows]


def assignments(db: sqlite_utils.Database, user_id: str) -> list[tuple[str, str]]:
    """Every (project id, role) the user holds."""
    sql = "SELECT project_id, role FROM role_assignments WHERE user_id = ?"
    return [(row[0], row[1]) for row in db.execute(sql, [user_id]).fetchall()]


def assign(db: sqlite_utils.Database, user_id: str, project_id: str, roles: Sequence[str]) -> None:
    for role in roles:
        insert_row(
            db,
            "role_assignments",
            {"user_id": user_id, "project_id": project_id, "role": role},
            or_ignore=True,
        )


def unassign_all(db: sqlite_utils.Database, user_id: str) -> None:
    db.execute("DELETE FROM role_assignments WHERE user_id = ?", [user_id])


# --- whole-state maintenance (reset, scenario load) ----------------------------------------


def delete_all_but(db: sqlite_utils.Database, users: set[str], projects: set[str]) -> None:
    """Drop every user and project not named (and their assignments and tokens)."""
    user_marks = ",".join("?" * len(users)) or "''"
    project_marks = ",".join("?" * len(projects)) or "''"
    db.execute(f"DELETE FROM users WHERE name NOT IN ({user_marks})", sorted(users))
    db.execute(f"DELETE FROM projects WHERE name NOT IN ({project_marks})", sorted(projects))
    db.execute("DELETE FROM tokens WHERE user_id NOT IN (SELECT id FROM users)")


def conflicting_ids(db: sqlite_utils.Database, table: str, name: str, wanted_id: str) -> list[str]:
    """Rows of ``table`` (users or projects) that hold ``wanted_id`` or ``name`` with another
    id: in the way of a record a scenario wants under that name and id."""
    if table not in ("users", "projects"):
        raise ValueError(table)
    rows = db.execute(
        f"SELECT id FROM {table} WHERE (name = ? AND domain_id = ? AND id != ?) "
        f"OR (id = ? AND NOT (name = ? AND domain_id = ?))",
        [name, DEFAULT_DOMAIN_ID, wanted_id, wanted_id, name, DEFAULT_DOMAIN_ID],
    ).fetchall()
    return [row[0] for row in rows]


def delete_project(db: sqlite_utils.Database, project_id: str) -> None:
    """The project, its assignments and tokens; users whose default it was lose that."""
    db.execute("DELETE FROM role_assignments WHERE project_id = ?", [project_id])
    db.execute("DELETE FROM tokens WHERE project_id = ?", [project_id])
    db.execute(
        "UPDATE users SET default_project_id = NULL WHERE default_project_id = ?", [project_id]
    )
    db.execute("DELETE FROM projects WHERE id = ?", [project_id])


def delete_user(db: sqlite_utils.Database, user_id: str) -> None:
    db.execute("DELETE FROM role_assignments WHERE user_id = ?", [user_id])
    db.execute("DELETE FROM tokens WHERE user_id = ?", [user_id])
    db.execute("DELETE FROM users WHERE id = ?", [user_id])
