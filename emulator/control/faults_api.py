"""``/_emulator/faults``: list, add, delete and clear fault rules.

``POST`` takes one rule (see ``control/domain/faults.py`` and ``api-ref/control.md``) and
answers it with its id; a malformed rule, an unknown status, or a rule that could never
fire (a user or project that does not exist, a download cut on PUT) is a 400 saying why, and
nothing is added (``control/services/faults.py``, which the pytest helper and the panel
call too). Same access rules as reset (``api._require_operator``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from emulator.control.api import _body, _require_operator
from emulator.control.domain.faults import FaultRule
from emulator.control.fault_injection import table
from emulator.control.services import faults
from emulator.core.http.render import json_response
from emulator.core.http.request_scope import unit_of_work

bp = Blueprint("control_faults", __name__, url_prefix="/_emulator")


def _rule(rule: FaultRule) -> dict[str, Any]:
    return rule.as_dict()


@bp.get("/faults")
def list_faults() -> Response:
    _require_operator()
    return json_response({"faults": [_rule(r) for r in faults.listed(table())]})


@bp.post("/faults")
def add_fault() -> Response:
    _require_operator()
    rule = faults.add(unit_of_work().db, table(), _body(required=True))
    return json_response({"fault": _rule(rule)}, status=201)


@bp.delete("/faults/<rule_id>")
def delete_fault(rule_id: str) -> Response:
    _require_operator()
    faults.delete(table(), rule_id)
    return Response(status=204)


@bp.delete("/faults")
def clear_faults() -> Response:
    _require_operator()
    faults.clear(table())
    return Response(status=204)
