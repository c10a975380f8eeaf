"""Operator-only compute use cases for the control API: reset, export, scenario loading.

Scenario flavors are stored; scenario servers are loaded as their project's user would
create them (so every image rule applies), then settled at once.
"""

from __future__ import annotations

import base64
import shutil
import uuid
from pathlib import Path
from typing import Any

from emulator.compute.domain import flavors as flavor_rules
from emulator.compute.domain import server_states as states
from emulator.compute.domain.servers import Server, settle
from emulator.compute.services import flavors, glance, servers
from emulator.compute.store import flavors as flavor_store
from emulator.compute.store import servers as server_store
from emulator.core import errors
from emulator.core.context import RequestContext
from emulator.core.unit_of_work import UnitOfWork
from emulator.identity.services import accounts


def remove_all(uow: UnitOfWork) -> Path | None:
    """Every server and scenario flavor (inside the reset's transaction). The disks are
    moved aside, not removed: ``put_back_disks`` if the reset fails, else ``drop_disks``."""
    server_store.delete_all(uow.db)
    flavor_store.delete_all(uow.db)
    root = glance.disks(uow).root
    if not root.exists():
        return None
    aside = root.with_name(f".server-disks-reset-{uuid.uuid4().hex}")
    root.rename(aside)
    return aside


def put_back_disks(uow: UnitOfWork, aside: Path | None) -> None:
    if aside is None:
        return
    root = glance.disks(uow).root
    shutil.rmtree(root, ignore_errors=True)
    aside.rename(root)


def drop_disks(aside: Path | None) -> None:
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def export_flavors(uow: UnitOfWork) -> list[dict[str, Any]]:
    return [
        {
            "name": f.name,
            "id": f.id,
            "ram": f.ram,
            "disk": f.disk,
            "vcpus": f.vcpus,
            "ephemeral": f.ephemeral,
            "swap": f.swap,
            "is_public": f.is_public,
            **({"description": f.description} if f.description is not None else {}),
        }  # fmt: skip
        for f in flavor_store.all_flavors(uow.db)
    ]


def export_servers(
    uow: UnitOfWork, project_names: dict[str, str], user_names: dict[str, str], data: str
) -> list[dict[str, Any]]:
    """Each server as a scenario item that restores it as it is (``record``), with its
    disk inline when ``data`` is ``inline``."""
    servers.settle_due(uow)
    exported = [
        {
            "id": s.id,
            "name": s.name,
            "project": project_names.get(s.project_id, s.project_id),
            "user": user_names.get(s.user_id, s.user_id),
            "image": s.image_ref,
            "flavor": s.flavor_id,
            "networks": s.networks,
            "status": "SHUTOFF" if s.vm_state == states.STOPPED else "ACTIVE",
            "record": {
                "image_meta": s.image_meta,
                "flavor": s.flavor,
                "vm_state": s.vm_state,
                "power_state": s.power_state,
                "addresses": s.addresses,
                "security_groups": s.security_groups,
                "metadata": s.metadata,
                "tags": s.tags,
                "availability_zone": s.availability_zone,
                "fault": s.fault,
                "launched_at": s.launched_at,
                "created_at": s.created_at,
                "updated_at": s.updated_at,
                "description": s.description,
                "task_state": s.task_state,
                "task_done_at": s.task_done_at,
                "outcome": s.outcome,
                "key_name": s.key_name,
                "config_drive": s.config_drive,
                "access_ipv4": s.access_ipv4,
                "access_ipv6": s.access_ipv6,
                "disk_config": s.disk_config,
            },
        }
        for s in reversed(server_store.listing(uow.db, None))
    ]
    store = glance.disks(uow)
    for item in exported:
        path = store.path(item["id"])
        if data == "inline" and path.is_file():
            item["disk"] = {"base64": base64.b64encode(path.read_bytes()).decode("ascii")}
    return exported


def load_scenario(
    uow: UnitOfWork,
    flavor_items: list[dict[str, Any]],
    server_items: list[dict[str, Any]],
    image_names: dict[str, str],
    disk_bytes: Any,
) -> list[str]:
    """A scenario's flavors, then its servers; returns the servers' ids. A server with an
    exported ``record`` comes back as it was (its image may be long gone); any other is
    booted by its project's user, so every image rule applies, and is ready at once.
    ``disk_bytes(data_item)`` gives the chunks of an exported disk."""
    for item in flavor_items:
        flavor_store.upsert(uow.db, flavor_rules.from_mapping(item))
    loaded = []
    for item in server_items:
        if "record" in item:
            loaded.append(_restore(uow, item, disk_bytes))
        else:
            loaded.append(_boot(uow, item, image_names))
    return loaded


def _user_context(uow: UnitOfWork, item: dict[str, Any]) -> RequestContext:
    project = accounts.find_project(uow.db, item["project"], accounts.DEFAULT_DOMAIN_ID)
    project_id = project.id if project else item["project"]
    user = None
    if "user" in item:
        user = accounts.find_user(uow.db, item["user"], accounts.DEFAULT_DOMAIN_ID)
        if user is None:
            raise errors.BadRequest(f"unknown user {item['user']!r}")
    else:
        user = next(
            (u for u in accounts.list_users(uow.db) if u.default_project_id == project_id), None
        )
        if user is None:
            raise errors.BadRequest(f"no user has {item['project']!r} as its project")
    roles = frozenset(accounts.roles_on_project(uow.db, user.id, project_id)) | {"reader"}
    return RequestContext(project_id=project_id, user_id=user.id, roles=roles)


def _boot(uow: UnitOfWork, item: dict[str, Any], image_names: dict[str, str]) -> str:
    as_user = uow.acting_as(_user_context(uow, item))
    by_name = {f.name: f.id for f in flavors.all_flavors(uow)}
    request = servers.CreateRequest(
        name=item["name"],
        flavor_ref=by_name.get(item["flavor"], item["flavor"]),
        image_ref=image_names.get(item["image"], item["image"]),
        networks=item["networks"],
        server_id=item.get("id"),
    )
    server = servers.create(as_user, request)
    now = uow.now()
    server.task_done_at = now
    settle(server, now)
    if item["status"] == "SHUTOFF" and server.vm_state == states.ACTIVE:
        server.vm_state, server.power_state = states.STOPPED, states.SHUTDOWN
    server_store.save(uow.db, server)
    return server.id


def _restore(uow: UnitOfWork, item: dict[str, Any], disk_bytes: Any) -> str:
    record = item["record"]
    context = _user_context(uow, item)
    server = Server(
        id=item["id"],
        project_id=str(context.project_id),
        user_id=str(context.user_id),
        name=item["name"],
        image_ref=item["image"],
        flavor_id=item["flavor"],
        networks=item["networks"],
        **record,
    )
    if server_store.get(uow.db, server.id) is not None:
        raise errors.Conflict(f"server {server.id} already exists")
    server_store.insert(uow.db, server)
    if "disk" in item:
        store = glance.disks(uow)
        pending = store.begin()
        try:
            for chunk in disk_bytes(item["disk"]):
                pending.write(chunk)
            store.keep(pending, server.id)
        except BaseException:
            pending.discard()
            raise
    return server.id
