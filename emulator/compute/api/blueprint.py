"""The compute blueprint, and what every compute request goes through first.

Nova's pipeline (``nova/api/openstack/compute/`` + ``api-paste.ini``): request ids on
every response (``compute_req_id``), version documents without a token, the API behind
keystonemiddleware (401), then the microversion (``wsgi.py``: 400 malformed, 406 out of
range), echoed with ``Vary`` on every API response, errors included.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g, request

from emulator.compute.domain import microversions
from emulator.compute.domain.microversions import Version
from emulator.core import errors
from emulator.core.context import RequestContext
from emulator.core.http import bodies

bp = Blueprint("compute", __name__, url_prefix="/compute")

API_VERSION_HEADER = "OpenStack-API-Version"
LEGACY_API_VERSION_HEADER = "X-OpenStack-Nova-API-Version"
_DISCOVERY = ("/compute", "/compute/", "/compute/v2.1", "/compute/v2.1/")


def route(rule: str, methods: list[str]) -> Callable[[Callable[..., Response]], Any]:
    """Serve ``rule`` under ``/v2.1`` and under ``/v2.1/{project_id}`` (the catalog form
    some clouds use; Nova accepts both)."""

    def register(view: Callable[..., Response]) -> Callable[..., Response]:
        bp.add_url_rule(f"/v2.1{rule}", view_func=view, methods=methods)
        bp.add_url_rule(
            f"/v2.1/<project_id>{rule}",
            endpoint=f"{view.__name__}_in_project",
            view_func=view,
            methods=methods,
        )
        return view

    return register


def version() -> Version:
    found: Version = g.get("compute_version") or microversions.MINIMUM
    return found


def context() -> RequestContext:
    found: RequestContext | None = g.get("context")
    if found is None:
        raise errors.Unauthorized()
    return found


def check_project(project_id: str | None) -> None:
    """``wsgi.py``: a project id in the URL must be the token's."""
    mine = context().project_id
    if project_id is not None and project_id != mine:
        raise errors.BadRequest(
            f"Malformed request URL: URL's project_id '{project_id}' doesn't match "
            f"Context's project_id '{mine}'"
        )


def json_body() -> Any:
    """The JSON body, or None without one; bad JSON is Nova's ``Malformed request body``."""
    if not bodies.has_body():
        return None
    raw = bodies.read_bytes()
    if not raw:
        return None
    try:
        return bodies.parse_json(raw)
    except ValueError:
        raise errors.BadRequest("Malformed request body") from None


def no_body() -> Response:
    return Response(status=202)


@bp.before_request
def _enter() -> None:
    g.compute_request_id = f"req-{uuid.uuid4()}"
    if request.path in _DISCOVERY:
        return
    if g.get("context") is None:
        raise errors.Unauthorized()
    g.compute_version = microversions.negotiate(
        microversions.requested(
            request.headers.get(API_VERSION_HEADER),
            request.headers.get(LEGACY_API_VERSION_HEADER),
        )
    )


@bp.after_request
def _leave(response: Response) -> Response:
    request_id = g.get("compute_request_id") or f"req-{uuid.uuid4()}"
    response.headers["x-openstack-request-id"] = request_id
    response.headers["x-compute-request-id"] = request_id
    found: Version | None = g.get("compute_version")
    if found is not None:
        response.headers[API_VERSION_HEADER] = f"compute {found}"
        response.headers[LEGACY_API_VERSION_HEADER] = str(found)
        response.headers.add("Vary", API_VERSION_HEADER)
        response.headers.add("Vary", LEGACY_API_VERSION_HEADER)
    return response
