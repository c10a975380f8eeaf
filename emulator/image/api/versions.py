"""Glance's version documents and URL/media-type version negotiation.

``glance/api/middleware/version_negotiation.py``: a path whose first segment is an allowed
version (``v2``, ``v2.0``...) is routed to the v2 API; ``/versions`` answers 200; anything
else (``/``, ``/v1/images``, ``/foo``) answers the 300 version choices, whatever the method,
before authentication. We serve the version list Glance serves without image cache and
without multistore (``glance/api/versions.py``): 2.17 is CURRENT.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Response

from emulator.core.http.urls import base_url

bp = Blueprint("versions", __name__)

# (version, status) in Glance's emission order for cache off, multistore off.
VERSIONS: tuple[tuple[str, str], ...] = (
    ("2.15", "SUPPORTED"),
    ("2.9", "SUPPORTED"),
    ("2.17", "CURRENT"),
    ("2.7", "SUPPORTED"),
    ("2.6", "SUPPORTED"),
    ("2.5", "SUPPORTED"),
    ("2.4", "SUPPORTED"),
    ("2.3", "SUPPORTED"),
    ("2.2", "SUPPORTED"),
    ("2.1", "SUPPORTED"),
    ("2.0", "SUPPORTED"),
)
ALLOWED_URL_VERSIONS = frozenset(["v2"] + [f"v2.{n}" for n in (0, 1, 2, 3, 4, 5, 6, 7, 9, 15, 17)])
VND_MIME_PREFIX = "application/vnd.openstack.images-"

# Our own surfaces, outside Glance's version negotiation (``/v3``: identity requests sent
# to the image URL, answered by ``identity/api/wrong_auth_url.py``).
PASSTHROUGH_PREFIXES = ("/identity", "/_emulator", "/healthcheck", "/v3")


def versions_document() -> dict[str, Any]:
    href = base_url() + "/v2/"
    return {
        "versions": [
            {"id": f"v{version}", "status": status, "links": [{"rel": "self", "href": href}]}
            for version, status in VERSIONS
        ]
    }


def _render(status: int) -> Response:
    return Response(json.dumps(versions_document()), status=status, content_type="application/json")


METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@bp.route("/", methods=METHODS)
def version_choices() -> Response:
    return _render(300)


@bp.route("/versions", methods=METHODS)
def versions_index() -> Response:
    return _render(200)


class VersionNegotiation:
    """WSGI middleware: rewrite ``/v2.N/...`` to ``/v2/...``; unknown versions to ``/``."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "") or ""
        if not path.startswith(PASSTHROUGH_PREFIXES):
            environ["PATH_INFO"] = self._negotiate(path, environ.get("HTTP_ACCEPT", ""))
        return self.app(environ, start_response)

    @staticmethod
    def _negotiate(path: str, accept: str) -> str:
        stripped = path.lstrip("/")
        first, slash, rest = stripped.partition("/")
        if first == "versions":
            return "/versions"
        if accept.startswith(VND_MIME_PREFIX):
            requested, remainder = accept[len(VND_MIME_PREFIX) :], path
        else:
            requested, remainder = first, (slash + rest)
        if requested in ALLOWED_URL_VERSIONS:
            return "/v2" + remainder
        return "/"


class CorsFilter:
    """WSGI middleware: the ``cors`` filter that heads every pipeline of Glance's
    ``glance-api-paste.ini`` (oslo.middleware ``CORS``) answers every ``OPTIONS`` itself,
    before version negotiation, authentication or routing: an empty 200. With no allowed
    origin configured (Glance's default) it adds no CORS header either."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "") or ""
        if environ.get("REQUEST_METHOD") != "OPTIONS" or path.startswith(PASSTHROUGH_PREFIXES):
            return self.app(environ, start_response)
        start_response(
            "200 OK", [("Content-Type", "text/html; charset=UTF-8"), ("Content-Length", "0")]
        )
        return [b""]
