"""The legacy ``import`` task of ``POST /v2/tasks``: create an image from
``input.image_properties`` and fill it from ``input.import_from``.

Follows glance/async_/taskflow_executor.py (``_get_flow``: input checks fail the task with
their own message) and glance/async_/flows/base_import.py (``_CreateImage``, whose revert
deletes the image; the data goes in as an upload does, size cap and format check
included). Task types other than ``import`` sent to ``POST /v2/tasks`` fail, as Glance's
flows fail without the inputs they need.
"""

from __future__ import annotations

import logging
from typing import Any

from emulator.core import errors
from emulator.core.context import RequestContext
from emulator.core.unit_of_work import UnitOfWork
from emulator.image.domain import tasks as rules
from emulator.image.services import image_data, import_tasks
from emulator.image.services import images as image_service
from emulator.image.services import tasks as task_service
from emulator.image.store import tasks as task_store

log = logging.getLogger(__name__)

REQUIRED_INPUT = ("import_from", "import_from_format", "image_properties")


def _finish(uow: UnitOfWork, task_id: str, status: str, message: str = "", **result: Any) -> None:
    with uow.atomic():
        task = task_store.get(uow.db, task_id)
        if task is None or rules.is_finished(task):
            return
        if status == "failure":
            import_tasks.fail_task(uow, task, message)
            return
        rules.set_status(task, "success")
        task.result = dict(result)
        task.updated_at = uow.now()
        task.expires_at = import_tasks.task_expiry(uow)
        task_store.save(uow.db, task)


def _begin(uow: UnitOfWork, task_id: str) -> dict[str, Any] | None:
    with uow.atomic():
        task = task_store.get(uow.db, task_id)
        if task is None or task.status != "pending":
            return None
        rules.set_status(task, "processing")
        task.updated_at = uow.now()
        task_store.save(uow.db, task)
        return {"input": task.input, "type": task.type, "owner": task.owner, "user": task.user_id}


def run(uow: UnitOfWork, task_id: str) -> None:
    started = _begin(uow, task_id)
    if started is None:
        return
    task_input = started["input"] if isinstance(started["input"], dict) else {}
    if started["type"] != "import":
        _finish(uow, task_id, "failure", rules.INTERNAL_ERROR)
        return
    for key in REQUIRED_INPUT:
        if key not in task_input:
            _finish(uow, task_id, "failure", f"Input does not contain '{key}' field")
            return
    try:
        task_service.check_legacy_import_from(uow, task_input["import_from"])
    except errors.EmulatorError as exc:
        _finish(uow, task_id, "failure", exc.message)
        return
    owner = RequestContext(
        project_id=started["owner"],
        user_id=started["user"],
        roles=frozenset({"admin", "member", "reader"}),
    )
    worker = uow.acting_as(owner)
    properties = task_input["image_properties"]
    try:
        image = image_service.create(
            worker, dict(properties) if isinstance(properties, dict) else properties
        )
    except errors.EmulatorError as exc:
        _finish(uow, task_id, "failure", exc.message)
        return
    try:
        with import_tasks.web_download(worker, str(task_input["import_from"])) as (chunks, size):
            image_data.upload(worker, image.id, chunks, size or None)
    except Exception as exc:
        log.warning("legacy import task %s failed: %s", task_id, exc)
        try:
            image_service.delete(worker, image.id)  # _CreateImage.revert
        except errors.EmulatorError:
            pass
        _finish(uow, task_id, "failure", rules.INTERNAL_ERROR)
        return
    _finish(uow, task_id, "success", image_id=image.id)
