"""The whole state at once: reset (to the demo accounts or a scenario) and export.

Reset is atomic: the old image files are moved aside (the folder noted in the reset's own
transaction) and only removed once the new state is committed; if loading the target
scenario fails, the old state and its files come back, and if the process dies half-way the
next start does the same (``image.services.maintenance.recover``).
Users and projects that exist in the target state keep their ids (and their tokens stay
valid), so a test suite can reset between tests without logging in again. A reset is a
replacement, though: where the target gives a project or user an id of its own, that id
wins, and a row of the same name with another id is replaced (an export taken from one data
dir loads into another, whose demo accounts have other random ids).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import sqlite_utils

from emulator.compute.services import maintenance as compute_maintenance
from emulator.control.services import scenarios
from emulator.core.unit_of_work import UnitOfWork
from emulator.identity.services import accounts
from emulator.identity.services import limits as identity_limits
from emulator.image.domain.images import Image
from emulator.image.services import maintenance
from emulator.metadefs.services import catalog as metadef_catalog

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


def _replace_identities(db: sqlite_utils.Database, scenario: dict[str, Any]) -> None:
    """Make way for the ids ``scenario`` gives: remove each conflicting project or user with
    its role assignments and tokens. Rows whose id already matches are kept, tokens too."""
    for kind, key in (("project", "projects"), ("user", "users")):
        for item in scenario[key]:
            if "id" in item:
                accounts.make_way(db, kind, item["name"], item["id"])


def reset(
    uow: UnitOfWork,
    scenario: dict[str, Any] | None = None,
    base_dir: Path | None = None,
    *,
    files_within: Path | None = None,
) -> scenarios.LoadSummary:
    db = uow.db
    users, projects = _target_names(scenario)
    root = uow.blobs.root.resolve()
    aside: Path | None = None
    disks_aside: Path | None = None
    # The images' data is written and hashed first, without the write lock: requests are
    # answered meanwhile (a multi-GiB lab used to block every writer past its timeout).
    prepared = (
        {}
        if scenario is None
        else scenarios.prepare_data(uow, scenario, base_dir, files_within=files_within)
    )
    try:
        with uow.atomic():
            # Under the write lock, so no upload commits a file in between.
            aside = maintenance.set_aside_data(uow)
            moved = aside
            maintenance.remove_all(uow)
            metadef_catalog.remove_all(uow)
            if scenario is None or scenario["metadefs_catalog"]:
                metadef_catalog.load_builtin(uow)
            disks_aside = compute_maintenance.remove_all(uow)
            accounts.keep_only(db, users, projects)
            identity_limits.clear_all(db)  # a reset: only the scenario's own limits remain
            if scenario is None:
                scenarios.restore_demo_accounts(db, reset_passwords=True)
                summary = scenarios.LoadSummary(name="demo")
            else:
                _replace_identities(db, scenario)
                if scenario["demo_accounts"]:
                    scenarios.restore_demo_accounts(db, reset_passwords=True, scenario=scenario)
                summary = scenarios.load(
                    uow,
                    scenario,
                    base_dir,
                    files_within=files_within,
                    # An export by reference names files that were just moved aside.
                    relocate=lambda p: moved / p.name if p.parent == root else p,
                    replacing=True,
                    prepared=prepared,
                )
    except BaseException:
        scenarios.discard(prepared)
        if aside is not None:
            maintenance.put_back(uow, aside)
        compute_maintenance.put_back_disks(uow, disks_aside)
        raise
    maintenance.drop_set_aside(uow, aside)
    compute_maintenance.drop_disks(disks_aside)
    for name, project_id in accounts.project_ids_by_name(db).items():
        summary.projects.setdefault(name, project_id)
    return summary


def export(uow: UnitOfWork, data: str = "inline") -> dict[str, Any]:
    """The whole state as a scenario document that loads back to the same state."""
    if data not in DATA_MODES:
        raise ValueError(f"data must be one of {', '.join(DATA_MODES)}")
    db = uow.db
    all_projects = accounts.list_projects(db)
    project_names = {project.id: project.name for project in all_projects}
    projects = [
        {
            "name": project.name,
            "id": project.id,
            **({"description": project.description} if project.description else {}),
            **({"limits": own} if (own := identity_limits.project_limits(db, project.id)) else {}),
        }
        for project in all_projects
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
                **({} if user.enabled else {"enabled": False}),
            }
        )
    images = [
        _export_image(uow, image, project_names, data) for image in maintenance.all_images(uow)
    ]
    shares = [
        {
            "image": membership.image_id,
            "project": project_names.get(membership.member_id, membership.member_id),
            "status": membership.status,
            "created_at": membership.created_at,
            "updated_at": membership.updated_at,
        }
        for membership in maintenance.all_memberships(uow)
    ]
    user_names = {user.id: user.name for user in accounts.list_users(db)}
    return {
        "name": "export",
        "description": "State exported by glance-emulator.",
        "demo_accounts": False,
        "projects": projects,
        "users": users,
        "images": images,
        "shares": shares,
        # The catalog as it is now, built-in namespaces included: a reset to the export
        # gives back exactly these.
        "metadefs_catalog": False,
        "metadef_namespaces": metadef_catalog.export(uow),
        "flavors": compute_maintenance.export_flavors(uow),
        "servers": compute_maintenance.export_servers(uow, project_names, user_names, data),
    }


def _export_image(
    uow: UnitOfWork, image: Image, project_names: dict[str, str], data: str
) -> dict[str, Any]:
    owner = image.owner
    item: dict[str, Any] = {
        "id": image.id,
        "name": image.name,
        "owner": project_names.get(owner, owner) if owner is not None else None,
        "visibility": image.visibility,
        "disk_format": image.disk_format,
        "container_format": image.container_format,
        "min_ram": image.min_ram,
        "min_disk": image.min_disk,
        "protected": image.protected,
        "os_hidden": image.os_hidden,
        "tags": list(image.tags),
        "properties": dict(image.extra_properties),
        "created_at": image.created_at,
        "updated_at": image.updated_at,
    }
    if maintenance.has_data(uow, image) and data != "none":
        path = uow.blobs.path(image.id)
        if data == "inline":
            item["data"] = {"base64": base64.b64encode(path.read_bytes()).decode("ascii")}
        else:
            item["data"] = {"file": str(path.resolve())}
        item["status"] = image.status
    else:
        item["status"] = "queued"
    return item
