"""Few requests run Python at once: more threads only fight over the GIL.

Every SQLite step and most file calls release the GIL, so with eight requests in eight
threads each step hands the GIL to another thread and back: measured with eight clients,
a 25-image list cost 3.0 ms of CPU instead of 1.0 ms and the server answered fewer
requests per second than with one client. The gate lets ``slots`` requests run the app at
a time (the rest wait their turn, which is shorter than the handovers they would cause):
the same list at eight clients then costs 1.3 ms and keeps the one-client rate.

A request gives its slot up while it waits for something other than the CPU: reading its
body from the client (``wsgi.input`` is wrapped) and a fault rule's latency
(``released``). Nothing else may hold a slot for long, and nothing can be stuck behind
one: a request that has not had a slot after ``patience`` seconds runs without one (a
writer waiting for SQLite's lock, a reset hashing gigabytes). The control API, whose
resets and loads are long, runs without a slot. Answers stream outside the gate: only
the app's call is gated, not the iteration of the body it returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

ENVIRON_KEY = "emulator.cpu_gate"
#: Requests that run the app at once: one on the CPU, one between two steps.
SLOTS = 2
#: Longest wait for a slot before a request runs without one.
PATIENCE = 0.05
#: Paths whose requests are long by nature and run without a slot.
UNGATED_PREFIXES = ("/_emulator/",)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class _Holding:
    """One request's claim on a slot, given up and taken back around its waits."""

    def __init__(self, slots: threading.Semaphore, patience: float):
        self._slots = slots
        self._patience = patience
        self.held = False

    def take(self) -> None:
        self.held = self._slots.acquire(timeout=self._patience)

    def give_up(self) -> None:
        if self.held:
            self.held = False
            self._slots.release()


class _YieldingInput:
    """``wsgi.input`` that gives the slot up while it waits for the client's bytes."""

    def __init__(self, stream: Any, holding: _Holding):
        self._stream = stream
        self._holding = holding

    def _waiting(self, call: Callable[..., Any], *args: Any) -> Any:
        if not self._holding.held:
            return call(*args)
        self._holding.give_up()
        try:
            return call(*args)
        finally:
            self._holding.take()

    def read(self, *args: Any) -> bytes:
        return self._waiting(self._stream.read, *args)  # type: ignore[no-any-return]

    def readline(self, *args: Any) -> bytes:
        return self._waiting(self._stream.readline, *args)  # type: ignore[no-any-return]

    def readlines(self, *args: Any) -> list[bytes]:
        return self._waiting(self._stream.readlines, *args)  # type: ignore[no-any-return]

    def readinto(self, buffer: Any) -> int:
        if hasattr(self._stream, "readinto"):
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

    def __init__(self, app: WSGIApp, slots: int = SLOTS, patience: float = PATIENCE):
        self.app = app
        self._slots = threading.Semaphore(slots)
        self._patience = patience

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(UNGATED_PREFIXES):
            return self.app(environ, start_response)
        holding = _Holding(self._slots, self._patience)
        holding.take()
        environ[ENVIRON_KEY] = holding
        if "wsgi.input" in environ:
            environ["wsgi.input"] = _YieldingInput(environ["wsgi.input"], holding)
        try:
            return self.app(environ, start_response)
        finally:
            holding.give_up()


@contextmanager
def released(environ: dict[str, Any]) -> Iterator[None]:
    """Give the request's slot up for a wait that needs no CPU (a sleep)."""
    holding = environ.get(ENVIRON_KEY)
    if not isinstance(holding, _Holding) or not holding.held:
        yield
        return
    holding.give_up()
    try:
        yield
    finally:
        holding.take()
