"""Once the server has been idle a moment, the worker pool's watcher runs the app's idle hooks
(the emulator's closes database connections a burst opened) and gives the memory malloc
holds free back to the system (server/process.py ``release_freed_memory``), once per idle
spell, never while requests keep coming and never while one runs."""

from __future__ import annotations

import http.client
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from emulator.app import create_app
from emulator.server import ServerThread, process, worker_pool


def _app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ["PATH_INFO"] == "/slow":
        time.sleep(0.6)  # a long request: a dozen idle periods
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


def _wait_until(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


@pytest.mark.skipif(not process.release_freed_memory(), reason="C library has no malloc_trim")
def test_freed_heap_memory_goes_back_to_the_system() -> None:
    """Freed blocks in the middle of the heap stay resident until trimmed."""
    script = textwrap.dedent(
        """
        from emulator.server.process import release_freed_memory

        def rss():
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) // 1024

        blocks = [bytearray(2000) for _ in range(40_000)]  # ~80 MiB of heap, not mmap
        kept = blocks[::64]  # live blocks all along the heap: free() cannot shrink it
        del blocks
        before = rss()
        release_freed_memory()
        print(before, rss(), len(kept))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    before, after = int(out[0]), int(out[1])
    assert before - after >= 40, (before, after)


def test_the_pool_trims_once_per_idle_spell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_pool, "IDLE_SECONDS", 0.1)
    calls: list[float] = []
    monkeypatch.setattr(worker_pool, "release_freed_memory", lambda: calls.append(0.0) or True)
    server = ServerThread(_app).start()  # type: ignore[arg-type]
    try:
        pool = server.server.requests
        assert _wait_until(lambda: pool.trims >= 1)  # the start-up's own idle spell
        time.sleep(0.5)  # still idle: no second pass
        assert pool.trims == len(calls) == 1

        port = int(server.base_url.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        busy_until = time.monotonic() + 1.0  # ten idle periods' worth of steady requests
        while time.monotonic() < busy_until:
            connection.request("GET", "/")
            assert connection.getresponse().read() == b"ok"
            time.sleep(0.005)
        assert pool.trims == 1  # never while requests keep coming
        connection.close()

        assert _wait_until(lambda: pool.trims == 2)  # the next idle spell
        time.sleep(0.3)
        assert pool.trims == len(calls) == 2
    finally:
        server.stop()


def test_no_trim_while_a_request_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long request (an upload, a slow client) takes no new request for a while, but the
    server is not idle: trimming then would make its buffers' pages fault in again."""
    monkeypatch.setattr(worker_pool, "IDLE_SECONDS", 0.05)
    monkeypatch.setattr(worker_pool, "release_freed_memory", lambda: True)
    server = ServerThread(_app).start()  # type: ignore[arg-type]
    try:
        pool = server.server.requests
        assert _wait_until(lambda: pool.trims >= 1)
        port = int(server.base_url.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for path in ("/", "/slow"):  # a request ends the idle spell, then a long one runs
            connection.request("GET", path)
            assert connection.getresponse().read() == b"ok"
        assert pool.trims == 1
        connection.close()
        assert _wait_until(lambda: pool.trims == 2)
    finally:
        server.stop()


class _AppWithHooks:
    """A WSGI app that asks the server, as the emulator's does, to run hooks when idle."""

    def __init__(self, *hooks: Callable[[], object]):
        self.extensions = {"emulator.when_idle": list(hooks)}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return _app(environ, start_response)


def test_the_apps_idle_hooks_run_once_per_idle_spell_before_the_trim(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(worker_pool, "IDLE_SECONDS", 0.1)
    order: list[str] = []
    monkeypatch.setattr(worker_pool, "release_freed_memory", lambda: order.append("trim") or True)

    def failing() -> None:
        order.append("failing")
        raise RuntimeError("a hook that fails does not stop the others, nor the trim")

    app = _AppWithHooks(failing, lambda: order.append("hook"))
    server = ServerThread(app).start()  # type: ignore[arg-type]
    try:
        pool = server.server.requests
        assert _wait_until(lambda: pool.trims >= 1)
        time.sleep(0.3)
        assert order == ["failing", "hook", "trim"]
        port = int(server.base_url.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/")
        assert connection.getresponse().read() == b"ok"
        connection.close()
        assert _wait_until(lambda: pool.trims == 2)
        assert order == ["failing", "hook", "trim"] * 2
    finally:
        server.stop()


def test_an_idle_server_keeps_one_database_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst of requests may have opened several; the idle spell closes all but one."""
    monkeypatch.setattr(worker_pool, "IDLE_SECONDS", 0.1)
    app = create_app(data_dir=tmp_path / "data")
    store = app.extensions["emulator.store"]
    server = ServerThread(app).start()
    try:
        pool = server.server.requests
        assert _wait_until(lambda: pool.trims >= 1)
        burst = [store.borrow() for _ in range(3)]  # three requests at once
        for db in burst:
            store.give_back(db)
        port = int(server.base_url.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/v2/images", headers={"X-Auth-Token": "no-such-token"})
        assert connection.getresponse().status == 401  # looked the token up: a connection
        connection.close()
        assert _wait_until(lambda: pool.trims >= 2 and store.pool.idle == 1)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/v2/images", headers={"X-Auth-Token": "no-such-token"})
        assert connection.getresponse().status == 401  # the one kept still serves
        connection.close()
        assert store.pool.opened == 3
    finally:
        server.stop()
