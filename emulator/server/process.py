"""Process-wide settings for a serving process.

glibc gives each thread that allocates its own malloc arena (up to eight per core) and keeps
freed memory in it: with a pool of worker threads, memory freed by one request stayed with
that thread's arena, and a server at 50 MiB idle grew past 140 MiB under eight clients.
One arena keeps that growth to a few MiB at no measurable cost in speed (the GIL and the
request slot let one thread allocate at a time anyway): two arenas left the idle server
1.7 MiB larger after the bench's request runs (medians of three runs, 59.9 against 58.2 MiB)
and served creates, PATCHes and member changes no faster. Other C libraries have no such
knob; nothing happens there.

glibc also keeps freed memory inside its heaps for the next allocation, and gives back only
what is free at a heap's very end: ``malloc_trim`` returns every free page to the system.
The worker pool calls it once the server has been idle a while (``worker_pool.py``): 4 MiB
of the start-up (the app factory's imports and migrations) and 1–4 MiB after a burst of
requests, at the cost of one pass over the heaps while nothing else runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any

#: mallopt's parameter number for the arena limit (glibc's malloc.h).
M_ARENA_MAX = -8
MALLOC_ARENAS = 1

_done = False


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


def limit_malloc_arenas() -> bool:
    """Cap glibc's malloc arenas at MALLOC_ARENAS; True if the C library took it. Affects
    threads that allocate for the first time afterwards, so call before serving."""
    global _done
    if _done:
        return True
    try:
        mallopt = _libc().mallopt  # type: ignore[union-attr]
    except AttributeError:  # no C library found, or one without mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _done = bool(mallopt(M_ARENA_MAX, MALLOC_ARENAS) == 1)
    return _done


@functools.cache
def _malloc_trim() -> Any:
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release_freed_memory() -> bool:
    """Give the memory malloc holds free back to the system (glibc's ``malloc_trim(0)``);
    False where the C library has no such call."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
