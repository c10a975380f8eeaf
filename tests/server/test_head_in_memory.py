"""A request head the guard read whole is parsed from memory (``GuardedRequest.parse_request``),
with cheroot's own code: each head below gets the same answer, byte for byte but the date,
and the app the same environ, as when cheroot reads the head from the socket line by line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from flask import Flask

from emulator.server import ServerThread
from emulator.server.socket_files import HeadFirstReader
from tests.server.raw_http import connect, exchange, read_all

CLOSE = b"Connection: close\r\n"
HOST = b"Host: 127.0.0.1\r\n"


def _head(line: bytes, headers: bytes = b"", body: bytes = b"") -> bytes:
    """A request that asks the server to close after it: line, Host, ``headers``."""
    return line + b"\r\n" + HOST + headers + CLOSE + b"\r\n" + body


HEADS = {
    "plain GET with a query": _head(
        b"GET /v2/images?limit=2&sort=name:asc HTTP/1.1", b"X-Auth-Token: abc\r\n"
    ),
    "POST with a body": _head(
        b"POST /v2/images HTTP/1.1",
        b"Content-Type: application/json\r\nContent-Length: 11\r\n",
        b'{"name":1}\n',
    ),
    "repeated headers, joined or replaced": _head(
        b"GET / HTTP/1.1", b"Accept: a/b\r\nX-Thing: one\r\nAccept: c/d\r\nX-Thing: two\r\n"
    ),
    "a folded header line": _head(b"GET / HTTP/1.1", b"X-Long: one\r\n two\r\n"),
    "odd names and spaces": _head(
        b"GET / HTTP/1.1", b"x-lower_case:   spaced value  \r\nX-Empty:\r\n"
    ),
    "a blank line first": b"\r\n" + _head(b"GET /versions HTTP/1.1"),
    "a lower-case method": _head(b"get /versions HTTP/1.1"),
    "HTTP/1.0 kept alive, then closed": b"GET /versions HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"
    + b"GET /versions HTTP/1.0\r\n\r\n",
    "HTTP/2.0": _head(b"GET / HTTP/2.0"),
    "no HTTP version": _head(b"GET / FOO/1.1"),
    "a version without a dot": _head(b"GET / HTTP/11"),
    "an absolute URI": _head(b"GET http://example.com/v2 HTTP/1.1"),
    "a fragment": _head(b"GET /v2/images#top HTTP/1.1"),
    "no leading slash": _head(b"GET v2/images HTTP/1.1"),
    "quoted bytes and a quoted slash": _head(b"GET /v2/a%2Fb/%41%20c HTTP/1.1"),
    "a bad quote": _head(b"GET /v2/%zz HTTP/1.1"),
    "latin-1 in the path and a header": _head(b"GET /caf\xe9 HTTP/1.1", b"X-Name: \xff\xfe\r\n"),
    "a bare LF ending a header line": _head(b"GET / HTTP/1.1", b"X-A: b\n"),
    "a bare LF ending the request line": b"GET / HTTP/1.1\n" + HOST + CLOSE + b"\r\n",
    "a header line without a colon": _head(b"GET / HTTP/1.1", b"NoColon\r\n"),
    "a chunked body": _head(
        b"POST /x HTTP/1.1", b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n"
    ),
    "an unknown transfer coding": _head(b"POST /x HTTP/1.1", b"Transfer-Encoding: gzip\r\n"),
    "Expect: 100-continue": _head(
        b"PUT /x HTTP/1.1", b"Expect: 100-continue\r\nContent-Length: 3\r\n", b"abc"
    ),
    "a negative Content-Length": _head(b"POST /x HTTP/1.1", b"Content-Length: -1\r\n"),
    "OPTIONS *": _head(b"OPTIONS * HTTP/1.1"),
    "CONNECT": _head(b"CONNECT example.com:443 HTTP/1.1"),
    "two spaces after the method": _head(b"GET  /versions HTTP/1.1"),
    "three requests in one send": b"GET /one HTTP/1.1\r\n"
    + HOST
    + b"\r\nPOST /two HTTP/1.1\r\n"
    + HOST
    + b"Content-Length: 2\r\n\r\nhi"
    + _head(b"GET /three HTTP/1.1"),
}

SEEN = (
    "PATH_INFO",
    "QUERY_STRING",
    "REQUEST_METHOD",
    "REQUEST_URI",
    "SERVER_PROTOCOL",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "wsgi.input_terminated",
    "wsgi.url_scheme",
)


def _echo(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """What the app was told about the request, and the body it read."""
    seen = {key: environ.get(key) for key in SEEN}
    seen.update({key: value for key, value in environ.items() if key.startswith("HTTP_")})
    seen["body"] = environ["wsgi.input"].read().decode("latin-1")
    answer = json.dumps(seen, sort_keys=True).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [answer]


def _echo_app() -> Flask:
    app = Flask("echo")
    app.wsgi_app = _echo  # type: ignore[method-assign]
    return app


@pytest.fixture
def echo_app() -> Flask:
    return _echo_app()


def _answers(app: Flask) -> dict[str, bytes]:
    """Each head's answer, the date taken out, from one server."""
    with ServerThread(app, threads=2) as server:
        answers = {name: exchange(server.base_url, head, timeout=5) for name, head in HEADS.items()}
    return {name: re.sub(rb"\r\nDate: [^\r]*", b"", answer) for name, answer in answers.items()}


@pytest.fixture(scope="module")
def both_ways() -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The answers with heads read from memory, and with cheroot reading the socket."""
    from_memory = _answers(_echo_app())
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(HeadFirstReader, "pending_head", lambda self: None)
        from_socket = _answers(_echo_app())
    return from_memory, from_socket


@pytest.mark.parametrize("name", HEADS)
def test_a_head_read_from_memory_gets_what_cheroots_line_reads_get(
    both_ways: tuple[dict[str, bytes], dict[str, bytes]], name: str
) -> None:
    from_memory, from_socket = both_ways
    assert from_memory[name].startswith(b"HTTP/1.")
    assert from_memory[name] == from_socket[name]


def test_the_head_is_read_from_memory(echo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The case above is not vacuous: a whole head never goes through ``readline``."""
    lines: list[bytes] = []
    real_readline = HeadFirstReader.readline

    def counting(self: HeadFirstReader, size: int | None = -1) -> bytes:
        line = real_readline(self, size)
        lines.append(line)
        return line

    monkeypatch.setattr(HeadFirstReader, "readline", counting)
    with ServerThread(echo_app, threads=2) as server, connect(server.base_url) as sock:
        sock.sendall(HEADS["three requests in one send"])
        answer = read_all(sock)
    assert answer.count(b"HTTP/1.1 200 OK") == 3
    assert b'"PATH_INFO": "/three"' in answer and b'"body": "hi"' in answer
    assert lines == []
