"""With several clients connected, the worker in the CPU slot keeps the connections it has
just answered and reads their next heads itself after each request (server/hot.py); the
selector thread takes back the quiet ones, so idle and slow clients are bounded as before.

The clients that load the server are processes of their own: client threads in the test's
process would share its GIL with the server and set the pace themselves."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from emulator.server import ServerThread, guard, hot
from tests.server.test_follow_up import (
    _ask,
    _assert_408_after_half_a_head,
    _count_selector_reads,
)

LONG = 10.0
BUSY_SECONDS = 0.001

# One keep-alive connection asking for ``seconds``, as fast as answers come, once told to go;
# prints how many it asked.
CLIENT = """
import socket, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
count = 0
with socket.create_connection(("127.0.0.1", port)) as conn:
    print("connected", flush=True)
    sys.stdin.readline()
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        count += 1
        conn.sendall(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
        got = b""
        while not got.endswith(b"ok"):
            piece = conn.recv(4096)
            assert piece, got
            got += piece
        assert got.startswith(b"HTTP/1.1 200"), got
print(count)
"""


def _app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Works a moment in the slot (a POST reads its body first), then answers "ok"."""
    if environ["REQUEST_METHOD"] == "POST":
        environ["wsgi.input"].read()
    until = time.perf_counter() + BUSY_SECONDS
    while time.perf_counter() < until:
        pass
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


@contextmanager
def _server(**options: Any) -> Iterator[tuple[Any, int]]:
    server = ServerThread(_app, **options).start()  # type: ignore[arg-type]
    try:
        yield server.server, int(server.base_url.rsplit(":", 1)[1])
    finally:
        server.stop()


def _load(port: int, clients: int, seconds: float) -> int:
    """Requests ``clients`` client processes made in ``seconds``."""
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT, str(port), str(seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(clients)
    ]
    for run in runs:  # all connected before any asks: none is ever the only one open
        assert run.stdout is not None and run.stdout.readline().strip() == "connected"
    for run in runs:
        assert run.stdin is not None
        run.stdin.write("go\n")
        run.stdin.flush()
    total = 0
    for run in runs:
        out, _ = run.communicate(timeout=120)
        assert run.returncode == 0
        total += int(out)
    return total


@pytest.mark.parametrize("kept", [True, False], ids=["kept", "not-kept"])
def test_under_several_clients_the_worker_reads_their_next_heads(
    monkeypatch: pytest.MonkeyPatch, kept: bool
) -> None:
    if not kept:
        monkeypatch.setattr(guard.GuardedServer, "_keep_hot", lambda self, conn: False)
    with _server() as (server, port):
        seen = _count_selector_reads(monkeypatch, server)
        total = _load(port, clients=4, seconds=1.5)
        reads = seen[0]
    if kept:
        # The selector reads a head only when a client was slower than the others were
        # served (its connection had gone back to it): a small share.
        assert reads < total / 2, reads
    else:
        assert reads >= total, reads  # every head, the first ones included


@contextmanager
def _busy(port: int, seconds: float = 3.0) -> Iterator[None]:
    """Four other clients (processes) asking without pause for ``seconds``, so requests
    keep coming; the block must end within that time."""
    loading = threading.Thread(target=_load, args=(port, 4, seconds))
    loading.start()
    time.sleep(0.5)  # connected and asking
    try:
        yield
    finally:
        loading.join(timeout=LONG + seconds)


def test_a_quiet_connection_still_times_out_while_others_keep_the_server_busy() -> None:
    with _server(idle_timeout=1.0) as (server, port):
        with _busy(port), socket.create_connection(("127.0.0.1", port)) as quiet:
            _ask(quiet)
            quiet.settimeout(LONG)
            started = time.monotonic()
            assert quiet.recv(4096) == b""  # closed by the server
            assert 0.9 < time.monotonic() - started < 5.0


def test_a_head_left_half_sent_gets_408_while_others_keep_the_server_busy() -> None:
    with _server() as (server, port):
        server.head_timeout = 0.5
        with _busy(port), socket.create_connection(("127.0.0.1", port)) as slow:
            _ask(slow)
            _assert_408_after_half_a_head(slow, b"GET / HTTP/1.1\r\nHost")


def test_a_client_that_hangs_up_while_others_keep_the_server_busy_is_closed() -> None:
    with _server() as (server, port):
        with _busy(port):
            for _ in range(5):
                with socket.create_connection(("127.0.0.1", port)) as gone:
                    _ask(gone)
            deadline = time.monotonic() + LONG
            while server.open_connections > 4 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert server.open_connections == 4  # the busy clients'


def test_kept_connections_are_served_while_a_request_waits_for_its_body(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The request in the slot gives it up to wait for its client: the connections its
    worker kept go back to the selector, and their next requests are answered at once,
    not after the one waiting."""
    monkeypatch.setattr(sys.modules[__name__], "BUSY_SECONDS", 0.03)
    with _server() as (server, port):
        with (
            socket.create_connection(("127.0.0.1", port)) as first,
            socket.create_connection(("127.0.0.1", port)) as uploader,
        ):
            first.settimeout(LONG)
            first.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.01)  # first's request runs; this one queues behind it
            uploader.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
            answer = b""
            while not answer.endswith(b"ok"):
                answer += first.recv(4096)
            # first's worker kept it, took the POST next, and now waits for its body.
            time.sleep(0.1)
            started = time.monotonic()
            assert _ask(first) == b"ok"
            assert time.monotonic() - started < 1.0
            uploader.sendall(b"67890")
            uploader.settimeout(LONG)
            assert uploader.recv(4096).startswith(b"HTTP/1.1 200")


# --- the kept connections themselves ----------------------------------------------------------


class _Conn:
    def __init__(self, sock: socket.socket):
        self.socket = sock


@pytest.fixture
def pairs() -> Iterator[list[tuple[_Conn, socket.socket]]]:
    made = [socket.socketpair() for _ in range(3)]
    yield [(_Conn(ours), theirs) for ours, theirs in made]
    for ours, theirs in made:
        ours.close()
        theirs.close()


def test_ready_ones_are_taken_and_quiet_ones_only_once_cold(
    monkeypatch: pytest.MonkeyPatch, pairs: list[tuple[_Conn, socket.socket]]
) -> None:
    kept = hot.HotConnections()
    for conn, _ in pairs:
        assert kept.add(conn)
    (a, a_peer), (b, b_peer), (c, _) = pairs
    a_peer.sendall(b"GET")
    b_peer.shutdown(socket.SHUT_WR)  # a client that hung up counts as ready: its end is read
    ready, cold = kept.take_ready()
    assert set(ready) == {a, b} and cold == []
    assert kept.take_ready() == ([], []) and len(kept) == 1  # c: quiet, not yet cold
    monkeypatch.setattr(hot, "HOT_SECONDS", 0.0)
    time.sleep(0.001)
    assert kept.take_ready() == ([], [c]) and len(kept) == 0


def test_a_discarded_one_is_not_taken_and_the_keeper_is_bounded(
    monkeypatch: pytest.MonkeyPatch, pairs: list[tuple[_Conn, socket.socket]]
) -> None:
    monkeypatch.setattr(hot, "HOT_MOST", 2)
    kept = hot.HotConnections()
    (a, a_peer), (b, _), (c, _) = pairs
    assert kept.add(a) and kept.add(b) and not kept.add(c)
    a_peer.sendall(b"GET")
    kept.discard(a)
    assert kept.take_ready() == ([], [])
    assert kept.take_all() == [b] and len(kept) == 0
