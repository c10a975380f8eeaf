"""Requests take turns in the CPU slot (server/worker_pool.py, core/http/cpu_gate.py): the
next request waits for the worker that has the slot rather than going to another thread,
an idle worker is woken only when the slot is free, and nothing waits long behind a
request that keeps the slot."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from emulator.core.http.cpu_gate import Slots
from emulator.server import ServerThread
from emulator.server.worker_pool import SHUTDOWN, TurnQueue

LONG = 10.0


def _getter(queue: TurnQueue, got: list[Any], slots: Slots | None = None) -> threading.Thread:
    """A worker that takes one item (carrying a held slot if ``slots`` is given)."""

    def run() -> None:
        if slots is not None:
            queue.carry(slots.hold())
        got.append((threading.current_thread().name, queue.get()))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _wait_sleeping(queue: TurnQueue, count: int) -> None:
    deadline = time.monotonic() + LONG
    while len(queue._sleepers) < count:
        assert time.monotonic() < deadline
        time.sleep(0.001)


def test_an_item_goes_to_the_worker_that_went_idle_last() -> None:
    queue = TurnQueue(Slots(patience=LONG))
    got: list[Any] = []
    first = _getter(queue, got)
    _wait_sleeping(queue, 1)
    second = _getter(queue, got)
    _wait_sleeping(queue, 2)
    assert queue.put("request") is False
    second.join(LONG)
    assert got == [(second.name, "request")]
    queue.put(SHUTDOWN)
    first.join(LONG)


def test_an_item_waits_while_the_slot_is_taken_and_its_holder_takes_it_next() -> None:
    slots = Slots(patience=LONG)
    queue = TurnQueue(slots)
    sleeper_got: list[Any] = []
    sleeper = _getter(queue, sleeper_got)
    _wait_sleeping(queue, 1)
    holding = slots.hold()  # a request is running
    assert queue.put("next") is False  # queued, not handed to the sleeping worker
    assert queue.qsize() == 1 and sleeper_got == []
    queue.carry(holding)  # the running request ends on this thread...
    assert queue.get() == "next"  # ...which takes the next one, still in the slot
    assert holding.held and not slots.free()
    holding.give_up()
    queue.put(SHUTDOWN)
    sleeper.join(LONG)
    assert sleeper_got[0][1] is SHUTDOWN


def test_a_worker_with_nothing_to_do_gives_the_slot_up_before_it_sleeps() -> None:
    slots = Slots(patience=LONG)
    queue = TurnQueue(slots)
    got: list[Any] = []
    worker = _getter(queue, got, slots)
    _wait_sleeping(queue, 1)
    assert slots.free()
    queue.put(SHUTDOWN)
    worker.join(LONG)


def test_a_worker_told_to_stop_gives_its_slot_up() -> None:
    slots = Slots(patience=LONG)
    queue = TurnQueue(slots)
    holding = slots.hold()
    queue.put(SHUTDOWN)  # queued: the slot is taken and no worker sleeps
    queue.carry(holding)
    assert queue.get() is SHUTDOWN
    assert slots.free()


def test_an_item_queued_too_long_goes_to_a_sleeping_worker() -> None:
    slots = Slots(patience=LONG)
    queue = TurnQueue(slots)
    holding = slots.hold()
    assert queue.put("stuck") is False
    assert queue.hand_over(older_than=LONG) == 0  # not stale yet: nothing to do
    got: list[Any] = []
    assert queue.hand_over(older_than=0) == 1  # stale, and no worker to take it
    worker = _getter(queue, got)  # a worker comes: the queue hands it the item at once
    worker.join(LONG)
    assert got[0][1] == "stuck"
    holding.give_up()


def test_a_queued_item_with_the_slot_free_and_no_worker_asks_for_one() -> None:
    queue = TurnQueue(Slots(patience=LONG))
    assert queue.put("request") is True


def _quick_request_times(base_url: str, count: int = 20) -> list[float]:
    """Seconds each of ``count`` small requests took, one after another."""
    timings = []
    with requests.Session() as http:
        for _ in range(count):
            started = time.monotonic()
            assert http.get(f"{base_url}/quick", timeout=LONG).status_code == 200
            timings.append(time.monotonic() - started)
    return timings


def _blocking_app(release: threading.Event) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/hold":
            release.wait(LONG)  # keeps the slot: no wait the gate knows of
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    return app


def test_a_request_behind_one_that_keeps_the_slot_is_answered_soon() -> None:
    release = threading.Event()
    with ServerThread(_blocking_app(release)) as server:  # type: ignore[arg-type]
        with ThreadPoolExecutor(1) as pool:
            holder = pool.submit(requests.get, f"{server.base_url}/hold", timeout=LONG)
            time.sleep(0.1)  # the holder is in the app
            started = time.monotonic()
            assert requests.get(f"{server.base_url}/quick", timeout=LONG).status_code == 200
            waited = time.monotonic() - started
            release.set()
            assert holder.result().status_code == 200
    assert waited < 2.0


def test_a_request_behind_an_upload_waiting_for_its_body_is_not_held_up() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    with ServerThread(app) as server:  # type: ignore[arg-type]
        port = int(server.base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as upload:
            upload.sendall(b"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
            time.sleep(0.2)  # the upload's worker waits for the other 7 bytes
            timings = _quick_request_times(server.base_url)
            upload.sendall(b"defghij")
            assert upload.recv(4096).startswith(b"HTTP/1.1 200")
    # Waiting for its client, the upload holds no slot: no request waited out a patience.
    assert sorted(timings)[10] < Slots().patience


def test_a_client_that_stops_reading_holds_no_one_else_up() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/stream":  # small pieces: the buffered writer's path
            start_response("200 OK", [("Content-Length", str(4000 * 16384))])
            return (b"s" * 16384 for _ in range(4000))
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    with ServerThread(app) as server:  # type: ignore[arg-type]
        port = int(server.base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as stalled:
            stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            stalled.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")  # and never reads
            time.sleep(0.3)  # its worker is stuck in a send
            timings = _quick_request_times(server.base_url)
    assert sorted(timings)[10] < Slots().patience


def test_the_server_stops_while_an_answer_is_still_being_written() -> None:
    """A request that gives its slot up after stop() began (a large piece of its answer)
    must not start a worker that takes another's stop marker: stop() would never end."""
    first_piece_out, go_on = threading.Event(), threading.Event()
    piece = 70_000  # a large piece: sent with the slot given up

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Length", str(2 * piece))])

        def body() -> Iterator[bytes]:
            yield b"a" * piece
            first_piece_out.set()
            go_on.wait(LONG)
            yield b"b" * piece

        return body()

    server = ServerThread(app).start()  # type: ignore[arg-type]
    port = int(server.base_url.rsplit(":", 1)[1])

    def client() -> None:
        with socket.create_connection(("127.0.0.1", port)) as connection:
            connection.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
            while connection.recv(1 << 16):
                pass

    reader = threading.Thread(target=client, daemon=True)
    reader.start()
    assert first_piece_out.wait(LONG)
    stopped = threading.Event()
    stopper = threading.Thread(target=lambda: (server.stop(), stopped.set()), daemon=True)
    stopper.start()
    pool = server.server.requests
    deadline = time.monotonic() + LONG
    while pool._queue.qsize() == 0 and time.monotonic() < deadline:  # stop markers queued
        time.sleep(0.001)
    go_on.set()
    assert stopped.wait(LONG)
    reader.join(LONG)


def test_a_worker_woken_for_a_new_item_takes_the_oldest_first() -> None:
    slots = Slots(patience=LONG)
    queue = TurnQueue(slots)
    got: list[Any] = []
    worker = _getter(queue, got)
    _wait_sleeping(queue, 1)
    holding = slots.hold()
    queue.put("waiting")  # queued: the slot is taken
    holding.give_up()  # given up without a word to the pool (its request ended)
    queue.put("newest")  # the slot is free: the sleeper is woken, with the older item
    worker.join(LONG)
    assert got[0][1] == "waiting" and queue.qsize() == 1


def test_a_failing_look_at_kept_connections_leaves_the_worker_taking_requests(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The queue asks the server to look at the connections it keeps before a worker
    sleeps (server/hot.py); a failure there is logged, and the worker still gets work."""
    queue = TurnQueue(Slots())
    looked: list[int] = []

    def failing() -> None:
        looked.append(1)
        raise OSError("bad descriptor")

    queue.on_idle = failing
    got: list[Any] = []
    worker = _getter(queue, got)
    _wait_sleeping(queue, 1)
    queue.put("request")
    worker.join(LONG)
    assert [item for _name, item in got] == ["request"] and looked == [1]
    assert "looking at kept connections failed" in caplog.text
