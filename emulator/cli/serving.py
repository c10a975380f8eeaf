"""What ``serve`` does to start: build the app on the locked, recovered data dir, listen
(in this process, or in ``--workers`` processes: ``workers.py``), then say where (the
banner or JSON line, the pid and ready files)."""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from emulator import __version__
from emulator.cli import ci, startup, stop_signals
from emulator.cli.settings import Settings

PROG = "glance-emulator"


def stop_on_signals(stopping: threading.Event) -> None:
    """SIGINT/SIGTERM only set ``stopping`` (``stop_signals``): raising from a handler could
    land inside the server's own code (a bare ``except`` there would swallow it and the
    server run on)."""
    stop_signals.stop_on(stopping, signal.SIGINT, signal.SIGTERM)


def serve_until(server: Any, stopping: threading.Event) -> int:
    """Serve in a thread until ``stopping`` is set (0) or the server loop dies (1)."""
    loop = threading.Thread(target=server.serve, name="glance-emulator", daemon=True)
    loop.start()
    while not stopping.wait(0.25):
        if not loop.is_alive():
            return 1  # the server loop died on its own
    return 0


def _build_app(settings: Settings) -> Any:
    """The app on the data dir, locked, recovered and loaded with the start scenario; None
    (after a message) on failure."""
    from emulator.app import create_app
    from emulator.cli import logging_setup
    from emulator.control import per_process

    logging_setup.configure(settings.server.log_level)
    config = settings.config
    fresh = not Path(config.db_path).exists()
    try:
        app = create_app(config)
    except OSError as exc:
        print(f"{PROG}: cannot use data dir {config.data_dir}: {exc}", file=sys.stderr)
        return None
    per_process.serve_as_one_of(app, settings.server.workers)
    if not startup.recover(app, config):
        return None
    if settings.scenario is not None and not startup.load_scenario(app, settings.scenario, fresh):
        return None
    # A reset with no target goes back to this scenario (control API, 'reset').
    app.extensions["emulator.start_scenario"] = startup.scenario_reference(settings.scenario)
    logging_setup.install(app)
    return app


def _listen_error(net: Any, exc: OSError) -> None:
    hint = ""
    # cheroot wraps the bind error in a message of its own, without an errno.
    if exc.errno == errno.EADDRINUSE or os.strerror(errno.EADDRINUSE) in str(exc):
        hint = " (another server has it: stop it, or let --port 0 pick a free port)"
    print(
        f"{PROG}: cannot listen on {net.host}:{net.port}: {exc.strerror or exc}{hint}",
        file=sys.stderr,
    )


def start(settings: Settings, args: argparse.Namespace, written: list[Path]) -> Any:
    """Build the app, bind the port, print the banner (or the JSON line), write the ready
    and pid files (noted in ``written``). None (after a message) on failure."""
    from emulator.server import make_server

    app = _build_app(settings)
    if app is None:
        return None
    net = settings.server
    try:
        server = make_server(app, host=net.host, port=net.port, threads=net.threads)
    except OSError as exc:
        _listen_error(net, exc)
        return None
    try:
        _announce(settings, args, written, app, server.bind_addr)
    except BaseException:
        # The bound server's worker threads would otherwise keep the process alive.
        server.stop()
        raise
    return server


def start_workers(
    settings: Settings, args: argparse.Namespace, written: list[Path], stopping: threading.Event
) -> Any:
    """As :func:`start`, with ``--workers`` processes serving (``workers.py``): the
    running Supervisor, or None (after a message). Stopped while the workers start, it is
    not announced."""
    from emulator.cli import workers
    from emulator.cli.settings import config_document
    from emulator.server import listening_socket

    app = _build_app(settings)
    if app is None:
        return None
    net = settings.server
    try:
        sock = listening_socket(net.host, net.port)
    except OSError as exc:
        _listen_error(net, exc)
        return None
    spec = {
        # The log would be one worker's share: it is refused (per_process.py), so not kept.
        "config": config_document(settings.config.replace(request_log_size=0)),
        "threads": net.threads,
        "log_level": net.log_level,
        "start_scenario": app.extensions["emulator.start_scenario"],
    }
    supervisor = workers.Supervisor(
        spec,
        sock,
        net.workers,
        lambda: startup.recover_held(app),
        stopping,
        lock_fd=app.extensions["emulator.serve_lock"].fileno(),
    )
    try:
        supervisor.start()
        if not stopping.is_set():
            _announce(settings, args, written, app, sock.getsockname())
    except workers.WorkerError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        supervisor.stop()
        return None
    except BaseException:
        supervisor.stop()
        raise
    return supervisor


def _announce(
    settings: Settings,
    args: argparse.Namespace,
    written: list[Path],
    app: Any,
    address: tuple[Any, ...],
) -> None:
    """Print the banner (or the JSON line), then write the pid and ready files."""
    from emulator.cli import banner
    from emulator.server import address_url

    config, net = settings.config, settings.server
    listening, port = address_url(address), int(address[1])
    base_url = banner.client_base_url(listening, net.host, port, config.public_endpoint)
    data_dir = str(Path(config.data_dir).resolve())
    ready = ci.ready_document(
        base_url=base_url,
        listening_url=listening,
        host=net.host,
        port=port,
        data_dir=data_dir,
        ephemeral=settings.ephemeral,
    )
    if args.pid_file is not None:
        ci.write_atomically(args.pid_file, f"{ready['pid']}\n")
        written.append(args.pid_file)
    if args.json:
        print(json.dumps(ready), flush=True)
    else:
        text = banner.render(
            version=__version__,
            listening_url=listening,
            base_url=base_url,
            data_dir=data_dir,
            ephemeral=settings.ephemeral,
            sharing_profile=config.sharing_profile,
            users=banner.read_accounts(app.extensions["emulator.store"]),
        )
        print(text, flush=True)
    if args.ready_file is not None:
        # Last: whoever waits for it may use the server at once.
        ci.write_atomically(args.ready_file, json.dumps(ready, indent=2) + "\n")
        written.append(args.ready_file)
