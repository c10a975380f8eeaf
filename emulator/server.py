"""Serving the app with waitress: in the foreground (CLI) or in a thread (tests, plugin)."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from waitress.server import create_server

# Image data is streamed and capped by the app (image_size_cap), so waitress's own body cap
# must not cut uploads short first.
_UNLIMITED_BODY = 1 << 62


def make_server(
    app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 8, **options: Any
) -> Any:
    """A waitress server bound to ``host:port`` (0 = a free port)."""
    return create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=_UNLIMITED_BODY,
        ident="glance-emulator",
        clear_untrusted_proxy_headers=True,
        **options,
    )


def bound_url(server: Any) -> str:
    host, port = server.effective_host, server.effective_port
    if ":" in str(host):
        host = f"[{host}]"
    return f"http://{host}:{port}"


class ServerThread:
    """Run the app on a free loopback port in a background thread."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 8):
        self.app = app
        self.server = make_server(app, host=host, port=port, threads=threads)
        self.base_url = bound_url(self.server)
        self._thread = threading.Thread(target=self._run, name="glance-emulator", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run()
        except OSError:  # closed while polling: normal shutdown
            pass

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        # Closing only the listening socket leaves keep-alive connections in waitress's
        # socket map, and its loop runs until the map is empty: close them all.
        self.server.close()
        for channel in list(getattr(self.server, "_map", {}).values()):
            try:
                channel.close()
            except OSError:
                pass
        self.server.task_dispatcher.shutdown(timeout=5)
        self._thread.join(timeout=10)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
