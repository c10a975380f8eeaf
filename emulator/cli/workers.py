"""``serve --workers N``: N server processes accept from one listening socket, over the one
data dir; the process that started them only looks after them.

Why processes: one process runs Python on one core at a time, so eight clients get little
more than one does. With two workers on a two-core machine, concurrent reads go about half
as fast again (``make bench``); writes do not, as SQLite takes them one at a time anyway.

What the workers share: the database (each write is a transaction, and a long one makes
the others wait or answer 503 as in one process), the image files, the panel's signing
secret, the lock on the data dir (held here). What each keeps to itself, and so is off
with more than one: the request log and the fault rules (a log would show one worker's
share, a rule's count would be counted in each).

A worker that dies is taken for a crash of the whole server, as one process would be: the
others are stopped (they finish what they are doing), the data dir is recovered as at
start (``startup.recover_held``: a reset cut short is undone, an upload cut short goes back
to ``queued``) and N new workers start on the same socket. Each worker reads its stdin
until it closes: when this process dies, even by SIGKILL, its workers stop too.
"""

from __future__ import annotations

import json
import logging
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("emulator.workers")

#: Seconds a new worker may take to say it is serving.
READY_SECONDS = 30.0
#: Seconds a stopped worker may take to finish its requests before it is killed.
STOP_SECONDS = 15.0
#: What a worker prints on its stdout once it accepts connections.
READY_LINE = b"ready\n"


class WorkerError(RuntimeError):
    """A worker did not start; the message says which and how."""


def _exit_text(code: int) -> str:
    return f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"


class Supervisor:
    """Starts ``count`` workers on ``sock``, restarts them all after a crash, stops them
    (and closes ``sock``)."""

    def __init__(
        self,
        spec: dict[str, Any],
        sock: socket.socket,
        count: int,
        recover: Callable[[], None],
        lock_fd: int | None = None,
    ):
        self._spec = dict(spec, fd=sock.fileno(), workers=count)
        self._sock = sock
        # The data dir's lock lives with its open file: held by each worker too, it stays
        # held until the last one has finished, even if this process was killed first.
        self._inherit = (sock.fileno(),) if lock_fd is None else (sock.fileno(), lock_fd)
        self._count = count
        self._recover = recover
        self._workers: list[subprocess.Popen[bytes]] = []
        self.restarts = 0

    @property
    def pids(self) -> list[int]:
        return [worker.pid for worker in self._workers]

    def start(self) -> None:
        """Start every worker and wait until each serves; WorkerError (all stopped) if one
        does not."""
        line = (json.dumps(self._spec) + "\n").encode()
        for _ in range(self._count):
            worker = subprocess.Popen(
                [sys.executable, "-m", "emulator.cli.worker_process"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                pass_fds=self._inherit,
            )
            self._workers.append(worker)
            assert worker.stdin is not None
            worker.stdin.write(line)
            worker.stdin.flush()
        deadline = time.monotonic() + READY_SECONDS
        for worker in self._workers:
            problem = _wait_ready(worker, deadline)
            if problem is not None:
                self._stop_workers()
                raise WorkerError(f"worker {worker.pid} {problem}")

    def watch(self, stopping: threading.Event) -> bool:
        """Until ``stopping`` is set: after a worker dies, recover and start them all again.
        False if they could not be started again."""
        while not stopping.wait(0.25):
            dead = [w for w in self._workers if w.poll() is not None]
            if not dead:
                continue
            if stopping.is_set():  # Ctrl+C reached the workers first
                break
            log.warning(
                "worker %d %s; stopping the others, recovering the data dir, starting %d "
                "workers again",
                dead[0].pid,
                _exit_text(dead[0].returncode),
                self._count,
            )
            self._stop_workers()
            self._recover()
            self.restarts += 1
            try:
                self.start()
            except WorkerError as exc:
                log.error("%s", exc)
                return False
        return True

    def stop(self) -> None:
        """Stop every worker, then close the listening socket."""
        self._stop_workers()
        self._sock.close()

    def _stop_workers(self) -> None:
        """Ask every worker to stop (SIGTERM: it finishes its requests), kill those still
        running after STOP_SECONDS, and forget them."""
        for worker in self._workers:
            if worker.poll() is None:
                worker.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for worker in self._workers:
            try:
                worker.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            for pipe in (worker.stdin, worker.stdout):
                if pipe is not None:
                    try:
                        pipe.close()
                    except OSError:  # its reader is gone already
                        pass
        self._workers = []


def _wait_ready(worker: subprocess.Popen[bytes], deadline: float) -> str | None:
    """None once ``worker`` says it serves, else what went wrong."""
    assert worker.stdout is not None
    fd = worker.stdout.fileno()
    got = b""
    while not got.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return f"did not start within {READY_SECONDS:g} s"
        piece = os.read(fd, 64)
        if not piece:
            worker.wait()
            return f"{_exit_text(worker.returncode)} before it served (see its messages above)"
        got += piece
    return None if got == READY_LINE else f"said {got!r} instead of being ready"
