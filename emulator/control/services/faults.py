"""Managing the fault rules in force: the use cases behind ``/_emulator/faults``, the
pytest helper and the panel's Faults page, so that all three check a rule the same way.

The table itself (``control/domain/faults.py``) lives in memory, one per app; callers hand
it in (``control/fault_injection.table()`` in a request), as they hand in a unit of work.
"""

from __future__ import annotations

from typing import Any

from emulator.control.domain.faults import (
    FaultRule,
    FaultTable,
    RuleError,
    check_can_take,
    parse_rule,
    put_in_force,
)
from emulator.core import errors
from emulator.identity.services import accounts

__all__ = ["add", "check_can_take", "checked_rule", "clear", "delete", "follow_scenario", "listed"]


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


def add(db: Any, table: FaultTable, body: Any) -> FaultRule:
    """Put a rule in force, or raise :class:`RuleError` and change nothing."""
    return table.add(checked_rule(db, body))


def listed(table: FaultTable) -> list[FaultRule]:
    return table.list()


def delete(table: FaultTable, rule_id: str) -> None:
    if not table.delete(rule_id):
        raise errors.NotFound(f"No fault rule {rule_id!r}.")


def clear(table: FaultTable) -> None:
    table.clear()


def follow_scenario(table: FaultTable, scenario: dict[str, Any] | None, *, reset: bool) -> None:
    """After a reset, the target scenario's rules instead of those in force (none for the
    demo accounts); after a load, its rules beside them."""
    put_in_force(table, scenario, replace=reset)
