"""The trainer's view (admins only): every share in the lab, reset or load a scenario,
and the request log."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from flask import current_app, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from emulator.control import per_process
from emulator.core import errors
from emulator.core.http.request_scope import unit_of_work
from emulator.identity.services import accounts
from emulator.image.domain.images import Image
from emulator.image.domain.members import Membership
from emulator.image.services import listing
from emulator.image.services import members as member_service
from emulator.panel import commands
from emulator.panel.blueprint import bp
from emulator.panel.views.common import admin_required, attempt, back

LOG_EXTENSION = "emulator.request_log"
LOG_LIMIT = 200
MAX_PAGES = 50


class RequestLog(Protocol):
    def entries(self, limit: int = 200, user: str | None = None) -> list[dict[str, Any]]: ...


def _all_images() -> list[Image]:
    """Every image, as an admin's ``GET /v2/images?visibility=all`` lists them."""
    uow = unit_of_work()
    found: list[Image] = []
    marker: str | None = None
    for _ in range(MAX_PAGES):
        pairs = [("visibility", "all"), ("limit", str(uow.config.api_limit_max))]
        if marker:
            pairs.append(("marker", marker))
        page = listing.list_images(uow, pairs)
        found.extend(page.images)
        marker = page.next_marker
        if marker is None:
            break
    return found


def _members_of(image: Image) -> list[Membership]:
    if image.visibility != "shared":
        return []  # Glance lists members of shared images only
    try:
        return member_service.index(unit_of_work(), image.id)
    except errors.EmulatorError:
        return []


def _scenarios() -> list[tuple[str, str]]:
    from emulator.control.services import scenario_files

    return scenario_files.describe_packaged()


@bp.get("/trainer")
@admin_required
def trainer() -> str:
    projects = {p.id: p.name for p in accounts.list_projects(unit_of_work().db)}
    rows = []
    for image in _all_images():
        members = _members_of(image)
        rows.append((image, members))
    return render_template(
        "panel/trainer.html",
        rows=rows,
        projects=projects,
        scenarios=_scenarios(),
    )


@bp.post("/trainer/reset")
@admin_required
def reset() -> BaseResponse | str:
    """Reset to the demo accounts or a packaged scenario, or load one on top: the first
    POST asks for confirmation, the confirmed one does it."""
    from emulator.control import fault_injection
    from emulator.control.services import faults, scenario_files, scenarios, state

    mode = request.form.get("mode", "reset")
    name = request.form.get("scenario", "")
    if mode not in ("reset", "load") or (mode == "load" and not name):
        raise errors.BadRequest("Choose reset or load, and a scenario to load.")
    known = dict(_scenarios())
    if name and name not in known:
        raise errors.BadRequest(f"There is no packaged scenario named {name!r}.")
    if request.form.get("confirm") != "yes":
        command = commands.reset(name or None) if mode == "reset" else commands.load(name)
        return render_template(
            "panel/confirm.html", mode=mode, scenario=name, described=known.get(name), cli=command
        )

    def run() -> None:
        document = None
        if name:
            text, source = scenario_files.read_packaged(name)
            document = scenario_files.parse(text, source)
        faults.check_can_take(fault_injection.table(), document)  # before any change
        uow = unit_of_work()
        if mode == "reset":
            state.reset(uow, document)
        else:
            assert document is not None
            scenarios.load(uow, document)
        # As POST /_emulator/reset and /scenario do: a reset leaves no rule behind.
        faults.follow_scenario(fault_injection.table(), document, reset=mode == "reset")

    what = name or "the demo accounts"
    attempt(run, f"Reset to {what}." if mode == "reset" else f"Loaded {what}.")
    return back("panel.trainer")


@bp.app_template_filter("panel_time")
def _log_time(value: Any) -> str:
    """A log entry's time: ISO text as given, or seconds since the epoch shown in UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        moment = dt.datetime.fromtimestamp(value, dt.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return "" if value is None else str(value)


@bp.get("/trainer/log")
@admin_required
def request_log() -> str:
    log: RequestLog | None = current_app.extensions.get(LOG_EXTENSION)
    refusal = per_process.request_log_refusal(current_app)
    if refusal is not None:
        log = None  # one worker's share (serve --workers)
    who = request.args.get("user", "").strip() or None
    entries = log.entries(limit=LOG_LIMIT, user=who) if log is not None else None
    return render_template(
        "panel/log.html", entries=entries, who=who or "", limit=LOG_LIMIT, refusal=refusal
    )
