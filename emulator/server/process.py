"""Process-wide settings for a serving process.

glibc gives each thread that allocates its own malloc arena (up to eight per core) and keeps
freed memory in it: with a pool of worker threads, memory freed by one request stayed with
that thread's arena, and a server at 50 MiB idle grew past 140 MiB under eight clients.
Two arenas keep that growth to a few MiB at no measurable cost in speed (the GIL lets one
thread allocate at a time anyway). Other C libraries have no such knob; nothing happens there.
"""

from __future__ import annotations

import ctypes
import ctypes.util

#: mallopt's parameter number for the arena limit (glibc's malloc.h).
M_ARENA_MAX = -8
MALLOC_ARENAS = 2

_done = False


def limit_malloc_arenas() -> bool:
    """Cap glibc's malloc arenas at MALLOC_ARENAS; True if the C library took it. Affects
    threads that allocate for the first time afterwards, so call before serving."""
    global _done
    if _done:
        return True
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _done = bool(mallopt(M_ARENA_MAX, MALLOC_ARENAS) == 1)
    return _done
