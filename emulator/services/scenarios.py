"""Loading a validated scenario through the same services the API uses.

Same rules, same errors: images are created by their owner's context with
``services.images.create``, data goes through ``services.image_data.upload``, shares through
``services.members``. The whole load is one transaction: a scenario that fails half-way
stores nothing (and its image files are removed).
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from emulator import clock, errors
from emulator.config import Config
from emulator.domain.context import RequestContext, admin_context
from emulator.services import accounts, image_data, members
from emulator.services import images as image_service
from emulator.services.scenario_files import ScenarioError
from emulator.store import images as image_store
from emulator.store.blobs import BlobStore
from emulator.store.db import atomic

CHUNK = 1 << 20
IMAGE_ATTRIBUTES = (
    "id",
    "name",
    "visibility",
    "disk_format",
    "container_format",
    "min_ram",
    "min_disk",
    "protected",
    "os_hidden",
    "tags",
)


@dataclass
class LoadSummary:
    name: str
    projects: dict[str, str] = field(default_factory=dict)
    users: list[str] = field(default_factory=list)
    images: dict[str, str] = field(default_factory=dict)
    shares: int = 0


def _generated(size: int, seed: str) -> Iterator[bytes]:
    """Deterministic bytes: the same scenario always yields the same checksums."""
    block = random.Random(seed).randbytes(min(CHUNK, max(size, 1)))
    remaining = size
    while remaining > 0:
        piece = block[:remaining]
        remaining -= len(piece)
        yield piece


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _data_source(
    data: dict[str, Any],
    seed: str,
    base_dir: Path | None,
    allowed_root: Path | None,
    relocate: Callable[[Path], Path],
) -> tuple[Iterator[bytes], int]:
    if "size" in data:
        return _generated(data["size"], seed), data["size"]
    if "text" in data:
        raw = data["text"].encode("utf-8")
        return iter([raw]), len(raw)
    if "base64" in data:
        try:
            raw = base64.b64decode(data["base64"], validate=True)
        except ValueError as exc:
            raise ScenarioError("data.base64 is not valid base64") from exc
        return iter([raw]), len(raw)
    path = Path(data["file"])
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    path = relocate(path.resolve())
    if allowed_root is not None and not _within(path, allowed_root):
        raise ScenarioError(f"data.file {data['file']!r} is outside the data directory")
    if not path.is_file():
        raise ScenarioError(f"data.file {data['file']!r} does not exist")
    return _file_chunks(path), path.stat().st_size


def _within(path: Path, root: Path) -> bool:
    return path.is_relative_to(root.resolve())


def _same(path: Path) -> Path:
    return path


def _project_id(db: sqlite_utils.Database, ref: str) -> str:
    """A project by name, or by id; any other string is taken as an id (Glance does not
    check that owners or members exist)."""
    project = accounts.find_project(db, ref, accounts.DEFAULT_DOMAIN_ID)
    return project.id if project else ref


def _member_context(project_id: str) -> RequestContext:
    return RequestContext(project_id=project_id, roles=frozenset({"member", "reader"}))


def ensure_demo_accounts(db: sqlite_utils.Database, *, reset_passwords: bool) -> None:
    for name, roles in accounts.DEMO_ACCOUNTS:
        project = accounts.upsert_project(db, name)
        user = accounts.find_user(db, name, accounts.DEFAULT_DOMAIN_ID)
        if user is None or reset_passwords:
            accounts.upsert_user(db, name, project.id, roles, password=f"{name}-pass")


def load(
    db: sqlite_utils.Database,
    blobs: BlobStore,
    config: Config,
    scenario: dict[str, Any],
    base_dir: Path | None = None,
    *,
    files_within: Path | None = None,
    relocate: Callable[[Path], Path] = _same,
) -> LoadSummary:
    """Load ``scenario`` (already validated) on top of the current state, all or nothing.

    ``files_within`` restricts ``data.file`` paths (scenarios posted over HTTP may only name
    files inside the data directory).
    """
    summary = LoadSummary(name=scenario["name"])
    created: list[str] = []
    step = "scenario"
    try:
        with atomic(db):
            if scenario["demo_accounts"]:
                ensure_demo_accounts(db, reset_passwords=False)
            for index, item in enumerate(scenario["projects"]):
                step = f"projects.{index}"
                project = accounts.upsert_project(
                    db, item["name"], item.get("id"), item.get("description", "")
                )
                summary.projects[project.name] = project.id
            for index, item in enumerate(scenario["users"]):
                step = f"users.{index}"
                project = accounts.find_project(db, item["project"], accounts.DEFAULT_DOMAIN_ID)
                if project is None:
                    raise ScenarioError(f"unknown project {item['project']!r}")
                accounts.upsert_user(
                    db,
                    item["name"],
                    project.id,
                    item["roles"],
                    password=item.get("password"),
                    password_hash=item.get("password_hash"),
                    user_id=item.get("id"),
                )
                summary.users.append(item["name"])
            names: dict[str, str] = {}
            for index, item in enumerate(scenario["images"]):
                step = f"images.{index}"
                image_id = _load_image(
                    db, blobs, config, item, base_dir, files_within, relocate, created
                )
                if item.get("name") is not None:
                    names.setdefault(item["name"], image_id)
                summary.images[item.get("name") or image_id] = image_id
            for index, item in enumerate(scenario["shares"]):
                step = f"shares.{index}"
                _load_share(db, config, item, names)
                summary.shares += 1
    except errors.EmulatorError as exc:
        for image_id in created:
            blobs.delete(image_id)
        if isinstance(exc, ScenarioError) and exc.message.startswith(step):
            raise
        raise ScenarioError(f"{step}: {exc.message}") from exc
    return summary


def _load_image(
    db: sqlite_utils.Database,
    blobs: BlobStore,
    config: Config,
    item: dict[str, Any],
    base_dir: Path | None,
    files_within: Path | None,
    relocate: Callable[[Path], Path],
    created: list[str],
) -> str:
    owner = _project_id(db, item["owner"])
    body: dict[str, Any] = {k: item[k] for k in IMAGE_ATTRIBUTES if k in item}
    body.update(item.get("properties", {}))
    body["owner"] = owner
    # The owner's own context for everything an owner may do; an admin's for what only an
    # admin may (public images), exactly as a real cloud would need.
    context = admin_context(owner) if item.get("visibility") == "public" else _member_context(owner)
    if item.get("visibility") != "public":
        body.pop("owner")
    image = image_service.create(db, context, config, body)
    created.append(image.id)
    wants = item.get("status", "active" if "data" in item else "queued")
    if "data" in item:
        chunks, size = _data_source(item["data"], image.id, base_dir, files_within, relocate)
        image_data.upload(db, context, config, blobs, image.id, chunks, size)
    elif wants != "queued":
        raise ScenarioError(f"status {wants!r} needs data")
    if wants == "queued" and "data" in item:
        raise ScenarioError("status 'queued' cannot have data")
    if wants == "deactivated":
        image_service.deactivate(db, context, config, image.id)
    restored = _timestamps(item)
    if restored:
        image_store.update_fields(db, image.id, **restored)
    return image.id


def _timestamps(item: dict[str, Any]) -> dict[str, str]:
    """Restore-only timestamps, in Glance's format or ours (with microseconds)."""
    restored = {}
    for key in ("created_at", "updated_at"):
        if key not in item:
            continue
        value = item[key]
        try:
            moment = clock.parse_timestamp(value)
        except ValueError as exc:
            raise ScenarioError(f"{key} {value!r} is not an ISO-8601 UTC timestamp") from exc
        restored[key] = clock.to_storage(moment)
    return restored


def _load_share(
    db: sqlite_utils.Database, config: Config, item: dict[str, Any], names: dict[str, str]
) -> None:
    image_id = names.get(item["image"], item["image"])
    image = image_store.get(db, image_id)
    if image is None:
        raise ScenarioError(f"unknown image {item['image']!r}")
    member_id = _project_id(db, item["project"])
    owner_context = _member_context(image.owner or "")
    members.create(db, owner_context, config, image.id, {"member": member_id})
    if item["status"] != "pending":
        members.update(
            db,
            _member_context(member_id),
            config,
            image.id,
            member_id,
            {"status": item["status"]},
        )
    restored = _timestamps(item)
    if restored:
        assignments = ", ".join(f"{k} = ?" for k in restored)
        db.execute(
            f"UPDATE image_members SET {assignments} WHERE image_id = ? AND member = ?",
            [*restored.values(), image.id, member_id],
        )
