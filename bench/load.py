"""A closed-loop load generator: ``clients`` processes, each on its own keep-alive connection,
send one request kind back to back for a fixed time.

Processes, not threads: a Python client's own GIL would otherwise cap what eight clients can
send, and the figure would measure the client. Each process uses ``http.client`` directly
(requests costs more per call than the emulator's own work on a small GET). The server's CPU
time over the run is read from ``/proc`` when its PID is known, so a figure comes with the
server's cost per request, which a loaded machine changes far less than the rate.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
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
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    start.wait()
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    try:
        while time.perf_counter() < deadline:
            request = make(client, count)
            if request is None:
                break
            method, path, headers, body = request
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status not in expect:
                results.put(("error", f"{method} {path}: {response.status}"))
                return
            count += 1
    except OSError as error:
        results.put(("error", f"client {client}: {error}"))
        return
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
