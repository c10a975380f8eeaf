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

HEADS = {
    "plain GET with a query": b"GET /v2/images?limit=2&sort=name:asc HTTP/1.1\r\n"
    + HOST
    + b"X-Auth-Token: abc\r\n"
    + CLOSE
    + b"\r\n",
    "POST with a body": b"POST /v2/images HTTP/1.1\r\n"
    + HOST
    + b"Content-Type: application/json\r\nContent-Length: 11\r\n"
    + CLOSE
    + b'\r\n{"name":1}\n',
    "repeated headers, joined or replaced": b"GET / HTTP/1.1\r\n"
    + HOST
    + b"Accept: a/b\r\nX-Thing: one\r\nAccept: c/d\r\nX-Thing: two\r\n"
    + CLOSE
    + b"\r\n",
    "a folded header line": b"GET / HTTP/1.1\r\n"
    + HOST
    + b"X-Long: one\r\n two\r\n"
    + CLOSE
    + b"\r\n",
    "odd names and spaces": b"GET / HTTP/1.1\r\n"
    + HOST
    + b"x-lower_case:   spaced value  \r\nX-Empty:\r\n"
    + CLOSE
    + b"\r\n",
    "a blank line first": b"\r\nGET /versions HTTP/1.1\r\n" + HOST + CLOSE + b"\r\n",
    "a lower-case method": b"get /versions HTTP/1.1\r\n" + HOST + CLOSE + b"\r\n",
    "HTTP/1.0 kept alive, then closed": b"GET /versions HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"
    + b"GET /versions HTTP/1.0\r\n\r\n",
    "HTTP/2.0": b"GET / HTTP/2.0\r\n" + HOST + CLOSE + b"\r\n",
    "no HTTP version": b"GET / FOO/1.1\r\n" + HOST + CLOSE + b"\r\n",
    "a version without a dot": b"GET / HTTP/11\r\n" + HOST + CLOSE + b"\r\n",
    "an absolute URI": b"GET http://example.com/v2 HTTP/1.1\r\n" + HOST + CLOSE + b"\r\n",
    "a fragment": b"GET /v2/images#top HTTP/1.1\r\n" + HOST + CLOSE + b"\r\n",
    "no leading slash": b"GET v2/images HTTP/1.1\r\n" + HOST + CLOSE + b"\r\n",
    "quoted bytes and a quoted slash": b"GET /v2/a%2Fb/%41%20c HTTP/1.1\r\n"
    + HOST
    + CLOSE
    + b"\r\n",
    "a bad quote": b"GET /v2/%zz HTTP/1.1\r\n" + HOST + CLOSE + b"\r\n",
    "latin-1 in the path and a header": b"GET /caf\xe9 HTTP/1.1\r\n"
    + HOST
    + b"X-Name: \xff\xfe\r\n"
    + CLOSE
    + b"\r\n",
    "a bare LF ending a header line": b"GET / HTTP/1.1\r\n" + HOST + b"X-A: b\n" + CLOSE + b"\r\n",
    "a bare LF ending the request line": b"GET / HTTP/1.1\n" + HOST + CLOSE + b"\r\n",
    "a header line without a colon": b"GET / HTTP/1.1\r\n"
    + HOST
    + b"NoColon\r\n"
    + CLOSE
    + b"\r\n",
    "a chunked body": b"POST /x HTTP/1.1\r\n"
    + HOST
    + b"Transfer-Encoding: chunked\r\n"
    + CLOSE
    + b"\r\n5\r\nhello\r\n0\r\n\r\n",
    "an unknown transfer coding": b"POST /x HTTP/1.1\r\n"
    + HOST
    + b"Transfer-Encoding: gzip\r\n"
    + CLOSE
    + b"\r\n",
    "Expect: 100-continue": b"PUT /x HTTP/1.1\r\n"
    + HOST
    + b"Expect: 100-continue\r\nContent-Length: 3\r\n"
    + CLOSE
    + b"\r\nabc",
    "a negative Content-Length": b"POST /x HTTP/1.1\r\n"
    + HOST
    + b"Content-Length: -1\r\n"
    + CLOSE
    + b"\r\n",
    "OPTIONS *": b"OPTIONS * HTTP/1.1\r\n" + HOST + CLOSE + b"\r\n",
    "CONNECT": b"CONNECT example.com:443 HTTP/1.1\r\n" + HOST + CLOSE + b"\r\n",
    "two spaces after the method": b"GET  /versions HTTP/1.1\r\n" + HOST + CLOSE + b"\r\n",
    "three requests in one send": b"GET /one HTTP/1.1\r\n"
    + HOST
    + b"\r\nPOST /two HTTP/1.1\r\n"
    + HOST
    + b"Content-Length: 2\r\n\r\nhi"
    + b"GET /three HTTP/1.1\r\n"
    + HOST
    + CLOSE
    + b"\r\n",
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
