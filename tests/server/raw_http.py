"""Driving the server over raw sockets, as slow, idle and careless clients do."""

from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

# A server process of its own, so that its memory is the server's alone.
SERVER_SCRIPT = """
import sys
from emulator.app import create_app
from emulator.server import bound_port, make_server
server = make_server(create_app(data_dir=sys.argv[1]), host="127.0.0.1", port=0)
print(bound_port(server), flush=True)
server.serve()
"""


def address(base_url: str) -> tuple[str, int]:
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def connect(base_url: str, timeout: float = 10.0) -> socket.socket:
    return socket.create_connection(address(base_url), timeout=timeout)


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes (or resets) the connection."""
    received = b""
    try:
        while piece := sock.recv(65536):
            received += piece
    except ConnectionResetError:
        pass
    return received


def exchange(base_url: str, data: bytes, timeout: float = 10.0) -> bytes:
    """Send ``data`` on a new connection and read until the server closes it."""
    with connect(base_url, timeout) as sock:
        sock.sendall(data)
        return read_all(sock)


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


@dataclass
class ServerProcess:
    proc: subprocess.Popen[str]
    base_url: str

    def memory_kib(self, field: str) -> int:
        """``VmRSS`` (now) or ``VmHWM`` (peak) of the server process, in KiB."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith(field + ":"))
        return int(line.split()[1])
