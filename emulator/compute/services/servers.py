"""Server use cases: create, show, list, rename, delete (``servers.py`` ServersController).

Every read first settles the tasks whose time has come (``domain/servers.settle``), so a
server is seen in BUILD until ``compute_build_seconds`` have passed and ACTIVE (or ERROR,
with Nova's fault) after, with no background thread.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from emulator.compute.domain import image_rules, quotas
from emulator.compute.domain import server_states as states
from emulator.compute.domain.servers import Server, name_matches, settle
from emulator.compute.services import flavors, glance
from emulator.compute.store import servers as server_store
from emulator.core import clock, errors
from emulator.core.unit_of_work import UnitOfWork
from emulator.identity.services import accounts

IMAGE_NOT_FOUND = "Can not find requested image"


def later(uow: UnitOfWork, seconds: float) -> str:
    """The stored time ``seconds`` from now."""
    return clock.to_storage(clock.from_storage(uow.now()) + timedelta(seconds=seconds))


def settle_due(uow: UnitOfWork) -> None:
    """Apply every task whose time has come (one short write, only when there is one)."""
    now = uow.now()
    due = server_store.due(uow.db, now)
    if not due:
        return
    with uow.atomic():
        for server in server_store.due(uow.db, now):
            if settle(server, now):
                server_store.save(uow.db, server)


def load(uow: UnitOfWork, server_id: str) -> Server:
    """The caller's server (admins: any), else Nova's 404."""
    settle_due(uow)
    server = server_store.get(uow.db, server_id)
    if server is None or not _may_see(uow, server):
        raise errors.NotFound(f"Instance {server_id} could not be found.")
    return server


def _may_see(uow: UnitOfWork, server: Server) -> bool:
    return uow.context.is_admin or server.project_id == uow.context.project_id


@dataclass(frozen=True)
class CreateRequest:
    """A validated ``POST /servers`` body, as plain values."""

    name: str
    flavor_ref: str
    image_ref: str
    networks: Any
    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    security_groups: list[dict[str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    key_name: str | None = None
    availability_zone: str | None = None
    config_drive: bool = False
    access_ipv4: str = ""
    access_ipv6: str = ""
    disk_config: str = "MANUAL"
    #: A scenario may fix the id (the API never does).
    server_id: str | None = None


def create(uow: UnitOfWork, request: CreateRequest) -> Server:
    """``create``: flavor, image (visible, active, fits), quota; then the record in BUILD.

    The image is read as the caller through the image services (Nova asks Glance with the
    user's token), so Glance's rules and the sharing profile decide; a server then keeps
    what it read (``image_meta``) and a copy of the data, and no longer needs the image.
    """
    context = uow.context
    if context.project_id is None or context.user_id is None:
        raise errors.Forbidden(
            "Policy doesn't allow os_compute_api:servers:create to be performed."
        )
    if request.key_name is not None:
        raise errors.BadRequest("Invalid key_name provided.")
    flavor = flavors.for_boot(uow, request.flavor_ref)
    image = glance.facts(uow, request.image_ref, IMAGE_NOT_FOUND)
    image_rules.check_bootable(image, flavor, context.is_admin)
    project = accounts.get_project(uow.db, context.project_id)
    user = accounts.get_user(uow.db, context.user_id)
    now = uow.now()
    server = Server(
        id=request.server_id or str(uuid.uuid4()),
        project_id=context.project_id,
        user_id=context.user_id,
        name=request.name,
        description=request.description,
        image_ref=image.id,
        image_meta=image_rules.system_metadata(
            image, flavor, project.name if project else "", user.name if user else ""
        ),
        flavor=_flavor_record(flavor),
        flavor_id=flavor.id,
        vm_state=states.BUILDING,
        task_state="scheduling",
        networks=request.networks,
        metadata=dict(request.metadata),
        security_groups=list(request.security_groups) or [{"name": "default"}],
        tags=list(request.tags),
        availability_zone=request.availability_zone or "nova",
        config_drive="True" if request.config_drive else "",
        access_ipv4=request.access_ipv4,
        access_ipv6=request.access_ipv6,
        disk_config=request.disk_config,
        created_at=now,
        updated_at=now,
    )
    reason = glance.unacceptable_reason(uow, image)
    if reason is None:
        outcome: dict[str, Any] = {"vm_state": states.ACTIVE, "power_state": states.RUNNING}
    else:
        outcome = {
            "vm_state": states.ERROR,
            "power_state": states.NOSTATE,
            "fault": {
                "code": 500,
                "message": f"Build of instance {server.id} aborted: Image {image.id} is "
                f"unacceptable: {reason}",
                "created": now,
            },
        }
    server.outcome = outcome
    server.task_done_at = later(uow, uow.config.compute_build_seconds)
    _check_quota(uow, flavor.vcpus, flavor.ram)  # before copying any data; again below
    if request.server_id and server_store.get(uow.db, server.id) is not None:
        # A scenario's own id (the API never gives one), checked before its disk is made:
        # the disk of the server that has it must stay.
        raise errors.Conflict(f"server {server.id} already exists")
    if reason is None:
        glance.copy_to_disk(uow, image.id, server.id)
    try:
        with uow.atomic():
            _check_quota(uow, flavor.vcpus, flavor.ram)
            server_store.insert(uow.db, server)
    except BaseException:
        glance.delete_disk(uow, server.id)
        raise
    return server


def _flavor_record(flavor: Any) -> dict[str, Any]:
    """What the instance keeps of its flavor (the 2.47+ embedded view reads it)."""
    return {
        "id": flavor.id,
        "original_name": flavor.name,
        "vcpus": flavor.vcpus,
        "ram": flavor.ram,
        "disk": flavor.disk,
        "ephemeral": flavor.ephemeral,
        "swap": flavor.swap,
        "extra_specs": dict(flavor.extra_specs),
    }


def limits_of(uow: UnitOfWork) -> quotas.Usage:
    config = uow.config
    return quotas.Usage(
        config.compute_quota_instances, config.compute_quota_cores, config.compute_quota_ram
    )


def usage_of(uow: UnitOfWork, project_id: str) -> quotas.Usage:
    return quotas.Usage(*server_store.usage(uow.db, project_id))


def _check_quota(uow: UnitOfWork, vcpus: int, ram: int) -> None:
    project_id = str(uow.context.project_id)
    quotas.check(limits_of(uow), usage_of(uow, project_id), quotas.Usage(1, vcpus, ram))


@dataclass(frozen=True)
class ServerQuery:
    name: str | None = None
    #: Every ``status`` value sent (Nova reads them all).
    statuses: tuple[str, ...] = ()
    #: 2.38+: no valid status is a 400 (before: an empty list).
    strict_status: bool = True
    image: str | None = None
    flavor: str | None = None
    all_tenants: bool = False
    limit: int = flavors.MAX_LIMIT
    marker: str | None = None


def listing(uow: UnitOfWork, query: ServerQuery) -> list[Server]:
    """``_get_servers``: the caller's project (admins with ``all_tenants``: all)."""
    settle_due(uow)
    wanted = {s.upper() for s in query.statuses} & states.KNOWN_STATUSES
    if query.statuses and not wanted:
        # common.py task_and_vm_state_from_status found no state for any of them.
        if query.strict_status:
            raise errors.BadRequest("Invalid status value")
        return []
    every_project = query.all_tenants and uow.context.is_admin
    project = None if every_project else uow.context.project_id
    if project is None and not every_project:
        return []
    found = [
        server
        for server in server_store.listing(uow.db, project, query.image, query.flavor)
        if (query.name is None or name_matches(query.name, server.name))
        and (not wanted or server.status in wanted)
    ]
    if query.marker is not None:
        ids = [server.id for server in found]
        if query.marker not in ids:
            raise errors.BadRequest(f"marker [{query.marker}] not found")
        found = found[ids.index(query.marker) + 1 :]
    return found[: min(query.limit, flavors.MAX_LIMIT)]


def rename(uow: UnitOfWork, server_id: str, changes: dict[str, Any]) -> Server:
    """``update``: name, description, access IPs, disk config."""
    with uow.atomic():
        server = load(uow, server_id)
        for key, value in changes.items():
            setattr(server, key, value)
        server.updated_at = uow.now()
        server_store.save(uow.db, server)
    return server


def delete(uow: UnitOfWork, server_id: str) -> None:
    """``delete``: allowed in any state; the record is gone at once (204, then 404)."""
    with uow.atomic():
        server = load(uow, server_id)
        server_store.delete(uow.db, server.id)
    glance.delete_disk(uow, server.id)
