"""``/_emulator/requests``: the request log, newest first, as JSON or NDJSON.

Filters: ``limit`` (default 200), ``user`` (id or name), ``method``, ``path`` (a prefix),
``status``, ``fault`` (true: only answers a fault rule gave; false: only the others) and
``after`` (a ``seq``: only newer entries, for polling). ``format=ndjson`` or
``Accept: application/x-ndjson`` answers one JSON object per line. ``DELETE`` empties the log.
Same access rules as reset and export (``api._require_operator``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request

from emulator.control import per_process
from emulator.control.api import _require_operator
from emulator.core import errors
from emulator.core.http.render import json_response
from emulator.core.request_log import RequestLog

bp = Blueprint("control_requests", __name__, url_prefix="/_emulator")

NDJSON = "application/x-ndjson"
FILTERS = ("limit", "user", "method", "path", "status", "fault", "after", "format")


def _log() -> RequestLog:
    per_process.check_request_log(current_app)
    log: RequestLog = current_app.extensions["emulator.request_log"]
    return log


def _whole_number(name: str, low: int, high: int | None = None) -> int | None:
    text = request.args.get(name)
    if text is None:
        return None
    # Length first: int() of thousands of digits raises (and would be slow).
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise errors.BadRequest(f"{name} must be a whole number, not {shown!r}.")
    value = int(text)
    if value < low or (high is not None and value > high):
        limit = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise errors.BadRequest(f"{name} must be {limit}, not {value}.")
    return value


def _filters() -> dict[str, Any]:
    unknown = sorted(set(request.args) - set(FILTERS))
    if unknown:
        raise errors.BadRequest(
            f"Unknown filter {unknown[0]!r}; the filters are: {', '.join(FILTERS)}."
        )
    fault = request.args.get("fault")
    if fault not in (None, "true", "false"):
        raise errors.BadRequest(f"fault must be true or false, not {fault!r}.")
    limit = _whole_number("limit", 1, max(_log().size, 1))
    return {
        "limit": 200 if limit is None else limit,
        "user": request.args.get("user") or None,
        "method": request.args.get("method") or None,
        "path": request.args.get("path") or None,
        "status": _whole_number("status", 100, 599),
        "fault": None if fault is None else fault == "true",
        "after": _whole_number("after", 0) or 0,
    }


def _wants_ndjson() -> bool:
    wanted = request.args.get("format")
    if wanted not in (None, "json", "ndjson"):
        raise errors.BadRequest(f"format must be json or ndjson, not {wanted!r}.")
    if wanted is not None:
        return wanted == "ndjson"
    return request.accept_mimetypes.best_match(["application/json", NDJSON]) == NDJSON


@bp.get("/requests")
def list_requests() -> Response:
    _require_operator()
    log = _log()
    # Read first: an entry recorded meanwhile is then newer than last_seq, and a poller
    # asking for after=last_seq gets it next time rather than never.
    last_seq = log.last_seq
    found = log.entries(**_filters())
    if _wants_ndjson():
        text = "".join(json.dumps(item) + "\n" for item in found)
        return Response(text, content_type=NDJSON)
    return json_response({"requests": found, "last_seq": last_seq, "size": log.size})


@bp.delete("/requests")
def clear_requests() -> Response:
    _require_operator()
    _log().clear()
    return Response(status=204)
