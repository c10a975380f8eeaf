"""The whole state at once: reset (to the demo accounts or a scenario) and export.

Reset is atomic: the old image files are moved aside and only removed once the new state is
committed; if loading the target scenario fails, the old state and its files come back.
Users and projects that exist in the target state keep their ids (and their tokens stay
valid), so a test suite can reset between tests without logging in again. A reset is a
replacement, though: where the target gives a project or user an id of its own, that id
wins, and a row of the same name with another id is replaced (an export taken from one data
dir loads into another, whose demo accounts have other random ids).
"""

from __future__ import annotations

import base64
import shutil
import tempfile
from pathlib import Path
from typing import Any

import sqlite_utils

from emulator.control.services import scenarios
from emulator.core.blobs import BlobStore
from emulator.core.config import Config
from emulator.core.db import atomic
from emulator.identity.services import accounts

DATA_MODES = ("inline", "reference", "none")


def _target_names(scenario: dict[str, Any] | None) -> tuple[set[str], set[str]]:
    """(user names, project names) that survive a reset to ``scenario``."""
    users: set[str] = set()
    projects: set[str] = set()
    if scenario is None or scenario["demo_accounts"]:
        demo = {name for name, _ in accounts.DEMO_ACCOUNTS}
        users |= demo
        projects |= demo
    if scenario is not None:
        projects |= {p["name"] for p in scenario["projects"]}
        users |= {u["name"] for u in scenario["users"]}
        projects |= {u["project"] for u in scenario["users"]}
    return users, projects


def _wipe(db: sqlite_utils.Database, users: set[str], projects: set[str]) -> None:
    for table in ("image_members", "image_tags", "image_properties", "images"):
        db.execute(f"DELETE FROM {table}")
    user_marks = ",".join("?" * len(users)) or "''"
    project_marks = ",".join("?" * len(projects)) or "''"
    db.execute(f"DELETE FROM users WHERE name NOT IN ({user_marks})", sorted(users))
    db.execute(f"DELETE FROM projects WHERE name NOT IN ({project_marks})", sorted(projects))
    db.execute("DELETE FROM tokens WHERE user_id NOT IN (SELECT id FROM users)")


def _conflicting(db: sqlite_utils.Database, table: str, name: str, wanted_id: str) -> list[str]:
    """Ids of rows that stand in the way of ``name`` having ``wanted_id``: the row of that
    name with another id, and a row of another name holding that id."""
    rows = db.execute(
        f"SELECT id FROM {table} WHERE (name = ? AND domain_id = ? AND id != ?) "
        "OR (id = ? AND NOT (name = ? AND domain_id = ?))",
        [name, accounts.DEFAULT_DOMAIN_ID, wanted_id, wanted_id, name, accounts.DEFAULT_DOMAIN_ID],
    ).fetchall()
    return [row[0] for row in rows]


def _replace_identities(db: sqlite_utils.Database, scenario: dict[str, Any]) -> None:
    """Make way for the ids ``scenario`` gives: remove each conflicting project or user with
    its role assignments and tokens. Rows whose id already matches are kept, tokens too."""
    for item in scenario["projects"]:
        if "id" not in item:
            continue
        for project_id in _conflicting(db, "projects", item["name"], item["id"]):
            db.execute("DELETE FROM role_assignments WHERE project_id = ?", [project_id])
            db.execute("DELETE FROM tokens WHERE project_id = ?", [project_id])
            db.execute(
                "UPDATE users SET default_project_id = NULL WHERE default_project_id = ?",
                [project_id],
            )
            db.execute("DELETE FROM projects WHERE id = ?", [project_id])
    for item in scenario["users"]:
        if "id" not in item:
            continue
        for user_id in _conflicting(db, "users", item["name"], item["id"]):
            db.execute("DELETE FROM role_assignments WHERE user_id = ?", [user_id])
            db.execute("DELETE FROM tokens WHERE user_id = ?", [user_id])
            db.execute("DELETE FROM users WHERE id = ?", [user_id])


def reset(
    db: sqlite_utils.Database,
    blobs: BlobStore,
    config: Config,
    scenario: dict[str, Any] | None = None,
    base_dir: Path | None = None,
    *,
    files_within: Path | None = None,
) -> scenarios.LoadSummary:
    users, projects = _target_names(scenario)
    blobs.root.mkdir(parents=True, exist_ok=True)
    root = blobs.root.resolve()
    aside = Path(tempfile.mkdtemp(prefix=".reset-", dir=blobs.root))
    try:
        with atomic(db):
            # Under the write lock, so no upload commits a file in between; only image data
            # files move (an upload's temp file stays with its upload).
            for entry in blobs.data_files():
                entry.rename(aside / entry.name)
            _wipe(db, users, projects)
            if scenario is None:
                scenarios.ensure_demo_accounts(db, reset_passwords=True)
                summary = scenarios.LoadSummary(name="demo")
            else:
                _replace_identities(db, scenario)
                if scenario["demo_accounts"]:
                    scenarios.ensure_demo_accounts(db, reset_passwords=True, scenario=scenario)
                summary = scenarios.load(
                    db,
                    blobs,
                    config,
                    scenario,
                    base_dir,
                    files_within=files_within,
                    # An export by reference names files that were just moved aside.
                    relocate=lambda p: aside / p.name if p.parent == root else p,
                    replacing=True,
                )
    except BaseException:
        for entry in aside.iterdir():
            entry.rename(blobs.root / entry.name)
        aside.rmdir()
        raise
    shutil.rmtree(aside, ignore_errors=True)
    for name, project_id in db.execute("SELECT name, id FROM projects"):
        summary.projects.setdefault(name, project_id)
    return summary


def export(db: sqlite_utils.Database, blobs: BlobStore, data: str = "inline") -> dict[str, Any]:
    """The whole state as a scenario document that loads back to the same state."""
    if data not in DATA_MODES:
        raise ValueError(f"data must be one of {', '.join(DATA_MODES)}")
    project_names = {pid: name for pid, name in db.execute("SELECT id, name FROM projects")}
    projects = [
        {"name": name, "id": pid, **({"description": desc} if desc else {})}
        for pid, name, desc in db.execute(
            "SELECT id, name, description FROM projects ORDER BY name"
        )
    ]
    users = []
    for user in accounts.list_users(db):
        project_id = user.default_project_id
        users.append(
            {
                "name": user.name,
                "id": user.id,
                "password_hash": accounts.password_hash_of(db, user.id),
                "project": project_names.get(project_id or "", project_id or ""),
                "roles": accounts.roles_on_project(db, user.id, project_id or ""),
            }
        )
    images = [
        _export_image(db, blobs, row, project_names, data)
        for row in db.execute(
            "SELECT id, name, owner, visibility, disk_format, container_format, min_ram, min_disk, "
            "protected, os_hidden, status, created_at, updated_at FROM images WHERE deleted = 0 "
            "ORDER BY created_at, id"
        ).fetchall()
    ]
    shares = [
        {
            "image": image_id,
            "project": project_names.get(member, member),
            "status": status,
            "created_at": created_at,
            "updated_at": updated_at,
        }
        for image_id, member, status, created_at, updated_at in db.execute(
            "SELECT m.image_id, m.member, m.status, m.created_at, m.updated_at "
            "FROM image_members m JOIN images i ON i.id = m.image_id "
            "ORDER BY i.created_at, m.image_id, m.created_at, m.member"
        )
    ]
    return {
        "name": "export",
        "description": "State exported by glance-emulator.",
        "demo_accounts": False,
        "projects": projects,
        "users": users,
        "images": images,
        "shares": shares,
    }


def _export_image(
    db: sqlite_utils.Database,
    blobs: BlobStore,
    row: tuple[Any, ...],
    project_names: dict[str, str],
    data: str,
) -> dict[str, Any]:
    (
        image_id,
        name,
        owner,
        visibility,
        disk_format,
        container_format,
        min_ram,
        min_disk,
        protected,
        os_hidden,
        status,
        created_at,
        updated_at,
    ) = row
    item: dict[str, Any] = {
        "id": image_id,
        "name": name,
        "owner": project_names.get(owner, owner),
        "visibility": visibility,
        "disk_format": disk_format,
        "container_format": container_format,
        "min_ram": min_ram,
        "min_disk": min_disk,
        "protected": bool(protected),
        "os_hidden": bool(os_hidden),
        "tags": [
            t
            for (t,) in db.execute(
                "SELECT value FROM image_tags WHERE image_id = ? ORDER BY rowid", [image_id]
            )
        ],
        "properties": dict(
            db.execute(
                "SELECT name, value FROM image_properties WHERE image_id = ? ORDER BY rowid",
                [image_id],
            ).fetchall()
        ),
        "created_at": created_at,
        "updated_at": updated_at,
    }
    has_data = status in ("active", "deactivated") and blobs.exists(image_id)
    if has_data and data != "none":
        path = blobs.path(image_id)
        if data == "inline":
            item["data"] = {"base64": base64.b64encode(path.read_bytes()).decode("ascii")}
        else:
            item["data"] = {"file": str(path.resolve())}
        item["status"] = status
    else:
        item["status"] = "queued"
    return item
