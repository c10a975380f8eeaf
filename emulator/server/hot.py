"""Connections just answered, watched by the worker in the CPU slot instead of the selector
thread while requests keep coming.

Under eight clients, each request went from the worker to the selector (registered), woke
the selector thread when the client asked again (unregistered, head read, queued) and came
back to the worker in the slot: two threads taking turns at the GIL for every request, and
on a machine with two CPUs each turn a wake-up on the other one. A connection a worker has
just answered is kept here instead (``GuardedServer.put_conn``); each time a request ends,
the worker polls these connections, without waiting, and reads the heads that have come.
A connection quiet for longer than HOT_SECONDS, or all of them once no request is queued,
goes back to the selector thread, which watches idle connections as before.
"""

from __future__ import annotations

import select
import threading
import time
from typing import Any

#: How long a connection may stay here without a request before the selector takes it.
HOT_SECONDS = 0.05
#: The most connections kept here; more go to the selector at once.
HOT_MOST = 64


class HotConnections:
    """Connections, each with its file descriptor and when it was added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conns: dict[Any, tuple[int, float]] = {}

    def __len__(self) -> int:
        return len(self._conns)

    def add(self, conn: Any) -> bool:
        """Keep ``conn``; False when full (it is not kept)."""
        with self._lock:
            if len(self._conns) >= HOT_MOST:
                return False
            self._conns[conn] = (conn.socket.fileno(), time.monotonic())
        return True

    def discard(self, conn: Any) -> None:
        with self._lock:
            self._conns.pop(conn, None)

    def take_ready(self) -> tuple[list[Any], list[Any]]:
        """(ready, cold): connections with something to read (or closed by the client), and
        connections quiet for longer than HOT_SECONDS; neither is kept any longer."""
        with self._lock:
            entries = list(self._conns.items())
        if not entries:
            return [], []
        poller = select.poll()
        for _conn, (fd, _since) in entries:
            poller.register(fd, select.POLLIN)
        readable = {fd for fd, _events in poller.poll(0)}
        now = time.monotonic()
        ready, cold = [], []
        with self._lock:
            for conn, (fd, since) in entries:
                if self._conns.get(conn) != (fd, since):
                    continue  # taken (or closed) by another thread meanwhile
                if fd in readable:
                    ready.append(conn)
                elif now - since > HOT_SECONDS:
                    cold.append(conn)
                else:
                    continue
                del self._conns[conn]
        return ready, cold

    def take_all(self) -> list[Any]:
        with self._lock:
            conns = list(self._conns)
            self._conns.clear()
        return conns
