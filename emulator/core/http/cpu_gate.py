"""One request runs Python at a time: more threads only fight over the GIL.

Every SQLite step and most file calls release the GIL, so with eight requests in eight
threads each step hands the GIL to another thread and back: measured with eight clients,
a 25-image list cost 3.0 ms of CPU instead of 1.0 ms and the server answered fewer
requests per second than with one client. Requests therefore take turns in ``slots``
slots; the rest wait their turn, which is shorter than the handovers they would cause.
One slot, not two: the database's pages are in memory, so a request between two SQLite
steps has nothing to wait for that another could use.

The server (``emulator/server/guard.py``) takes a request's slot before it parses the head
and keeps it to the end of the answer, and its worker pool runs the next request on the
same thread when one is waiting (``emulator/server/worker_pool.py``). Measured on the same
machine and harness, eight clients, before and after: a show 1,054 -> 2,247 req/s, a
25-image list 736 -> 1,390 (one client: 2,053 and 1,076). :class:`CpuGate`, the WSGI
side, uses the server's slot when there is one and takes its own otherwise.

A request gives its slot up while it waits for something other than the CPU: reading its
body from the client (``wsgi.input`` is wrapped, unless the server says the whole body
has already arrived, as a small JSON body has), sending a large answer to it, and a fault
rule's latency (``released``). Nothing else may hold a slot for long, and nothing can be
stuck behind one: a request that has not had a slot after ``patience`` seconds runs
without one (a writer waiting for SQLite's lock, a reset hashing gigabytes). The control
API, whose resets and loads are long, gives its slot up while it runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

ENVIRON_KEY = "emulator.cpu_gate"
#: Set by the server (``emulator/server/guard.py``) when the whole request body has
#: arrived: reading it then keeps the slot.
BODY_IN_MEMORY = "emulator.body_in_memory"
#: Set by the server: ``arrived(size)`` says whether reading ``size`` more bytes of the
#: body (-1: all of it) would find them already there (in memory or in the socket).
BODY_ARRIVED = "emulator.body_arrived"
#: Requests that run the app at once.
SLOTS = 1
#: Longest wait for a slot before a request runs without one.
PATIENCE = 0.05
#: Paths whose requests are long by nature and run without a slot.
UNGATED_PREFIXES = ("/_emulator/",)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class Holding:
    """One request's claim on a slot, given up and taken back around its waits."""

    def __init__(self, slots: Slots):
        self._slots = slots
        self.held = False

    def take(self) -> None:
        self.held = self._slots.acquire()

    def give_up(self) -> None:
        if self.held:
            self.held = False
            self._slots.release()

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """The slot given up for a wait that needs no CPU, and taken back after it."""
        if not self.held:
            yield
            return
        self.give_up()
        if self._slots.on_wait is not None:
            self._slots.on_wait()
        try:
            yield
        finally:
            self.take()


class Slots:
    """The slots requests take turns in."""

    def __init__(self, slots: int = SLOTS, patience: float = PATIENCE):
        # A semaphore, whose count the server's pool also reads (``free``).
        self._changed = threading.Condition(threading.Lock())
        self._free = slots
        self.patience = patience
        #: Called when a request gives its slot up to wait (the server's pool then lets a
        #: queued request run).
        self.on_wait: Callable[[], None] | None = None

    def hold(self) -> Holding:
        """A slot, once one is free or the patience has run out (then ``held`` is False)."""
        holding = Holding(self)
        holding.take()
        return holding

    def acquire(self) -> bool:
        """Take a slot; False if none came free within the patience."""
        with self._changed:
            if not self._changed.wait_for(self.free, self.patience):
                return False
            self._free -= 1
            return True

    def release(self) -> None:
        with self._changed:
            self._free += 1
            self._changed.notify()

    def free(self) -> bool:
        """Whether a slot is free now (a hint: it may be taken the next instant)."""
        return self._free > 0


class _YieldingInput:
    """``wsgi.input`` that gives the slot up while it waits for the client's bytes.

    With the server's ``arrived`` (``BODY_ARRIVED``), a read whose bytes have all come
    keeps the slot: giving it up would hand the next request to another thread (a small
    JSON body often comes a moment after its head, in a segment of its own)."""

    def __init__(self, stream: Any, holding: Holding, arrived: Callable[[int], bool] | None):
        self._stream = stream
        self._holding = holding
        self._arrived = arrived

    def _waiting(self, call: Callable[..., Any], *args: Any) -> Any:
        with self._holding.waiting():  # tells the server's pool the slot is free
            return call(*args)

    def read(self, *args: Any) -> bytes:
        # Passed on as given: cheroot's body reads the rest for no size, but to the end of
        # the connection for -1.
        size = args[0] if args and args[0] is not None else -1
        if self._arrived is not None and self._arrived(size):
            return self._stream.read(*args)  # type: ignore[no-any-return]
        return self._waiting(self._stream.read, *args)  # type: ignore[no-any-return]

    def readline(self, *args: Any) -> bytes:
        return self._waiting(self._stream.readline, *args)  # type: ignore[no-any-return]

    def readlines(self, *args: Any) -> list[bytes]:
        return self._waiting(self._stream.readlines, *args)  # type: ignore[no-any-return]

    def readinto(self, buffer: Any) -> int:
        if hasattr(self._stream, "readinto"):
            if self._arrived is not None and self._arrived(len(buffer)):
                return self._stream.readinto(buffer)  # type: ignore[no-any-return]
            return self._waiting(self._stream.readinto, buffer)  # type: ignore[no-any-return]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class CpuGate:
    """WSGI middleware: at most ``slots`` requests in the app at a time (see the module)."""

    def __init__(self, app: WSGIApp, slots: int | Slots = SLOTS, patience: float = PATIENCE):
        self.app = app
        self.slots = slots if isinstance(slots, Slots) else Slots(slots, patience)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # The server may have taken the request's slot already (emulator/server/guard.py
        # holds it from the request's head to the end of its answer).
        from_server = environ.get(ENVIRON_KEY)
        if environ.get("PATH_INFO", "").startswith(UNGATED_PREFIXES):
            if isinstance(from_server, Holding):
                with from_server.waiting():
                    return self.app(environ, start_response)
            return self.app(environ, start_response)
        holding = from_server if isinstance(from_server, Holding) else self.slots.hold()
        environ[ENVIRON_KEY] = holding
        if "wsgi.input" in environ and not environ.get(BODY_IN_MEMORY):
            environ["wsgi.input"] = _YieldingInput(
                environ["wsgi.input"], holding, environ.get(BODY_ARRIVED)
            )
        try:
            return self.app(environ, start_response)
        finally:
            if holding is not from_server:
                holding.give_up()


@contextmanager
def released(environ: dict[str, Any]) -> Iterator[None]:
    """Give the request's slot up for a wait that needs no CPU (a sleep)."""
    holding = environ.get(ENVIRON_KEY)
    if not isinstance(holding, Holding):
        yield
        return
    with holding.waiting():
        yield
