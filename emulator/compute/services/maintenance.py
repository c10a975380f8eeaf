"""Operator-only compute use cases for the control API: reset, export, scenario loading.

Scenario flavors are stored; scenario servers are loaded as their project's user would
create them (so every image rule applies), then settled at once.
"""

from __future__ import annotations

import shutil
from typing import Any

from emulator.compute.domain import flavors as flavor_rules
from emulator.compute.domain.servers import settle
from emulator.compute.services import glance, servers
from emulator.compute.store import flavors as flavor_store
from emulator.compute.store import servers as server_store
from emulator.core.unit_of_work import UnitOfWork


def remove_all(uow: UnitOfWork) -> None:
    """Every server, its disk, and every scenario flavor (inside the reset's transaction;
    the disks are files, removed at once: a reset is not undone for them)."""
    server_store.delete_all(uow.db)
    flavor_store.delete_all(uow.db)
    shutil.rmtree(glance.disks(uow).root, ignore_errors=True)


def load_flavors(uow: UnitOfWork, items: list[dict[str, Any]]) -> None:
    with uow.atomic():
        for item in items:
            flavor_store.upsert(uow.db, flavor_rules.from_mapping(item))


def settle_all(uow: UnitOfWork) -> None:
    """A loaded server is ready at once (a lab starts with its servers ACTIVE)."""
    now = uow.now()
    with uow.atomic():
        for server in server_store.listing(uow.db, None):
            if server.task_done_at is not None:
                server.task_done_at = now
                if settle(server, now):
                    server_store.save(uow.db, server)


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


def export_servers(uow: UnitOfWork, project_names: dict[str, str]) -> list[dict[str, Any]]:
    servers.settle_due(uow)
    return [
        {
            "id": s.id,
            "name": s.name,
            "project": project_names.get(s.project_id, s.project_id),
            "user_id": s.user_id,
            "image": s.image_ref,
            "flavor": s.flavor_id,
            "networks": s.networks,
            "status": s.status,
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
            },  # fmt: skip
        }
        for s in server_store.listing(uow.db, None)
    ]
