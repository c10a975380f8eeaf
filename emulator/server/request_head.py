"""A request's head (request line and header lines), read as it arrives, within Glance's limits.

The server reads each head in its selector thread, a few bytes at a time if that is how they
come, and gives the connection to a worker thread only once the head is complete
(``emulator/server/guard.py``). :class:`HeadReader` decides when that is, and refuses a head
that breaks a limit with the answer Glance's own server gave. Glance served its API with
eventlet.wsgi until release 32 (``glance/common/wsgi.py``: ``eventlet.wsgi.MAX_HEADER_LINE =
CONF.max_header_line``, default 16384), and eventlet answers before the app sees anything:

* a request line of 8192 bytes or more: ``414 Request URI Too Long`` (eventlet
  ``MAX_REQUEST_LINE``, the ``url_length_limit`` Glance left alone);
* a header line of ``max_header_line`` bytes or more: ``400 Header Line Too Long``;
* more than 65536 bytes of header lines: ``400 Headers Too Large`` (``MAX_TOTAL_HEADER_SIZE``);
* more than 100 lines, the blank line that ends them included: ``431 Too many headers``, from
  Python's ``http.client.parse_headers`` and ``http.server.send_error``, which eventlet uses.

Line lengths count the line ending, as eventlet's ``FileObjectForHeaders`` does.
"""

from __future__ import annotations

import http.server
from dataclasses import dataclass

# Defined by http.server at run time, though typeshed does not list them.
DEFAULT_ERROR_MESSAGE: str = getattr(http.server, "DEFAULT_ERROR_MESSAGE")  # noqa: B009
DEFAULT_ERROR_CONTENT_TYPE: str = getattr(http.server, "DEFAULT_ERROR_CONTENT_TYPE")  # noqa: B009

# eventlet/wsgi.py writes these bytes itself (RESPONSE_414 and handle_one_request).
REQUEST_URI_TOO_LONG = (
    b"HTTP/1.0 414 Request URI Too Long\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
)
HEADER_LINE_TOO_LONG = (
    b"HTTP/1.0 400 Header Line Too Long\r\nConnection: close\r\nContent-length: 0\r\n\r\n"
)
HEADERS_TOO_LARGE = (
    b"HTTP/1.0 400 Headers Too Large\r\nConnection: close\r\nContent-length: 0\r\n\r\n"
)


def _too_many_headers(limit: int) -> bytes:
    """What ``BaseHTTPRequestHandler.send_error(431, "Too many headers", explain)`` sends."""
    body = DEFAULT_ERROR_MESSAGE % {
        "code": 431,
        "message": "Too many headers",
        "explain": f"got more than {limit} headers",
    }
    encoded = body.encode("utf-8")
    return (
        b"HTTP/1.1 431 Too many headers\r\nConnection: close\r\n"
        + f"Content-Type: {DEFAULT_ERROR_CONTENT_TYPE}\r\n".encode("ascii")
        + f"Content-Length: {len(encoded)}\r\n\r\n".encode("ascii")
        + encoded
    )


@dataclass(frozen=True)
class HeadLimits:
    max_request_line: int = 8192
    #: Glance's ``max_header_line`` option and its default.
    max_header_line: int = 16384
    max_header_bytes: int = 65536
    #: Header lines, the blank line after them included (http.client ``_MAXHEADERS``).
    max_headers: int = 100

    @property
    def largest_head(self) -> int:
        """The most bytes a head within the limits can have: a leading blank line (which
        RFC 9112 2.2 lets a server skip, as cheroot does), the request line, the headers."""
        return 2 + (self.max_request_line - 1) + self.max_header_bytes


class HeadReader:
    """One request head, fed in pieces. After :meth:`feed`, :attr:`complete` says whether
    the head has ended; the bytes fed so far (the head and whatever followed it) are in
    :attr:`received`, for the worker to parse as if they came from the socket."""

    def __init__(self, limits: HeadLimits):
        self.limits = limits
        self.received = bytearray()
        self.complete = False
        self._line_start = 0
        self._skipped_blank_line = False
        self._request_line_seen = False
        self._header_bytes = 0
        self._header_lines = 0

    def want(self) -> int:
        """How many bytes to read next: enough to end the head or to break a limit."""
        return max(self.limits.largest_head + 1 - len(self.received), 1)

    def feed(self, data: bytes) -> bytes | None:
        """Take more bytes. Returns the refusal to send when the head breaks a limit."""
        scan_from = len(self.received)
        self.received += data
        while not self.complete:
            newline = self.received.find(b"\n", scan_from)
            if newline == -1:
                return self._check_partial_line()
            end = newline + 1
            refusal = self._end_line(end - self._line_start)
            self._line_start = scan_from = end
            if refusal is not None:
                return refusal
        return None

    def _end_line(self, length: int) -> bytes | None:
        line = bytes(self.received[self._line_start : self._line_start + length])
        blank = line in (b"\r\n", b"\n")
        if not self._request_line_seen:
            if blank and not self._skipped_blank_line:
                self._skipped_blank_line = True
                return None
            if length >= self.limits.max_request_line:
                return REQUEST_URI_TOO_LONG
            self._request_line_seen = True
            # An empty request line ends the head too: cheroot answers it with a 400.
            self.complete = blank
            return None
        if length >= self.limits.max_header_line:
            return HEADER_LINE_TOO_LONG
        self._header_bytes += length
        if self._header_bytes > self.limits.max_header_bytes:
            return HEADERS_TOO_LARGE
        self._header_lines += 1
        if self._header_lines > self.limits.max_headers:
            return _too_many_headers(self.limits.max_headers)
        self.complete = blank
        return None

    def _check_partial_line(self) -> bytes | None:
        """Refuse as soon as the line still arriving is already too long: never wait for
        (or keep) the rest of a line that will be refused anyway."""
        partial = len(self.received) - self._line_start
        if not self._request_line_seen:
            return REQUEST_URI_TOO_LONG if partial >= self.limits.max_request_line else None
        if partial >= self.limits.max_header_line:
            return HEADER_LINE_TOO_LONG
        if self._header_bytes + partial > self.limits.max_header_bytes:
            return HEADERS_TOO_LARGE
        return None


def single_leading_slash(head: bytes) -> bytes:
    """The head with a request target like ``//v2/images`` turned into ``/v2/images``.

    cheroot reads a target that starts with ``//`` as an authority (RFC 3986's
    network-path reference) and refuses it: "Absolute URI not allowed if server is not a
    proxy". Glance's servers take it as a path, and paste's URL map merges the slashes
    (``core/http/paths.MergeSlashes`` does the rest here): ``GET //v2/images`` lists
    images there. Only the request line changes; a head whose line is not
    ``METHOD //target VERSION`` is returned as it came.
    """
    start = 2 if head.startswith(b"\r\n") else 1 if head.startswith(b"\n") else 0
    end = head.find(b"\n", start)
    if end == -1:
        return head
    parts = head[start:end].split(b" ")
    if len(parts) != 3 or not parts[1].startswith(b"//"):
        return head
    parts[1] = b"/" + parts[1].lstrip(b"/")
    return head[:start] + b" ".join(parts) + head[end:]
