"""What ``serve`` does before it listens: the warning for a non-loopback host, the data dir's
lock and crash recovery, and loading the scenario it was started with."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

PROG = "glance-emulator"


def recover(app: Any, config: Any) -> bool:
    """Take the data dir's lock, then finish or undo what a killed server left there, and
    say so in the log. False (after a message) if another server holds the lock: two
    servers on one data dir would each take the other's live uploads for ones a crash cut
    short."""
    from emulator.core import data_dir_lock

    lock = data_dir_lock.try_lock(config.data_dir)
    if lock is None:
        holder = _lock_holder(Path(config.data_dir) / data_dir_lock.LOCK_NAME)
        print(
            f"{PROG}: another glance-emulator{holder} serves {config.data_dir}; "
            "give this one its own --data-dir, or --ephemeral",
            file=sys.stderr,
        )
        return False
    app.extensions["emulator.serve_lock"] = lock
    recover_held(app)
    return True


def recover_held(app: Any) -> None:
    """Finish or undo what a dead server process left in the data dir, and say so in the
    log; the caller holds the lock (at start, or after a worker died: ``workers.py``)."""
    import logging

    from emulator.app import operator_unit_of_work
    from emulator.image.services import maintenance

    with operator_unit_of_work(app) as uow:
        found = maintenance.recover(uow)
    for line in found.lines():
        logging.getLogger("emulator.recovery").warning("recovery: %s", line)


def _lock_holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


def load_scenario(app: Any, scenario: str, fresh: bool) -> bool:
    from emulator.app import operator_unit_of_work
    from emulator.control.services import scenario_files, state
    from emulator.core import errors

    try:
        # The start scenario's fault rules live in memory: in force at every start.
        from emulator.control.domain.faults import put_in_force

        put_in_force(
            app.extensions["emulator.faults"], scenario_files.read(scenario)[0], replace=True
        )
    except errors.EmulatorError as exc:
        print(f"{PROG}: {exc.message}", file=sys.stderr)
        return False
    if not fresh:
        print(
            f"{PROG}: the data dir already has state; scenario {scenario!r} not loaded "
            "(use 'glance-emulator reset --scenario' to start over)",
            file=sys.stderr,
        )
        return True
    try:
        document, base_dir = scenario_files.read(scenario)
        # A reset, not a load: the new dir's demo accounts give way to the scenario's own
        # (demo_accounts: false removes them; an export's ids replace their random ones).
        with operator_unit_of_work(app) as uow:
            state.reset(uow, document, base_dir)
    except errors.EmulatorError as exc:
        print(f"{PROG}: {exc.message}", file=sys.stderr)
        return False
    return True


def scenario_reference(scenario: str | None) -> str | None:
    """How a later reset finds the start scenario again: a file by its absolute path (the
    server may change directory), a packaged name as it is."""
    if scenario is None:
        return None
    path = Path(scenario)
    return str(path.resolve()) if path.exists() else scenario


def remote_warning(host: str, allowed: bool) -> str:
    from emulator.identity.services.accounts import DEMO_ACCOUNTS

    demo = ", ".join(f"{name} ({name}-pass)" for name, _roles in DEMO_ACCOUNTS)
    lines = [
        f"{PROG}: warning: host {host or repr(host)} is not a loopback address: anyone who "
        "can reach this port can use the API,",
        f"  and the demo accounts {demo} log in with those well-known passwords",
        "  (every new data dir has them, unless a scenario sets demo_accounts: false).",
    ]
    if not allowed:
        lines.append(
            "  Not starting. Serve on 127.0.0.1 (the default), or add --allow-remote to serve "
            "other machines anyway."
        )
    return "\n".join(lines)
