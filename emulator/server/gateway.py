"""cheroot's WSGI gateway, telling the app what the server knows about the request's body
and lending it the request's CPU slot (``emulator/core/http/cpu_gate.py``)."""

from __future__ import annotations

import fcntl
import socket
import sys
import termios
from collections.abc import Callable
from typing import Any

from cheroot import wsgi

from emulator.core.blobs import FILE_SPANS
from emulator.core.http import cpu_gate
from emulator.core.http.cpu_gate import BODY_ARRIVED, BODY_IN_MEMORY
from emulator.server.socket_files import CoalescingWriter


def _arrived_check(req: Any) -> Callable[[int], bool]:
    def arrived(size: int) -> bool:
        remaining = req.rfile.remaining
        wanted = remaining if size < 0 else min(size, remaining)
        if wanted <= 0:
            return True
        return wanted <= req.conn.rfile.in_memory() + _socket_bytes(req.conn.socket)

    return arrived


def _socket_bytes(sock: socket.socket) -> int:
    """Bytes the kernel holds for ``sock``, not yet read."""
    try:
        found = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
    except OSError:
        return 0
    return int.from_bytes(found, sys.byteorder, signed=True)


class GuardedGateway(wsgi.Gateway_10):  # type: ignore[misc]
    """cheroot's WSGI 1.0 gateway; the environ also says whether the whole request body
    is already in memory (then reading it never waits for the client: ``cpu_gate``)."""

    def get_environ(self) -> dict[str, Any]:  # type: ignore[override]
        environ: dict[str, Any] = super().get_environ()
        req = self.req
        remaining = getattr(req.rfile, "remaining", None)
        if not req.chunked_read and remaining is not None:
            environ[BODY_IN_MEMORY] = remaining <= req.conn.rfile.in_memory()
            environ[BODY_ARRIVED] = _arrived_check(req)
        if req.conn.holding is not None:
            environ[cpu_gate.ENVIRON_KEY] = req.conn.holding
        if isinstance(req.conn.wfile, CoalescingWriter):
            environ[FILE_SPANS] = True  # it sends core/blobs.FileSpan pieces itself
        return environ
