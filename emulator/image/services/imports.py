"""Interoperable import, the request half: ``stage`` (PUT /stage) and ``import_image``
(POST /import). The work itself runs later, in ``import_tasks.run``.

Follows glance/api/v2/image_data.py ``ImageDataController.stage`` and
glance/api/v2/images.py ``ImagesController.import_image``, check for check.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import uuid
from collections.abc import Iterable
from typing import Any

from emulator.core import errors
from emulator.core.blobs import PendingBlob
from emulator.core.unit_of_work import UnitOfWork
from emulator.image.domain import access as access_rules
from emulator.image.domain import images as rules
from emulator.image.domain import import_uri, imports
from emulator.image.domain.images import Image
from emulator.image.domain.tasks import Task
from emulator.image.services import access, image_data, quotas
from emulator.image.services import stores as store_service
from emulator.image.store import images as image_store
from emulator.image.store import tasks as task_store

log = logging.getLogger(__name__)


# --- PUT /v2/images/{id}/stage ------------------------------------------------------------


def check_stage_enabled(uow: UnitOfWork) -> None:
    imports.stage_enabled(uow.config.enabled_import_methods)


def stage(
    uow: UnitOfWork, image_id: str, chunks: Iterable[bytes | bytearray], size: int | None
) -> Image:
    """queued -> uploading, the data kept in the staging area (no hashing: Glance hashes
    when the import copies it into the store)."""
    staging = uow.blobs.staging
    quotas.enforce_image_staging_total(uow, (size or 0) >> 20)
    with uow.atomic():
        image = access.load(uow, image_id, "modify_image").image
        rules.set_status(image, "uploading")  # 409 unless queued
        image.updated_at = uow.now()
        image_store.update_fields(uow.db, image.id, status="uploading", updated_at=image.updated_at)
    if staging.exists(image.id):
        # glance_store.Duplicate: the image stays 'uploading' on the old data, as in Glance.
        raise errors.Conflict(f"The image {image.id} has data on staging")
    pending: PendingBlob | None = None
    try:
        quotas.enforce_image_count_uploading(uow)
        pending = staging.begin()
        image_data.write_hashed(pending, chunks, size or 0, uow.config.image_size_cap)
        with uow.atomic():
            current = image_store.get(uow.db, image.id)
            if current is None or current.status != "uploading":
                raise errors.NotFound(f"No image found with ID {image.id}")
            staging.keep(pending, image.id)
            current.size = pending.size
            current.updated_at = uow.now()
            image_store.update_fields(
                uow.db, image.id, size=current.size, updated_at=current.updated_at
            )
    except BaseException:
        if pending is not None:
            pending.discard()
        staging.delete(image.id)
        _unstage(uow, image.id)
        raise
    return current


def _unstage(uow: UnitOfWork, image_id: str) -> None:
    """ImageDataController._unstage / _restore: back to queued, no size."""
    try:
        with uow.atomic():
            current = image_store.get(uow.db, image_id)
            if current is None or current.status != "uploading":
                return
            image_store.update_fields(
                uow.db, image_id, status="queued", size=None, updated_at=uow.now()
            )
    except Exception:
        log.exception("Unable to restore image %s", image_id)


# --- POST /v2/images/{id}/import ----------------------------------------------------------


def uri_filter(uow: UnitOfWork) -> import_uri.UriFilter:
    config = uow.config

    def ports(values: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(int(v) for v in values if v.strip().isdigit())

    return import_uri.UriFilter(
        allowed_schemes=config.import_allowed_schemes,
        disallowed_schemes=config.import_disallowed_schemes,
        allowed_hosts=config.import_allowed_hosts,
        disallowed_hosts=config.import_disallowed_hosts,
        allowed_ports=ports(config.import_allowed_ports),
        disallowed_ports=ports(config.import_disallowed_ports),
        allow_loopback=config.import_allow_loopback,
    )


def resolves(host: str) -> bool:
    """Does ``host`` resolve (normalize_hostname's getaddrinfo)?"""
    try:
        socket.getaddrinfo(host, 80)
    except (socket.gaierror, UnicodeError, OSError):
        return False
    return True


def addresses(host: str, port: int) -> list[str]:
    """resolve_pinned_address's lookup: an IP literal as is, a name through DNS."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    name = host if host.endswith(".") else host + "."
    try:
        return [str(info[4][0]) for info in socket.getaddrinfo(name, port) if info[4][0]]
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise ValueError(f"failed to resolve external host {host}") from exc


def uri_passes(uow: UnitOfWork, uri: object) -> bool:
    return import_uri.passes(uri, uri_filter(uow), resolves, addresses)


def _not_found(image_id: str) -> errors.NotFound:
    return errors.NotFound(f"No image found with ID {image_id}")


def import_image(
    uow: UnitOfWork,
    image_id: str,
    body: Any,
    request_id: str | None,
    store_header: str | None = None,
) -> str | None:
    """The checks, then the task and the image's import lock, in one transaction.

    Returns the new task's id, for the caller to run; None when nothing is left to do.
    """
    config, context = uow.config, uow.context
    request = imports.parse_import_body(body, config.enabled_import_methods)
    quotas.enforce_image_size_total(uow)
    with uow.atomic():
        found = access.reach(uow, image_id, hide=_not_found)
        image = found.image
        imports.check_image_for_import(image, request)
        if request.method == imports.COPY_IMAGE:
            if not context.is_admin:  # copy_image = rule:context_is_admin
                raise access_rules.policy_refusal("copy_image")
        else:
            access.authorize(uow, found, "modify_image")
        stolen = None
        if imports.IMPORT_TASK_KEY in image.extra_properties:
            stolen = _enforce_import_lock(uow, image)
        configured = store_service.configured(uow)
        stores: list[str | None] = [None]  # single store: Glance's [None]
        if configured.enabled:
            stores = list(configured.from_request(request.body, store_header))
        if request.method == imports.COPY_IMAGE and request.all_stores:
            stores = [s for s in stores if s not in image.stores]  # already there: skipped
            if not stores:
                return None  # "available in all configured stores": 202, no task
        elif request.method == imports.COPY_IMAGE:
            for present in image.stores:
                if present in stores:
                    raise errors.BadRequest(f"Image is already present at store '{present}'")
        if not request.all_stores_must_succeed and not configured.enabled:
            raise errors.BadRequest(
                f"All_stores_must_succeed can only be set with enabled_backends {request.uri}"
            )
        if request.method == imports.WEB_DOWNLOAD and not uri_passes(uow, request.uri):
            raise errors.BadRequest(f"URI for web-download does not pass filtering: {request.uri}")
        now = uow.now()
        task = Task(
            id=str(uuid.uuid4()),
            type="api_image_import",
            status="pending",
            owner=context.project_id,
            created_at=now,
            updated_at=now,
            input={"image_id": image.id, "import_req": request.body, "backend": stores},
            image_id=image.id,
            request_id=request_id,
            user_id=context.user_id,
        )
        current = image_store.get(uow.db, image.id)
        if current is None or current.extra_properties.get(imports.IMPORT_TASK_KEY) not in (
            None,
            stolen,
        ):
            raise errors.Conflict(
                f"New operation on image '{image.id}' is not permitted as prior operation "
                "is still in progress"
            )
        image_store.set_property(uow.db, image.id, imports.IMPORT_TASK_KEY, task.id)
        task_store.insert(uow.db, task)
    return task.id


def _enforce_import_lock(uow: UnitOfWork, image: Image) -> str:
    """images.py _enforce_import_lock: the lock may be stolen from a task that is gone or
    has not moved for an hour (two if pending); otherwise 409. Returns the stolen id."""
    from emulator.image.services import import_tasks  # the runner's own helpers

    other = image.extra_properties[imports.IMPORT_TASK_KEY] or ""
    task = task_store.get(uow.db, other, include_deleted=True)
    if task is not None and not import_tasks.lock_expired(task, uow.now()):
        raise errors.Conflict("Image has active task")
    if task is not None and task.status in ("pending", "processing"):
        import_tasks.fail_task(uow, task, "Expired lock preempted")
    return other
