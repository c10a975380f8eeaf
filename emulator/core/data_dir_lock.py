"""Which process serves a data dir: the one holding its lock file.

Crash recovery at start (putting back a reset's data, requeueing uploads cut short, removing
partial files) must never run while another server is writing to the same data dir: it
would take a live upload for a dead one. The serving process holds an exclusive ``flock``
on ``<data dir>/serve.lock`` for as long as it runs; the kernel releases it when the
process dies, however it dies.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

LOCK_NAME = "serve.lock"


def try_lock(data_dir: Path) -> IO[bytes] | None:
    """The lock, held until the returned file is closed; None if another process has it."""
    path = Path(data_dir) / LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+b")  # noqa: SIM115 - held open on purpose: the lock lives with it
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    handle.truncate(0)
    handle.write(str(os.getpid()).encode())
    handle.flush()
    return handle
