"""cheroot's worker pool, made to run requests one after another on a warm thread.

Requests take turns in one CPU slot (``emulator/core/http/cpu_gate.py``). cheroot's pool
hands each request to an idle worker at once, and wakes the one that has waited longest:
with eight clients, eight workers each held a request and waited for the slot, and every
request moved the slot to another thread (a futex wake, a switch, cold caches: a show
cost 0.82 ms of CPU at eight clients against 0.55 at one). Here:

* a request that arrives while the slot is taken waits in the queue, and the worker that
  has the slot takes it when it is done with its own (no handover at all);
* a request that arrives while the slot is free goes to the worker that went idle last
  (the one whose memory is warm), else to a new worker;
* nothing waits long behind a slow request: when a worker gives the slot up to wait for
  its client, the next queued request goes to another worker at once, and a watcher
  thread hands a request queued for longer than the slot's patience to an idle worker,
  or starts one (up to the pool's ``max``), as the slot itself lets a request run
  without it after that long.

Once no request has run for IDLE_SECONDS, the watcher calls the pool's ``idle_hooks`` (the
app's: it closes the database connections a burst of load opened) and then gives the memory
malloc holds free back to the system (``process.release_freed_memory``), once per idle spell:
never while a request runs (a long upload would fault its buffers' pages in again).

A worker that waits for its own client's next request (``guard.py``'s follow-up) stands
in the idle stack too, on an eventfd its poll also watches, so it can still be handed work.
A worker that finds nothing queued first calls ``on_idle`` (the server then reads the
heads that have come on the connections its workers keep: ``hot.py``), and a request that
gives its slot up to wait calls ``on_release`` (the server hands those connections back to
its selector thread, as no request in the slot will look at them meanwhile).

The queue keeps the calls cheroot's pool and workers make (``put``, ``get``, ``qsize``);
the rest is cheroot's ``ThreadPool``.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from cheroot.workers import threadpool

from emulator.core.http.cpu_gate import Holding, Slots
from emulator.server.process import release_freed_memory

log = logging.getLogger("emulator.server")

#: What cheroot's pool puts in the queue to end a worker.
SHUTDOWN = getattr(threadpool, "_SHUTDOWNREQUEST")  # noqa: B009 (private, not in the stubs)
#: Idle workers beyond the pool's starting size kept for the next burst.
SPARE_THREADS = 4
#: Seconds without a request before the freed memory is given back.
IDLE_SECONDS = 1.0


class _Sleeper:
    """An idle worker: a lock it blocks on until an item is handed to it."""

    __slots__ = ("wake", "item")

    def __init__(self) -> None:
        self.wake = threading.Lock()
        self.wake.acquire()
        self.item: Any = None

    def hand(self, item: Any) -> None:
        self.item = item
        self.wake.release()


class _Watcher:
    """A worker waiting for its own client's next request that can also be handed one:
    the hand-over wakes its poll through an eventfd."""

    __slots__ = ("fd", "item")

    def __init__(self) -> None:
        self.fd = os.eventfd(0)
        self.item: Any = None

    def hand(self, item: Any) -> None:
        self.item = item
        os.eventfd_write(self.fd, 1)

    def __del__(self) -> None:  # with its worker's thread-local data, when the worker ends
        os.close(self.fd)


class TurnQueue:
    """Requests for the workers, given out as the module describes."""

    def __init__(self, slots: Slots):
        self._slots = slots
        self._lock = threading.Lock()
        self._items: deque[tuple[float, Any]] = deque()  # (queued at, item), oldest first
        self._sleepers: list[_Sleeper | _Watcher] = []  # a stack: the last to sleep is woken first
        self._own = threading.local()
        self.queued = threading.Event()  # set while items wait
        #: Called by a worker that finds nothing queued, before it sleeps.
        self.on_idle: Callable[[], None] | None = None
        self.taken = 0  # items taken by workers so far (a sign of life: races may lose counts)

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> bool:
        """Queue or hand over ``item``; True when it waits with the slot free and no worker
        asleep (then the pool starts one)."""
        with self._lock:
            if self._sleepers and (item is SHUTDOWN or self._slots.free()):
                sleeper = self._sleepers.pop()
                if self._items:  # the oldest waiting goes first; the new one waits
                    self._items.append((time.monotonic(), item))
                    item = self._items.popleft()[1]
            else:
                self._items.append((time.monotonic(), item))
                self.queued.set()
                return self._slots.free()
        sleeper.hand(item)
        return False

    def carry(self, holding: Holding) -> None:
        """Keep the slot of the request this worker has just answered: if another waits,
        the worker takes it next in the same slot; if not, ``get`` gives the slot up."""
        self._own.holding = holding

    def carried(self) -> Holding | None:
        """The slot this worker kept from its last request, if it still holds one."""
        holding: Holding | None = getattr(self._own, "holding", None)
        self._own.holding = None
        return holding if holding is not None and holding.held else None

    def get(self) -> Any:
        self.taken += 1
        own_next = getattr(self._own, "next", None)
        if own_next is not None:
            self._own.next = None
            return own_next
        carried: Holding | None = getattr(self._own, "holding", None)
        with self._lock:
            if self._items:
                return self._pop(carried)
        if self.on_idle is not None:
            try:
                self.on_idle()  # may queue requests (the server's connections just answered)
            except Exception:  # outside cheroot's own guard: it would end the worker
                log.exception("looking at kept connections failed")
        with self._lock:
            if self._items:
                return self._pop(carried)
            if carried is not None:  # nothing waits: the slot goes before the worker sleeps
                self._own.holding = None
                carried.give_up()
            sleeper = getattr(self._own, "sleeper", None)
            if sleeper is None:
                sleeper = self._own.sleeper = _Sleeper()
            self._sleepers.append(sleeper)
        sleeper.wake.acquire()  # released by the put that hands an item over
        item, sleeper.item = sleeper.item, None
        return item

    def _pop(self, carried: Holding | None) -> Any:
        """The oldest item (called with the lock held and an item queued)."""
        item = self._items.popleft()[1]
        if not self._items:
            self.queued.clear()
        if item is SHUTDOWN and carried is not None:
            self._own.holding = None
            carried.give_up()
        return item

    def carrying(self) -> bool:
        """Whether this worker kept the slot of the request it has just answered."""
        holding: Holding | None = getattr(self._own, "holding", None)
        return holding is not None and holding.held

    def put_next(self, item: Any) -> None:
        """``item`` is what the worker calling this takes at its next ``get``."""
        self._own.next = item

    def wait_for(self, sock: socket.socket, seconds: float) -> bool:
        """Wait up to ``seconds`` for ``sock`` to be readable, as an idle worker that can be
        handed a request meanwhile (first of all, as the last to go idle). True when the
        socket is readable and nothing was handed; a handed request is this worker's next
        ``get``. Called with no slot held and nothing queued."""
        watcher: _Watcher | None = getattr(self._own, "watcher", None)
        if watcher is None:
            watcher = self._own.watcher = _Watcher()
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        poller.register(watcher.fd, select.POLLIN)
        with self._lock:
            if self._items:
                return False
            self._sleepers.append(watcher)
        events = poller.poll(seconds * 1000)
        with self._lock:
            handed = watcher not in self._sleepers
            if not handed:
                self._sleepers.remove(watcher)
        if handed:  # popped by a put or hand_over: its item is on its way, if not here yet
            os.eventfd_read(watcher.fd)
            self._own.next, watcher.item = watcher.item, None
            return False
        return any(fd != watcher.fd for fd, _ in events)

    def qsize(self) -> int:
        return len(self._items)

    def hand_over(self, older_than: float = 0.0) -> int:
        """Give items queued longer than ``older_than`` seconds to idle workers; return how
        many such items are left with no worker to take them."""
        now = time.monotonic()
        handed = []
        with self._lock:
            while self._items and self._sleepers and now - self._items[0][0] >= older_than:
                handed.append((self._sleepers.pop(), self._items.popleft()[1]))
            left = sum(
                1
                for queued_at, item in self._items
                if now - queued_at >= older_than and item is not SHUTDOWN
            )
            if not self._items:
                self.queued.clear()
        for sleeper, item in handed:
            sleeper.hand(item)
        return left


class TurnPool(threadpool.ThreadPool):
    """cheroot's pool over a :class:`TurnQueue`, with the watcher and the pool's growth."""

    def __init__(self, server: Any, slots: Slots, **options: Any):
        super().__init__(server, **options)
        self._queue = TurnQueue(slots)
        self.get = self._queue.get
        self._patience = slots.patience
        self._grow_lock = threading.Lock()
        self._stopped = threading.Event()
        slots.on_wait = self.slot_given_up
        #: Called when a request gives its slot up to wait for its client.
        self.on_release: Callable[[], None] | None = None
        self.trims = 0  # idle spells that ended in release_freed_memory
        #: Called once per idle spell, before the freed memory is given back.
        self.idle_hooks: list[Callable[[], object]] = []

    def start(self) -> None:
        super().start()
        watcher = threading.Thread(target=self._watch, name="glance-emulator pool", daemon=True)
        watcher.start()

    def stop(self, timeout: int = 5) -> None:
        # No worker may start once cheroot has counted the ones to stop: a new one would
        # take another's stop marker, and that one would sleep forever (stop never ends).
        with self._grow_lock:
            self._stopped.set()
        self._queue.queued.set()  # wakes the watcher
        super().stop(timeout)

    def put(self, obj: Any) -> None:
        if self._queue.put(obj):
            self.grow_by(1)

    def put_next(self, obj: Any) -> None:
        self._queue.put_next(obj)

    def wait_for(self, sock: Any, seconds: float) -> bool:
        return self._queue.wait_for(sock, seconds)

    def carry(self, holding: Holding) -> None:
        self._queue.carry(holding)

    def carried(self) -> Holding | None:
        return self._queue.carried()

    def carrying(self) -> bool:
        return self._queue.carrying()

    def when_idle(self, call: Callable[[], None]) -> None:
        """``call`` when a worker finds nothing queued, before it sleeps."""
        self._queue.on_idle = call

    def slot_given_up(self) -> None:
        """A worker waits for its client: the next queued request need not wait for it."""
        if self.on_release is not None:
            self.on_release()
        if self._queue.qsize() and self._queue.hand_over():
            self.grow_by(1)

    def grow_by(self, count: int) -> None:
        # cheroot's ThreadPool.grow waits for each new thread in steps of 0.1 s; a new
        # worker takes requests as soon as it runs, so it is only started here.
        pool: Any = self  # cheroot's stubs leave its thread list out
        with self._grow_lock:
            if self._stopped.is_set():
                return
            for _ in range(min(count, self.max - len(pool._threads))):
                try:
                    pool._threads.append(pool._spawn_worker())
                except RuntimeError:  # no thread to be had: the workers there are go on
                    return

    def retire_spare(self) -> None:
        """One idle worker fewer when more than SPARE_THREADS beyond ``min`` stand idle
        (each holds its stack and thread-local state)."""
        pool: Any = self
        with self._grow_lock:
            if self._stopped.is_set():
                return
            if len(pool._threads) > self.min and self.idle > SPARE_THREADS:
                self.shrink(1)

    def _serving(self) -> bool:
        """A worker has a connection: a request runs (an upload, a slow client), or its
        worker waits for the client's next one."""
        pool: Any = self
        return any(worker.conn is not None for worker in list(pool._threads))

    def _run_idle_hooks(self) -> None:
        for hook in self.idle_hooks:
            try:
                hook()
            except Exception:  # the watcher must go on handing out stalled requests
                log.exception("idle hook %r failed", hook)

    def _watch(self) -> None:
        seen, trimmed = -1, False
        while not self._stopped.is_set():
            if not self._queue.queued.wait(IDLE_SECONDS):
                if self._queue.taken != seen or self._serving():
                    seen, trimmed = self._queue.taken, False
                elif not trimmed and not self._stopped.is_set():
                    trimmed = True
                    self._run_idle_hooks()
                    self.trims += 1
                    release_freed_memory()
                continue
            time.sleep(self._patience / 2)
            if self._stopped.is_set():
                return
            stalled = self._queue.hand_over(older_than=self._patience)
            if stalled:
                self.grow_by(stalled)
