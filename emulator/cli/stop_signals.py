"""Signals that stop the server, turned into a ``threading.Event`` set by a thread of its own.

A handler that set the event itself took the event's lock in the main thread, between any
two bytecodes there. A second signal handled while the first handler held that lock, or one
landing while the main thread's own ``stopping.wait`` held it, waited on it forever: the
server hung, answering nothing, until killed (seen with ``kill`` of ``make run``'s process
group, which reaches make and the server, and again on a repeat). Now the handler does
nothing; Python writes each signal's number to a socket (``signal.set_wakeup_fd``), and a
thread reading it sets the event, outside any handler.

Only imports from the standard library: a ``--workers`` worker installs this before its
slow imports.
"""

from __future__ import annotations

import signal
import socket
import threading
from typing import Any

#: The wakeup sockets of this process.
_HELD: list[tuple[socket.socket, socket.socket]] = []


def _noted(signum: int, frame: Any) -> None:
    """The handler: the signal is already written to the wakeup socket."""


def stop_on(stopping: threading.Event, *signals: signal.Signals) -> None:
    """Set ``stopping`` when any of ``signals`` arrives. Call from the main thread."""
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    for signum in signals:
        signal.signal(signum, _noted)

    # Both ends stay open for the life of the process: a closed writer would end the read
    # at once, and its number, reused by another file, would get the signals' bytes.
    _HELD.append((reader, writer))

    def watch() -> None:
        reader.recv(1)
        stopping.set()

    threading.Thread(target=watch, name="stop-signals", daemon=True).start()
