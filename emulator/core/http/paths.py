"""The request path as Glance's and Keystone's servers see it: percent-decoded in full.

cheroot decodes every escape in ``PATH_INFO`` but ``%2F`` (so a path can still be split on
its real slashes). eventlet and uWSGI, which serve Glance and Keystone, decode that too
before routing: ``PUT /v2/images/{id}/tags/%2F`` reaches no route there (``.../tags//``) and
is a 404, where here it would store a tag named ``%2F``. This wrapper recomputes the path
from the raw request URI whenever it still holds an encoded slash.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_SLASH_RUNS = re.compile(r"/{2,}")


class DecodeEncodedSlashes:
    def __init__(self, app: WSGIApp):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        raw_uri = environ.get("REQUEST_URI")
        if "%2f" in path.lower() and raw_uri:
            # PEP 3333: the path is bytes carried in a latin-1 str.
            raw_path = urlsplit(raw_uri).path if "://" in raw_uri else raw_uri.split("?", 1)[0]
            environ["PATH_INFO"] = unquote_to_bytes(raw_path).decode("latin-1")
        return self.app(environ, start_response)


class MergeSlashes:
    """Runs of slashes in the (decoded) path count as one, as in Glance: the root of
    ``glance-api-paste.ini`` is a paste ``URLMap``, which rewrites ``PATH_INFO`` through its
    ``normalize_url`` (``//+`` -> ``/``) before anything routes. So ``/v2//images`` lists
    images and ``/v2/images/%2Fabc`` looks up image ``abc``, both answered in place
    (werkzeug would answer a 308 to the merged URL). A trailing slash stays: ``/v2/images//``
    is the 404 of ``/v2/images/``. Paths under ``keep`` (Keystone's and our own, served by
    Flask apps where werkzeug answers the 308) are left alone."""

    def __init__(self, app: WSGIApp, keep: tuple[str, ...] = ()):
        self.app = app
        self.keep = keep

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if "//" in path and not path.startswith(self.keep):
            environ["PATH_INFO"] = _SLASH_RUNS.sub("/", path)
        return self.app(environ, start_response)
