"""Logging for the served process: one access line per request, plus the server's own messages.

The access log is a WSGI middleware wrapped around the whole app by the CLI, so it sees every
request (version negotiation, identity, control API and routing 404s alike) and times it
until the last byte of the body has been handed to the server, which matters for image
downloads. The request id is read from the ``x-openstack-request-id`` response header that
``emulator/api/auth.py`` sets, so the log line and the client's error report can be matched.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

ACCESS_LOGGER = "glance_emulator.access"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REQUEST_ID_HEADER = "x-openstack-request-id"


def configure(level: str = "info", stream: Any = None) -> None:
    """Send all logging to ``stream`` (stderr) at ``level``; stdout stays for the banner."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


class AccessLog:
    """WSGI middleware: log ``METHOD path status ms request-id`` once per request."""

    def __init__(self, app: Callable[..., Iterable[bytes]], logger: logging.Logger | None = None):
        self.app = app
        self.logger = logger or logging.getLogger(ACCESS_LOGGER)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = time.perf_counter()
        # Read before the app runs: version negotiation rewrites PATH_INFO in place.
        method = environ.get("REQUEST_METHOD", "-")
        path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
        query = environ.get("QUERY_STRING")
        if query:
            path += "?" + query
        seen: dict[str, str] = {"status": "-", "request_id": "-"}

        def recording_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            seen["status"] = status.split(" ", 1)[0]
            for name, value in headers:
                if name.lower() == REQUEST_ID_HEADER:
                    seen["request_id"] = value
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        def log() -> None:
            elapsed_ms = (time.perf_counter() - started) * 1000
            self.logger.info(
                "%s %s %s %.1fms %s",
                method,
                path,
                seen["status"],
                elapsed_ms,
                seen["request_id"],
            )

        try:
            body = self.app(environ, recording_start_response)
        except BaseException:
            seen["status"] = "500" if seen["status"] == "-" else seen["status"]
            log()
            raise
        return _ClosingBody(body, log)


class _ClosingBody:
    """Pass the body through; log when the server closes it (after the last byte)."""

    def __init__(self, body: Iterable[bytes], on_close: Callable[[], None]):
        self._body = body
        self._on_close = on_close
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._on_close()


def install(app: Any) -> Any:
    """Wrap a Flask app's WSGI callable with the access log; returns the app."""
    app.wsgi_app = AccessLog(app.wsgi_app)
    return app
