"""What this machine allows, measured in the same run as the emulator's figures.

* the hash bound: md5 then sha512 over the same 1 MiB chunks on one core, which is what an
  upload must do (Glance's ``checksum`` and ``os_hash_value``);
* the loopback bound: bytes a second one process can send another over a 127.0.0.1 TCP
  connection, the receiver reading 1 MiB at a time into one buffer and keeping nothing;
* the request ceiling: requests a second the bench's own load generator (``load.py``) gets
  from a server that does no work at all (one thread answering every request head with the
  same bytes), with 1 and with 8 clients. No server can be measured faster than this here,
  so a target above it cannot be met on this machine whatever the emulator does;
* the framework floor: requests a second from Flask (the emulator's own subclass) with a
  single route that answers fixed bytes at once, served by the emulator's own server
  (``emulator.server.make_server``: cheroot, the connection guard and the CPU gate) in a
  process of its own. Every request the emulator's Flask app answers costs at least this
  much, so a target above it cannot be met by any route written with Flask on this server
  (the stack's base), however little the route does.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import selectors
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import load

MiB = 1 << 20


def hash_bound(total_mib: int = 512) -> float:
    """MiB/s of md5 + sha512 over ``total_mib`` MiB, one core."""
    chunk = hashlib.sha512(b"bound").digest() * (MiB // 64)
    md5, sha512 = hashlib.md5(), hashlib.sha512()
    started = time.perf_counter()
    for _ in range(total_mib):
        md5.update(chunk)
        sha512.update(chunk)
    md5.hexdigest(), sha512.hexdigest()
    return total_mib / (time.perf_counter() - started)


def _send(port: int, total_mib: int) -> None:
    chunk = b"\x5a" * MiB
    with socket.create_connection(("127.0.0.1", port)) as connection:
        for _ in range(total_mib):
            connection.sendall(chunk)


def loopback_bound(total_mib: int = 1024) -> float:
    """MiB/s one process receives from another over loopback TCP."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        sender = multiprocessing.get_context("fork").Process(target=_send, args=(port, total_mib))
        sender.start()
        connection, _ = listener.accept()
        buffer = bytearray(MiB)
        view = memoryview(buffer)
        received, started = 0, time.perf_counter()
        with connection:
            while True:
                count = connection.recv_into(view)
                if not count:
                    break
                received += count
        elapsed = time.perf_counter() - started
        sender.join()
    return received / MiB / elapsed


_CANNED_BODY = b'{"versions": []}' * 40  # about the size of the emulator's version list
CANNED_ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    + f"Content-Length: {len(_CANNED_BODY)}\r\n\r\n".encode()
    + _CANNED_BODY
)


def _answer_every_head(listener: socket.socket) -> None:
    """Serve forever: one thread, one selector, each complete request head answered with
    CANNED_ANSWER (the requests have no body)."""
    selector = selectors.DefaultSelector()
    listener.setblocking(False)
    selector.register(listener, selectors.EVENT_READ)
    pending: dict[socket.socket, bytes] = {}
    while True:
        for key, _ in selector.select():
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if sock is listener:
                connection, _ = listener.accept()
                connection.setblocking(False)
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                selector.register(connection, selectors.EVENT_READ)
                pending[connection] = b""
                continue
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                selector.unregister(sock)
                sock.close()
                continue
            buffered = pending[sock] + data
            while b"\r\n\r\n" in buffered:
                buffered = buffered.partition(b"\r\n\r\n")[2]
                sock.sendall(CANNED_ANSWER)
            pending[sock] = buffered


def _get_root(_client: int, _n: int) -> load.Request:
    return ("GET", "/", {}, None)


def _load_against(
    serve: Callable[[socket.socket], None], clients: int, seconds: float
) -> load.Result:
    """``load.run`` of ``GET /`` from ``clients`` clients against ``serve``, run in a process
    of its own on a fresh loopback listener, after a short warm-up (with that process's CPU
    per request)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        context = multiprocessing.get_context("fork")
        serving = context.Process(target=serve, args=(listener,), daemon=True)
        serving.start()
        try:
            load.run(url, _get_root, clients=1, seconds=0.5)
            return load.run(
                url, _get_root, clients=clients, seconds=seconds, server_pid=serving.pid
            )
        finally:
            serving.kill()
            serving.join()


def request_ceiling(clients: int, seconds: float) -> float:
    """Requests/s of ``load.run`` with ``clients`` clients against a server doing no work."""
    return _load_against(_answer_every_head, clients, seconds).rate


def _serve_one_route(listener: socket.socket) -> None:
    """Serve forever from ``listener``: the emulator's Flask class with one route answering
    fixed bytes, on the emulator's server."""
    from flask import Response

    from emulator.app import EmulatorFlask
    from emulator.server import make_server

    app = EmulatorFlask("framework-floor")
    body = b'{"versions": []}'

    @app.get("/")
    def answer() -> Response:
        return Response(body, content_type="application/json")

    make_server(app, listen_socket=listener).serve()


def framework_floor(clients: int, seconds: float) -> load.Result:
    """``load.run`` with ``clients`` clients against one Flask route that does nothing,
    served as the emulator serves its app (with the server's CPU per request)."""
    return _load_against(_serve_one_route, clients, seconds)


@dataclass(frozen=True)
class RequestLimits:
    """What this machine allows a request kind, by level ("c1", "c8")."""

    ceiling: dict[str, float]
    floor: dict[str, load.Result]

    @classmethod
    def measure(cls, seconds: float) -> RequestLimits:
        levels = ("c1", "c8")
        return cls(
            ceiling={level: request_ceiling(int(level[1:]), seconds) for level in levels},
            floor={level: framework_floor(int(level[1:]), seconds) for level in levels},
        )

    def beyond(self, level: str, rate: float, *, processes: int = 1) -> str:
        """Why ``rate`` cannot be reached at ``level``, or "". The floor is one process's:
        it says nothing of several."""
        ceiling = self.ceiling.get(level)
        if ceiling and rate > ceiling:
            return f"above the ceiling, {ceiling:,.0f}"
        floor = self.floor.get(level)
        if processes == 1 and floor and rate > floor.rate:
            return f"above the Flask floor, {floor.rate:,.0f}"
        return ""
