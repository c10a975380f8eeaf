"""Version discovery (``nova/api/openstack/compute/versions.py``): no token needed."""

from __future__ import annotations

from flask import Response

from emulator.compute.api import documents
from emulator.compute.api.blueprint import bp
from emulator.core.http.render import json_response


@bp.get("/")
def versions_index() -> Response:
    return json_response(documents.versions())


@bp.get("/v2.1")
@bp.get("/v2.1/")
def version_v21() -> Response:
    return json_response(documents.version_v21())
