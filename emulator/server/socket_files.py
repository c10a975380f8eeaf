"""The byte streams of a connection's socket, as the guarded server reads and writes them.

* The reader gives a worker first the bytes the selector thread already read (the request
  head, and whatever of the body came with it), then the socket; it can say how much of
  the body is already in memory.
* The writer holds a response head back until the first piece of the body, so a small
  answer leaves in one ``send``; a large piece goes out from the caller's buffer, and a
  file span (``core/blobs.FileSpan``: image data) from a memory map of the file, the
  request's CPU slot given up while the client takes them. The gateway tells the app it may
  send spans (``FILE_SPANS`` in the environ).

Why a map and not ``os.sendfile``: over loopback here, 1 GiB in the page cache went out at
a median 2,470-2,520 MiB/s with ``sendfile`` (the receiver then copies from the page cache
itself) and 4,240-4,430 MiB/s from a map, 1 MiB per ``send``; the bench's loopback bound
was 4,730-4,760 (ten rounds each). The map is a window of ``MAP_WINDOW`` bytes at a time,
so memory stays the same for any size. A map read past the file's end would kill the
process (SIGBUS), so each window is clipped to the file's size as it is then: image files
are renamed into place whole and never truncated (``core/blobs.py``).
"""

from __future__ import annotations

import _pyio
import mmap
import os
import socket
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from cheroot import makefile

from emulator.core.blobs import FileSpan

#: Pieces of an answer this large are sent without a copy, the CPU slot given up.
DIRECT_WRITE = 64 << 10
#: A file span is mapped this much at a time, and handed to ``send`` a piece at a time.
MAP_WINDOW = 8 << 20
SEND_PIECE = 1 << 20


class HeadFirstSocketIO(socket.SocketIO):
    """The raw reader of a connection: first the bytes the selector thread already read,
    then the socket."""

    def __init__(self, sock: socket.socket):
        super().__init__(sock, "rb")
        self._pending = memoryview(b"")
        self.timed_out = False

    @property
    def pending(self) -> memoryview:
        return self._pending

    def push(self, data: bytes) -> None:
        self._pending = memoryview(data)

    def skip(self, count: int) -> None:
        """Drop the first ``count`` pending bytes (read by other means)."""
        self._pending = self._pending[count:]

    def readinto(self, buffer: Any) -> int | None:
        if self._pending:
            count = min(len(buffer), len(self._pending))
            buffer[:count] = self._pending[:count]
            self._pending = self._pending[count:]
            return count
        try:
            return super().readinto(buffer)
        except TimeoutError:
            self.timed_out = True  # SocketIO refuses every later read (request_body.py)
            raise


class HeadFirstReader(makefile.StreamReader):
    """cheroot's buffered socket reader (byte counting, ``has_data``) over the raw reader
    above; StreamReader's own ``__init__`` would wrap a plain SocketIO."""

    def __init__(self, sock: socket.socket, bufsize: int):
        self.head_first = HeadFirstSocketIO(sock)
        _pyio.BufferedReader.__init__(self, self.head_first, bufsize)
        self.bytes_read = 0

    def readinto(self, buffer: Any) -> int:
        """Up to ``len(buffer)`` bytes straight into ``buffer``: from what is buffered, else
        from one read of the socket. _pyio's own readinto reads into a new bytes object and
        copies it over; for an upload that was four copies of each byte and a dozen Python
        calls per 64 KiB before the data reached the hashing."""
        view = memoryview(buffer).cast("B")
        state: Any = self  # _pyio's buffer, which typeshed does not describe
        with state._read_lock:
            buf: bytes = state._read_buf
            start: int = state._read_pos
            count = min(len(buf) - start, len(view))
            if count > 0:
                view[:count] = buf[start : start + count]
                state._read_pos = start + count
            else:
                count = self.head_first.readinto(view) or 0
        self.bytes_read += count
        return count

    def readline(self, size: int | None = -1) -> bytes:
        """A line (at most ``size`` bytes), cut from the buffer when the buffer holds it.
        _pyio's readline peeks and reads a piece at a time in Python: 20 us for the eight
        lines of a typical request head, where this takes 8. (cheroot asks for long header
        lines 256 bytes at a time.)"""
        state: Any = self  # _pyio's buffer, which typeshed does not describe
        with state._read_lock:
            buf: bytes = state._read_buf
            pos: int = state._read_pos
            stop = buf.find(b"\n", pos) + 1 or -1
            if size is not None and 0 <= size < (stop if stop > 0 else len(buf) + 1) - pos:
                stop = pos + size  # the line goes on past what was asked for
            if stop >= 0:
                state._read_pos = stop
                self.bytes_read += stop - pos
                return buf[pos:stop]
        return super().readline(size)  # type: ignore[no-any-return]

    def has_data(self) -> bool:
        """Whether bytes are in memory to read: buffered, or left of what the selector
        thread read (the next requests of a client that sent several at once)."""
        state: Any = self  # _pyio's buffer, which typeshed does not describe
        return len(state._read_buf) > state._read_pos or bool(self.head_first.pending)

    def pending_head(self) -> memoryview | None:
        """The bytes the selector thread read (a whole request head, and whatever came after
        it), when nothing else is buffered before them; None otherwise."""
        state: Any = self  # _pyio's buffer, which typeshed does not describe
        if len(state._read_buf) > state._read_pos or not self.head_first.pending:
            return None
        return self.head_first.pending

    def skip_pending(self, count: int) -> None:
        """``count`` bytes of :meth:`pending_head`, read from it, count as read."""
        self.head_first.skip(count)
        self.bytes_read += count

    def in_memory(self) -> int:
        """Bytes that reads will get without waiting for the socket: what the buffer holds
        and what the selector thread read past the head."""
        buffered = len(self._read_buf) - self._read_pos  # type: ignore[attr-defined]
        return buffered + len(self.head_first.pending)


class CoalescingWriter(makefile.StreamWriter):
    """cheroot's socket writer, able to hold a response head back until the first piece of
    the body (or the end of the response), so that a small answer leaves in one ``send``
    instead of two: a syscall and a lone TCP segment less per request.

    A large piece (image data) is sent straight from the caller's buffer, where cheroot's
    writer copied it into its own buffer and out again for each ``send``; and the request's
    CPU slot is given up meanwhile (``waiting``), since a client reading slowly is no work
    of ours."""

    def __init__(self, sock: socket.socket, mode: str, bufsize: int):
        super().__init__(sock, mode, bufsize)
        self.hold_next = False
        self._held = b""
        self._socket = sock
        self.waiting: Callable[[], AbstractContextManager[None]] = nullcontext

    def _flush_unlocked(self) -> None:
        """cheroot's flush, with the slot given up when the socket has no room: a client
        that stops reading must not hold every other request back."""
        self._checkClosed()
        while self._write_buf:
            sent = self._send_what_fits()
            if sent is None:  # no room: wait for the client, up to the timeout
                with self.waiting():
                    sent = self._socket.send(bytes(self._write_buf))
            del self._write_buf[:sent]

    def _send_what_fits(self) -> int | None:
        """Send what the socket has room for, at once; None when it has none. A socket with
        a timeout is non-blocking underneath, and its ``send`` would first poll for room (a
        system call per answer), so this writes to the descriptor, asked for each time: a
        closed socket's is -1, an error. A blocking socket could wait here: None."""
        if self._socket.gettimeout() is None:
            return None
        try:
            return os.write(self._socket.fileno(), self._write_buf)
        except BlockingIOError:
            return None

    def write(self, b: Any) -> Any:
        if self.hold_next:
            self.hold_next = False
            self._held = bytes(b)
            self.bytes_written += len(self._held)
            return len(self._held)
        if isinstance(b, FileSpan):
            return self._send_file(b)
        if len(b) >= DIRECT_WRITE:
            return self._write_direct(b)
        if not self._held:
            return super().write(b)
        held, self._held = self._held, b""
        makefile.BufferedWriter.write(self, held + bytes(b))
        self.bytes_written += len(b)
        return len(b)

    def _write_direct(self, b: Any) -> int:
        held, self._held = self._held, b""
        with self.waiting():
            for piece in (held, b):
                view = memoryview(piece)
                while view:  # each send waits at most the socket's timeout, as cheroot's
                    view = view[self._socket.send(view) :]
        self.bytes_written += len(b)
        return len(b)

    def _send_file(self, span: FileSpan) -> int:
        """A file span, sent from a map of the file (the module's docstring says why)."""
        held, self._held = self._held, b""
        with self.waiting():
            if held:
                self._socket.sendall(held)
            sent = self._send_mapped(span)
        self.bytes_written += sent
        if sent != span.size:  # the file is shorter than the length announced
            raise ConnectionAbortedError(f"sent {sent} of {span.size} bytes of a file")
        return sent

    def _send_mapped(self, span: FileSpan) -> int:
        """Send the span a window of the file at a time; the bytes sent (fewer than the span's
        when the file ends first). Each ``send`` waits at most the socket's timeout, as
        cheroot's do. A window is unmapped when its last view goes, here or, after an
        error, with the traceback: closing it while a view lives would be refused."""
        descriptor = span.file.fileno()
        position, end = span.offset, span.offset + span.size
        while position < end:
            base = position - position % mmap.ALLOCATIONGRANULARITY
            stop = min(end, base + MAP_WINDOW, os.fstat(descriptor).st_size)
            if stop <= position:
                break
            window = memoryview(
                mmap.mmap(descriptor, stop - base, prot=mmap.PROT_READ, offset=base)
            )
            for start in range(position - base, stop - base, SEND_PIECE):
                piece = window[start : min(start + SEND_PIECE, stop - base)]
                while piece:
                    piece = piece[self._socket.send(piece) :]
            position = stop
        return position - span.offset

    def release(self) -> None:
        """Send a head still held (a response without a body)."""
        if self._held:
            held, self._held = self._held, b""
            makefile.BufferedWriter.write(self, held)
