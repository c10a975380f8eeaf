"""One client connection of the guarded server (``emulator/server/guard.py``): where it
is (parked, reading a head, refused, with a worker), the deadline that stage allows, and the
calls the server makes on it from any thread without waiting for the client.
"""

from __future__ import annotations

import enum
import socket
import time
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from cheroot import server as cheroot_server

from emulator.core.http.cpu_gate import Holding
from emulator.server.request_body import GuardedRequest
from emulator.server.request_head import HeadReader
from emulator.server.socket_files import CoalescingWriter, HeadFirstReader

if TYPE_CHECKING:
    from emulator.server.guard import GuardedServer

#: How long a refused connection may keep sending before it is closed, and how much of it
#: is read and thrown away meanwhile.
LINGER_SECONDS = 2.0
LINGER_BYTES = 4 << 20
#: The most bytes the selector thread reads from one connection at a time.
READ_SIZE = 64 << 10
#: cheroot's own answer when a request times out (HTTPConnection.communicate).
REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


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
        """End the connection from any thread: whoever watches it (the selector thread, or
        the worker keeping it: hot.py) then finds it at end of input and closes it."""
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
