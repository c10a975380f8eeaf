"""What this machine allows, measured in the same run as the emulator's figures.

* the hash bound: md5 then sha512 over the same 1 MiB chunks on one core, which is what an
  upload must do (Glance's ``checksum`` and ``os_hash_value``);
* the loopback bound: bytes a second one process can send another over a 127.0.0.1 TCP
  connection, the receiver reading 1 MiB at a time into one buffer and keeping nothing.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import socket
import time

MiB = 1 << 20


def hash_bound(total_mib: int = 512) -> float:
    """MiB/s of md5 + sha512 over ``total_mib`` MiB, one core."""
    chunk = hashlib.sha512(b"bound").digest() * (MiB // 64)
    md5, sha512 = hashlib.md5(), hashlib.sha512()
    started = time.perf_counter()
    for _ in range(total_mib):
        md5.update(chunk)
        sha512.update(chunk)
    md5.hexdigest(), sha512.hexdigest()
    return total_mib / (time.perf_counter() - started)


def _send(port: int, total_mib: int) -> None:
    chunk = b"\x5a" * MiB
    with socket.create_connection(("127.0.0.1", port)) as connection:
        for _ in range(total_mib):
            connection.sendall(chunk)


def loopback_bound(total_mib: int = 1024) -> float:
    """MiB/s one process receives from another over loopback TCP."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        sender = multiprocessing.get_context("fork").Process(target=_send, args=(port, total_mib))
        sender.start()
        connection, _ = listener.accept()
        buffer = bytearray(MiB)
        view = memoryview(buffer)
        received, started = 0, time.perf_counter()
        with connection:
            while True:
                count = connection.recv_into(view)
                if not count:
                    break
                received += count
        elapsed = time.perf_counter() - started
        sender.join()
    return received / MiB / elapsed
