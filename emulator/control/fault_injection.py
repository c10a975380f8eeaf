"""Applying the fault rules (``control/domain/faults.py``) to the requests they match.

- Latency and a status are decided in a ``before_request`` hook, after the auth hook (a rule
  can name a user or project): the status is raised as the matching error, so the body is
  the service's own (Glance's under ``/v2``, Keystone's under ``/identity``), and the view
  never runs, so nothing is stored. With ``pass_through`` the view runs first and its
  answer is replaced afterwards.
- A download cut lets the answer start (status, headers with the full Content-Length) and
  drops the connection after ``cut_after_bytes`` bytes of its body; a truncation sends
  the answer without Content-Length and ends it there (a client only sees it by checksum).
- An upload cut reads ``cut_after_bytes`` bytes of the request body and drops the
  connection without an answer; the view never runs.

The connection is dropped by raising ``ConnectionResetError`` out of the WSGI app: cheroot
then closes the socket without an answer or a traceback (as for a client gone away). The
request log shows such an answer with status 0 when no status line was sent.

With no rules the hooks cost one truth test per request.
"""

from __future__ import annotations

import errno
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

from flask import Flask, Response, current_app, g, request

from emulator.control.domain.faults import Asking, FaultRule, FaultTable
from emulator.core.blobs import FILE_SPANS
from emulator.core.http import cpu_gate, recording
from emulator.core.http.errors import render
from emulator.core.http.request_scope import unit_of_work
from emulator.identity.services import accounts

CUT_UPLOAD = "emulator.fault_cut_upload"
READ_CHUNK = 64 << 10


def table() -> FaultTable:
    faults: FaultTable = current_app.extensions["emulator.faults"]
    return faults


def _user_name(user_id: str) -> str | None:
    user = accounts.get_user(unit_of_work().db, user_id)
    return user.name if user is not None else None


def _project_name(project_id: str) -> str | None:
    project = accounts.get_project(unit_of_work().db, project_id)
    return project.name if project is not None else None


def _drop_connection() -> ConnectionResetError:
    return ConnectionResetError(errno.ECONNRESET, "connection cut by a fault rule")


class _CutBody:
    """The first ``keep`` bytes of ``body``, then a dropped connection (or, without
    ``drop``, the end of the answer)."""

    def __init__(self, body: Iterable[bytes], keep: int, drop: bool = True):
        self._body = body
        self._keep = keep
        self._drop = drop

    def __iter__(self) -> Iterator[bytes]:
        left = self._keep
        for chunk in self._body:
            if len(chunk) >= left:
                if left:
                    yield chunk[:left]
                if self._drop:
                    raise _drop_connection()
                return
            left -= len(chunk)
            yield chunk
        # The body was shorter than the cut: it all went through.

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            close()


class _UploadCutter:
    """WSGI layer: when the hook marked the request, drop the connection unanswered."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        body = self.app(environ, start_response)
        if environ.get(CUT_UPLOAD):
            close = getattr(body, "close", None)
            if close is not None:
                close()
            note = environ.get(recording.NOTE_KEY)
            if note is not None:
                note["status"] = 0
            raise _drop_connection()
        return body


def _read_then_stop(limit: int) -> None:
    left = limit
    while left > 0:
        chunk = request.stream.read(min(left, READ_CHUNK))
        if not chunk:
            break
        left -= len(chunk)


def _before() -> Response | None:
    faults = table()
    if not faults:
        return None
    context = g.get("context")
    rule = faults.fire(
        Asking(
            method=request.method,
            path=request.path,
            user_id=context.user_id if context is not None else None,
            project_id=context.project_id if context is not None else None,
            user_name=_user_name,
            project_name=_project_name,
        )
    )
    if rule is None:
        return None
    note = recording.note()
    if note is not None:
        note["fault"] = rule.label
    if rule.cut in ("download", "truncate"):
        # The cut counts the bytes of the body as they pass: none may go out of band.
        request.environ.pop(FILE_SPANS, None)
    if rule.latency_ms:
        with cpu_gate.released(request.environ):  # a sleep needs no slot
            time.sleep(rule.latency_ms / 1000)
    if rule.cut == "upload":
        _read_then_stop(rule.cut_after_bytes)
        request.environ[CUT_UPLOAD] = True
        return Response(status=500)  # never sent: the WSGI layer drops the connection
    if rule.status is not None and not rule.pass_through:
        raise rule.error()
    g.fault_rule = rule
    return None


def _bytes_body(response: Response) -> Iterable[bytes]:
    # Our views answer bytes (JSON documents, image files), never text.
    return cast(Iterable[bytes], response.response)


def _after(response: Response) -> Response:
    rule: FaultRule | None = g.get("fault_rule")
    if rule is None:
        return response
    if rule.status is not None:  # pass_through: the request went through, now the fault
        return render(rule.error())
    if rule.cut == "download":
        response.response = _CutBody(_bytes_body(response), rule.cut_after_bytes)
    elif rule.cut == "truncate":
        # No length announced: cheroot frames the answer in chunks, which end cleanly.
        response.headers.pop("Content-Length", None)
        response.response = _CutBody(_bytes_body(response), rule.cut_after_bytes, drop=False)
    return response


def register(app: Flask) -> FaultTable:
    """Call after the auth hook is registered (rules may match the caller)."""
    faults = FaultTable()
    app.extensions["emulator.faults"] = faults
    app.before_request(_before)
    app.after_request(_after)
    app.wsgi_app = _UploadCutter(app.wsgi_app)  # type: ignore[method-assign]
    return faults
