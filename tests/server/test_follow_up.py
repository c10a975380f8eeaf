"""A worker that has answered a request on the only connection open waits a moment for
the same client's next request and reads it itself (server/guard.py ``_follow_up``): the
selector thread never sees it. While it waits it is an idle worker like any other, so a
request on another connection is handed to it at once, and a stop ends its wait."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from emulator.server import ServerThread, guard

LONG = 10.0


def _thread_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answers with the name of the thread that ran it."""
    body = threading.current_thread().name.encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


def _ask(connection: socket.socket, path: str = "/") -> bytes:
    connection.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        piece = connection.recv(4096)
        assert piece, answer
        answer += piece
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += connection.recv(4096)
    assert head.startswith(b"HTTP/1.1 200"), head
    return body


@contextmanager
def _server(monkeypatch: pytest.MonkeyPatch, wait: float) -> Iterator[tuple[Any, int]]:
    monkeypatch.setattr(guard, "FOLLOW_UP_SECONDS", wait)
    server = ServerThread(_thread_app).start()  # type: ignore[arg-type]
    try:
        yield server.server, int(server.base_url.rsplit(":", 1)[1])
    finally:
        server.stop()


def _count_selector_reads(monkeypatch: pytest.MonkeyPatch, server: Any) -> list[int]:
    """Heads the selector thread hands on (process_conn with a connection it parked)."""
    seen = [0]
    original = server.process_conn

    def counting(conn: Any) -> None:
        if conn.stage is not None:
            seen[0] += 1
        original(conn)

    monkeypatch.setattr(server, "process_conn", counting)
    return seen


@pytest.mark.parametrize("wait", [LONG, 0.0], ids=["follow-up", "no-follow-up"])
def test_a_client_asking_again_at_once_is_read_by_its_worker(
    monkeypatch: pytest.MonkeyPatch, wait: float
) -> None:
    with _server(monkeypatch, wait) as (server, port):
        seen = _count_selector_reads(monkeypatch, server)
        with socket.create_connection(("127.0.0.1", port)) as connection:
            names = {_ask(connection) for _ in range(20)}
            reads = seen[0]
        # Only the first head goes through the selector when the worker follows up; with
        # the follow-up off, every one does.
        assert reads == (1 if wait else 20)
        assert len(names) == 1


def test_a_request_on_another_connection_goes_to_the_worker_waiting_for_its_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with _server(monkeypatch, LONG) as (server, port):
        with socket.create_connection(("127.0.0.1", port)) as first:
            waiting_worker = _ask(first)  # its worker now waits for first's next request
            time.sleep(0.05)
            with socket.create_connection(("127.0.0.1", port)) as second:
                started = time.monotonic()
                answered_by = _ask(second)
                took = time.monotonic() - started
            # Handed to the waiting worker (the last to go idle), without waiting out its
            # follow-up or the slot's patience.
            assert answered_by == waiting_worker
            assert took < 1.0
            assert _ask(first)  # and first's connection was parked, still served


def test_a_client_that_hangs_up_while_its_worker_waits_is_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with _server(monkeypatch, LONG) as (server, port):
        with socket.create_connection(("127.0.0.1", port)) as connection:
            _ask(connection)
            time.sleep(0.05)
        deadline = time.monotonic() + LONG
        while server.open_connections and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.open_connections == 0


def test_a_head_trickling_in_during_the_follow_up_is_still_bounded_by_the_head_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with _server(monkeypatch, LONG) as (server, port):
        server.head_timeout = 0.3
        with socket.create_connection(("127.0.0.1", port)) as connection:
            _ask(connection)
            _assert_408_after_half_a_head(connection, b"GET / HTTP/1.1\r\n")


def _assert_408_after_half_a_head(connection: socket.socket, half: bytes) -> None:
    """``half`` of a head and nothing more gets a 408 within seconds, then nothing."""
    connection.sendall(half)
    connection.settimeout(LONG)
    started = time.monotonic()
    answer = connection.recv(4096)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started < 5.0
    assert _ask_again_refused(connection)


def _ask_again_refused(connection: socket.socket) -> bool:
    try:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        return connection.recv(4096) == b""
    except OSError:
        return True


def test_a_stop_ends_a_workers_wait_for_its_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "FOLLOW_UP_SECONDS", 60.0)
    server = ServerThread(_thread_app).start()  # type: ignore[arg-type]
    port = int(server.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as connection:
        _ask(connection)
        time.sleep(0.05)  # the worker now waits up to a minute for this client
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 5.0
