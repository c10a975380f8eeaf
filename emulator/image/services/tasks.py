"""The tasks API: ``POST/GET /v2/tasks``, ``GET /v2/tasks/{id}``, ``DELETE`` (405) and
``GET /v2/images/{id}/tasks``.

Follows glance/api/v2/tasks.py (TasksController, RequestDeserializer) and
glance/api/v2/images.py ``get_task_info``. Every tasks call needs ``tasks_api_access``
(role admin, glance/policies/tasks.py); the image-tasks call needs only ``get_image``.
Finished tasks expire ``task_time_to_live`` hours after they finish; expired ones are
removed lazily, when tasks are read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from emulator.core import errors
from emulator.core.unit_of_work import UnitOfWork
from emulator.image.documents.image_schemas import validate_task
from emulator.image.domain import access as access_rules
from emulator.image.domain import tasks as rules
from emulator.image.domain.tasks import Task
from emulator.image.services import access
from emulator.image.services import imports as import_requests
from emulator.image.store import tasks as task_store

DELETE_REFUSED = (
    "This operation is currently not permitted on Glance Tasks. They are auto deleted after "
    "reaching the time based on their expires_at property."
)


def not_found(task_id: str) -> str:
    return f"Task with the given id {task_id} was not found"  # exception.TaskNotFound


def enforce_access(uow: UnitOfWork) -> None:
    """``tasks_api_access`` = ``role:admin``."""
    if not uow.context.is_admin:
        raise access_rules.policy_refusal("tasks_api_access")


def _expire(uow: UnitOfWork) -> None:
    with uow.atomic():
        task_store.expire(uow.db, uow.now())


def _owner_scope(uow: UnitOfWork) -> str | None:
    """Admins see every task; others only their project's (glance/db visibility)."""
    return None if uow.context.is_admin else (uow.context.project_id or "")


# --- create -------------------------------------------------------------------------------


def check_legacy_import_from(uow: UnitOfWork, location: Any) -> None:
    """glance/common/scripts/utils.py validate_legacy_import_from_uri."""
    if not location:
        raise errors.BadRequest(f"Invalid location: {location}")
    if not isinstance(location, str):
        raise errors.BadRequest(f"Invalid location: {location}")
    if location.startswith(("file:///", "filesystem:///")):
        raise errors.BadRequest(
            "File based imports are not allowed. Please use a non-local source of image data."
        )
    if not location.startswith(("http://", "https://")):
        raise errors.BadRequest(
            "The given uri is not valid. Please specify a valid uri from the following list "
            "of supported uri ['http']"
        )
    if not import_requests.uri_passes(uow, location):
        raise errors.BadRequest(f"URI for legacy import task does not pass filtering: {location}")


def create(uow: UnitOfWork, body: Any, request_id: str | None) -> Task:
    """RequestDeserializer.create (policy, body, required keys, schema), then
    TasksController.create. The caller runs the new task."""
    enforce_access(uow)
    # Glance tests ``key not in body`` on the JSON it parsed (an object or a list; the body
    # reader refuses anything else): a list gets the same message as an object without it.
    if isinstance(body, (dict, list)):
        for key in ("type", "input"):
            if key not in body:
                raise errors.BadRequest(f"Task '{key}' is required")
    if not isinstance(body, dict):
        raise errors.BadRequest("Body expected in request.")
    validate_task(body)
    task_input = body["input"]
    if body["type"] == "import":
        check_legacy_import_from(uow, (task_input or {}).get("import_from"))
    now = uow.now()
    image_id = task_input.get("image_id") if isinstance(task_input, dict) else None
    task = Task(
        id=str(uuid.uuid4()),
        type=str(body["type"]),
        status="pending",
        owner=uow.context.project_id,
        created_at=now,
        updated_at=now,
        input=task_input,
        image_id=image_id if isinstance(image_id, str) else None,
        request_id=request_id,
        user_id=uow.context.user_id,
    )
    with uow.atomic():
        task_store.insert(uow.db, task)
    return task


# --- read ---------------------------------------------------------------------------------


def show(uow: UnitOfWork, task_id: str) -> Task:
    enforce_access(uow)
    _expire(uow)
    task = task_store.get(uow.db, task_id)
    scope = _owner_scope(uow)
    if task is None or (scope is not None and task.owner != scope):
        # glance/db/__init__.py TaskRepo.get rewords the database's TaskNotFound.
        raise errors.NotFound(f"Could not find task {task_id}")
    return task


def delete(uow: UnitOfWork, task_id: str) -> None:
    enforce_access(uow)
    refusal = errors.MethodNotAllowed(DELETE_REFUSED, headers={"Allow": "GET"})
    refusal.body_template = "${explanation}"
    raise refusal


@dataclass
class TaskPage:
    tasks: list[Task]
    next_marker: str | None


def index(uow: UnitOfWork, params: Iterable[tuple[str, str]]) -> TaskPage:
    """RequestDeserializer.index, then TasksController.index."""
    enforce_access(uow)
    query = dict(params)  # webob's params.copy(): the last value of a repeated key wins
    limit_text = query.pop("limit", None)
    marker = query.pop("marker", None)
    sort_dir = query.pop("sort_dir", "desc")
    sort_key = query.pop("sort_key", "created_at")
    if sort_dir not in ("asc", "desc"):
        raise errors.BadRequest(f"Invalid sort direction: {sort_dir}")
    status = query.get("status")
    if status and status not in rules.STATUSES:
        raise errors.BadRequest(f"Invalid status value: {status}")
    task_type = query.get("type")
    if task_type and task_type != "import":
        raise errors.BadRequest(f"Invalid type value: {task_type}")
    if marker:
        try:
            uuid.UUID(marker)  # oslo uuidutils.is_uuid_like
        except ValueError as exc:
            raise errors.BadRequest("Invalid marker format") from exc
    limit = uow.config.limit_param_default
    if limit_text is not None:
        try:
            limit = int(limit_text)
        except ValueError as exc:
            raise errors.BadRequest("limit param must be an integer") from exc
        if limit < 0:
            raise errors.BadRequest("limit param must be positive")
    limit = min(uow.config.api_limit_max, limit)
    if sort_key not in task_store.SORTABLE:
        # glance/db/sqlalchemy/api.py: an unknown sort column is InvalidSortKey -> 400
        raise errors.BadRequest(f"Unknown sort key: {sort_key}")
    filters = {k: v for k, v in query.items() if k in task_store.SORTABLE and v != ""}
    _expire(uow)
    scope = _owner_scope(uow)
    marker_task = None
    if marker:
        marker_task = task_store.get(uow.db, marker)
        if marker_task is None or (scope is not None and marker_task.owner != scope):
            raise errors.BadRequest(not_found(marker))  # NotFound -> 400
    found = task_store.page(uow.db, filters, scope, sort_key, sort_dir, limit, marker_task)
    next_marker = found[-1].id if found and len(found) == limit else None
    return TaskPage(found, next_marker)


def image_tasks(uow: UnitOfWork, image_id: str) -> list[Task]:
    """images.py get_task_info: the image as ``get_image`` sees it (else 404), then its
    live tasks the caller may see."""
    try:
        found = access.load(uow, image_id)
    except errors.NotFound as exc:
        raise errors.NotFound() from exc
    _expire(uow)
    return task_store.for_image(uow.db, found.image.id, _owner_scope(uow))
