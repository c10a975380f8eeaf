"""One worker of ``serve --workers N`` (started by ``workers.py``, not by hand).

Reads its settings as one JSON line on stdin, builds the app on the data dir the parent has
already locked, recovered and loaded, accepts from the listening socket it was handed, and
prints ``ready`` on stdout. It stops (finishing its requests) on SIGTERM, or when its stdin
closes: the parent is gone. SIGINT is the parent's to act on.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
from typing import Any

from emulator.cli import stop_signals


def _read_spec() -> dict[str, Any]:
    # From the file descriptor, not sys.stdin: its buffer would be locked by the thread
    # below when the interpreter shuts down, and closing it then is a fatal error.
    got = b""
    while not got.endswith(b"\n"):
        piece = os.read(0, 65536)
        if not piece:
            raise SystemExit("glance-emulator worker: no settings on stdin")
        got += piece
    spec: dict[str, Any] = json.loads(got)
    return spec


def _stop_when_orphaned(stopping: threading.Event) -> None:
    def wait() -> None:
        while os.read(0, 4096):  # end of file: the parent closed it, or died
            pass
        stopping.set()

    threading.Thread(target=wait, name="parent-watch", daemon=True).start()


def main() -> int:
    # Ctrl+C in a terminal reaches every process of the group: the parent stops the
    # workers (SIGTERM), so a worker ignores it, from before the slow imports on.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stopping = threading.Event()
    stop_signals.stop_on(stopping, signal.SIGTERM)

    from emulator.app import create_app
    from emulator.cli import logging_setup, serving
    from emulator.cli.settings import config_from_document
    from emulator.cli.workers import READY_LINE
    from emulator.control import per_process
    from emulator.server import make_server

    spec = _read_spec()
    _stop_when_orphaned(stopping)
    logging_setup.configure(spec["log_level"])
    app = create_app(config_from_document(spec["config"]))
    app.extensions["emulator.start_scenario"] = spec["start_scenario"]
    per_process.serve_as_one_of(app, spec["workers"])
    logging_setup.install(app)
    sock = socket.socket(fileno=spec["fd"])
    server = make_server(app, threads=spec["threads"], listen_socket=sock)
    try:
        os.write(1, READY_LINE)
        # Nothing else goes to the parent's pipe (it no longer reads it): a full pipe
        # would block whoever printed.
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
        return serving.serve_until(server, stopping)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        server.stop()


if __name__ == "__main__":  # pragma: no cover - run as a process by workers.py
    sys.exit(main())
