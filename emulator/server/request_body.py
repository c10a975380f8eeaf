"""Reading request bodies in bounded pieces, where cheroot reads them whole.

Two places in cheroot (11) read as much of a request body as the client announces, in one
piece: the reader of chunked bodies takes each chunk whole, and before answering, the
server reads whatever the app left of a body so that the connection can carry the next
request. :class:`GuardedRequest` (the request class of ``emulator/server/guard.py``'s
connections) replaces both with reads of at most ``READ_SIZE``.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from cheroot import server as cheroot_server

if TYPE_CHECKING:
    from emulator.server.connection import GuardedConnection

#: The most bytes read from the socket at a time.
READ_SIZE = 64 << 10
#: The most of a request body the app did not read that is read and dropped after it
#: answers, to keep the connection; past that it closes (emulator/api/image_data.py
#: DRAIN_LIMIT is the same bound for refused uploads).
UNREAD_BODY_LIMIT = 64 << 20
#: The longest line announcing a chunk of a chunked body (size and extensions).
MAX_CHUNK_LINE = 4096

#: eventlet/wsgi.py ``handle_one_request`` writes these bytes for a Content-Length that is
#: negative or no number at all; Glance's API answered so.
BAD_CONTENT_LENGTH = b"HTTP/1.0 400 Bad Request\r\nConnection: close\r\nContent-length: 0\r\n\r\n"
#: Where a head whole in memory ends at the latest: cheroot stops at its first blank line.
HEAD_END = b"\r\n\r\n"
#: What cheroot's ``read_request_headers`` says when ``int()`` cannot read Content-Length.
_CHEROOT_MALFORMED_LENGTH = "Malformed Content-Length Header."


class _StreamingChunkedRFile(cheroot_server.ChunkedRFile):
    """A chunked request body, a piece of a chunk at a time. cheroot's own reader reads each
    chunk whole, whatever size its line announces: one 256 MiB chunk took 550 MB, and every
    64 KiB the app read copied the rest of the chunk. It also read a chunk-size line of any
    length."""

    def __init__(self, rfile: Any, maxlen: int):
        super().__init__(rfile, maxlen)
        self._chunk_left = 0

    def _fetch(self) -> None:  # cheroot calls it when its buffer is empty
        if self.closed:
            return
        if self._chunk_left == 0:
            self._start_chunk()
            if self.closed:
                return
        piece = self.rfile.read(min(self._chunk_left, READ_SIZE))
        if not piece:
            raise ValueError("Bad chunked transfer coding (the body ended inside a chunk)")
        self._chunk_left -= len(piece)
        self.bytes_read += len(piece)
        self.buffer += piece
        if self._chunk_left == 0 and self.rfile.read(2) != b"\r\n":
            raise ValueError("Bad chunked transfer coding (expected '\\r\\n' after a chunk)")

    def _start_chunk(self) -> None:
        line = self.rfile.readline(MAX_CHUNK_LINE + 1)
        self.bytes_read += len(line)
        if len(line) > MAX_CHUNK_LINE or not line.endswith(b"\n"):
            raise ValueError("Bad chunked transfer size line")
        size_text = line.strip().split(b";", 1)[0]
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ValueError(f"Bad chunked transfer size: {size_text[:32]!r}") from None
        if size <= 0:
            self.closed = True
        elif self.maxlen and self.bytes_read + size > self.maxlen:
            raise OSError("Request Entity Too Large")  # as cheroot's own reader says it
        self._chunk_left = max(size, 0)


class _KnownLengthRFile(cheroot_server.KnownLengthRFile):
    """A body of announced length that can also be read into a buffer the caller gives, as
    werkzeug's ``LimitedStream`` reads when its stream can: the bytes then go from the
    socket to that buffer, where ``read`` passed them through three buffers on the way."""

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` (up to what is left of the body), unless the body ends first:
        reads are whole, as ``read`` and eventlet's were, so an upload arrives in the same
        chunks whichever way it is read."""
        view = memoryview(buffer).cast("B")[: self.remaining]
        filled = 0
        while filled < len(view):
            count = self.rfile.readinto(view[filled:])
            if not count:
                break
            filled += count
        self.remaining -= filled
        return filled


class GuardedRequest(cheroot_server.HTTPRequest):
    conn: GuardedConnection

    def parse_request(self) -> None:
        """cheroot's, reading the head from memory when the selector thread has it whole.

        cheroot reads the request line and each header line with a ``readline`` through
        two Python layers (its size check, then the connection's buffer): about a quarter
        of the server's own CPU per request. The guard has already read a whole head within
        Glance's limits (``guard.py``), so the same cheroot code reads it here from a
        ``BytesIO``, and what it read is then taken off the connection's input. The answers
        do not change: the bytes and the code that judges them are the same, and a head
        within the limits is below cheroot's own size check.
        """
        pending = self.conn.rfile.pending_head()
        received = b"" if pending is None else pending.tobytes()
        if HEAD_END not in received:
            super().parse_request()
            return
        head = io.BytesIO(received)
        self.rfile = head  # what read_request_line and read_request_headers read
        try:
            self.ready = bool(self.read_request_line() and self.read_request_headers())  # type: ignore[no-untyped-call]
        finally:
            self.conn.rfile.skip_pending(head.tell())

    def read_request_headers(self) -> bool:
        """cheroot's, and a Content-Length of digits only (RFC 9110 8.6).

        cheroot reads Content-Length with ``int()``, which takes ``-1``, ``+2`` and ``2_0``
        too: with ``-1`` the app's read of the body waited for the end of the connection,
        holding a worker until the timeout. Whatever is not digits gets eventlet's 400.
        """
        if not super().read_request_headers():  # type: ignore[no-untyped-call]
            return False
        length = self.inheaders.get(b"Content-Length")
        if length is not None and not length.isdigit():
            self.simple_response("400 Bad Request", _CHEROOT_MALFORMED_LENGTH)
            return False
        return True

    def simple_response(self, status: Any, msg: Any = "") -> None:
        if msg != _CHEROOT_MALFORMED_LENGTH:
            super().simple_response(status, msg)
            return
        # cheroot's own answer is a text/plain 400 with its message; Glance's server sent
        # an empty one.
        self.close_connection = True
        try:
            self.conn.wfile.write(BAD_CONTENT_LENGTH)
        except OSError:
            pass  # the client is gone; nothing is waiting for this answer

    def respond(self) -> None:
        # cheroot's HTTPRequest.respond, with the body readers above.
        try:
            if self._open_body():
                self.server.gateway(self).respond()
                if self.ready:
                    self.ensure_headers_sent()
                if self.chunked_write:
                    self.conn.wfile.write(b"0\r\n\r\n")
        finally:
            release = getattr(self.conn.wfile, "release", None)
            if release is not None:
                release()

    def _open_body(self) -> bool:
        """Set the request's body reader; False when the announced length is refused (413)."""
        most = self.server.max_request_body_size
        if self.chunked_read:
            self.rfile = _StreamingChunkedRFile(self.conn.rfile, most)
            return True
        length = int(self.inheaders.get(b"Content-Length", 0))
        if most and most < length:
            if not self.sent_headers:
                self.simple_response(
                    "413 Request Entity Too Large",
                    "The entity sent with the request exceeds the maximum allowed bytes.",
                )
            return False
        self.rfile = _KnownLengthRFile(self.conn.rfile, length)
        return True

    def send_headers(self) -> None:
        # cheroot reads whatever the app left of the body before answering, so that the
        # connection can carry another request: in one read of any size (a 401 to a 300 MB
        # upload took 650 MB), and again after a read timed out (which fails, and the answer
        # is lost). Here it is read in pieces, up to a limit, else the connection closes.
        if not self.close_connection and int(self.status[:3]) != 413:
            self.close_connection = not self._rest_of_body_read()
        if hasattr(self.conn.wfile, "hold_next"):
            self.conn.wfile.hold_next = True  # leaves with the body's first piece
        super().send_headers()

    def _rest_of_body_read(self) -> bool:
        if self.conn.rfile.head_first.timed_out:
            return False
        if self.chunked_read:  # cheroot would read the rest as the next request
            return bool(getattr(self.rfile, "closed", False))
        remaining = getattr(self.rfile, "remaining", 0)
        if remaining > UNREAD_BODY_LIMIT:
            return False
        if remaining == 0:
            return True
        try:
            with self.conn.waiting():  # the client's pace, not work of ours
                while remaining > 0:
                    piece = self.rfile.read(min(READ_SIZE, remaining))
                    if not piece:
                        return False
                    remaining -= len(piece)
        except OSError:
            return False
        return True
