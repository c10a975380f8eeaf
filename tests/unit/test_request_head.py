"""Request heads against eventlet's limits, as Glance's server applied them.

Each case is fed whole and one byte at a time: a slow client must get the same answer as a
fast one, and as early as the bytes allow.
"""

from __future__ import annotations

import pytest

from emulator.server.request_head import (
    HEADER_LINE_TOO_LONG,
    HEADERS_TOO_LARGE,
    REQUEST_URI_TOO_LONG,
    HeadLimits,
    HeadReader,
)

LIMITS = HeadLimits()


def request_line(length: int) -> bytes:
    """A request line of exactly ``length`` bytes, CRLF included."""
    start, end = b"GET /", b" HTTP/1.1\r\n"
    return start + b"a" * (length - len(start) - len(end)) + end


def header_line(length: int, name: bytes = b"X-Big") -> bytes:
    return name + b": " + b"v" * (length - len(name) - 4) + b"\r\n"


def headers(count: int) -> bytes:
    return b"".join(b"X-H%d: v\r\n" % i for i in range(count))


def feed_whole(data: bytes) -> tuple[HeadReader, bytes | None]:
    reader = HeadReader(LIMITS)
    return reader, reader.feed(data)


def feed_bytewise(data: bytes) -> tuple[HeadReader, bytes | None, int]:
    """Feed one byte at a time until an answer; also returns how many bytes that took."""
    reader = HeadReader(LIMITS)
    for index in range(len(data)):
        refusal = reader.feed(data[index : index + 1])
        if refusal is not None or reader.complete:
            return reader, refusal, index + 1
    return reader, None, len(data)


def status(refusal: bytes | None) -> int | None:
    return None if refusal is None else int(refusal.split(b" ", 2)[1])


HOST = b"Host: localhost\r\n"

ACCEPTED = {
    "plain": b"GET /versions HTTP/1.1\r\n" + HOST + b"\r\n",
    "lf line endings (cheroot answers those)": b"GET / HTTP/1.1\nHost: x\n\n",
    "one leading blank line": b"\r\nGET / HTTP/1.1\r\n" + HOST + b"\r\n",
    "request line one byte short": request_line(8191) + HOST + b"\r\n",
    "header line one byte short": b"GET / HTTP/1.1\r\n" + header_line(16383) + b"\r\n",
    "99 header lines and the blank one": b"GET / HTTP/1.1\r\n" + headers(99) + b"\r\n",
    "65536 bytes of header lines": (
        b"GET / HTTP/1.1\r\n"
        + b"".join(header_line(16000, b"X-%d" % i) for i in range(4))
        + header_line(65536 - 4 * 16000 - 2)
        + b"\r\n"
    ),
}

REFUSED = {
    "request line of 8192 bytes": (request_line(8192) + HOST + b"\r\n", 414, 8192),
    "header line of 16384 bytes": (
        b"GET / HTTP/1.1\r\n" + header_line(16384) + b"\r\n",
        400,
        16 + 16384,
    ),
    "megabyte header": (b"GET / HTTP/1.1\r\nX-Big: " + b"v" * (1 << 20), 400, 16 + 16384),
    "100 header lines and the blank one": (
        b"GET / HTTP/1.1\r\n" + headers(100) + b"\r\n",
        431,
        None,
    ),
    "65537 bytes of header lines": (
        b"GET / HTTP/1.1\r\n"
        + b"".join(header_line(16000, b"X-%d" % i) for i in range(4))
        + header_line(65536 - 4 * 16000 - 1)
        + b"\r\n",
        400,
        None,
    ),
}


@pytest.mark.parametrize("head", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_heads_within_the_limits_complete(head: bytes) -> None:
    reader, refusal = feed_whole(head)
    assert refusal is None and reader.complete
    bytewise, refusal, used = feed_bytewise(head)
    assert refusal is None and bytewise.complete and used == len(head)


@pytest.mark.parametrize(("head", "code", "bytes_needed"), REFUSED.values(), ids=REFUSED.keys())
def test_heads_past_the_limits_are_refused_as_eventlet_did(
    head: bytes, code: int, bytes_needed: int | None
) -> None:
    _, refusal = feed_whole(head)
    assert status(refusal) == code
    assert refusal is not None and b"Connection: close\r\n" in refusal
    _, refusal, used = feed_bytewise(head)
    assert status(refusal) == code
    if bytes_needed is not None:  # refused as soon as the line is too long, not at its end
        assert used == bytes_needed


def test_the_refusals_are_eventlets_bytes() -> None:
    assert REQUEST_URI_TOO_LONG.startswith(b"HTTP/1.0 414 Request URI Too Long\r\n")
    assert HEADER_LINE_TOO_LONG.startswith(b"HTTP/1.0 400 Header Line Too Long\r\n")
    assert HEADERS_TOO_LARGE.startswith(b"HTTP/1.0 400 Headers Too Large\r\n")
    _, refusal = feed_whole(REFUSED["100 header lines and the blank one"][0])
    assert refusal is not None
    assert refusal.startswith(b"HTTP/1.1 431 Too many headers\r\n")
    assert b"got more than 100 headers" in refusal


def test_bytes_after_the_head_are_kept_for_the_worker() -> None:
    head = b"PUT /x HTTP/1.1\r\nContent-Length: 4\r\n\r\n"
    reader, refusal = feed_whole(head + b"data" + b"GET / HTTP/1.1\r\n")
    assert refusal is None and reader.complete
    assert bytes(reader.received) == head + b"data" + b"GET / HTTP/1.1\r\n"


def test_a_second_leading_blank_line_ends_the_head_for_cheroot_to_refuse() -> None:
    reader, refusal = feed_whole(b"\r\n\r\n")
    assert refusal is None and reader.complete


def test_want_never_asks_for_more_than_a_head_can_hold() -> None:
    reader = HeadReader(LIMITS)
    assert reader.want() == LIMITS.largest_head + 1
    reader.feed(b"GET / HTTP/1.1\r\n")
    assert reader.want() == LIMITS.largest_head + 1 - 16
