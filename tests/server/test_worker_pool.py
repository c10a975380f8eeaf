"""The worker pool starts small, grows while every worker is busy, and shrinks back.

Twelve requests that can only finish together (each waits at a barrier for the other eleven)
need twelve workers at once: a fixed pool of the starting size would leave four of them
queued and the barrier would break.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from emulator.server import STARTING_THREADS, ServerThread
from emulator.server.worker_pool import SPARE_THREADS

TOGETHER = STARTING_THREADS + 4


def barrier_app() -> Callable[..., Iterable[bytes]]:
    barrier = threading.Barrier(TOGETHER, timeout=10)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/together":
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                start_response("503 Service Unavailable", [("Content-Length", "0")])
                return [b""]
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    return app


def test_the_pool_grows_while_all_workers_are_busy_then_shrinks_back() -> None:
    with ServerThread(barrier_app(), threads=32) as server:  # type: ignore[arg-type]
        pool = server.server.requests
        assert len(pool._threads) == STARTING_THREADS
        with ThreadPoolExecutor(TOGETHER) as clients:
            answers = list(
                clients.map(
                    lambda _: requests.get(f"{server.base_url}/together", timeout=15).status_code,
                    range(TOGETHER),
                )
            )
        assert answers == [200] * TOGETHER  # twelve workers waited at once
        with requests.Session() as http:  # idle workers retire as requests come and go
            for _ in range(2 * TOGETHER):
                assert http.get(f"{server.base_url}/quick", timeout=5).status_code == 200
        pool._clear_dead_threads()
        assert len(pool._threads) <= STARTING_THREADS + SPARE_THREADS + 1


def test_the_pool_never_grows_past_its_threads() -> None:
    with ServerThread(barrier_app(), threads=STARTING_THREADS + 2) as server:  # type: ignore[arg-type]
        pool = server.server.requests
        with ThreadPoolExecutor(TOGETHER) as clients:
            answers = list(
                clients.map(
                    lambda _: requests.get(f"{server.base_url}/together", timeout=30).status_code,
                    range(TOGETHER),
                )
            )
        # Only ten can wait at once: the barrier breaks after its timeout instead.
        assert 503 in answers
        assert len(pool._threads) <= STARTING_THREADS + 2
