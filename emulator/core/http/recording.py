"""Recording every request into the request log (``emulator/core/request_log.py``).

A WSGI middleware around the whole app sees every request (version negotiation, identity,
control API, routing 404s) and times it until the server has taken the last byte of the
body, which matters for downloads. Who asked is only known inside Flask, after the auth
hook: a teardown hook writes it into a small dict the middleware left in the environ.

Reading the log itself (``GET /_emulator/requests``) is not recorded, or a
``requests --follow`` poll would fill the ring with itself.

With bodies on (``RequestLog.record_bodies``), the request's ``wsgi.input`` is wrapped so that
the bytes the app reads are copied as it reads them (nothing is read ahead: a body the app
refuses to read, or a fault rule cuts, is kept as far as it went), and the answer's chunks
are copied as they pass; image data requests are left alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask, request

from emulator.core.body_capture import (
    Bodies,
    CapturingInput,
    ResponseCopy,
    is_data_path,
    is_json_type,
    keep_body,
    kept_headers,
)
from emulator.core.http.request_scope import current_request, request_globals
from emulator.core.request_log import RequestLog

NOTE_KEY = "emulator.request_note"
REQUEST_ID_HEADER = "x-openstack-request-id"
NOT_RECORDED = "/_emulator/requests"


def note() -> dict[str, Any] | None:
    """This request's note (who asked, which fault fired), or None outside the recorder."""
    found: dict[str, Any] | None = request.environ.get(NOTE_KEY)
    return found


class RequestRecorder:
    """WSGI middleware: one :class:`RequestLog` entry per request."""

    def __init__(self, app: Callable[..., Iterable[bytes]], log: RequestLog):
        self.app = app
        self.log = log

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        # Read before the app runs: version negotiation rewrites PATH_INFO in place.
        path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
        method = environ.get("REQUEST_METHOD", "-")
        if path == NOT_RECORDED and method == "GET" or not self.log.size:
            return self.app(environ, start_response)
        started = time.time()
        clock = time.perf_counter()
        seen: dict[str, Any] = {"status": 500, "request_id": None}
        environ[NOTE_KEY] = seen
        capturing = self.log.record_bodies and not is_data_path(path)
        request_copy: CapturingInput | None = None
        response_copy: ResponseCopy | None = None
        headers_kept: dict[str, str] = {}
        if self.log.record_bodies:
            headers_kept = kept_headers(environ)
        if capturing:
            response_copy = ResponseCopy()
            if is_json_type(environ.get("CONTENT_TYPE")) and "wsgi.input" in environ:
                request_copy = CapturingInput(environ["wsgi.input"])
                environ["wsgi.input"] = request_copy

        def recording_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            seen["status"] = int(status[:3])
            for name, value in headers:
                lowered = name.lower()
                if lowered == REQUEST_ID_HEADER:
                    seen["request_id"] = value
                elif lowered == "content-length" and value.isdigit():
                    seen["length"] = int(value)
                elif lowered == "content-type":
                    seen["json"] = is_json_type(value)
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        def finish(sent: int) -> None:
            self.log.record(
                started=started,
                request_id=seen["request_id"],
                user_id=seen.get("user_id"),
                project_id=seen.get("project_id"),
                method=method,
                path=path,
                query=environ.get("QUERY_STRING", ""),
                status=seen["status"],
                duration_ms=(time.perf_counter() - clock) * 1000,
                sent=sent,
                fault=seen.get("fault"),
                bodies=None if not self.log.record_bodies else _bodies(),
            )

        def _bodies() -> Bodies:
            notes: list[str] = []
            request_body = response_body = None
            if request_copy is not None:
                request_body, note = keep_body(
                    request_copy.captured, not request_copy.overflowed, "request"
                )
                notes += [note] if note else []
            if response_copy is not None and seen.get("json"):
                response_body, note = keep_body(
                    response_copy.captured, not response_copy.overflowed, "response"
                )
                notes += [note] if note else []
            return Bodies(headers_kept, request_body, response_body, tuple(notes))

        try:
            body = self.app(environ, recording_start_response)
        except BaseException:
            finish(0)
            raise
        return _CountingBody(body, finish, seen, response_copy)


class _CountingBody:
    """Pass the body through, counting bytes; record as the last byte is handed over (or
    when the server closes the body early: a client gone mid-download)."""

    def __init__(
        self,
        body: Iterable[bytes],
        on_close: Callable[[int], None],
        seen: dict[str, Any],
        copy: ResponseCopy | None = None,
    ):
        self._body = body
        self._copy = copy
        self._on_close = on_close
        self._seen = seen
        self._sent = 0
        self._closed = False
        self._recorded = False

    def __iter__(self) -> Iterator[bytes]:
        # Recorded as the last announced byte is handed over, before it goes out: a client
        # that has its whole answer always finds its request in the log. Answers without
        # a length are recorded when their body ends.
        length = self._seen.get("length")
        copy = self._copy
        for chunk in self._body:
            self._sent += len(chunk)
            # Asked per chunk: an app may call start_response only as its body starts.
            if copy is not None and self._seen.get("json"):
                copy.add(chunk)
            if length is not None and self._sent >= length:
                self._finish()
            yield chunk
        self._finish()

    def _finish(self) -> None:
        if not self._recorded:
            self._recorded = True
            self._on_close(self._sent)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._finish()


def register(app: Flask, log: RequestLog) -> None:
    """Keep ``log`` at ``app.extensions["emulator.request_log"]`` and record into it."""
    app.extensions["emulator.request_log"] = log

    @app.teardown_request
    def _note_who_asked(_exc: BaseException | None) -> None:
        seen = current_request().environ.get(NOTE_KEY)
        context = request_globals().get("context")
        if seen is not None and context is not None:
            seen["user_id"] = context.user_id
            seen["project_id"] = context.project_id

    app.wsgi_app = RequestRecorder(app.wsgi_app, log)  # type: ignore[method-assign]
