"""The request path as Glance's and Keystone's servers see it: percent-decoded in full.

cheroot decodes every escape in ``PATH_INFO`` but ``%2F`` (so a path can still be split on
its real slashes). eventlet and uWSGI, which serve Glance and Keystone, decode that too
before routing: ``PUT /v2/images/{id}/tags/%2F`` reaches no route there (``.../tags//``) and
is a 404, where here it would store a tag named ``%2F``. This wrapper recomputes the path
from the raw request URI whenever it still holds an encoded slash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


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
