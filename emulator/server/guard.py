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
  bytes already read (``HeadFirstReader``) as if they came from the socket;
* a head must be complete within ``head_timeout`` seconds of its first byte (else ``408``)
  and keep Glance's size limits (``emulator/server/request_head.py``); a refused head gets its
  answer, then the connection lingers up to ``LINGER_SECONDS`` discarding what the client
  still sends, so that the client reads the answer rather than a reset;
* at most ``max_connections`` are open: one more makes the server close the connection that
  has waited longest in the selector (idle, or a head still arriving), as nginx reuses idle
  keep-alive connections; if none is waiting, every connection is in a worker and the new one
  gets ``503`` with ``Retry-After``;
* requests run one at a time in a CPU slot, from the parse of the head to the end of the
  answer (``emulator/core/http/cpu_gate.py``), giving it up while they wait for their
  client; the worker pool (``emulator/server/worker_pool.py``) hands them out in turns,
  starts small and grows when a request has waited too long, up to ``max``;
* a worker that has answered a request on the only connection open waits up to
  ``FOLLOW_UP_SECONDS`` for the same client's next request (as an idle worker that can be
  handed another) and reads its head itself: one client asking again at once, as test
  suites do, skips the selector thread and the handover (up to a fifth less CPU each);
* request bodies are read by the worker, each read waiting at most ``timeout`` seconds (the
  same bound cheroot applies to idle keep-alive connections); what the app leaves unread is
  read in pieces before the answer, up to a limit, else the connection closes; a chunked
  body is read a piece of a chunk at a time (``emulator/server/request_body.py``).

Plain TCP only: TLS would need the selector thread to read through the TLS layer.
"""

from __future__ import annotations

import enum
import socket
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from cheroot import server as cheroot_server
from cheroot import wsgi

from emulator.core.http.cpu_gate import Holding, Slots
from emulator.server.gateway import GuardedGateway
from emulator.server.request_body import GuardedRequest
from emulator.server.request_head import HeadLimits, HeadReader, single_leading_slash
from emulator.server.socket_files import CoalescingWriter, HeadFirstReader
from emulator.server.worker_pool import TurnPool

#: How long a refused connection may keep sending before it is closed, and how much of it
#: is read and thrown away meanwhile.
LINGER_SECONDS = 2.0
LINGER_BYTES = 4 << 20
#: The most bytes the selector thread reads from one connection at a time.
READ_SIZE = 64 << 10
#: How long a worker waits for the next request on the connection it has just answered,
#: when that is the only connection open (GuardedServer._follow_up).
FOLLOW_UP_SECONDS = 0.002

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


class GuardedConnection(cheroot_server.HTTPConnection):
    server: GuardedServer
    rfile: HeadFirstReader
    RequestHandlerClass = GuardedRequest

    def __init__(self, server: GuardedServer, sock: socket.socket, makefile: Any = None):
        plain_files = makefile or cheroot_server.MakeFile

        def files(sock: socket.socket, mode: str, bufsize: int) -> Any:
            if "r" in mode:
                return HeadFirstReader(sock, bufsize)
            if plain_files is cheroot_server.MakeFile:
                return CoalescingWriter(sock, mode, bufsize)
            return plain_files(sock, mode, bufsize)

        super().__init__(server, sock, files)
        if isinstance(self.wfile, CoalescingWriter):
            self.wfile.waiting = self.waiting
        self.holding: Holding | None = None  # the CPU slot, while a worker has it
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

    def communicate(self) -> bool:
        """One request, from its head to the end of its answer, in a CPU slot
        (``emulator/core/http/cpu_gate.py``): the parse of the head and the writing of the
        answer are Python work too, and eight threads doing them at once cost a third
        more CPU per request than one."""
        pool = self.server.requests
        holding = pool.carried() or self.server.slots.hold()
        self.holding = holding
        try:
            kept = bool(super().communicate())
        except BaseException:
            self.holding = None
            holding.give_up()  # the worker may be on its way out (a stop, an interrupt)
            raise
        self.holding = None
        pool.carry(holding)  # for the worker's next request (worker_pool.py)
        return kept

    def waiting(self) -> AbstractContextManager[None]:
        """The slot given up while this connection waits for its client."""
        return self.holding.waiting() if self.holding is not None else nullcontext()

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
        slots: Slots | None = None,
        listen_socket: socket.socket | None = None,
        **options: Any,
    ):
        super().__init__(bind_addr, wsgi_app, **options)
        # A listening socket another process made (``--workers``), shared with its siblings.
        self._inherited = listen_socket
        self.slots = slots or Slots()
        # cheroot's pool, handing requests out in turns (worker_pool.py).
        self.requests = TurnPool(self, self.slots, min=self.requests.min, max=self.requests.max)
        self.gateway = GuardedGateway
        self.head_timeout = head_timeout
        self.max_connections = max_connections
        self.head_limits = head_limits
        # Only a backstop: workers get heads the selector thread has already checked.
        self.max_request_header_size = head_limits.largest_head + 256
        self._lock = threading.Lock()
        self._open = 0
        # Parked connections, longest-waiting first: the ones to close when full.
        self._parked: dict[GuardedConnection, None] = {}

    def bind(self, family: int, type: int, proto: int = 0) -> socket.socket:
        if self._inherited is None:
            return super().bind(family, type, proto)  # type: ignore[no-any-return]
        self.socket = self._inherited
        self.bind_addr = self._inherited.getsockname()[:2]
        return self._inherited

    def prepare(self) -> None:
        super().prepare()
        if self._inherited is not None:
            # Siblings accept from the same queue: each wakes for every new connection,
            # and those that lose the race must get EAGAIN at once (cheroot then moves
            # on), not wait out a timeout in the selector thread.
            self.socket.settimeout(0)

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
        if not (self.ready and self._follow_up(conn)):
            if self.ready:  # (checked again: a stop may have begun during the follow-up)
                self._park(conn, Stage.WAITING)
            else:
                conn.close()
        self.requests.retire_spare()

    def _follow_up(self, conn: GuardedConnection) -> bool:
        """On the only connection open, wait up to FOLLOW_UP_SECONDS for this client's next
        request, as an idle worker (so a request on a new connection can still be handed
        to it), and read its head here: a client that asks again at once (most do) is then
        answered by the same warm thread, without the round trip through the selector
        thread and a handover to a worker. True when the connection is taken care of (its
        next request is this worker's, or it is parked or closed)."""
        if FOLLOW_UP_SECONDS <= 0 or conn.rfile.has_data():
            return False
        if self._open > 1:
            # With other clients connected, the selector thread reads their next heads
            # several per wake-up, where a worker per connection would wake a thread per
            # head: following up whenever the others were idle lost up to 20% at eight.
            return False
        carried = self.requests.carried()
        if carried is not None:
            carried.give_up()  # the worker waits without the slot, as any idle worker
        if not self.requests.wait_for(conn.socket, FOLLOW_UP_SECONDS):
            return False
        conn.stage = Stage.WAITING
        conn.socket.settimeout(0)
        self._read_head(conn, own=True)
        return True

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

    def _read_head(self, conn: GuardedConnection, own: bool = False) -> None:
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
            self._dispatch(conn, own)
        else:
            self._park(conn, Stage.HEAD)

    def _dispatch(self, conn: GuardedConnection, own: bool = False) -> None:
        assert conn.head is not None
        conn.rfile.head_first.push(single_leading_slash(bytes(conn.head.received)))
        conn.head = None
        conn.stage = Stage.WORKING
        with self._lock:
            self._parked.pop(conn, None)
        conn.socket.settimeout(self.timeout)  # each body read waits at most this long
        if own and self.slots.free():
            self.requests.put_next(conn)  # read by a worker (_follow_up), which runs it next
        else:  # the worker in the slot takes it after its own, or an idle one at once
            super().process_conn(conn)

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
