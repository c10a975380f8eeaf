"""Idle and slow clients must not keep other clients waiting (issue 14, part 3).

Before the server read request heads in its selector thread, 32 sockets that sent nothing
held its 32 worker threads, and every other request waited for one of them to time out (30 s).
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import requests
from flask import Flask

from emulator.server import ServerThread
from tests.server.raw_http import connect, exchange, read_all, status_of

IDLE_CLIENTS = 200
SLOW_CLIENTS = 20
RUN_SECONDS = 6.0
#: Each request of the well-behaved client must be answered within this (the issue's bound).
ANSWER_WITHIN = 1.0


class Slowloris:
    """Clients that send a request head a byte a second, and never finish it."""

    def __init__(self, base_url: str, count: int):
        self.sockets = [connect(base_url) for _ in range(count)]
        for sock in self.sockets:
            sock.sendall(b"GET /versions HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        self.bytes_sent = 0
        self.failures: list[OSError] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drip, daemon=True)
        self._thread.start()

    def _drip(self) -> None:
        while not self._stop.wait(1.0):
            for sock in self.sockets:
                try:
                    sock.sendall(b"z")
                    self.bytes_sent += 1
                except OSError as exc:
                    self.failures.append(exc)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def timed_requests(base_url: str, token: str, seconds: float) -> list[tuple[str, float]]:
    """GET /versions and an authenticated GET /v2/images, again and again, on a kept-alive
    connection and on new ones; how long each took."""
    timings = []
    session = requests.Session()
    calls = [
        ("versions, kept-alive", session.get, "/versions", {}),
        ("images, kept-alive", session.get, "/v2/images", {"X-Auth-Token": token}),
        ("versions, new connection", requests.get, "/versions", {}),
        ("images, new connection", requests.get, "/v2/images", {"X-Auth-Token": token}),
    ]
    deadline = time.monotonic() + seconds
    with session:
        while time.monotonic() < deadline:
            for label, get, path, headers in calls:
                started = time.monotonic()
                response = get(base_url + path, headers=headers, timeout=5)
                timings.append((label, time.monotonic() - started))
                assert response.status_code == 200, (label, response.text)
            time.sleep(0.2)
    return timings


def test_idle_and_slowloris_clients_do_not_delay_other_requests(app: Flask, users) -> None:
    with ServerThread(app) as server:
        idle = [connect(server.base_url) for _ in range(IDLE_CLIENTS)]
        slow = Slowloris(server.base_url, SLOW_CLIENTS)
        try:
            timings = timed_requests(server.base_url, users.tokens["producer"], RUN_SECONDS)
            still_open = server.server.open_connections
        finally:
            slow.close()
            for sock in idle:
                sock.close()
    assert len(timings) >= 20
    slowest = max(timings, key=lambda timing: timing[1])
    assert slowest[1] < ANSWER_WITHIN, f"{slowest[0]} took {slowest[1]:.2f} s"
    # The idle and slow clients were held open all along: present, and harmless.
    assert not slow.failures
    assert slow.bytes_sent >= SLOW_CLIENTS * 3
    assert still_open >= IDLE_CLIENTS + SLOW_CLIENTS


def test_a_head_unfinished_after_head_timeout_gets_408(app: Flask) -> None:
    with ServerThread(app, head_timeout=1.0) as server, connect(server.base_url) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /versions HTTP/1.1\r\nHost: localhost\r\n")
        sock.settimeout(0.4)
        answer = b""
        # Bytes keep coming: the time counts from the head's first byte, not its last.
        try:
            while time.monotonic() - started < 8:
                try:
                    piece = sock.recv(4096)
                except TimeoutError:
                    sock.sendall(b"X")
                    continue
                if not piece:
                    break
                answer += piece
        except (BrokenPipeError, ConnectionResetError):
            pass  # a byte sent just after the server closed: the answer came before
        took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert 0.9 <= took < 4


@pytest.mark.parametrize("authenticated", [True, False], ids=["app-reads-body", "app-refuses"])
def test_a_body_that_stops_arriving_is_answered_after_idle_timeout(
    app: Flask, users, authenticated: bool
) -> None:
    token = f"X-Auth-Token: {users.tokens['producer']}\r\n" if authenticated else ""
    head = (
        "POST /v2/images HTTP/1.1\r\nHost: localhost\r\n" + token + "Content-Type: "
        "application/json\r\nContent-Length: 100\r\n\r\n"
    )
    with ServerThread(app, idle_timeout=1.0) as server, connect(server.base_url) as sock:
        started = time.monotonic()
        sock.sendall(head.encode() + b'{"name": ')
        answer = read_all(sock)
        took = time.monotonic() - started
    assert status_of(answer) == (400 if authenticated else 401), answer[:300]
    assert b"\r\nConnection: close\r\n" in answer
    assert 0.9 <= took < 5


def test_heads_in_small_pieces_and_pipelined_requests_reach_the_app_intact(
    app: Flask, users
) -> None:
    tags = [f"{index:02}" + "a" * 250 for index in range(12)]  # a body of some 3 kB
    body = json.dumps({"name": "sent-in-pieces", "tags": tags}).encode()
    token = users.tokens["producer"]
    create = (
        f"POST /v2/images HTTP/1.1\r\nHost: localhost\r\nX-Auth-Token: {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    listing = (
        f"GET /v2/images?name=sent-in-pieces HTTP/1.1\r\nHost: localhost\r\n"
        f"X-Auth-Token: {token}\r\nConnection: close\r\n\r\n"
    ).encode()
    data = create + listing
    with ServerThread(app) as server, connect(server.base_url) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for start in range(0, 600, 6):  # the first head, a few bytes at a time
            sock.sendall(data[start : start + 6])
            time.sleep(0.002)
        sock.sendall(data[600:])  # the rest, with the second request, at once
        answer = read_all(sock)
    assert answer.count(b"HTTP/1.1 201 ") == 1, answer[:500]
    assert answer.count(b"HTTP/1.1 200 ") == 1, answer[:500]
    listed = json.loads(answer[answer.rindex(b"\r\n\r\n") + 4 :])
    assert [image["name"] for image in listed["images"]] == ["sent-in-pieces"]
    assert sorted(listed["images"][0]["tags"]) == tags


def test_an_unread_body_is_read_in_pieces_and_the_connection_kept(app: Flask) -> None:
    """A refused upload's body is read before answering (else the client may see a reset
    instead of the answer), a piece at a time and only up to a limit."""
    head = (
        "PUT /v2/images/00000000-0000-0000-0000-000000000000/file HTTP/1.1\r\nHost: localhost"
        "\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n"
    )
    small = 4 << 20
    with ServerThread(app) as server:
        with connect(server.base_url) as sock:
            sock.sendall(head.format(small).encode() + bytes(small))
            sock.sendall(b"GET /versions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            answer = read_all(sock)
        assert answer.startswith(b"HTTP/1.1 401 ")
        assert b"HTTP/1.1 200 " in answer  # the same connection carried the next request

        huge = 1 << 40  # far past the limit: answered at once, and the connection closed
        with connect(server.base_url) as sock:
            sock.sendall(head.format(huge).encode() + bytes(65536))
            answer = read_all(sock)
        assert answer.startswith(b"HTTP/1.1 401 ")
        assert b"\r\nConnection: close\r\n" in answer


def test_past_max_connections_the_longest_waiting_connection_makes_room(app: Flask) -> None:
    with ServerThread(app, max_connections=4) as server:
        idle = [connect(server.base_url, timeout=5) for _ in range(4)]
        try:
            wait_for(lambda: server.server.open_connections == 4)
            answer = exchange(
                server.base_url, b"GET /versions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            assert status_of(answer) == 200
            assert read_all(idle[0]) == b""  # the oldest was closed to make room
            for sock in idle[1:]:
                sock.setblocking(False)
                with pytest.raises(BlockingIOError):  # the others are still open
                    sock.recv(1)
        finally:
            for sock in idle:
                sock.close()


def test_when_every_connection_is_busy_a_new_one_gets_503_with_retry_after(app: Flask) -> None:
    # Two uploads whose bodies never come hold both connections in workers, for idle_timeout.
    stalled = (
        b"PUT /v2/images/00000000-0000-0000-0000-000000000000/file HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n"
    )
    with ServerThread(app, max_connections=2, idle_timeout=4.0) as server:
        busy = [connect(server.base_url) for _ in range(2)]
        try:
            for sock in busy:
                sock.sendall(stalled)
            wait_for(
                lambda: (
                    server.server.open_connections == 2 and server.server.waiting_connections == 0
                )
            )
            with connect(server.base_url, timeout=5) as sock:
                answer = read_all(sock)
        finally:
            for sock in busy:
                sock.close()
    assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    assert b"\r\nRetry-After: 1\r\n" in answer


def wait_for(condition, seconds: float = 5.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
