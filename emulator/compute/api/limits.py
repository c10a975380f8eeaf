"""``GET /limits`` (``nova/api/openstack/compute/limits.py``)."""

from __future__ import annotations

from flask import Response

from emulator.compute.api import documents
from emulator.compute.api.blueprint import check_project, route, version
from emulator.compute.api.query import one
from emulator.compute.services import limits
from emulator.core.http.render import json_response
from emulator.core.http.request_scope import unit_of_work


@route("/limits", ["GET"])
def show_limits(project_id: str | None = None) -> Response:
    check_project(project_id)
    found = limits.show(unit_of_work(), one("tenant_id"))
    return json_response(documents.limits(found, version()))
