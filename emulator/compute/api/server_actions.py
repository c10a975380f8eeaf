"""``POST /servers/{id}/action``: one action per body, by its key (``wsgi.py`` dispatches
on the body's single key; an unknown one is a 400, as Nova's action router answers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response

from emulator.compute.api import documents
from emulator.compute.api.blueprint import check_project, json_body, no_body, route, version
from emulator.compute.domain import request_schemas
from emulator.compute.services import actions
from emulator.core import errors
from emulator.core.http.render import json_response
from emulator.core.http.request_scope import unit_of_work
from emulator.core.http.urls import image_url

_REBUILD_FIELDS = {"name": "name", "description": "description", "accessIPv4": "access_ipv4",
                   "accessIPv6": "access_ipv6", "OS-DCF:diskConfig": "disk_config",
                   "metadata": "metadata", "key_name": "key_name"}  # fmt: skip


def _create_image(server_id: str, body: Any, project_id: str | None) -> Response:
    request_schemas.validate(request_schemas.CREATE_IMAGE, body)
    spec = body["createImage"]
    image_id = actions.create_image(
        unit_of_work(), server_id, spec["name"], dict(spec.get("metadata") or {})
    )
    if version().at_least("2.45"):
        return json_response({"image_id": image_id}, status=202)
    response = no_body()
    # nova/image/glance.py generate_image_url: the image endpoint (any /vN stripped).
    response.headers["Location"] = f"{image_url()}/images/{image_id}"
    return response


def _rebuild(server_id: str, body: Any, project_id: str | None) -> Response:
    request_schemas.validate_rebuild(body, version())
    spec = dict(body["rebuild"])
    changes: dict[str, Any] = {"imageRef": spec["imageRef"]}
    changes.update({_REBUILD_FIELDS[k]: v for k, v in spec.items() if k in _REBUILD_FIELDS})
    server = actions.rebuild(unit_of_work(), server_id, changes)
    doc = documents.server_detail(server, version(), project_id, full=False)
    doc["adminPass"] = spec.get("adminPass") or "emulated"
    headers = {"Location": doc["links"][0]["href"]}
    return json_response({"server": doc}, status=202, headers=headers)


def _reboot(server_id: str, body: Any, project_id: str | None) -> Response:
    request_schemas.validate(request_schemas.REBOOT, body)
    actions.reboot(unit_of_work(), server_id, body["reboot"]["type"])
    return no_body()


def _stop(server_id: str, body: Any, project_id: str | None) -> Response:
    actions.stop(unit_of_work(), server_id)
    return no_body()


def _start(server_id: str, body: Any, project_id: str | None) -> Response:
    actions.start(unit_of_work(), server_id)
    return no_body()


ACTIONS: dict[str, Callable[[str, Any, str | None], Response]] = {
    "createImage": _create_image,
    "rebuild": _rebuild,
    "reboot": _reboot,
    "os-stop": _stop,
    "os-start": _start,
}


@route("/servers/<server_id>/action", ["POST"])
def server_action(server_id: str, project_id: str | None = None) -> Response:
    body = json_body()
    check_project(project_id)
    if not isinstance(body, dict) or len(body) != 1:
        raise errors.BadRequest("Malformed request body")
    (name,) = body
    handler = ACTIONS.get(name)
    if handler is None:
        raise errors.BadRequest(f"There is no such action: {name}")
    return handler(server_id, body, project_id)
