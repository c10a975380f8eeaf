"""A body of announced length read into the app's own buffers (``readinto``), as uploads read
it: each read is filled whole however the bytes arrive, the body ends at its length, and
the next request on the connection is left for the server.
"""

from __future__ import annotations

import hashlib
import json
import time

from flask import Flask, request

from emulator.server import ServerThread
from tests.server.raw_http import connect, read_all

PIECE = 10_000  # not a divisor of anything the client sends


def reading_app() -> Flask:
    app = Flask(__name__)

    @app.put("/body")
    def body() -> dict[str, object]:
        digest, sizes = hashlib.sha256(), []
        while True:
            buffer = bytearray(PIECE)
            count = request.stream.readinto(buffer)  # type: ignore[attr-defined]
            if not count:
                break
            sizes.append(count)
            digest.update(buffer[:count])
        return {"sizes": sizes, "sha256": digest.hexdigest()}

    return app


def test_reads_are_whole_and_stop_at_the_length(tmp_path) -> None:
    body = bytes(range(256)) * 300  # 76,800 bytes
    head = (
        b"PUT /body HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    following = b"GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    with ServerThread(reading_app(), threads=2) as server, connect(server.base_url) as sock:
        # The head with a little of the body, then the rest in uneven pieces, a moment
        # apart, the last with the next request right behind it.
        sock.sendall(head + body[:1000])
        for start, end in ((1000, 7000), (7000, 40_001)):
            time.sleep(0.05)
            sock.sendall(body[start:end])
        time.sleep(0.05)
        sock.sendall(body[40_001:] + following)
        answers = read_all(sock)
    first, _, rest = answers.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 200 ")
    length = int(
        next(
            line for line in first.split(b"\r\n") if line.lower().startswith(b"content-length:")
        ).split(b":")[1]
    )
    result = json.loads(rest[:length])
    assert result["sizes"] == [PIECE] * 7 + [len(body) - 7 * PIECE]
    assert result["sha256"] == hashlib.sha256(body).hexdigest()
    assert rest[length:].startswith(b"HTTP/1.1 404 ")  # the next request was read as one
