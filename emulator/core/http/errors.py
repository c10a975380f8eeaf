"""The one renderer: every error response is built here, and nowhere else.

Under ``/v2`` (and the version documents) errors are rendered by webob itself, exactly as
Glance's are: Glance raises ``webob.exc.HTTP*`` and webob negotiates text/html,
application/json or text/plain on ``Accept``, escapes, and fills per-status templates (405
and 415 have their own). Doing this with webob rather than by hand is the only way to match
every corner (an absent Accept header gives text/plain; an invalid one gives HTML).
Under ``/identity`` errors take Keystone's ``{"error": {...}}`` shape; the control API too.
"""

from __future__ import annotations

import json
import string
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

with warnings.catch_warnings():
    # webob 1.8 imports the stdlib ``cgi`` module, deprecated since Python 3.11.
    warnings.simplefilter("ignore", DeprecationWarning)
    import webob.exc
    from webob.acceptparse import create_accept_header

from emulator.core import errors
from emulator.core.db import is_busy

_OFFERS = ["text/html", "application/json"]


def negotiate(accept_header: str | None) -> str | None:
    """webob's ``acceptable_offers(['text/html', 'application/json'])[0]``, or None."""
    offers = create_accept_header(accept_header or "").acceptable_offers(offers=_OFFERS)
    return offers[0][0] if offers else None


def _webob_exception(error: errors.EmulatorError) -> webob.exc.WSGIHTTPException:
    cls = webob.exc.status_map.get(error.status, webob.exc.HTTPInternalServerError)
    exc = cls(detail=error.detail, comment=error.comment)
    exc.explanation = error.explanation
    template = error.body_template
    if template:  # a webob body_template= (e.g. Glance's task DELETE: the bare explanation)
        exc.body_template_obj = string.Template(template)
    return exc


def glance_error_response(
    error: errors.EmulatorError, accept: str | None, environ: dict[str, Any] | None = None
) -> Response:
    exc = _webob_exception(error)
    env = dict(environ or {})
    if env.get("REQUEST_METHOD") == "HEAD":
        # webob's WSGIHTTPException.__call__ skips generate_response for HEAD: the answer
        # is the exception's own empty response, text/html whatever Accept says, and
        # Content-Length 0 (not the length a GET's body would have).
        return Response(b"", status=error.status, content_type="text/html; charset=UTF-8")
    env["HTTP_ACCEPT"] = accept or ""
    match = negotiate(accept)
    if match == "text/html":
        body, content_type = exc.html_body(env), "text/html; charset=UTF-8"
    elif match == "application/json":
        body, content_type = exc.json_body(env), "application/json"
    else:
        body, content_type = exc.plain_body(env), "text/plain; charset=UTF-8"
    return Response(body, status=error.status, content_type=content_type)


def keystone_error_response(error: errors.EmulatorError) -> Response:
    payload = {"error": {"code": error.status, "title": error.title, "message": error.message}}
    return Response(json.dumps(payload), status=error.status, content_type="application/json")


#: ``nova/api/openstack/wsgi.py`` ``Fault._fault_names``; any other status is a
#: ``computeFault``.
NOVA_FAULT_NAMES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}
#: keystonemiddleware's answer to a request without a valid token (before Nova).
KEYSTONEMIDDLEWARE_401 = "The request you have made requires authentication."


def nova_error_response(error: errors.EmulatorError) -> Response:
    """``Fault``: ``{"<name>": {"code", "message"}}``, plus ``retryAfter`` on 413/429."""
    if error.status == 401:
        return keystone_error_response(errors.Unauthorized(KEYSTONEMIDDLEWARE_401))
    name = NOVA_FAULT_NAMES.get(error.status, "computeFault")
    fault: dict[str, Any] = {"code": error.status, "message": error.message}
    if error.status in (413, 429) and "Retry-After" in error.headers:
        fault["retryAfter"] = error.headers["Retry-After"]
    return Response(
        json.dumps({name: fault}),
        status=error.status,
        content_type="application/json; charset=UTF-8",
    )


def _is_compute(path: str) -> bool:
    return path == "/compute" or path.startswith("/compute/")


def _compute_routing_miss() -> Response:
    """No route for this path and method under ``/compute``: keystonemiddleware's 401
    first, as it runs before Nova's router; then the router's own answer, a plain webob
    404 (``nova/api/wsgi.py`` ``Router._dispatch`` returns ``HTTPNotFound()``, which no
    Fault wraps), for a wrong method too (routes match on path and method together)."""
    import uuid

    from flask import g  # late: only here does the request's context matter

    if g.get("context") is None:
        response = render(errors.Unauthorized())
    else:
        accept = request.headers.get("Accept")
        response = glance_error_response(errors.NotFound(), accept, request.environ)
    # Nova's compute_req_id middleware wraps the whole pipeline, the router included.
    request_id = f"req-{uuid.uuid4()}"
    response.headers["x-openstack-request-id"] = request_id
    response.headers["x-compute-request-id"] = request_id
    return response


def _is_keystone_style(path: str) -> bool:
    # /v3: identity requests sent to the image URL (identity/api/wrong_auth_url.py).
    return path.startswith(("/identity", "/_emulator", "/v3/")) or path == "/v3"


def render(error: errors.EmulatorError) -> Response:
    if _is_compute(request.path):
        response = nova_error_response(error)
    elif _is_keystone_style(request.path):
        response = keystone_error_response(error)
    else:
        response = glance_error_response(error, request.headers.get("Accept"), request.environ)
    for name, value in error.headers.items():
        response.headers[name] = value
    if error.status == 401:
        from emulator.core.http.urls import identity_url  # late: avoids a cycle at import

        # Glance's authtoken points at the unversioned identity endpoint (devstack's
        # www_authenticate_uri); Keystone's own 401s at its versioned base URL.
        uri = identity_url()
        if request.path.startswith("/identity"):
            uri += "/v3"
        response.headers["WWW-Authenticate"] = f'Keystone uri="{uri}"'
    return response


AllowHeader = Callable[[str, Iterable[str]], str]


def plain_allow_header(_path: str, valid: Iterable[str]) -> str:
    """The methods a route takes, less the HEAD and OPTIONS Flask adds on its own."""
    return ", ".join(sorted(set(valid) - {"HEAD", "OPTIONS"}))


def _from_werkzeug(exc: HTTPException, allow_header: AllowHeader) -> errors.EmulatorError:
    if exc.code == 404:
        return errors.NotFound()
    if exc.code == 405:
        err = errors.MethodNotAllowed()
        valid = getattr(exc, "valid_methods", None) or ()
        err.headers["Allow"] = allow_header(request.path, valid)
        return err
    if exc.code == 413:
        return errors.RequestEntityTooLarge()
    if exc.code == 415:
        return errors.UnsupportedMediaType()
    if exc.code == 400:
        return errors.BadRequest()
    generic = errors.EmulatorError(exc.description)
    generic.status = exc.code or 500
    generic.title = exc.name
    return generic


def register(app: Flask, allow_header: AllowHeader = plain_allow_header) -> None:
    """Handlers live on the app, so routing 404/405s are rendered like every other error.

    ``allow_header`` words a 405's ``Allow`` for a path (Glance has its own strings)."""

    @app.errorhandler(errors.EmulatorError)
    def _emulator_error(exc: errors.EmulatorError) -> Response:
        return render(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        if _is_compute(request.path) and exc.code in (404, 405):
            return _compute_routing_miss()
        return render(_from_werkzeug(exc, allow_header))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if is_busy(exc):
            # Another writer held the database past the busy timeout (a long reset or
            # scenario load): try again shortly, as Glance's own 503s say.
            return render(errors.ServiceUnavailable(headers={"Retry-After": "1"}))
        app.logger.exception("unhandled error", exc_info=exc)  # pragma: no cover - a bug
        return render(errors.EmulatorError())  # pragma: no cover
