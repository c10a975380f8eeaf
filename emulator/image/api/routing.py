"""What Glance's router answers for methods a path does not take.

``glance/api/v2/router.py`` connects a ``RejectMethodController`` to every path with a
literal ``allowed_methods`` string: any other method (HEAD included, since ``routes`` does
not treat HEAD as GET) is a 405 carrying that string in ``Allow``. OPTIONS would be too, but
the CORS filter in front of Glance's pipeline answers it first (``versions.CorsFilter``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import Flask, request

from emulator.core import errors
from emulator.core.http.errors import plain_allow_header

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
    def _reject_implicit_methods() -> None:
        # Flask answers HEAD as GET; Glance's router does not. (OPTIONS never gets here:
        # versions.CorsFilter answers it, as the CORS filter in Glance's pipeline does.)
        if request.method == "HEAD" and request.path.startswith("/v2"):
            if request.url_rule is not None:
                raise errors.MethodNotAllowed(headers={"Allow": allowed_methods(request.path)})
