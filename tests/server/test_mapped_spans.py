"""File spans sent from a map of the file (server/socket_files.py): the exact bytes from
any offset across several windows, fewer bytes and an abort when the file is shorter than
announced, and no mapping left behind when the client goes away mid-span."""

from __future__ import annotations

import hashlib
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.core.blobs import FileSpan
from emulator.server import socket_files
from emulator.server.socket_files import CoalescingWriter

SIZE = (5 << 16) + 777  # several small windows, not a multiple of a page
DATA = (hashlib.sha512(b"mapped").digest() * (SIZE // 64 + 1))[:SIZE]


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "image"
    path.write_bytes(DATA)
    return path


@pytest.fixture
def small_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows of two pages and pieces of 3,000 bytes: many of each for SIZE bytes."""
    monkeypatch.setattr(socket_files, "MAP_WINDOW", 2 * socket_files.mmap.ALLOCATIONGRANULARITY)
    monkeypatch.setattr(socket_files, "SEND_PIECE", 3000)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    ours.settimeout(10)  # as the server's sockets: non-blocking underneath
    yield ours, theirs
    ours.close()
    theirs.close()


def _received(theirs: socket.socket) -> tuple[threading.Thread, bytearray]:
    got = bytearray()

    def read() -> None:
        while chunk := theirs.recv(1 << 16):
            got.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, got


def _send(ours: socket.socket, path: Path, offset: int, size: int) -> int:
    writer = CoalescingWriter(ours, "wb", 8192)
    with path.open("rb") as handle:
        return writer.write(FileSpan(handle, offset, size))


@pytest.mark.usefixtures("small_windows")
@pytest.mark.parametrize("offset", [0, 1, 4095, 4096, 70001])
def test_a_span_is_the_files_bytes_from_any_offset(
    data_file: Path, pair: tuple[socket.socket, socket.socket], offset: int
) -> None:
    ours, theirs = pair
    reader, got = _received(theirs)
    size = SIZE - offset - 5
    assert _send(ours, data_file, offset, size) == size
    ours.shutdown(socket.SHUT_WR)
    reader.join(10)
    assert bytes(got) == DATA[offset : offset + size]


@pytest.mark.usefixtures("small_windows")
def test_a_file_shorter_than_announced_sends_what_it_has_then_aborts(
    data_file: Path, pair: tuple[socket.socket, socket.socket]
) -> None:
    ours, theirs = pair
    reader, got = _received(theirs)
    with pytest.raises(ConnectionAbortedError, match=f"sent {SIZE - 100} of {SIZE}"):
        _send(ours, data_file, 100, SIZE)
    ours.shutdown(socket.SHUT_WR)
    reader.join(10)
    assert bytes(got) == DATA[100:]


def _mapped(path: Path) -> int:
    with open("/proc/self/maps") as maps:
        return sum(str(path) in line for line in maps)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/maps")
@pytest.mark.usefixtures("small_windows")
def test_a_client_gone_mid_span_leaves_no_map_behind(
    data_file: Path, pair: tuple[socket.socket, socket.socket]
) -> None:
    """The client takes a few windows' worth, then closes: the send fails in a later
    window, and once the error is handled no window of the file is still mapped."""
    ours, theirs = pair
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)

    def take_some_then_go() -> None:
        taken = 0
        while taken < 3 * socket_files.MAP_WINDOW:
            taken += len(theirs.recv(4096))
        theirs.close()

    client = threading.Thread(target=take_some_then_go, daemon=True)
    client.start()
    with pytest.raises(OSError):
        _send(ours, data_file, 0, SIZE)
    client.join(10)
    assert _mapped(data_file) == 0
