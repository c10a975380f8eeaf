"""Serving the app with cheroot: in the foreground (CLI) or in a thread (tests, plugin).

cheroot (CherryPy's WSGI server: threaded, maintained, pure Python, runs in a thread) hands
the request body to the app as it arrives, so an upload is hashed and written while it
streams, a client that goes away mid-upload is noticed, and nothing is spooled first.
waitress, the first choice, buffers every request body to its own temp file before calling
the app: on this machine that capped uploads at ~330 MB/s before any work of ours (cheroot
~790 MB/s) and downloads at ~840 MB/s (cheroot ~2400 MB/s), for a trivial app.

cheroot alone let idle and slow clients hold every worker thread and read headers of any
size; ``emulator/server/guard.py`` adds what it lacks (see there). The limits below are
Glance's where it had one.
"""

from __future__ import annotations

import resource
import socket
import threading
from typing import Any

from cheroot import server as cheroot_server
from cheroot import wsgi
from flask import Flask

from emulator.core.http.cpu_gate import CpuGate, Slots
from emulator.server.guard import GuardedServer
from emulator.server.process import limit_malloc_arenas
from emulator.server.request_head import HeadLimits

SERVER_NAME = "glance-emulator"
#: Seconds a connection may wait for its next request, and each read of a request body
#: may wait for data.
IDLE_TIMEOUT = 30.0
#: Seconds from the first byte of a request head to its end.
HEAD_TIMEOUT = 10.0
#: Glance's eventlet server ran each worker with a pool of 1000 green threads.
MAX_CONNECTIONS = 1000
#: Glance's ``backlog``: connections the kernel holds for the server to accept.
REQUEST_QUEUE = 4096
#: Worker threads a server starts with; it grows up to its ``threads`` when all are busy.
#: Requests take turns in one CPU slot and the next runs on the thread that has it: under
#: the bench's eight clients the pool grew to five, as fast as with eight. Starting with
#: eight cost 1.4 MiB more at idle after that load (measured when each thread still kept a
#: SQLite connection of its own; requests now borrow one from the store's pool).
STARTING_THREADS = 4
#: File descriptors kept for everything but client connections (database, image files).
RESERVED_FILES = 64


def default_max_connections() -> int:
    """MAX_CONNECTIONS, or fewer if the process may not open that many files: past that
    limit ``accept`` fails and the server can no longer even refuse."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(1, min(MAX_CONNECTIONS, soft - RESERVED_FILES))


def make_server(
    app: Flask,
    host: str = "127.0.0.1",
    port: int = 0,
    threads: int = 32,
    *,
    idle_timeout: float = IDLE_TIMEOUT,
    head_timeout: float = HEAD_TIMEOUT,
    max_connections: int | None = None,
    head_limits: HeadLimits | None = None,
    listen_socket: socket.socket | None = None,
    **options: Any,
) -> GuardedServer:
    """A cheroot server bound to ``host:port`` (0 = a free port), not yet serving; or
    accepting from ``listen_socket`` (see :func:`listening_socket`) instead."""
    limit_malloc_arenas()
    slots = Slots()  # one request runs Python at a time (core/http/cpu_gate.py)
    server = GuardedServer(
        (host, port),
        CpuGate(app, slots),
        slots=slots,
        # Starts with a few workers and grows on demand up to `threads` (worker_pool.py).
        numthreads=min(threads, STARTING_THREADS),
        max=threads,
        server_name=SERVER_NAME,
        # Glance's `backlog` (4096): a burst of connections waits in the kernel's queue
        # until accepted, rather than being dropped for the client to retry a second later.
        request_queue_size=REQUEST_QUEUE,
        timeout=idle_timeout,
        head_timeout=head_timeout,
        max_connections=max_connections or default_max_connections(),
        head_limits=head_limits or HeadLimits(),
        shutdown_timeout=2,  # the graceful-stop wait
        listen_socket=listen_socket,
        **options,
    )
    # What the app asks to run once the server has been idle a while (worker_pool.py).
    server.requests.idle_hooks.extend(getattr(app, "extensions", {}).get("emulator.when_idle", ()))
    server.prepare()  # binds now, so the real port is known before serving
    return server


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` (0 = a free port) as cheroot's own would be,
    for server processes to accept from together (``--workers``)."""
    found = socket.getaddrinfo(
        host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE
    )
    family, kind, proto, _name, address = found[0]
    made = cheroot_server.HTTPServer.prepare_socket(
        address, family, kind, proto, nodelay=True, ssl_adapter=None, reuse_port=False
    )
    try:
        sock: socket.socket = cheroot_server.HTTPServer.bind_socket(made, address)  # type: ignore[no-untyped-call]
        sock.listen(REQUEST_QUEUE)
    except OSError:
        made.close()
        raise
    return sock


def address_url(address: tuple[Any, ...]) -> str:
    host, port = address[:2]
    if ":" in str(host):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def bound_url(server: wsgi.Server) -> str:
    return address_url(server.bind_addr)


def bound_port(server: wsgi.Server) -> int:
    return int(server.bind_addr[1])


class ServerThread:
    """Run the app on a free loopback port in a background thread."""

    def __init__(
        self,
        app: Flask,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 32,
        **options: Any,
    ):
        self.app = app
        self.server = make_server(app, host=host, port=port, threads=threads, **options)
        self.base_url = bound_url(self.server)
        self._thread = threading.Thread(target=self._run, name=SERVER_NAME, daemon=True)

    def _run(self) -> None:
        self.server.serve()

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.stop()
        self._thread.join(timeout=10)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
