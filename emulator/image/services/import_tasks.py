"""Interoperable import, the background half: what Glance's ``api_image_import`` flow
does once the 202 is sent (glance/async_/flows/api_image_import.py ``get_flow``).

Start (task ``processing``, image ``importing`` unless copy-image, the store lists set),
fetch the data (staging area, web-download, the image's own data), copy it into the
store while hashing and inspecting it as an upload is, then either finish (image
``active``, task ``success``) or revert (image back to ``queued``, task ``failure``),
dropping the image's import lock either way.
"""

from __future__ import annotations

import datetime
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any, BinaryIO

from emulator.core import clock, errors
from emulator.core.blobs import READ_CHUNK, PendingBlob
from emulator.core.unit_of_work import UnitOfWork
from emulator.image.domain import images as rules
from emulator.image.domain import imports, tasks
from emulator.image.domain.tasks import Task
from emulator.image.services import glance_download, image_data, quotas
from emulator.image.services import imports as import_requests
from emulator.image.store import images as image_store
from emulator.image.store import tasks as task_store

log = logging.getLogger(__name__)


class ImportFailed(Exception):
    """The flow cannot go on; the reason is logged, the task says Glance's words."""


# --- task bookkeeping ---------------------------------------------------------------------


def task_expiry(uow: UnitOfWork) -> str:
    hours = uow.config.task_time_to_live
    return clock.to_storage(clock.from_storage(uow.now()) + datetime.timedelta(hours=hours))


def fail_task(uow: UnitOfWork, task: Task, message: str) -> None:
    """Task.fail: ``failure``, the message, an expiry. Inside ``atomic``."""
    task.status = "failure"
    task.message = message
    task.updated_at = uow.now()
    task.expires_at = task_expiry(uow)
    task_store.save(uow.db, task)


def lock_expired(task: Task, now: str) -> bool:
    """images.py _enforce_import_lock: bustable after 60 min unchanged (120 if pending)."""
    if task.status not in tasks.STATUSES:
        return False
    minutes = imports.LOCK_EXPIRY_MINUTES * (2 if task.status == "pending" else 1)
    age = clock.from_storage(now) - clock.from_storage(task.updated_at)
    return age >= datetime.timedelta(minutes=minutes)


# --- the flow -----------------------------------------------------------------------------


def run(uow: UnitOfWork, task_id: str, remote: glance_download.Remote | None = None) -> None:
    task = task_store.get(uow.db, task_id)
    if task is None or task.status != "pending" or not task.input or not task.image_id:
        return
    import_req: dict[str, Any] = task.input.get("import_req") or {}
    method = str((import_req.get("method") or {}).get("name"))
    stores: list[str | None] = list(task.input.get("backend") or [None])
    image_id = task.image_id
    if not _start(uow, task, method, stores):
        return
    try:
        _assert_quota(uow, task, method)
    except errors.RequestEntityTooLarge as exc:  # assert_quota: fail with the limit's text
        _revert(uow, task, method, stores, message=exc.message, count_as_failed=False)
        return
    if method == imports.COPY_IMAGE and any(stores):
        _copy(uow, task, stores)
        return
    pending: PendingBlob | None = None
    saved: glance_download.Saved | None = None
    try:
        if method == imports.GLANCE_DOWNLOAD:
            if remote is None:  # a restart lost the caller's token
                raise ImportFailed("no credentials to reach the remote Glance")
            saved, data_url = glance_download.import_metadata(
                uow, image_id, import_req["method"], remote
            )
            handle, size = glance_download.open_data(data_url, remote)
            source = _Source(handle, size)
        else:
            source = _source(uow, image_id, method, import_req)
        pending = uow.blobs.begin()
        with source as (chunks, expected):
            md5, sha = image_data.write_hashed(pending, chunks, expected, uow.config.image_size_cap)
        _finish(uow, task, pending, md5.hexdigest(), sha.hexdigest(), stores)
        pending = None
        if method == imports.GLANCE_DIRECT:
            uow.blobs.staging.delete(image_id)  # _DeleteFromFS
    except Exception as exc:
        log.warning("import task %s of image %s failed: %s", task.id, image_id, exc)
        if pending is not None:
            pending.discard()
        if saved is not None:
            glance_download.restore(uow, image_id, saved)
        _revert(uow, task, method, stores)


def _assert_quota(uow: UnitOfWork, task: Task, method: str) -> None:
    """get_flow's quota checks, once the image is marked as importing."""
    image = image_store.get(uow.db, task.image_id or "")
    size_mib = ((image.size if image else 0) or 0) // (1 << 20)
    if method == imports.GLANCE_DIRECT:
        quotas.enforce_image_size_total(uow, size_mib, owner=task.owner)
    else:
        quotas.enforce_image_staging_total(uow, size_mib, owner=task.owner)
        quotas.enforce_image_count_uploading(uow, owner=task.owner)


def _start(uow: UnitOfWork, task: Task, method: str, stores: list[str | None]) -> bool:
    with uow.atomic():
        image = image_store.get(uow.db, task.image_id or "")
        if image is None or image.extra_properties.get(imports.IMPORT_TASK_KEY) != task.id:
            # _ImageLock.execute: the lock is not ours (stolen, or the image is gone).
            fail_task(uow, task, tasks.INTERNAL_ERROR)
            return False
        tasks.set_status(task, "processing")
        task.updated_at = uow.now()
        task_store.save(uow.db, task)
        if method != imports.COPY_IMAGE:
            rules.set_status(image, "importing")
        props = image.extra_properties
        props[imports.IMPORTING_STORES_KEY] = imports.merge_store_list(
            props.get(imports.IMPORTING_STORES_KEY), stores
        )
        props[imports.FAILED_STORES_KEY] = imports.merge_store_list(
            props.get(imports.FAILED_STORES_KEY), stores, subtract=True
        )
        props.pop(imports.STAGE_HOST_KEY, None)
        image.updated_at = uow.now()
        image_store.save(uow.db, image)
    return True


class _Source:
    """The import's data as chunks, and the size it should have (0: unknown)."""

    def __init__(self, handle: Any, expected: int):
        self.handle, self.expected = handle, expected

    def __enter__(self) -> tuple[Iterator[bytes], int]:
        return self._chunks(), self.expected

    def _chunks(self) -> Iterator[bytes]:
        while True:
            chunk = self.handle.read(READ_CHUNK)
            if not chunk:
                return
            yield chunk

    def __exit__(self, *_exc: object) -> None:
        self.handle.close()


def _source(uow: UnitOfWork, image_id: str, method: str, import_req: dict[str, Any]) -> _Source:
    if method == imports.GLANCE_DIRECT:
        staged = uow.blobs.staging.open(image_id)
        if staged is None:  # _VerifyStaging / set_image_data: nothing to read
            raise ImportFailed(f"no staged data for image {image_id}")
        return _Source(staged, 0)
    if method == imports.WEB_DOWNLOAD:
        return web_download(uow, str(import_req["method"].get("uri")))
    if method == imports.COPY_IMAGE:
        # Single store: the data would be written to the store that holds it already
        # (glance_store's filesystem driver: Duplicate), so the copy fails, as in Glance.
        raise ImportFailed("the image's data is already in the only store")
    raise ImportFailed(f"import method {method} is not run here")


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    """glance/common/scripts/utils.py SafeRedirectHandler: each hop is filtered again."""

    def __init__(self, uow: UnitOfWork):
        self.uow = uow

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        if not import_requests.uri_passes(self.uow, newurl):
            raise ImportFailed(f"Redirect to disallowed URL: {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def web_download(uow: UnitOfWork, uri: str) -> _Source:
    """get_image_data_iter: stream the URL; Content-Length, if sent, is what must arrive."""
    opener = urllib.request.build_opener(_SafeRedirects(uow))
    try:
        response: BinaryIO = opener.open(uri, timeout=uow.config.web_download_timeout)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ImportFailed(f"cannot fetch {uri}: {exc}") from exc
    try:
        expected = int(response.headers.get("content-length") or 0)  # type: ignore[attr-defined]
    except ValueError:
        expected = 0
    return _Source(response, max(expected, 0))


def _finish(
    uow: UnitOfWork, task: Task, pending: PendingBlob, md5: str, sha: str, stores: list[str | None]
) -> None:
    """_ImportToStore (set_image_data with set_active), _CompleteTask, _drop_lock."""
    with uow.atomic():
        image = image_store.get(uow.db, task.image_id or "")
        if image is None or image.status != "importing" and image.status != "active":
            raise ImportFailed("Image has been deleted, aborting import.")
        try:
            virtual_size = image_data.inspect(image, pending, uow.config)
        except errors.UnsupportedMediaType as exc:
            raise ImportFailed(exc.message) from exc
        if image.status == "importing":
            rules.set_status(image, "active")
        image.size = pending.size
        image.virtual_size = virtual_size
        image.checksum = md5
        image.os_hash_algo = image_data.HASHING_ALGORITHM
        image.os_hash_value = sha
        props = image.extra_properties
        props[imports.IMPORTING_STORES_KEY] = imports.merge_store_list(
            props.get(imports.IMPORTING_STORES_KEY), stores, subtract=True
        )
        if props.get(imports.IMPORT_TASK_KEY) == task.id:
            del props[imports.IMPORT_TASK_KEY]
        image.updated_at = uow.now()
        uow.blobs.keep(pending, image.id)
        image_store.save(uow.db, image)
        image_store.add_stores(uow.db, image.id, [s for s in stores if s])
        tasks.set_status(task, "success")
        task.result = {"image_id": image.id}
        # _ImportToStore._status_callback's progress note stays on the finished task.
        task.message = f"Copied {pending.size >> 20} MiB"
        task.updated_at = uow.now()
        task.expires_at = task_expiry(uow)
        task_store.save(uow.db, task)


def _copy(uow: UnitOfWork, task: Task, stores: list[str | None]) -> None:
    """copy-image with several stores: the data file serves every store, so copying is
    noting the new stores (the image stays active), then completing as _CompleteTask."""
    with uow.atomic():
        image = image_store.get(uow.db, task.image_id or "")
        if image is None or image.status != "active":
            fail_task(uow, task, tasks.INTERNAL_ERROR)
            return
        targets = [s for s in stores if s]
        image_store.add_stores(uow.db, image.id, targets)
        props = image.extra_properties
        props[imports.IMPORTING_STORES_KEY] = imports.merge_store_list(
            props.get(imports.IMPORTING_STORES_KEY), stores, subtract=True
        )
        if props.get(imports.IMPORT_TASK_KEY) == task.id:
            del props[imports.IMPORT_TASK_KEY]
        image.updated_at = uow.now()
        image_store.save(uow.db, image)
        tasks.set_status(task, "success")
        task.result = {"image_id": image.id}
        task.message = f"Copied {(image.size or 0) >> 20} MiB"
        task.updated_at = uow.now()
        task.expires_at = task_expiry(uow)
        task_store.save(uow.db, task)


def _revert(
    uow: UnitOfWork,
    task: Task,
    method: str,
    stores: list[str | None],
    message: str = tasks.INTERNAL_ERROR,
    count_as_failed: bool = True,
) -> None:
    """The flow's reverts: the store lists, the status (queued unless copy-image), the
    partial download gone, the lock dropped, the task failed."""
    try:
        with uow.atomic():
            image = image_store.get(uow.db, task.image_id or "")
            if image is not None:
                props = image.extra_properties
                props[imports.IMPORTING_STORES_KEY] = imports.merge_store_list(
                    props.get(imports.IMPORTING_STORES_KEY), stores, subtract=True
                )
                if count_as_failed:
                    props[imports.FAILED_STORES_KEY] = imports.merge_store_list(
                        props.get(imports.FAILED_STORES_KEY), stores
                    )
                if props.get(imports.IMPORT_TASK_KEY) == task.id:
                    del props[imports.IMPORT_TASK_KEY]
                if method != imports.COPY_IMAGE and image.status == "importing":
                    image.status = "queued"  # _VerifyImageState.revert: status only
                image.updated_at = uow.now()
                image_store.save(uow.db, image)
            current = task_store.get(uow.db, task.id) or task
            if current.status in ("pending", "processing"):
                fail_task(uow, current, message)
    except Exception:
        log.exception("could not revert import task %s", task.id)


def fail_unfinished(uow: UnitOfWork) -> list[str]:
    """At start, after a crash: no import runs any more, so every unfinished import task
    fails and its image is reverted as the flow would have. Returns the image ids."""
    reverted = []
    for task in task_store.with_status(uow.db, ("pending", "processing")):
        method = str(((task.input or {}).get("import_req") or {}).get("method", {}).get("name"))
        stores = list((task.input or {}).get("backend") or [None])
        _revert(uow, task, method, stores)
        if task.image_id:
            reverted.append(task.image_id)
    return reverted
