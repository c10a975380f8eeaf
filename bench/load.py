"""A closed-loop load generator: ``clients`` processes, each on its own keep-alive connection,
send one request kind back to back for a fixed time.

Processes, not threads: a Python client's own GIL would otherwise cap what eight clients can
send, and the figure would measure the client. Each process speaks HTTP/1.1 over a plain socket
(:class:`Connection`): it sends the bytes ``http.client`` would send, and reads each whole
response, but with a third of ``http.client``'s CPU per request (0.05 against 0.13 ms here).
That CPU is not the server's, yet at one client it adds to every request's time, and with eight
clients on a two-core machine the clients take it from the server. The server's CPU time over
the run is read from ``/proc`` when its PID is known, so a figure comes with the server's cost
per request, which a loaded machine changes far less than the rate.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: Builds request ``n`` of one client: (method, path, headers, body), or None when that
#: client has nothing more to send.
Request = tuple[str, str, dict[str, str], bytes | None]
RequestFactory = Callable[[int, int], Request | None]


@dataclass(frozen=True)
class Result:
    rate: float  # requests per second, all clients together
    count: int
    server_cpu_ms: float | None  # server CPU (user + system) per request
    #: The rate of each round, when this is the median of several (``median``).
    rounds: tuple[float, ...] = ()

    @property
    def spread(self) -> str:
        """The lowest and highest round rates ("1,392-1,922"), or "" for a single run."""
        if len(self.rounds) < 2:
            return ""
        return f"{min(self.rounds):,.0f}-{max(self.rounds):,.0f}"


def median(results: list[Result]) -> Result:
    """Runs of one kind at one level, as one figure: the median rate and the median server
    CPU per request, with every round's rate kept."""
    cpu = [result.server_cpu_ms for result in results if result.server_cpu_ms is not None]
    return Result(
        rate=statistics.median(result.rate for result in results),
        count=sum(result.count for result in results),
        server_cpu_ms=statistics.median(cpu) if cpu else None,
        rounds=tuple(result.rate for result in results),
    )


#: Methods http.client sends ``Content-Length: 0`` for when they have no body.
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class Connection:
    """One keep-alive HTTP/1.1 connection to ``host:port``. ``request`` sends what
    ``http.client`` would (``Host``, ``Accept-Encoding: identity``, ``Content-Length`` when
    there is a body or the method takes one, then the caller's headers), reads the whole
    response (by ``Content-Length``, chunked, or to the end), and returns its status. A
    response that closes the connection is followed by a new one, as http.client does."""

    def __init__(self, host: str, port: int, timeout: float):
        self._address, self._timeout = (host, port), timeout
        self._host = f"Host: {host}:{port}\r\nAccept-Encoding: identity\r\n"
        self._open()

    def _open(self) -> None:
        self._sock = socket.create_connection(self._address, timeout=self._timeout)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._file = self._sock.makefile("rb")

    def close(self) -> None:
        self._file.close()
        self._sock.close()

    def request(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> int:
        head = f"{method} {path} HTTP/1.1\r\n{self._host}"
        if body is not None or method in _BODY_METHODS:
            head += f"Content-Length: {len(body or b'')}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        message = (head + "\r\n").encode("latin-1")
        self._sock.sendall(message + body if body else message)
        return self._response(method)

    def _response(self, method: str) -> int:
        status_line = self._file.readline(65537)
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise OSError(f"not an HTTP response: {status_line[:80]!r}")
        status = int(parts[1])
        length, chunked, close = None, False, parts[0] == b"HTTP/1.0"
        while True:
            line = self._file.readline(65537)
            if line in (b"\r\n", b"\n"):
                break
            if not line:
                raise OSError("connection closed in the response head")
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = b"close" in value.lower()
        if method == "HEAD" or status in (204, 304) or status < 200:
            pass
        elif chunked:
            self._chunks()
        elif length is not None:
            self._exactly(length)
        else:
            self._file.read()
            close = True
        if close:
            self.close()
            self._open()
        return status

    def _exactly(self, count: int) -> None:
        if len(self._file.read(count)) != count:
            raise OSError("connection closed in the response body")

    def _chunks(self) -> None:
        while True:
            size = int(self._file.readline(65537).split(b";")[0], 16)
            if size == 0:
                while self._file.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return
            self._exactly(size + 2)  # the chunk and its CRLF


def _client(
    url: str,
    make: RequestFactory,
    client: int,
    seconds: float,
    start: Any,
    results: Any,
    expect: tuple[int, ...],
) -> None:
    parts = urlsplit(url)
    connection = Connection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=60)
    start.wait()
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    try:
        while time.perf_counter() < deadline:
            request = make(client, count)
            if request is None:
                break
            method, path, headers, body = request
            status = connection.request(method, path, headers, body)
            if status not in expect:
                results.put(("error", f"{method} {path}: {status}"))
                return
            count += 1
    except (OSError, ValueError) as error:
        results.put(("error", f"client {client}: {error}"))
        return
    finally:
        connection.close()
    results.put(("ok", (count, min(time.perf_counter() - started, seconds))))


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(
    url: str,
    make: RequestFactory,
    *,
    clients: int,
    seconds: float,
    server_pid: int | None = None,
    expect: tuple[int, ...] = (200,),
) -> Result:
    """Requests per second of ``make``'s requests from ``clients`` concurrent clients."""
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=_client, args=(url, make, n, seconds, start, results, expect))
        for n in range(clients)
    ]
    for worker in workers:
        worker.start()
    time.sleep(0.2)  # every client connected and waiting
    cpu_before = server_cpu_seconds(server_pid) if server_pid else None
    start.set()
    outcomes = [results.get(timeout=seconds + 120) for _ in workers]
    cpu_after = server_cpu_seconds(server_pid) if server_pid else None
    for worker in workers:
        worker.join()
    errors = [detail for kind, detail in outcomes if kind == "error"]
    if errors:
        raise SystemExit(f"load run failed: {errors[0]}")
    count = sum(done for _, (done, _ran) in outcomes)
    ran = max(ran for _, (_done, ran) in outcomes)
    cpu_ms = None
    if cpu_before is not None and cpu_after is not None and count:
        cpu_ms = (cpu_after - cpu_before) / count * 1000
    return Result(rate=count / ran if count else 0.0, count=count, server_cpu_ms=cpu_ms)
