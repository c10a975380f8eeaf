"""Glance's version documents and URL/media-type version negotiation.

``glance/api/middleware/version_negotiation.py``: a path whose first segment is an allowed
version (``v2``, ``v2.0``...) is routed to the v2 API; ``/versions`` answers 200; anything
else (``/``, ``/v1/images``, ``/foo``) answers the 300 version choices, whatever the method,
before authentication. We serve the version list Glance serves without image cache and
without multistore by default (``glance/api/versions.py``): 2.17 is CURRENT; the cache
and several stores add their versions as in Glance.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response

from emulator.core.http.request_scope import config
from emulator.core.http.urls import base_url

bp = Blueprint("versions", __name__)

_TAIL = tuple((f"2.{n}", "SUPPORTED") for n in (7, 6, 5, 4, 3, 2, 1, 0))


def version_list(cache: bool = False, multistore: bool = False) -> tuple[tuple[str, str], ...]:
    """(version, status) in the order glance/api/versions.py ``index`` emits them: the
    image cache adds 2.14, 2.16 and 2.18 (then CURRENT), several stores 2.8 and 2.10-2.13."""
    listed: list[tuple[str, str]] = []
    if cache:
        listed += [("2.18", "CURRENT"), ("2.17", "SUPPORTED"), ("2.16", "SUPPORTED")]
        listed += [("2.15", "SUPPORTED"), ("2.14", "SUPPORTED")]
    else:
        listed.append(("2.15", "SUPPORTED"))
    if multistore:
        listed += [(f"2.{n}", "SUPPORTED") for n in (13, 12, 11, 10, 9, 8)]
    else:
        listed.append(("2.9", "SUPPORTED"))
    if not cache:
        listed.append(("2.17", "CURRENT"))
    return tuple(listed) + _TAIL


def allowed_url_versions(cache: bool = False, multistore: bool = False) -> frozenset[str]:
    """glance/api/middleware/version_negotiation.py ``_get_allowed_versions``."""
    minors = [0, 1, 2, 3, 4, 5, 6, 7, 9, 15, 17]
    if cache:
        minors += [14, 16, 18]
    if multistore:
        minors += [8, 10, 11, 12, 13]
    return frozenset(["v2"] + [f"v2.{n}" for n in minors])


# The default configuration's list (no cache, one store).
VERSIONS = version_list()
ALLOWED_URL_VERSIONS = allowed_url_versions()
VND_MIME_PREFIX = "application/vnd.openstack.images-"

# Our own surfaces, outside Glance's version negotiation. (``/healthcheck`` is answered in
# front of this filter, by ``healthcheck.Healthcheck``; ``/healthcheckx`` gets the 300.)
# ``/v3``: identity requests sent to the image URL, answered by
# ``identity/api/wrong_auth_url.py``.
PASSTHROUGH_PREFIXES = ("/identity", "/_emulator", "/panel", "/compute", "/v3")


@lru_cache(maxsize=64)
def versions_body(href: str, cache: bool, multistore: bool) -> str:
    """The version document, as JSON, for one base URL and configuration: made once for
    each (a client sends the same Host on every request)."""
    listed = version_list(cache, multistore)
    return json.dumps(
        {
            "versions": [
                {"id": f"v{version}", "status": status, "links": [{"rel": "self", "href": href}]}
                for version, status in listed
            ]
        }
    )


def _render(status: int) -> Response:
    settings = config()
    body = versions_body(
        base_url() + "/v2/", settings.image_cache_enabled, bool(settings.enabled_backends)
    )
    return Response(body, status=status, content_type="application/json")


METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@bp.route("/", methods=METHODS)
def version_choices() -> Response:
    return _render(300)


@bp.route("/versions", methods=METHODS)
def versions_index() -> Response:
    return _render(200)


class VersionNegotiation:
    """WSGI middleware: rewrite ``/v2.N/...`` to ``/v2/...``; unknown versions to ``/``."""

    def __init__(
        self, app: Callable[..., Iterable[bytes]], allowed: frozenset[str] = ALLOWED_URL_VERSIONS
    ):
        self.app = app
        self.allowed = allowed

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "") or ""
        if not path.startswith(PASSTHROUGH_PREFIXES):
            environ["PATH_INFO"] = self._negotiate(path, environ.get("HTTP_ACCEPT", ""))
        return self.app(environ, start_response)

    def _negotiate(self, path: str, accept: str) -> str:
        stripped = path.lstrip("/")
        first, slash, rest = stripped.partition("/")
        if first == "versions":
            return "/versions"
        if accept.startswith(VND_MIME_PREFIX):
            requested, remainder = accept[len(VND_MIME_PREFIX) :], path
        else:
            requested, remainder = first, (slash + rest)
        if requested in self.allowed:
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
