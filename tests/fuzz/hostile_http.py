"""A small HTTP/1.1 client over a raw socket, for requests no polite client would send.

``http.client`` and ``requests`` refuse header values with bytes outside ASCII, check
Content-Length against the body and percent-quote paths: the hostile fuzz run needs every
byte to reach the server as written. One connection per request (``Connection: close``),
a timeout on every socket operation and a cap on what is read back.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

#: The most of an answer read back (the export of a small lab, inline, fits easily).
MAX_ANSWER = 32 << 20


@dataclass
class Answer:
    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    #: The answer as it came, status line to the end.
    raw: bytes = b""

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class NoAnswer(Exception):
    """The server closed the connection, or stayed silent past the timeout, without a
    complete status line and headers."""


def send(
    host: str,
    port: int,
    method: str,
    target: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes | None = None,
    timeout: float = 15.0,
) -> Answer:
    """Send one request exactly as given and read the answer.

    ``headers`` are sent in order, as they are; ``Host`` and ``Connection: close`` are added
    unless given. A Content-Length matching ``body`` is added unless one is given (so a
    test can send a wrong one). The sending side is shut once the request is out; the
    answer's body is read to the end of the connection and de-chunked if it came chunked.
    """
    names = {name.lower() for name, _ in headers}
    lines = [method.encode("ascii") + b" " + target + b" HTTP/1.1"]
    if b"host" not in names:
        lines.append(b"Host: " + f"{host}:{port}".encode("ascii"))
    lines.extend(name + b": " + value for name, value in headers)
    if body is not None and b"content-length" not in names:
        lines.append(b"Content-Length: " + str(len(body)).encode("ascii"))
    if b"connection" not in names:
        lines.append(b"Connection: close")
    wire = b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")

    with socket.create_connection((host, port), timeout=timeout) as sock:
        try:
            sock.sendall(wire)
            # Nothing more will come, as from a client that gave up: a server waiting for
            # bytes a Content-Length promised sees the end at once, not after its timeout.
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server answered early and closed: its answer is still to be read
        raw = _read_all(sock)
    return _parse(raw, head_only=method == "HEAD")


def _read_all(sock: socket.socket) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while total <= MAX_ANSWER:
        try:
            chunk = sock.recv(1 << 16)
        except ConnectionResetError:
            break
        except TimeoutError as exc:
            raise NoAnswer(f"no end of answer within the timeout ({total} bytes read)") from exc
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _parse(raw: bytes, head_only: bool) -> Answer:
    head, separator, rest = raw.partition(b"\r\n\r\n")
    if not separator:
        raise NoAnswer(f"incomplete answer: {raw[:200]!r}")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise NoAnswer(f"bad status line: {status_line[:200]!r}")
    headers = []
    for line in header_lines:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    answer = Answer(int(parts[1]), parts[2] if len(parts) > 2 else "", headers, raw=raw)
    if head_only:
        return answer
    if "chunked" in (answer.header("Transfer-Encoding") or "").lower():
        rest = _dechunk(rest)
    else:
        length = answer.header("Content-Length")
        if length is not None and length.isdigit():
            rest = rest[: int(length)]
    answer.body = rest
    return answer


def _dechunk(data: bytes) -> bytes:
    out = []
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";", 1)[0] or b"0", 16)
        if size == 0:
            break
        out.append(data[:size])
        data = data[size + 2 :]
    return b"".join(out)
