"""Print the fuzz runs' numbers at the end of the session: requests made, answers by status
class and 5xx answers, for the schemathesis run and the hostile run, and their total."""

from __future__ import annotations

import sys
from typing import Any


def _stats(module_name: str) -> dict[str, Any] | None:
    module = (
        sys.modules.get(f"tests.fuzz.{module_name}")
        or sys.modules.get(f"fuzz.{module_name}")
        or sys.modules.get(module_name)
    )
    stats: dict[str, Any] | None = getattr(module, "STATS", None)
    return stats if stats and stats["requests"] else None


def _by_class(statuses: dict[int, int]) -> str:
    by_class: dict[str, int] = {}
    for status, count in statuses.items():
        key = f"{status // 100}xx"
        by_class[key] = by_class.get(key, 0) + count
    return ", ".join(f"{k}: {v}" for k, v in sorted(by_class.items()))


def _per_operation(terminalreporter: Any, stats: dict[str, Any]) -> None:
    if terminalreporter.verbosity > 0:
        for label, counts in sorted(stats["per_operation"].items()):
            spread = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
            terminalreporter.write_line(f"  {label}: {spread}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    schemathesis = _stats("test_schemathesis")
    hostile = _stats("test_hostile_requests")
    if schemathesis is None and hostile is None:
        return
    terminalreporter.write_sep("-", "fuzz runs")
    total_requests = total_5xx = 0
    if schemathesis is not None:
        errors = schemathesis["server_errors"]
        terminalreporter.write_line(
            f"schemathesis: {schemathesis['requests']} requests, {len(errors)} answered 5xx "
            f"({_by_class(schemathesis['statuses'])}); "
            f"GLANCE_EMULATOR_FUZZ_EXAMPLES={schemathesis['examples']}"
        )
        for line in errors[:20]:
            terminalreporter.write_line(f"  5xx: {line}")
        _per_operation(terminalreporter, schemathesis)
        total_requests += schemathesis["requests"]
        total_5xx += len(errors)
    if hostile is not None:
        errors = hostile["server_errors"]
        terminalreporter.write_line(
            f"hostile: {hostile['requests']} requests, {len(errors)} answered 5xx, "
            f"{len(hostile['shape_errors'])} 4xx not in the service's error shape "
            f"({_by_class(hostile['statuses'])}; {hostile['server_refusals']} of the 4xx "
            f"refused by the HTTP server as Glance's was); {hostile['seconds']:.1f} s"
        )
        for line in [*errors, *hostile["shape_errors"]][:20]:
            terminalreporter.write_line(f"  {line}")
        _per_operation(terminalreporter, hostile)
        total_requests += hostile["requests"]
        total_5xx += len(errors)
    terminalreporter.write_line(f"total: {total_requests} requests, {total_5xx} answered 5xx")
