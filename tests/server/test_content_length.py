"""A Content-Length that is not a number of bytes: Glance's 400, at once (issue 14, found by
the hostile fuzz run, ``tests/fuzz/test_hostile_requests.py``).

cheroot read the header with ``int()``: 5,000 digits, latin-1 bytes or an empty value got
its own ``text/plain`` 400 (Glance's eventlet server sends an empty one), and ``-1``, ``+2``
or ``2_0`` passed as numbers; with ``-1`` the body read waited for the end of the
connection, holding a worker until the timeout.
"""

from __future__ import annotations

import pytest
from flask import Flask

from emulator.server import ServerThread
from emulator.server.request_body import BAD_CONTENT_LENGTH
from tests.server.raw_http import exchange

NOT_A_LENGTH = {
    "5,000 digits": b"9" * 5000,
    "latin-1": b"caf\xe9\xff",
    "empty": b"",
    "hexadecimal": b"0x2",
    "negative": b"-1",
    "signed": b"+2",
    "underscore": b"2_0",
}


@pytest.mark.parametrize("value", NOT_A_LENGTH.values(), ids=NOT_A_LENGTH.keys())
@pytest.mark.parametrize("path", [b"/v2/images", b"/identity/v3/auth/tokens", b"/_emulator/reset"])
def test_a_content_length_that_is_no_number_gets_eventlets_400(
    app: Flask, path: bytes, value: bytes
) -> None:
    with ServerThread(app, threads=2) as server:
        answer = exchange(
            server.base_url,
            b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
            b"Content-Type: application/json\r\nContent-Length: " + value + b"\r\n"
            b"Connection: close\r\n\r\n{}",
            timeout=5,  # the client does not close its side: a server reading on would wait
        )
    assert answer == BAD_CONTENT_LENGTH


def test_spaces_around_a_length_are_allowed(app: Flask) -> None:
    with ServerThread(app, threads=2) as server:
        answer = exchange(
            server.base_url,
            b"POST /versions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length:  2 \r\n"
            b"Connection: close\r\n\r\n{}",
            timeout=5,
        )
    assert answer.startswith(b"HTTP/1.1 200 ")
