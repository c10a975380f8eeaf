"""``/_emulator/faults``: list, add, delete and clear fault rules.

``POST`` takes one rule (see ``control/domain/faults.py`` and ``api-ref/control.md``) and
answers it with its id; a malformed rule, an unknown status, or a rule that could never
fire (a user or project that does not exist, a download cut on PUT) is a 400 saying why, and
nothing is added. Same access rules as reset (``api._require_operator``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from emulator.control.api import _body, _require_operator
from emulator.control.domain.faults import FaultRule, RuleError, parse_rule
from emulator.control.fault_injection import table
from emulator.core import errors
from emulator.core.http.render import json_response
from emulator.core.http.request_scope import unit_of_work
from emulator.identity.services import accounts

bp = Blueprint("control_faults", __name__, url_prefix="/_emulator")


def _exists(db: Any, kind: str, wanted: str) -> None:
    if kind == "user":
        names = {u.name: u.id for u in accounts.list_users(db)}
    else:
        names = {p.name: p.id for p in accounts.list_projects(db)}
    if wanted not in names and wanted not in names.values():
        raise RuleError(
            f"No {kind} {wanted!r} (by name or id): this rule would never fire. "
            f"The {kind}s are: {', '.join(sorted(names))}."
        )


def checked_rule(db: Any, body: Any) -> dict[str, Any]:
    """``body`` if it is a rule that can fire here, else :class:`RuleError`."""
    parse_rule(body, "check")  # the shape first: a 400 before any lookup
    for kind in ("user", "project"):
        if body.get(kind) is not None:
            _exists(db, kind, body[kind])
    checked: dict[str, Any] = body
    return checked


def _rule(rule: FaultRule) -> dict[str, Any]:
    return rule.as_dict()


@bp.get("/faults")
def list_faults() -> Response:
    _require_operator()
    return json_response({"faults": [_rule(r) for r in table().list()]})


@bp.post("/faults")
def add_fault() -> Response:
    _require_operator()
    rule = table().add(checked_rule(unit_of_work().db, _body(required=True)))
    return json_response({"fault": _rule(rule)}, status=201)


@bp.delete("/faults/<rule_id>")
def delete_fault(rule_id: str) -> Response:
    _require_operator()
    if not table().delete(rule_id):
        raise errors.NotFound(f"No fault rule {rule_id!r}.")
    return Response(status=204)


@bp.delete("/faults")
def clear_faults() -> Response:
    _require_operator()
    table().clear()
    return Response(status=204)
