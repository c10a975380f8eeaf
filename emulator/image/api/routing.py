"""What Glance's router answers for paths and methods it has no route for.

Glance's v2 router is a ``routes`` mapper whose paths have no trailing slash and whose ids
are ``[^/]+``: ``/v2/images/`` (an empty id, as in ``GET``/``DELETE /v2/images/{id}`` with
``id = ""``), ``/v2/images/{id}/`` and every other ``/v2`` path ending in a slash match
nothing and are webob's plain 404, whatever the method. ``glance/common/wsgi.py``'s
``Router`` adds ``mapper.redirect("", "/")``: ``/v2`` itself (and ``/v2.1``, which version
negotiation turns into it) is routes' 302 to ``/v2/``, built from the request's host.
When nothing matches and the method is not one the router implements (``PROPFIND``,
``TRACE``...), ``Router._dispatch`` answers 501 instead of 404.

``glance/api/v2/router.py`` connects a ``RejectMethodController`` to every path with a
literal ``allowed_methods`` string: any other method (HEAD included, since ``routes`` does
not treat HEAD as GET) is a 405 carrying that string in ``Allow``. OPTIONS would be too, but
the CORS filter in front of Glance's pipeline answers it first (``versions.CorsFilter``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import Flask, Response
from werkzeug.exceptions import NotFound

from emulator.core import errors
from emulator.core.http.errors import plain_allow_header
from emulator.core.http.request_scope import current_request

# glance/common/wsgi.py Router._dispatch: the methods it answers 404 (not 501) for.
IMPLEMENTED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"})
_UUID_FREE_SEGMENT = r"[^/]+"
GLANCE_ALLOWED: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(f"^/v2{pattern}/?$"), allowed)
    for pattern, allowed in (
        ("/images", "GET, POST"),
        (f"/images/{_UUID_FREE_SEGMENT}", "GET, PATCH, DELETE"),
        (f"/images/{_UUID_FREE_SEGMENT}/file", "GET, PUT"),
        (f"/images/{_UUID_FREE_SEGMENT}/stage", "PUT"),
        (f"/images/{_UUID_FREE_SEGMENT}/import", "POST"),
        (f"/images/{_UUID_FREE_SEGMENT}/actions/(deactivate|reactivate)", "POST"),
        (f"/images/{_UUID_FREE_SEGMENT}/tags/{_UUID_FREE_SEGMENT}", "PUT, DELETE"),
        (f"/images/{_UUID_FREE_SEGMENT}/members", "GET, POST"),
        (f"/images/{_UUID_FREE_SEGMENT}/members/{_UUID_FREE_SEGMENT}", "GET, PUT, DELETE"),
        (f"/images/{_UUID_FREE_SEGMENT}/tasks", "GET"),
        ("/tasks", "GET, POST"),
        (f"/tasks/{_UUID_FREE_SEGMENT}", "GET, DELETE"),
        ("/cache", "GET, DELETE"),
        ("/cache/clean", "POST"),
        ("/cache/prune", "POST"),
        (f"/cache/{_UUID_FREE_SEGMENT}", "DELETE, PUT"),
        (f"/stores/{_UUID_FREE_SEGMENT}/{_UUID_FREE_SEGMENT}", "DELETE"),
        ("/info/import", "GET"),
        ("/info/stores", "GET"),
        ("/info/stores/detail", "GET"),
        (f"/schemas/{_UUID_FREE_SEGMENT}", "GET"),
        (f"/schemas/metadefs/{_UUID_FREE_SEGMENT}", "GET"),
        # metadefs (the metadefs package's routes)
        ("/metadefs/resource_types", "GET"),
        ("/metadefs/namespaces", "GET, POST"),
        (f"/metadefs/namespaces/{_UUID_FREE_SEGMENT}", "GET, PUT, DELETE"),
        (f"/metadefs/namespaces/{_UUID_FREE_SEGMENT}/resource_types", "GET, POST"),
        (
            f"/metadefs/namespaces/{_UUID_FREE_SEGMENT}/resource_types/{_UUID_FREE_SEGMENT}",
            "DELETE",
        ),
        (
            f"/metadefs/namespaces/{_UUID_FREE_SEGMENT}/(properties|objects|tags)",
            "GET, POST, DELETE",
        ),
        (
            f"/metadefs/namespaces/{_UUID_FREE_SEGMENT}/(properties|objects)/{_UUID_FREE_SEGMENT}",
            "GET, PUT, DELETE",
        ),
        (
            f"/metadefs/namespaces/{_UUID_FREE_SEGMENT}/tags/{_UUID_FREE_SEGMENT}",
            "GET, POST, PUT, DELETE",
        ),
    )
)


def allowed_methods(path: str, valid: Iterable[str] = ()) -> str:
    """The ``Allow`` value for ``path``: Glance's literal string under /v2, else ours."""
    for pattern, allowed in GLANCE_ALLOWED:
        if pattern.match(path):
            return allowed
    return plain_allow_header(path, valid)


def register(app: Flask) -> None:
    @app.before_request
    def _route_as_glance() -> Response | None:
        # Runs after authentication (registered later), as Glance routes behind authtoken.
        asked = current_request()
        path = asked.path
        if path == "/v2":
            return Response(
                b"",
                status=302,
                headers={"Location": asked.host_url + "v2/"},
                content_type="text/plain; charset=utf8",
            )
        if path.startswith("/v2/") and (
            path.endswith("/") or isinstance(asked.routing_exception, NotFound)
        ):
            if asked.method not in IMPLEMENTED_METHODS:
                raise errors.MethodNotImplemented()
            raise errors.NotFound()
        # Flask answers HEAD as GET; Glance's router does not. (OPTIONS never gets here:
        # versions.CorsFilter answers it, as the CORS filter in Glance's pipeline does.)
        if asked.method == "HEAD" and path.startswith("/v2"):
            if asked.url_rule is not None:
                raise errors.MethodNotAllowed(headers={"Allow": allowed_methods(path)})
        return None
