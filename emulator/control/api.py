"""``/_emulator/``: the emulator's own control API (health, reset, scenario, export).

Scenario, reset and export code (marshmallow, YAML) is imported on first use: it is a
quarter of the start-up time otherwise.

Not part of Glance. Errors take the Keystone-like ``{"error": {...}}`` shape. Reset, scenario
and export answer local processes without a token and others with an admin token only
(``control_api_loopback_only``: local processes only), and never a request a web page on
another site could have made a browser send (``_check_addressed_to_us``).
"""

from __future__ import annotations

import ipaddress
import os
import time
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request

from emulator import __version__
from emulator.control import per_process
from emulator.control.domain import faults
from emulator.core import errors
from emulator.core.http import bodies
from emulator.core.http.render import json_response
from emulator.core.http.request_scope import config, unit_of_work
from emulator.image.services import images as image_service

bp = Blueprint("control", __name__, url_prefix="/_emulator")


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def _host_name(host: str) -> str:
    """``example.org:9292`` -> ``example.org``; ``[::1]:9292`` -> ``::1``."""
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _check_addressed_to_us() -> None:
    """Refuse what a web page elsewhere could make a browser send: a request addressed to
    another host name (DNS rebinding: a hostile name resolving to 127.0.0.1) or coming from
    another site's page (CSRF: an ``Origin`` not ours, ``Sec-Fetch-Site: cross-site``)."""
    name = _host_name(request.host).lower()
    public = config().public_endpoint
    ours = {"localhost"} | ({urlsplit(public).hostname or ""} if public else set())
    if not (_is_ip_literal(name) or name in ours):
        raise errors.Forbidden(
            f"The control API only answers requests addressed to this server, not to {name!r}."
        )
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
        raise errors.Forbidden("The control API does not answer requests from other sites.")
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        raise errors.Forbidden("The control API does not answer requests from other sites.")


def _require_operator() -> None:
    """Who may reset, load and export: any local process without a token (as moto's and
    LocalStack's reset); from elsewhere, an admin token only. A token, when one is sent,
    must be an admin's, from anywhere. ``control_api_loopback_only``: loopback only."""
    _check_addressed_to_us()
    loopback = _is_loopback(request.remote_addr)
    if config().control_api_loopback_only:
        if not loopback:
            raise errors.Forbidden("The control API only answers loopback clients.")
        return
    if loopback and "X-Auth-Token" not in request.headers:
        return
    context = unit_of_work().context
    if context.user_id is None:
        raise errors.Unauthorized("The request you have made requires authentication.")
    if not context.is_admin:
        raise errors.Forbidden("The control API needs an admin token.")


def _summary_response(summary: object) -> Response:
    return json_response(
        {
            "scenario": summary.name,  # type: ignore[attr-defined]
            "projects": summary.projects,  # type: ignore[attr-defined]
            "images": summary.images,  # type: ignore[attr-defined]
            "shares": summary.shares,  # type: ignore[attr-defined]
        }
    )


def _scenario_from_body(body: object) -> dict[str, Any] | None:
    """``{"scenario": "<packaged name>"}`` or ``{"document": {...scenario...}}`` or nothing."""
    from emulator.control.services import scenario_files

    if bodies.is_missing(body) or body is None or body == {}:
        return None
    if not isinstance(body, dict):
        raise errors.BadRequest("The request body must be a JSON object.")
    unknown = set(body) - {"scenario", "document"}
    if unknown or len(body) != 1:
        raise errors.BadRequest('Give one of "scenario" (a packaged name) or "document".')
    if "scenario" in body:
        if not isinstance(body["scenario"], str):
            raise errors.BadRequest('"scenario" must be the name of a packaged scenario.')
        text, source = scenario_files.read_packaged(body["scenario"])
        return scenario_files.parse(text, source)
    return scenario_files.validate(body["document"], "document")


def _files_root() -> Path:
    """A posted scenario has no folder of its own: its relative ``data.file`` paths are
    relative to the data dir, and no path may lead out of it (``..``, symlinks)."""
    return Path(config().data_dir)


def _body(required: bool) -> object:
    limit = config().max_scenario_body_size
    return bodies.json_body(required=required, limit=limit)


@bp.get("/health")
def health() -> Response:
    count = image_service.count(unit_of_work())
    started = current_app.extensions.get("emulator.started", time.time())
    return json_response(
        {
            "status": "ok",
            "version": __version__,
            "images": count,
            "sharing_profile": config().sharing_profile,
            "uptime_seconds": round(time.time() - started, 3),
            # Which process answered, of how many (serve --workers).
            "pid": os.getpid(),
            "workers": per_process.workers(current_app),
        }
    )


def _reset_target(body: object) -> tuple[dict[str, Any] | None, Path, Path | None]:
    """(scenario, its folder, the folder its files must lie in) to reset to: the body's;
    with no body, the scenario the server was started with (``serve --scenario``), if any,
    whose files are the operator's own, as at start; ``{"scenario": null}``: the demo
    accounts whatever the server started with."""
    from emulator.control.services import scenario_files

    if isinstance(body, dict) and body == {"scenario": None}:
        return None, _files_root(), _files_root()
    if bodies.is_missing(body) or body is None or body == {}:
        started_with = current_app.extensions.get("emulator.start_scenario")
        if started_with is not None:
            document, base_dir = scenario_files.read(started_with)
            return document, base_dir or _files_root(), None
        return None, _files_root(), _files_root()
    return _scenario_from_body(body), _files_root(), _files_root()


@bp.post("/reset")
def reset() -> Response:
    _require_operator()
    from emulator.control.services import state

    scenario, base_dir, files_within = _reset_target(_body(required=False))
    faults.check_can_take(current_app.extensions["emulator.faults"], scenario)
    summary = state.reset(unit_of_work(), scenario, base_dir, files_within=files_within)
    faults.put_in_force(current_app.extensions["emulator.faults"], scenario, replace=True)
    return _summary_response(summary)


@bp.post("/scenario")
def load_scenario() -> Response:
    _require_operator()
    scenario = _scenario_from_body(_body(required=True))
    if scenario is None:
        raise errors.BadRequest('Give one of "scenario" (a packaged name) or "document".')
    from emulator.control.services import scenarios

    faults.check_can_take(current_app.extensions["emulator.faults"], scenario)
    summary = scenarios.load(
        unit_of_work(),
        scenario,
        _files_root(),
        files_within=_files_root(),
    )
    faults.put_in_force(current_app.extensions["emulator.faults"], scenario, replace=False)
    return _summary_response(summary)


@bp.get("/export")
def export() -> Response:
    _require_operator()
    from emulator.control.services import state

    mode = request.args.get("data", "inline")
    if mode not in state.DATA_MODES:
        raise errors.BadRequest(f"data must be one of {', '.join(state.DATA_MODES)}.")
    return json_response(state.export(unit_of_work(), mode))


@bp.get("/openapi.yaml")
def openapi_document() -> Response:
    text = _openapi_text()
    return Response(text, content_type="application/yaml; charset=UTF-8")


def _openapi_text() -> str:
    """The packaged copy (``emulator/openapi.yaml`` links to ``api-ref/openapi.yaml`` in the
    source tree; a wheel carries the file itself)."""
    cached = current_app.extensions.get("emulator.openapi")
    if cached is None:
        cached = (resources.files("emulator") / "openapi.yaml").read_text(encoding="utf-8")
        current_app.extensions["emulator.openapi"] = cached
    return cached
