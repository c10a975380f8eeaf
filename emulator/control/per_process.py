"""What one server process keeps in memory, and so is off when several serve the data dir
(``serve --workers N``, ``cli/workers.py``): the request log and the fault rules. Asking
for either then gets a 409 that says why, rather than one worker's share of the truth."""

from __future__ import annotations

from typing import Any

from emulator.core import errors

WORKERS = "emulator.workers"


def _refusal(what: str, workers: int) -> str:
    return (
        f"{what} kept by each server process, and this server runs {workers} "
        f"(--workers {workers}): serve with --workers 1 to use them."
    )


def serve_as_one_of(app: Any, workers: int) -> None:
    """Note in ``app`` that it is one of ``workers`` processes serving its data dir."""
    app.extensions[WORKERS] = workers
    refusal = _refusal("Fault rules are", workers) if workers > 1 else None
    app.extensions["emulator.faults"].refusal = refusal


def workers(app: Any) -> int:
    return int(app.extensions.get(WORKERS, 1))


def request_log_refusal(app: Any) -> str | None:
    """Why the request log is not shown, if it is one worker's share."""
    count = workers(app)
    return _refusal("The request log and its entries are", count) if count > 1 else None


def check_request_log(app: Any) -> None:
    """Conflict if the request log is one worker's share."""
    refusal = request_log_refusal(app)
    if refusal is not None:
        raise errors.Conflict(refusal)
