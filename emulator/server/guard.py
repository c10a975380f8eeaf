"""cheroot, taught to keep slow and idle clients away from its worker threads.

cheroot (>= 10) keeps idle keep-alive connections in a selector, but it gives a *new*
connection to a worker thread at once, and the worker then reads the request line and
headers with blocking reads, each allowed ``timeout`` seconds: 32 sockets that send nothing,
or slowloris clients sending a header byte a second, held every worker (issue 14). It also
read a head of any size into memory. cheroot has no option for either, so this subclass uses
the hooks it does offer (``ConnectionClass``, ``process_conn``, ``put_conn``, and the
``last_used`` stamp its ConnectionManager expires parked connections by):

* a new connection waits in the selector, as an idle keep-alive one does;
* the selector thread reads a request head as it arrives, never waiting for a byte, and hands
  the connection to a worker only once the head is complete; the worker then parses the
  bytes already read (``_HeadFirstReader``) as if they came from the socket;
* a head must be complete within ``head_timeout`` seconds of its first byte (else ``408``)
  and keep Glance's size limits (``emulator/server/request_head.py``); a refused head gets its
  answer, then the connection lingers up to ``LINGER_SECONDS`` discarding what the client
  still sends, so that the client reads the answer rather than a reset;
* at most ``max_connections`` are open: one more makes the server close the connection that
  has waited longest in the selector (idle, or a head still arriving), as nginx reuses idle
  keep-alive connections; if none is waiting, every connection is in a worker and the new one
  gets ``503`` with ``Retry-After``;
* the worker pool starts small and grows by a thread for each complete request queued
  beyond the idle workers, up to ``max``; threads beyond the starting size retire again once
  more than ``SPARE_THREADS`` stand idle (each thread holds its own SQLite connection and
  allocator arena, so 32 standing threads cost ~20 MiB more than 8);
* request bodies are read by the worker, each read waiting at most ``timeout`` seconds (the
  same bound cheroot applies to idle keep-alive connections); what the app leaves unread is
  read in pieces before the answer, up to a limit, else the connection closes; a chunked
  body is read a piece of a chunk at a time (``emulator/server/request_body.py``).

Plain TCP only: TLS would need the selector thread to read through the TLS layer.
"""

from __future__ import annotations

import _pyio
import enum
import socket
import threading
import time
from typing import Any

from cheroot import makefile, wsgi
from cheroot import server as cheroot_server

from emulator.server.request_body import GuardedRequest
from emulator.server.request_head import HeadLimits, HeadReader, single_leading_slash

#: How long a refused connection may keep sending before it is closed, and how much of it
#: is read and thrown away meanwhile.
LINGER_SECONDS = 2.0
LINGER_BYTES = 4 << 20
#: The most bytes the selector thread reads from one connection at a time.
READ_SIZE = 64 << 10
#: Idle workers beyond the pool's starting size kept for the next burst.
SPARE_THREADS = 4

# cheroot's own answer when a request times out (HTTPConnection.communicate).
REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
_BUSY = b"Too many connections are being served; try again shortly.\n"
SERVICE_UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"
    b"Content-Type: text/plain; charset=UTF-8\r\n"
    + f"Content-Length: {len(_BUSY)}\r\n\r\n".encode("ascii")
    + _BUSY
)


class Stage(enum.Enum):
    WAITING = "parked, waiting for a request"
    HEAD = "parked, part of a request head read"
    LINGERING = "refused, reading and dropping input before closing"
    WORKING = "with a worker thread, or queued for one"


class _HeadFirstSocketIO(socket.SocketIO):
    """The raw reader of a connection: first the bytes the selector thread already read,
    then the socket."""

    def __init__(self, sock: socket.socket):
        super().__init__(sock, "rb")
        self._pending = memoryview(b"")
        self.timed_out = False

    def push(self, data: bytes) -> None:
        self._pending = memoryview(data)

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


class _HeadFirstReader(makefile.StreamReader):
    """cheroot's buffered socket reader (byte counting, ``has_data``) over the raw reader
    above; StreamReader's own ``__init__`` would wrap a plain SocketIO."""

    def __init__(self, sock: socket.socket, bufsize: int):
        self.head_first = _HeadFirstSocketIO(sock)
        _pyio.BufferedReader.__init__(self, self.head_first, bufsize)
        self.bytes_read = 0


class _CoalescingWriter(makefile.StreamWriter):
    """cheroot's socket writer, able to hold a response head back until the first piece of
    the body (or the end of the response), so that a small answer leaves in one ``send``
    instead of two: a syscall and a lone TCP segment less per request."""

    def __init__(self, sock: socket.socket, mode: str, bufsize: int):
        super().__init__(sock, mode, bufsize)
        self.hold_next = False
        self._held = b""

    def write(self, b: Any) -> Any:
        if self.hold_next:
            self.hold_next = False
            self._held = bytes(b)
            self.bytes_written += len(self._held)
            return len(self._held)
        if not self._held:
            return super().write(b)
        held, self._held = self._held, b""
        makefile.BufferedWriter.write(self, held + bytes(b))
        self.bytes_written += len(b)
        return len(b)

    def release(self) -> None:
        """Send a head still held (a response without a body)."""
        if self._held:
            held, self._held = self._held, b""
            makefile.BufferedWriter.write(self, held)


class GuardedConnection(cheroot_server.HTTPConnection):
    server: GuardedServer
    rfile: _HeadFirstReader
    RequestHandlerClass = GuardedRequest

    def __init__(self, server: GuardedServer, sock: socket.socket, makefile: Any = None):
        plain_files = makefile or cheroot_server.MakeFile

        def files(sock: socket.socket, mode: str, bufsize: int) -> Any:
            if "r" in mode:
                return _HeadFirstReader(sock, bufsize)
            if plain_files is cheroot_server.MakeFile:
                return _CoalescingWriter(sock, mode, bufsize)
            return plain_files(sock, mode, bufsize)

        super().__init__(server, sock, files)
        self.stage: Stage | None = None  # None until the server has admitted it
        self.head: HeadReader | None = None
        self.deadline = 0.0
        self.lingered = 0
        self._counted = server.count_opened()

    # cheroot's ConnectionManager stamps ``last_used`` when a connection is parked and
    # closes it once ``last_used < now - server.timeout``. Each stage has its own deadline,
    # so ``last_used`` is derived from it: only a connection waiting for a request gets
    # ``timeout`` seconds from the time it was parked.
    @property  # type: ignore[override]
    def last_used(self) -> float:
        return self.deadline - self.server.timeout

    @last_used.setter
    def last_used(self, now: float) -> None:
        if self.stage is Stage.WAITING:
            self.deadline = now + self.server.timeout

    def send_now(self, data: bytes) -> bool:
        """Send a short answer without waiting: True if all of it went out."""
        try:
            self.socket.settimeout(0)
            return self.socket.send(data) == len(data)
        except OSError:
            return False

    def discard_input(self, most: int) -> bytes | None:
        """Read and drop what has arrived, without waiting. ``b""`` at end of input, None
        when nothing is waiting; otherwise the last piece read."""
        piece: bytes | None = None
        while most > 0:
            try:
                piece = self.socket.recv(min(READ_SIZE, most))
            except BlockingIOError:
                return piece
            except OSError:
                return b""
            if not piece:
                return b""
            most -= len(piece)
            self.lingered += len(piece)
        return piece

    def hang_up(self) -> None:
        """End the connection from any thread: the selector then finds it at end of input
        and closes it."""
        try:
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        if self.stage is Stage.HEAD and time.time() >= self.deadline:
            self.send_now(REQUEST_TIMEOUT)
            self.discard_input(READ_SIZE)  # input left unread would turn the close into a reset
        try:
            super().close()
        finally:
            if self._counted:
                self._counted = False
                self.server.count_closed(self)


class GuardedServer(wsgi.Server):
    ConnectionClass = GuardedConnection
    # cheroot closes a connection after its response once this many are parked; the
    # connection limit below is what bounds them here.
    keep_alive_conn_limit = None

    def __init__(
        self,
        bind_addr: tuple[str, int],
        wsgi_app: Any,
        *,
        head_timeout: float,
        max_connections: int,
        head_limits: HeadLimits,
        **options: Any,
    ):
        super().__init__(bind_addr, wsgi_app, **options)
        self.head_timeout = head_timeout
        self.max_connections = max_connections
        self.head_limits = head_limits
        # Only a backstop: workers get heads the selector thread has already checked.
        self.max_request_header_size = head_limits.largest_head + 256
        self._lock = threading.Lock()
        self._pool_lock = threading.Lock()
        self._open = 0
        # Parked connections, longest-waiting first: the ones to close when full.
        self._parked: dict[GuardedConnection, None] = {}

    @property
    def open_connections(self) -> int:
        return self._open

    @property
    def waiting_connections(self) -> int:
        """Connections parked in the selector: idle, or with a head still arriving."""
        return len(self._parked)

    def count_opened(self) -> bool:
        with self._lock:
            self._open += 1
        return True

    def count_closed(self, conn: GuardedConnection) -> None:
        with self._lock:
            self._open -= 1
            self._parked.pop(conn, None)

    # cheroot calls this with a new connection, with a parked one that became readable
    # (both from the selector thread), and with one a worker gave back with bytes of a
    # next request already buffered (from that worker).
    def process_conn(self, conn: GuardedConnection) -> None:  # type: ignore[override]
        if conn.stage is None:
            self._admit(conn)
        elif conn.stage is Stage.LINGERING:
            self._linger_on(conn)
        else:
            self._read_head(conn)

    def put_conn(self, conn: GuardedConnection) -> None:  # type: ignore[override]
        """A worker is done with a request and the connection stays open."""
        if self.ready:
            self._park(conn, Stage.WAITING)
        else:
            conn.close()
        self._retire_spare_worker()

    # cheroot's ThreadPool.grow waits for each new thread in steps of 0.1 s, too long for
    # the selector thread; a new worker takes requests as soon as it runs, so it is only
    # started here. Both touch the pool's thread list (cheroot < 12, pinned).
    def _grow_if_all_busy(self) -> None:
        """A worker more for each request queued beyond the idle workers."""
        pool = self.requests
        with self._pool_lock:
            wanted = min(pool.qsize - pool.idle, pool.max - len(pool._threads))
            for _ in range(wanted):
                pool._threads.append(pool._spawn_worker())

    def _retire_spare_worker(self) -> None:
        pool = self.requests
        with self._pool_lock:
            if len(pool._threads) > pool.min and pool.idle > SPARE_THREADS:
                pool.shrink(1)

    def _admit(self, conn: GuardedConnection) -> None:
        victim = None
        with self._lock:
            full = self._open > self.max_connections
            if full and self._parked:
                victim = next(iter(self._parked))
                del self._parked[victim]
        if full and victim is None:
            conn.send_now(SERVICE_UNAVAILABLE)
            conn.discard_input(READ_SIZE)  # input left unread would turn the close into a reset
            conn.close()
            return
        if victim is not None:
            victim.hang_up()
        self._park(conn, Stage.WAITING)

    def _park(self, conn: GuardedConnection, stage: Stage) -> None:
        conn.stage = stage
        conn.socket.settimeout(0)  # the selector thread must never wait for one client
        with self._lock:
            self._parked.pop(conn, None)
            self._parked[conn] = None
        self._connections.put(conn)  # stamps last_used, or hands back buffered bytes

    def _read_head(self, conn: GuardedConnection) -> None:
        if conn.head is None:
            conn.head = HeadReader(self.head_limits)
        head = conn.head
        try:
            if conn.rfile.has_data():
                data = conn.rfile.read1(1 << 30)  # what the last request's reads buffered
            else:
                data = conn.socket.recv(min(head.want(), READ_SIZE))
        except BlockingIOError:
            self._park(conn, conn.stage or Stage.WAITING)
            return
        except OSError:
            conn.close()
            return
        if not data:
            if head.received:
                self._dispatch(conn)  # cheroot answers a head cut short with a 400
            else:
                conn.close()
            return
        if conn.stage is Stage.WAITING:
            conn.stage = Stage.HEAD
            conn.deadline = time.time() + self.head_timeout
        refusal = head.feed(data)
        if refusal is not None:
            self._refuse(conn, refusal)
        elif head.complete:
            self._dispatch(conn)
        else:
            self._park(conn, Stage.HEAD)

    def _dispatch(self, conn: GuardedConnection) -> None:
        assert conn.head is not None
        conn.rfile.head_first.push(single_leading_slash(bytes(conn.head.received)))
        conn.head = None
        conn.stage = Stage.WORKING
        with self._lock:
            self._parked.pop(conn, None)
        conn.socket.settimeout(self.timeout)  # each body read waits at most this long
        super().process_conn(conn)
        self._grow_if_all_busy()

    def _refuse(self, conn: GuardedConnection, answer: bytes) -> None:
        conn.head = None
        conn.stage = Stage.LINGERING
        conn.deadline = time.time() + LINGER_SECONDS
        if not conn.send_now(answer):
            conn.close()
            return
        try:
            conn.socket.shutdown(socket.SHUT_WR)  # the answer is all there is
        except OSError:
            conn.close()
            return
        self._park(conn, Stage.LINGERING)

    def _linger_on(self, conn: GuardedConnection) -> None:
        last = conn.discard_input(16 * READ_SIZE)
        if last == b"" or conn.lingered >= LINGER_BYTES:
            conn.close()
        else:
            self._park(conn, Stage.LINGERING)
