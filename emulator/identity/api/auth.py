"""Token -> request context, the Glance ``context`` middleware's job.

``/v2`` needs a valid ``X-Auth-Token`` (else 401 with ``WWW-Authenticate``); version documents
are served before authentication, as in Glance's paste pipeline. Every response carries
``x-openstack-request-id``: the client's own if it sent one (at most 64 characters, else 431,
``glance/api/middleware/context.py``), otherwise ``req-<uuid>``.
"""

from __future__ import annotations

import uuid

from flask import Flask, Response, g

from emulator.core import errors
from emulator.core.context import RequestContext
from emulator.core.http.request_scope import (
    current_request,
    request_globals,
    set_context,
    unit_of_work,
)
from emulator.identity.services import tokens

REQUEST_ID_HEADER = "x-openstack-request-id"
MAX_REQUEST_ID_LENGTH = 64


def current_context() -> RequestContext:
    context: RequestContext | None = g.get("context")
    if context is None:
        raise errors.Unauthorized()
    return context


def _is_glance_api(path: str) -> bool:
    return path == "/v2" or path.startswith("/v2/")


def _glance_request_id(supplied: str | None) -> str:
    """glance/api/middleware/context.py: the client's id (prefixed ``req-``) or a new one."""
    if not supplied:
        return f"req-{uuid.uuid4()}"
    return supplied if supplied.startswith("req-") else f"req-{supplied}"


def register(app: Flask) -> None:
    @app.before_request
    def _authenticate() -> None:
        scope, asked = request_globals(), current_request()
        scope.request_id = None
        path = asked.path
        token = asked.headers.get("X-Auth-Token")
        set_context(tokens.context_for_token(unit_of_work().db, token) if token else None)
        if not _is_glance_api(path):
            # Keystone and the control API always carry a request id; Glance's version
            # documents never do (served before its context middleware).
            if path.startswith(("/identity", "/_emulator")):
                scope.request_id = f"req-{uuid.uuid4()}"
            return
        # Glance: version documents and 401s are answered before the context middleware,
        # so they carry no request id; an over-long client id is refused only once the
        # caller is authenticated (with webob's 431 and the reason as an HTML comment).
        if scope.context is None:
            raise errors.Unauthorized()
        supplied = asked.headers.get(REQUEST_ID_HEADER)
        if supplied and any(ord(ch) < 32 or ord(ch) == 127 for ch in supplied):
            # It is echoed in a response header: a line break must never reach it.
            raise errors.BadRequest("The x-openstack-request-id header has control characters.")
        if supplied and len(supplied) > MAX_REQUEST_ID_LENGTH:
            raise errors.RequestHeaderFieldsTooLarge(
                comment=f"x-openstack-request-id is too long, max size {MAX_REQUEST_ID_LENGTH}"
            )
        scope.request_id = _glance_request_id(supplied)

    @app.after_request
    def _add_request_id(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response
