"""Server actions (``POST /servers/{id}/action``): createImage, rebuild, reboot,
os-stop, os-start. Each checks the state as ``check_instance_state`` does (409), then
starts a task that settles after ``compute_build_seconds``."""

from __future__ import annotations

from typing import Any

from emulator.compute.domain import image_rules
from emulator.compute.domain import server_states as states
from emulator.compute.domain.flavors import Flavor
from emulator.compute.domain.servers import Server
from emulator.compute.services import glance, servers
from emulator.compute.store import servers as server_store
from emulator.core import errors
from emulator.core.unit_of_work import UnitOfWork

REBUILD_IMAGE_NOT_FOUND = "Cannot find image for rebuild"


def _start_task(uow: UnitOfWork, server: Server, action: str) -> None:
    task = states.task_for(action, server.vm_state, server.power_state)
    server.task_state = task.task_state
    server.outcome = {"vm_state": task.outcome_vm_state, "power_state": task.outcome_power_state}
    server.task_done_at = servers.later(uow, uow.config.compute_build_seconds)
    server.updated_at = uow.now()


def reboot(uow: UnitOfWork, server_id: str, kind: str) -> None:
    action = "reboot_hard" if kind.upper() == "HARD" else "reboot_soft"
    with uow.atomic():
        server = servers.load(uow, server_id)
        states.check(action, server.id, server.vm_state, server.task_state)
        _start_task(uow, server, action)
        server_store.save(uow.db, server)


def stop(uow: UnitOfWork, server_id: str) -> None:
    _simple(uow, server_id, "stop")


def start(uow: UnitOfWork, server_id: str) -> None:
    _simple(uow, server_id, "start")


def _simple(uow: UnitOfWork, server_id: str, action: str) -> None:
    with uow.atomic():
        server = servers.load(uow, server_id)
        states.check(action, server.id, server.vm_state, server.task_state)
        _start_task(uow, server, action)
        server_store.save(uow.db, server)


def rebuild(uow: UnitOfWork, server_id: str, changes: dict[str, Any]) -> Server:
    """``_action_rebuild``: the new image must pass the boot checks (as the caller: a
    revoked share is ``Cannot find image for rebuild``); the server keeps its id."""
    server = servers.load(uow, server_id)
    states.check("rebuild", server.id, server.vm_state, server.task_state)
    image_ref = changes.pop("imageRef")
    image = glance.facts(uow, image_ref, REBUILD_IMAGE_NOT_FOUND)
    flavor = Flavor(
        id=server.flavor["id"], name=server.flavor["original_name"], ram=server.flavor["ram"],
        disk=server.flavor["disk"], vcpus=server.flavor["vcpus"],
    )  # fmt: skip
    image_rules.check_bootable(image, flavor, uow.context.is_admin)
    reason = glance.unacceptable_reason(uow, image)
    if reason is None:
        glance.copy_to_disk(uow, image.id, server.id)
    with uow.atomic():
        server = servers.load(uow, server_id)
        states.check("rebuild", server.id, server.vm_state, server.task_state)
        kept = {k: v for k, v in server.image_meta.items() if k.startswith("owner_")}
        server.image_meta = {
            **image_rules.system_metadata(image, flavor, "", ""),
            **kept,
            # ``rebuild`` resets the base image (compute/api.py, image_base_image_ref).
            image_rules.IMAGE_PREFIX + "base_image_ref": image.id,
        }
        server.image_ref = image.id
        for key, value in changes.items():
            setattr(server, key, value)
        _start_task(uow, server, "rebuild")
        if reason is not None:
            assert server.outcome is not None
            server.outcome = {
                "vm_state": states.ERROR,
                "power_state": states.NOSTATE,
                "fault": {
                    "code": 500,
                    "message": f"Image {image.id} is unacceptable: {reason}",
                    "created": uow.now(),
                },
            }
        server_store.save(uow.db, server)
    return server


def create_image(uow: UnitOfWork, server_id: str, name: str, metadata: dict[str, Any]) -> str:
    """``_action_create_image`` -> ``compute/api.py`` ``snapshot``: the image is made from
    what the server kept of its image at boot, never from a fresh read of that image, so
    it works after the image is revoked or deleted. Returns the new image's id."""
    server = servers.load(uow, server_id)
    states.check("createImage", server.id, server.vm_state, server.task_state)
    plan = image_rules.snapshot_plan(
        server.image_meta,
        name,
        server_id=server.id,
        server_project=server.project_id,
        caller_project=uow.context.project_id,
        caller_user=uow.context.user_id,
        metadata=metadata,
    )
    if uow.context.project_id != server.project_id:
        raise errors.Forbidden("Snapshots of another project's server are not emulated.")
    return glance.create_snapshot(uow, plan, server.id)
