"""A server in a process of its own, for tests that measure its memory."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.raw_http import SERVER_SCRIPT, ServerProcess, exchange


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    if not Path("/proc/self/status").exists():
        pytest.skip("reads memory figures from /proc")
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER_SCRIPT, str(tmp_path / "data")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        base_url = f"http://127.0.0.1:{port}"
        # Listening already; this waits (in the backlog) until it serves.
        exchange(base_url, b"GET /versions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        yield ServerProcess(proc, base_url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
