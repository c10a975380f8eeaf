"""The server's connection reader: lines and reads come out as from any buffered reader,
whether the bytes were read ahead by the selector thread, sit in the buffer or still
wait in the socket."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from emulator.server.socket_files import HeadFirstReader


@pytest.fixture
def pair() -> Iterator[tuple[HeadFirstReader, socket.socket]]:
    ours, theirs = socket.socketpair()
    ours.settimeout(5)
    try:
        yield HeadFirstReader(ours, 8192), theirs
    finally:
        ours.close()
        theirs.close()


def test_lines_from_the_head_read_ahead_then_from_the_socket(pair) -> None:
    reader, client = pair
    reader.head_first.push(b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: ")
    client.sendall(b"abc\r\n\r\nbody")
    assert reader.readline() == b"GET / HTTP/1.1\r\n"
    assert reader.readline(65536) == b"Host: x\r\n"
    assert reader.readline() == b"X-Long: abc\r\n"  # the line's end came by the socket
    assert reader.readline() == b"\r\n"
    assert reader.read(4) == b"body"
    assert reader.bytes_read == len(b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: abc\r\n\r\nbody")


def test_a_line_longer_than_the_size_asked_comes_in_pieces(pair) -> None:
    reader, _client = pair
    reader.head_first.push(b"0123456789\nrest\n")
    assert reader.readline(4) == b"0123"
    assert reader.readline(100) == b"456789\n"
    assert reader.readline(None) == b"rest\n"
    assert reader.bytes_read == 16


def test_readinto_takes_the_buffered_bytes_then_one_socket_read(pair) -> None:
    reader, client = pair
    reader.head_first.push(b"line\nAB")
    assert reader.readline() == b"line\n"
    buffer = bytearray(10)
    assert reader.readinto(buffer) == 2 and buffer[:2] == b"AB"
    client.sendall(b"CDEFG")
    assert reader.readinto(buffer) == 5 and buffer[:5] == b"CDEFG"
    client.close()
    assert reader.readinto(buffer) == 0


def test_a_long_header_line_read_256_bytes_at_a_time_as_cheroot_does(pair) -> None:
    reader, client = pair
    token = b"X-Auth-Token: " + b"t" * 600 + b"\r\n"
    reader.head_first.push(token[:300])
    client.sendall(token[300:] + b"\r\n")
    pieces = []
    while not (pieces and pieces[-1].endswith(b"\n")):
        pieces.append(reader.readline(256))
    assert b"".join(pieces) == token
    assert len(pieces[0]) == 256  # cut from the buffer, the line going on past it
    assert reader.readline(256) == b"\r\n"
