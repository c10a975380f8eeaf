"""Work that outlives its request: Glance's ``tasks_pool`` (an import runs after the 202).

Each job gets a unit of work of its own (its own connection, acting as the operator) and
runs on a small thread pool. A job that raises is logged; the job itself records failure
in the store (a task's ``failure`` status), so nothing here knows what a job is.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager

from emulator.core.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

Job = Callable[[UnitOfWork], None]


class Background:
    def __init__(
        self,
        unit_of_work: Callable[[], AbstractContextManager[UnitOfWork]],
        workers: int = 4,
    ):
        self._unit_of_work = unit_of_work
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="task")
        self._running: set[Future[None]] = set()
        self._lock = threading.Lock()

    def submit(self, job: Job) -> Future[None]:
        future = self._pool.submit(self._run, job)
        with self._lock:
            self._running.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._running.discard(future)

    def _run(self, job: Job) -> None:
        try:
            with self._unit_of_work() as uow:
                job(uow)
        except Exception:  # the job has recorded what it could; keep the pool alive
            log.exception("background job failed")

    def pending(self) -> list[Future[None]]:
        with self._lock:
            return list(self._running)

    def wait(self, timeout: float | None = None) -> None:
        """Block until every job submitted so far has finished (tests, shutdown)."""
        for future in self.pending():
            future.exception(timeout=timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
