"""The ``--workers`` supervisor (``emulator/cli/workers.py``) with stand-in workers: small
Python processes that speak its protocol (settings on stdin, ``ready`` on stdout) and then
behave well, fail at start, or keep dying. The real workers are driven in
``tests/test_cli_workers.py``."""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from emulator.cli import workers
from emulator.cli.workers import Supervisor, WorkerError

STAND_IN = """
import os, signal, sys, time
got = b""
while not got.endswith(b"\\n"):
    got += os.read(0, 4096)
mode = sys.argv[1]
if mode == "fail":
    sys.exit(3)
if mode == "slow":
    time.sleep(60)
if mode == "stubborn":  # takes its time to stop: only SIGKILL ends it
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
else:
    signal.signal(signal.SIGTERM, lambda *args: sys.exit(0))
os.write(1, b"ready\\n")
if mode == "die":
    time.sleep(0.1)
    sys.exit(4)
while os.read(0, 4096):  # until the supervisor's end of the pipe closes
    pass
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def sock() -> Iterator[socket.socket]:
    made = socket.create_server(("127.0.0.1", 0))
    yield made
    made.close()


def supervisor(sock: socket.socket, mode: str, recovered: list[int]) -> Supervisor:
    return Supervisor(
        {"config": {}},
        sock,
        2,
        lambda: recovered.append(1),
        threading.Event(),
        command=[sys.executable, "-c", STAND_IN, mode],
    )


def test_start_and_stop(sock: socket.socket) -> None:
    recovered: list[int] = []
    running = supervisor(sock, "serve", recovered)
    running.start()
    pids = running.pids
    assert len(pids) == 2 and all(alive(pid) for pid in pids)
    running.stop()
    assert running.pids == [] and not any(alive(pid) for pid in pids)
    assert sock.fileno() == -1 and recovered == []  # closed; nothing to recover


def test_a_worker_that_fails_at_start_is_an_error_and_none_is_left(
    sock: socket.socket,
) -> None:
    running = supervisor(sock, "fail", [])
    with pytest.raises(WorkerError, match="exited with status 3 before it served"):
        running.start()
    assert running.pids == []


def test_stopping_while_workers_start_does_not_wait_for_them(sock: socket.socket) -> None:
    running = supervisor(sock, "slow", [])
    threading.Timer(0.3, running._stopping.set).start()
    began = time.monotonic()
    running.start()  # returns once stopping is set, not after READY_SECONDS
    assert time.monotonic() - began < 5
    running.stop()


def test_a_dead_worker_restarts_all_after_recovery(
    sock: socket.socket, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Workers that would take STOP_SECONDS to stop if asked: the other is killed, not asked.
    monkeypatch.setattr(workers, "STOP_SECONDS", 6.0)
    recovered: list[int] = []
    running = supervisor(sock, "stubborn", recovered)
    running.start()
    first = running.pids
    watcher = threading.Thread(target=running.watch)
    watcher.start()
    try:
        with caplog.at_level(logging.WARNING, logger="emulator.workers"):
            os.kill(first[0], 9)  # a stand-in of our own, by its pid
            deadline = time.monotonic() + 3.0
            while not (len(running.pids) == 2 and set(running.pids).isdisjoint(first)):
                assert time.monotonic() < deadline, "not restarted at once"
                time.sleep(0.02)
        # The other was killed too (not left serving before the recovery), then both anew.
        assert not alive(first[1]) and recovered == [1] and len(running.pids) == 2
        assert f"worker {first[0]} was killed by signal 9" in caplog.text
    finally:
        running._stopping.set()
        watcher.join(timeout=10)
        monkeypatch.setattr(workers, "STOP_SECONDS", 0.2)  # stubborn: killed after that
        running.stop()


def test_workers_that_keep_dying_are_given_up(
    sock: socket.socket, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(workers, "RESTARTS_ALLOWED", 2)
    recovered: list[int] = []
    running = supervisor(sock, "die", recovered)
    running.start()
    with caplog.at_level(logging.ERROR, logger="emulator.workers"):
        assert running.watch() is False
    assert "workers died 3 times within 60 s; giving up" in caplog.text
    assert recovered == [1, 1, 1]  # after each death, the last one too
    running.stop()
