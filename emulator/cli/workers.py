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

A worker that dies is taken for a crash of the whole server, as one process would die
with any of its threads: the others are killed at once (so none serves a data dir a crash
left half-changed), the data dir is recovered as at start (``startup.recover_held``: a
reset cut short is undone, an upload cut short goes back to ``queued``) and N new workers
start on the same socket, whose queue keeps new connections meanwhile. Workers that keep
dying are not restarted for ever: after RESTARTS_ALLOWED within RESTART_WINDOW seconds
the server gives up. Each worker reads its stdin until it closes: when this process dies,
even by SIGKILL, its workers stop too.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

log = logging.getLogger("emulator.workers")

#: Seconds a new worker may take to say it is serving.
READY_SECONDS = 30.0
#: Seconds a worker asked to stop (SIGTERM) may take before it is killed.
STOP_SECONDS = 15.0
#: How often the workers are looked at (seconds): how long a dead one goes unnoticed.
WATCH_SECONDS = 0.05
#: Restarts allowed within RESTART_WINDOW seconds before the server gives up.
RESTARTS_ALLOWED = 5
RESTART_WINDOW = 60.0
#: What a worker prints on its stdout once it accepts connections.
READY_LINE = b"ready\n"
WORKER_COMMAND = (sys.executable, "-m", "emulator.cli.worker_process")
#: Systemd's socket activation: cheroot would take fd 3 for its socket if these were set.
NOT_INHERITED = ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES")


class WorkerError(RuntimeError):
    """A worker did not start; the message says which and how."""


def _exit_text(code: int) -> str:
    return f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"


class Supervisor:
    """Starts ``count`` workers on ``sock``, restarts them all after a crash, stops them
    (and closes ``sock``). ``stopping`` set (Ctrl+C, SIGTERM) ends the start or the watch."""

    def __init__(
        self,
        spec: dict[str, Any],
        sock: socket.socket,
        count: int,
        recover: Callable[[], None],
        stopping: threading.Event,
        lock_fd: int | None = None,
        command: Sequence[str] = WORKER_COMMAND,
    ):
        self._spec = dict(spec, fd=sock.fileno(), workers=count)
        self._sock = sock
        self._count = count
        self._recover = recover
        self._stopping = stopping
        self._command = list(command)
        # The data dir's lock lives with its open file: held by each worker too, it stays
        # held until the last one has finished, even if this process was killed first.
        self._inherit = (sock.fileno(),) if lock_fd is None else (sock.fileno(), lock_fd)
        self._env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        self._workers: list[subprocess.Popen[bytes]] = []
        self._restarts: collections.deque[float] = collections.deque(maxlen=RESTARTS_ALLOWED)

    @property
    def pids(self) -> list[int]:
        return [worker.pid for worker in self._workers]

    def start(self) -> None:
        """Start every worker and wait until each serves (or ``stopping`` is set);
        WorkerError (all stopped) if one does not."""
        line = (json.dumps(self._spec) + "\n").encode()
        for _ in range(self._count):
            worker = subprocess.Popen(
                self._command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                pass_fds=self._inherit,
                env=self._env,
            )
            self._workers.append(worker)
            assert worker.stdin is not None
            worker.stdin.write(line)
            worker.stdin.flush()
        deadline = time.monotonic() + READY_SECONDS
        for worker in self._workers:
            problem = self._wait_ready(worker, deadline)
            if problem is not None:
                self._stop_workers()
                raise WorkerError(f"worker {worker.pid} {problem}")

    def watch(self) -> bool:
        """Until ``stopping`` is set: after a worker dies, recover and start them all again.
        False if they could not be started again, or keep dying."""
        while not self._stopping.wait(WATCH_SECONDS):
            dead = [w for w in self._workers if w.poll() is not None]
            if not dead or self._stopping.is_set():  # Ctrl+C may reach workers first
                continue
            self._kill_workers()
            now = time.monotonic()
            if len(self._restarts) == RESTARTS_ALLOWED and now - self._restarts[0] < RESTART_WINDOW:
                log.error(
                    "worker %d %s: workers died %d times within %g s; giving up",
                    dead[0].pid,
                    _exit_text(dead[0].returncode),
                    RESTARTS_ALLOWED + 1,
                    RESTART_WINDOW,
                )
                self._recover()
                return False
            log.warning(
                "worker %d %s; the others were stopped at once; recovering the data dir, "
                "starting %d workers again",
                dead[0].pid,
                _exit_text(dead[0].returncode),
                self._count,
            )
            self._recover()
            self._restarts.append(now)
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
        """Ask every worker to stop (SIGTERM: it finishes what it can, as one process
        stopping does), kill those still running after STOP_SECONDS, and forget them."""
        for worker in self._workers:
            if worker.poll() is None:
                worker.terminate()
        self._reap(STOP_SECONDS)

    def _kill_workers(self) -> None:
        for worker in self._workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGKILL)
        self._reap(STOP_SECONDS)

    def _reap(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
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

    def _wait_ready(self, worker: subprocess.Popen[bytes], deadline: float) -> str | None:
        """None once ``worker`` says it serves (or ``stopping`` is set), else what went
        wrong."""
        assert worker.stdout is not None
        fd = worker.stdout.fileno()
        got = b""
        while not got.endswith(b"\n"):
            if self._stopping.is_set():
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                return f"did not start within {READY_SECONDS:g} s"
            if not select.select([fd], [], [], min(left, 0.25))[0]:
                continue
            piece = os.read(fd, 64)
            if not piece:
                worker.wait()
                return f"{_exit_text(worker.returncode)} before it served (see its messages above)"
            got += piece
        return None if got == READY_LINE else f"said {got!r} instead of being ready"
