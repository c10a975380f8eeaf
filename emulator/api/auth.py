"""Token -> request context, the Glance ``context`` middleware's job.

``/v2`` needs a valid ``X-Auth-Token`` (else 401 with ``WWW-Authenticate``); version documents
are served before authentication, as in Glance's paste pipeline. Every response carries
``x-openstack-request-id``: the client's own if it sent one (at most 64 characters, else 431,
``glance/api/middleware/context.py``), otherwise ``req-<uuid>``.
"""

from __future__ import annotations

import uuid

from flask import Flask, Response, g, request

from emulator import errors
from emulator.domain.context import RequestContext
from emulator.services import tokens

REQUEST_ID_HEADER = "x-openstack-request-id"
MAX_REQUEST_ID_LENGTH = 64


def current_context() -> RequestContext:
    context = g.get("context")
    if context is None:
        raise errors.Unauthorized()
    return context


def _needs_token(path: str) -> bool:
    return path == "/v2" or path.startswith("/v2/")


def register(app: Flask) -> None:
    @app.before_request
    def _assign_request_id() -> None:
        supplied = request.headers.get(REQUEST_ID_HEADER)
        g.request_id = None
        if supplied:
            if len(supplied) > MAX_REQUEST_ID_LENGTH:
                raise errors.RequestHeaderFieldsTooLarge(
                    "Request ID is too long. It must be at most 64 characters."
                )
            g.request_id = supplied
        else:
            g.request_id = f"req-{uuid.uuid4()}"

    @app.before_request
    def _authenticate() -> None:
        g.context = None
        token = request.headers.get("X-Auth-Token")
        if token:
            from emulator.api.store import db

            g.context = tokens.context_for_token(db(), token, request_id=g.request_id)
        if _needs_token(request.path) and g.context is None:
            raise errors.Unauthorized()

    @app.after_request
    def _add_request_id(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response
