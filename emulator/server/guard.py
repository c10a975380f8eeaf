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
* with other clients connected, the worker in the slot keeps the connection it has just
  answered and, after each request, reads the heads that have come on those it keeps
  (``emulator/server/hot.py``): under eight clients the selector thread then sleeps, and
  requests stop passing between two threads (show c8 2,352 -> 3,170 req/s); quiet ones, and
  all of them once no request waits, go back to the selector;
* request bodies are read by the worker, each read waiting at most ``timeout`` seconds (the
  same bound cheroot applies to idle keep-alive connections); what the app leaves unread is
  read in pieces before the answer, up to a limit, else the connection closes; a chunked
  body is read a piece of a chunk at a time (``emulator/server/request_body.py``).

Each connection, its stage and deadline, is a ``GuardedConnection`` (``connection.py``).
Plain TCP only: TLS would need the selector thread to read through the TLS layer.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any

from cheroot import wsgi

from emulator.core.http.cpu_gate import Slots
from emulator.server.connection import (
    LINGER_BYTES,
    LINGER_SECONDS,
    READ_SIZE,
    GuardedConnection,
    Stage,
)
from emulator.server.gateway import GuardedGateway
from emulator.server.hot import HotConnections
from emulator.server.request_head import HeadLimits, HeadReader, single_leading_slash
from emulator.server.worker_pool import TurnPool

#: How long a worker waits for the next request on the connection it has just answered,
#: when that is the only connection open (GuardedServer._follow_up).
FOLLOW_UP_SECONDS = 0.002
_BUSY = b"Too many connections are being served; try again shortly.\n"
SERVICE_UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"
    b"Content-Type: text/plain; charset=UTF-8\r\n"
    + f"Content-Length: {len(_BUSY)}\r\n\r\n".encode("ascii")
    + _BUSY
)


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
        # Connections just answered, watched by the worker in the slot (hot.py).
        self._hot = HotConnections()
        self.requests.when_idle(self._idle)
        self.requests.on_release = self._cool_all

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
        self._hot.discard(conn)

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
        if not (self.ready and (self._follow_up(conn) or self._keep_hot(conn))):
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
        self._read_head(conn, own=True)
        return True

    def _keep_hot(self, conn: GuardedConnection) -> bool:
        """With other clients connected, keep the connection with the ones this worker (in
        the slot) polls after each request (``hot.py``), then serve those ready."""
        if self._open < 2 or conn.rfile.has_data() or not self.requests.carrying():
            return False
        # Listed as parked (closed first when the server is full) before it is kept: once
        # kept, another worker may take it and start its request at once.
        self._list_parked(conn, Stage.WAITING)
        if not self._hot.add(conn):
            return False  # parked in the selector instead
        self._serve_hot()
        return True

    def _serve_hot(self) -> None:
        """Read the heads that have come on hot connections (complete ones are queued, for
        this worker to take next); quiet ones go to the selector."""
        ready, cold = self._hot.take_ready()
        for conn in cold:
            self._cool(conn)
        for conn in ready:
            if self.ready:
                self._read_head(conn)
            else:
                conn.close()

    def _idle(self) -> None:
        """A worker found nothing queued: one last look, then the selector watches them."""
        self._serve_hot()
        if not self.requests.qsize:
            self._cool_all()

    def _cool_all(self) -> None:
        for conn in self._hot.take_all():
            self._cool(conn)

    def _cool(self, conn: GuardedConnection) -> None:
        if self.ready:
            self._park(conn, Stage.WAITING)
        else:
            conn.close()

    def stop(self) -> None:
        super().stop()
        for conn in self._hot.take_all():  # none is in the selector cheroot closed
            conn.close()

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
        self._list_parked(conn, stage)
        self._connections.put(conn)  # stamps last_used, or hands back buffered bytes

    def _list_parked(self, conn: GuardedConnection, stage: Stage) -> None:
        """``conn`` waits for its client, last in the order of those to close when full."""
        conn.stage = stage
        conn.socket.settimeout(0)  # its watcher must never wait for one client
        with self._lock:
            self._parked.pop(conn, None)
            self._parked[conn] = None

    def _read_head(self, conn: GuardedConnection, own: bool = False) -> None:
        if conn.head is None:
            conn.head = HeadReader(self.head_limits)
        head = conn.head
        try:
            if conn.rfile.has_data():
                data = conn.rfile.read1(1 << 30)  # what the last request's reads buffered
            else:
                # What has come, at once, whatever the socket's timeout: CPython keeps a
                # socket with a timeout non-blocking underneath, and its recv would first
                # poll (a system call) or need the timeout switched to 0 and back (two).
                data = os.read(conn.socket.fileno(), min(head.want(), READ_SIZE))
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
        if conn.socket.gettimeout() != self.timeout:  # it was parked (timeout 0)
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
