"""Loading a validated scenario through the same services the API uses.

Same rules, same errors: images are created by their owner's context with
``image.services.images.create``, data goes through ``image.services.image_data.upload``,
shares through ``image.services.members``, and a final visibility other than ``shared`` on
an image that has shares through ``image.services.images.update``. The whole load is one
transaction: a scenario that fails half-way stores nothing (and its image files are removed).
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from emulator.compute.services import maintenance as compute_maintenance
from emulator.control.services.scenario_files import ScenarioError
from emulator.core import clock, errors
from emulator.core.context import RequestContext, admin_context
from emulator.core.unit_of_work import UnitOfWork
from emulator.identity.services import accounts
from emulator.identity.services import limits as identity_limits
from emulator.image.domain import patch
from emulator.image.services import image_data, maintenance, members
from emulator.image.services import images as image_service
from emulator.metadefs.services import catalog as metadef_catalog

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
    servers: list[str] = field(default_factory=list)


def _generated(size: int, seed: str) -> Iterator[bytes]:
    """Deterministic bytes: the same seed always yields the same bytes and checksums."""
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
    if allowed_root is not None and path.name.startswith("emulator.db"):
        # The database is inside the data dir too, but never image data.
        raise ScenarioError(f"data.file {data['file']!r} is the emulator's database")
    if not path.is_file():
        raise ScenarioError(f"data.file {data['file']!r} does not exist")
    return _file_chunks(path), path.stat().st_size


def _data_seed(item: dict[str, Any], index: int) -> str:
    """What generated data is seeded with: something the scenario itself fixes (the image's
    given id, else its name and position), never the random id a load gives the image."""
    if item.get("id"):
        return f"id:{item['id']}"
    return f"name:{item.get('name')}#{index}"


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


def _owner_context(owner: str | None, visibility: str | None) -> RequestContext:
    """The owner's own context for everything an owner may do; an admin's for what only an
    admin may (public images, images without an owner), exactly as a real cloud would need."""
    if owner is None or visibility == "public":
        return admin_context(owner)
    return _member_context(owner)


def restore_demo_accounts(
    db: sqlite_utils.Database, *, reset_passwords: bool, scenario: dict[str, Any] | None = None
) -> None:
    """The four demo accounts. A missing one is created with the id ``scenario`` gives its
    project or user, if any, so that the scenario's own entries for it then agree."""
    accounts.restore_demo_accounts(
        db,
        reset_passwords=reset_passwords,
        project_ids={p["name"]: p["id"] for p in (scenario or {}).get("projects", []) if "id" in p},
        user_ids={u["name"]: u["id"] for u in (scenario or {}).get("users", []) if "id" in u},
    )


def _shared_refs(scenario: dict[str, Any]) -> set[int]:
    """Positions of the scenario's images that its shares name (by name, as ``_load_share``
    resolves it: the first image of that name; else by the image's given id)."""
    by_name: dict[str, int] = {}
    by_id: dict[str, int] = {}
    for index, item in enumerate(scenario["images"]):
        if item.get("name") is not None:
            by_name.setdefault(item["name"], index)
        if item.get("id"):
            by_id.setdefault(item["id"], index)
    found = set()
    for share in scenario["shares"]:
        position = by_name.get(share["image"], by_id.get(share["image"]))
        if position is not None:
            found.add(position)
    return found


def prepare_data(
    uow: UnitOfWork,
    scenario: dict[str, Any],
    base_dir: Path | None = None,
    *,
    files_within: Path | None = None,
) -> dict[int, image_data.PreparedData]:
    """Every image's data written to a temp file and hashed, by position in ``images``:
    the slow part of a load, done before it takes the write lock, so that other requests
    are answered meanwhile. The caller hands the result to ``load``, which consumes it."""
    prepared: dict[int, image_data.PreparedData] = {}
    step = "scenario"
    try:
        for index, item in enumerate(scenario["images"]):
            if "data" in item:
                step = f"images.{index}"
                seed = _data_seed(item, index)
                chunks, size = _data_source(item["data"], seed, base_dir, files_within, _same)
                prepared[index] = image_data.prepare(uow, chunks, size)
    except BaseException as exc:
        discard(prepared)
        if isinstance(exc, errors.EmulatorError):
            raise ScenarioError(f"{step}: {exc.message}") from exc
        raise
    return prepared


def discard(prepared: dict[int, image_data.PreparedData]) -> None:
    """Drop prepared data that no load took."""
    for piece in prepared.values():
        piece.discard()
    prepared.clear()


def load(
    uow: UnitOfWork,
    scenario: dict[str, Any],
    base_dir: Path | None = None,
    *,
    files_within: Path | None = None,
    relocate: Callable[[Path], Path] = _same,
    replacing: bool = False,
    prepared: dict[int, image_data.PreparedData] | None = None,
) -> LoadSummary:
    """Load ``scenario`` (already validated) on top of the current state, all or nothing.

    ``files_within`` restricts ``data.file`` paths (scenarios posted over HTTP may only name
    files inside the data directory). ``replacing``: called by a reset, which has already
    made way for the scenario's project and user ids. ``prepared``: the images' data from
    ``prepare_data`` (else it is prepared here, before the transaction). ``relocate`` maps
    the path of a server disk file named by the scenario (a reset has moved the data).
    """
    if prepared is None:
        prepared = prepare_data(uow, scenario, base_dir, files_within=files_within)
    try:
        return _load(uow, scenario, base_dir, files_within, relocate, replacing, prepared)
    finally:
        discard(prepared)


def _load(
    uow: UnitOfWork,
    scenario: dict[str, Any],
    base_dir: Path | None,
    files_within: Path | None,
    relocate: Callable[[Path], Path],
    replacing: bool,
    prepared: dict[int, image_data.PreparedData],
) -> LoadSummary:
    db = uow.db
    summary = LoadSummary(name=scenario["name"])
    created: list[str] = []
    # Images with shares whose final visibility is not "shared": (position, id, item).
    deferred: list[tuple[int, str, dict[str, Any]]] = []
    with_shares = _shared_refs(scenario)
    step = "scenario"
    try:
        with uow.atomic():
            if scenario["demo_accounts"]:
                restore_demo_accounts(db, reset_passwords=False, scenario=scenario)
            for index, item in enumerate(scenario["projects"]):
                step = f"projects.{index}"
                project = accounts.upsert_project(
                    db, item["name"], item.get("id"), item.get("description", "")
                )
                summary.projects[project.name] = project.id
                if "limits" in item:
                    identity_limits.set_project_limits(db, project.id, item["limits"])
            for index, item in enumerate(scenario["users"]):
                step = f"users.{index}"
                home = accounts.find_project(db, item["project"], accounts.DEFAULT_DOMAIN_ID)
                if home is None:
                    raise ScenarioError(f"unknown project {item['project']!r}")
                accounts.upsert_user(
                    db,
                    item["name"],
                    home.id,
                    item["roles"],
                    password=item.get("password"),
                    password_hash=item.get("password_hash"),
                    user_id=item.get("id"),
                    enabled=item.get("enabled", True),
                )
                summary.users.append(item["name"])
            names: dict[str, str] = {}
            for index, item in enumerate(scenario["images"]):
                step = f"images.{index}"
                # Glance keeps an image's members when it stops being shared; such an image
                # is made as a real cloud made it: shared, given its members, then changed.
                final = item.get("visibility", "shared")
                keeps_members = index in with_shares and final != "shared"
                image_id = _load_image(
                    uow,
                    item,
                    "shared" if keeps_members else item.get("visibility"),
                    prepared.get(index),
                    created,
                )
                if keeps_members:
                    deferred.append((index, image_id, item))
                if item.get("name") is not None:
                    names.setdefault(item["name"], image_id)
                summary.images[item.get("name") or image_id] = image_id
            for index, item in enumerate(scenario["shares"]):
                step = f"shares.{index}"
                _load_share(uow, item, names)
                summary.shares += 1
            for index, image_id, item in deferred:
                step = f"images.{index}"
                _change_visibility(uow, image_id, item)
            for index, item in enumerate(scenario["metadef_namespaces"]):
                step = f"metadef_namespaces.{index}"
                metadef_catalog.load_namespace(uow, item, replace=True)
            step = "servers"
            summary.servers = compute_maintenance.load_scenario(
                uow,
                scenario["flavors"],
                scenario["servers"],
                names,
                lambda data: _data_source(data, "disk", base_dir, files_within, relocate)[0],
            )
    except errors.EmulatorError as exc:
        for image_id in created:
            uow.blobs.delete(image_id)
        if isinstance(exc, ScenarioError) and exc.message.startswith(step):
            raise
        message = f"{step}: {exc.message}"
        id_clash = isinstance(exc, errors.Conflict) and step.startswith(("projects.", "users."))
        if id_clash and not replacing:
            message += " A load adds to the current state; a reset replaces it."
        raise ScenarioError(message) from exc
    return summary


def _load_image(
    uow: UnitOfWork,
    item: dict[str, Any],
    visibility: str | None,
    data: image_data.PreparedData | None,
    created: list[str],
) -> str:
    owner = None if item["owner"] is None else _project_id(uow.db, item["owner"])
    body: dict[str, Any] = {k: item[k] for k in IMAGE_ATTRIBUTES if k in item}
    body.update(item.get("properties", {}))
    if visibility is None:
        body.pop("visibility", None)
    else:
        body["visibility"] = visibility
    as_owner = uow.acting_as(_owner_context(owner, visibility))
    if as_owner.context.is_admin:
        # An admin names the owner (or None); an owner's own image needs no "owner" key.
        body["owner"] = owner
    image = image_service.create(as_owner, body)
    created.append(image.id)
    wants = item.get("status", "active" if "data" in item else "queued")
    if data is not None:
        image_data.upload(as_owner, image.id, data)
    elif wants != "queued":
        raise ScenarioError(f"status {wants!r} needs data")
    if wants == "queued" and "data" in item:
        raise ScenarioError("status 'queued' cannot have data")
    if wants == "deactivated":
        image_service.deactivate(as_owner, image.id)
    maintenance.restore_times(uow, image.id, _timestamps(item))
    return image.id


def _change_visibility(uow: UnitOfWork, image_id: str, item: dict[str, Any]) -> None:
    """Shared -> the scenario's visibility, by a JSON-patch replace as a client would send
    it (the owner's context, an admin's for public): same rules, same errors."""
    owner = None if item["owner"] is None else _project_id(uow.db, item["owner"])
    image_service.update(
        uow.acting_as(_owner_context(owner, item["visibility"])),
        image_id,
        patch.draft_for("application/openstack-images-v2.1-json-patch"),
        [{"op": "replace", "path": "/visibility", "value": item["visibility"]}],
    )
    maintenance.restore_times(uow, image_id, _timestamps(item))


def _timestamps(item: dict[str, Any]) -> dict[str, str]:
    """Restore-only timestamps, in Glance's format or ours (with microseconds)."""
    restored: dict[str, str] = {}
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


def _load_share(uow: UnitOfWork, item: dict[str, Any], names: dict[str, str]) -> None:
    image = maintenance.find(uow, names.get(item["image"], item["image"]))
    if image is None:
        raise ScenarioError(f"unknown image {item['image']!r}")
    member_id = _project_id(uow.db, item["project"])
    as_owner = uow.acting_as(_owner_context(image.owner, image.visibility))
    members.create(as_owner, image.id, {"member": member_id})
    if item["status"] != "pending":
        # The member answers for itself. An image nobody owns counts as public to its
        # members (glance/db/utils.py is_image_visible), so there only an admin can.
        answering = admin_context() if image.owner is None else _member_context(member_id)
        members.update(uow.acting_as(answering), image.id, member_id, {"status": item["status"]})
    maintenance.restore_member_times(uow, image.id, member_id, _timestamps(item))
