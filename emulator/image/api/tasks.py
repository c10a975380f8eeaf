"""``/v2/tasks``, ``/v2/tasks/{id}`` and ``/v2/images/{id}/tasks``: glance/api/v2/tasks.py
(its ResponseSerializer's full and stub documents) and images.py ``get_task_info`` (raw
database rows, as Glance returns them)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urljoin

from flask import Blueprint, Response, g, request

from emulator.core import clock
from emulator.core.http import bodies
from emulator.core.http.render import json_response
from emulator.core.http.request_scope import unit_of_work
from emulator.image.api.image_import import background
from emulator.image.domain.tasks import Task
from emulator.image.services import legacy_import
from emulator.image.services import tasks as task_service

bp = Blueprint("tasks", __name__)


def _stub(task: Task) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": task.id,
        "type": task.type,
        "status": task.status,
        "owner": task.owner,
        "created_at": clock.isotime(task.created_at),
        "updated_at": clock.isotime(task.updated_at),
        "self": f"/v2/tasks/{task.id}",
        "schema": "/v2/schemas/task",
    }
    if task.expires_at:
        doc["expires_at"] = clock.isotime(task.expires_at)
    return doc


def task_document(task: Task) -> dict[str, Any]:
    """ResponseSerializer._format_task: optional keys only when set."""
    doc: dict[str, Any] = {
        "id": task.id,
        "input": task.input,
        "type": task.type,
        "status": task.status,
        "owner": task.owner,
        "message": task.message,
        "result": task.result,
        "created_at": clock.isotime(task.created_at),
        "updated_at": clock.isotime(task.updated_at),
        "self": f"/v2/tasks/{task.id}",
        "schema": "/v2/schemas/task",
    }
    for key in ("image_id", "request_id", "user_id"):
        if getattr(task, key):
            doc[key] = getattr(task, key)
    if task.expires_at:
        doc["expires_at"] = clock.isotime(task.expires_at)
    return doc


def _primitive(stored: str | None) -> str | None:
    """oslo's to_primitive of a naive datetime: microseconds, no zone."""
    return None if stored is None else stored.rstrip("Z")


def raw_task(task: Task) -> dict[str, Any]:
    """glance/db/sqlalchemy/api.py _task_format, as get_task_info returns it."""
    return {
        "id": task.id,
        "type": task.type,
        "status": task.status,
        "owner": task.owner,
        "expires_at": _primitive(task.expires_at),
        "created_at": _primitive(task.created_at),
        "updated_at": _primitive(task.updated_at),
        "deleted_at": _primitive(task.deleted_at),
        "deleted": task.deleted,
        "image_id": task.image_id,
        "request_id": task.request_id,
        "user_id": task.user_id,
        "input": task.input,
        "result": task.result,
        "message": task.message,
    }


@bp.post("/v2/tasks")
def create() -> Response:
    uow = unit_of_work()
    task_service.enforce_access(uow)  # the deserializer's policy check comes first
    body = bodies.json_body()
    task = task_service.create(uow, body, g.get("request_id"))
    task_id = task.id
    background().submit(lambda worker: legacy_import.run(worker, task_id))
    location = urljoin(request.url, f"/v2/tasks/{task.id}")
    return json_response(task_document(task), status=201, headers={"Location": location})


@bp.get("/v2/tasks")
def index() -> Response:
    pairs = list(request.args.items(multi=True))
    page = task_service.index(unit_of_work(), pairs)
    params = dict(pairs)
    params.pop("marker", None)
    query = urlencode(params)
    payload: dict[str, Any] = {
        "tasks": [_stub(task) for task in page.tasks],
        "first": "/v2/tasks" + (f"?{query}" if query else ""),
        "schema": "/v2/schemas/tasks",
    }
    if page.next_marker is not None:
        params["marker"] = page.next_marker
        payload["next"] = "/v2/tasks?" + urlencode(params)
    return json_response(payload)


@bp.get("/v2/tasks/<task_id>")
def show(task_id: str) -> Response:
    return json_response(task_document(task_service.show(unit_of_work(), task_id)))


@bp.delete("/v2/tasks/<task_id>")
def delete(task_id: str) -> Response:
    task_service.delete(unit_of_work(), task_id)
    return Response(status=405)  # not reached: delete always refuses


@bp.get("/v2/images/<image_id>/tasks")
def image_tasks(image_id: str) -> Response:
    bodies.refuse_body()
    found = task_service.image_tasks(unit_of_work(), image_id)
    return json_response({"tasks": [raw_task(task) for task in found]})
