"""The trainer's Faults page: the fault rules in force, add one, delete one, clear them.

Every rule goes through ``control/services/faults.py``, the use cases behind
``POST /_emulator/faults``: the form is only turned into the same JSON body, and a bad
rule is shown with the API's own message (a 400) and nothing added. Numbers the form
cannot read are passed on as typed, so the rule's own check names the field.
"""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from emulator.control import fault_injection
from emulator.control.domain.faults import CUT_KINDS, ERROR_CLASSES, METHODS
from emulator.control.services import faults
from emulator.core import errors
from emulator.core.http.request_scope import unit_of_work
from emulator.panel import commands
from emulator.panel.blueprint import bp
from emulator.panel.views.common import admin_required, attempt, back

TEXT_FIELDS = ("name", "path", "user", "project", "cut")
WHOLE_FIELDS = ("status", "count", "cut_after_bytes")
NUMBER_FIELDS = ("latency_ms", "probability")
#: What the form offers before anything is typed: the commands shown beside it use it.
EXAMPLE_RULE: dict[str, Any] = {
    "method": ["GET"],
    "path": "/v2/images",
    "user": "consumer",
    "status": 503,
    "count": 1,
}


def _number(text: str, whole: bool) -> int | float | str:
    try:
        return int(text)
    except ValueError:
        pass
    if not whole:
        try:
            return float(text)
        except ValueError:
            pass
    return text  # as typed: the rule's check says what it should be


def rule_from_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """The ``POST /_emulator/faults`` body a filled-in form stands for (empty fields left
    out, as the CLI leaves out options not given)."""
    body: dict[str, Any] = {}
    methods = [m for m in form.getlist("method") if m]
    if methods:
        body["method"] = methods
    for field in TEXT_FIELDS:
        value = form.get(field, "").strip()
        if value:
            body[field] = value
    for field in WHOLE_FIELDS + NUMBER_FIELDS:
        value = form.get(field, "").strip()
        if value:
            body[field] = _number(value, whole=field in WHOLE_FIELDS)
    if form.get("pass_through"):
        body["pass_through"] = True
    return body


def _page(
    typed: dict[str, Any] | None = None,
    form: MultiDict[str, str] | None = None,
    refusal: str | None = None,
) -> str:
    rules = [rule.as_dict() for rule in faults.listed(fault_injection.table())]
    shown = typed if typed is not None else EXAMPLE_RULE
    return render_template(
        "panel/faults.html",
        rules=rules,
        recreate={r["id"]: commands.faults_add(commands.as_typed(r)) for r in rules},
        remove={r["id"]: commands.faults_delete(r["id"]) for r in rules},
        form=form if form is not None else MultiDict(),
        refusal=refusal,
        methods=METHODS,
        cuts=CUT_KINDS,
        statuses=[(status, ERROR_CLASSES[status].title) for status in sorted(ERROR_CLASSES)],
        cli={
            "add": commands.faults_add(shown),
            "curl": commands.faults_add_curl(shown),
            "list": commands.faults_list(),
            "clear_all": commands.faults_clear(),
        },
        example=typed is None,
    )


@bp.app_template_filter("panel_number")
def _plain_number(value: float) -> str:
    """A rule's number as typed: 500, not 500.0; 0.25 and 1234567.5 in full."""
    return commands.flag_value(value)


@bp.get("/trainer/faults")
@admin_required
def faults_page() -> str:
    return _page()


@bp.post("/trainer/faults")
@admin_required
def add_fault() -> BaseResponse | tuple[str, int]:
    body = rule_from_form(request.form)
    try:
        rule = faults.add(unit_of_work().db, fault_injection.table(), body)
    except errors.EmulatorError as exc:
        # The form again, as typed, with the API's words; nothing was added.
        refusal = f"Refused ({exc.status} {exc.title}): {exc.message}"
        return _page(body, request.form, refusal), exc.status
    flash(f"Added {rule.label}.", "ok")
    return back("panel.faults_page")


@bp.post("/trainer/faults/<rule_id>/delete")
@admin_required
def delete_fault(rule_id: str) -> BaseResponse:
    attempt(lambda: faults.delete(fault_injection.table(), rule_id), f"Deleted {rule_id}.")
    return back("panel.faults_page")


@bp.post("/trainer/faults/clear")
@admin_required
def clear_faults() -> BaseResponse | str:
    """Remove every rule: the first POST asks for confirmation, as a reset does."""
    table = fault_injection.table()
    if request.form.get("confirm") != "yes":
        return render_template(
            "panel/faults_confirm.html",
            rules=[rule.label for rule in faults.listed(table)],
            cli=commands.faults_clear(),
        )
    count = len(faults.listed(table))
    attempt(lambda: faults.clear(table), f"Removed every fault rule ({count}).")
    return back("panel.faults_page")
