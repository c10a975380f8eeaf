"""Print the fuzz run's numbers at the end of the session (requests made, 5xx answers)."""

from __future__ import annotations

import sys
from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    module = (
        sys.modules.get("tests.fuzz.test_schemathesis")
        or sys.modules.get("fuzz.test_schemathesis")
        or sys.modules.get("test_schemathesis")
    )
    stats = getattr(module, "STATS", None)
    if not stats or not stats["requests"]:
        return
    by_class: dict[str, int] = {}
    for status, count in stats["statuses"].items():
        key = f"{status // 100}xx"
        by_class[key] = by_class.get(key, 0) + count
    terminalreporter.write_sep("-", "schemathesis fuzz")
    terminalreporter.write_line(
        f"{stats['requests']} requests, {len(stats['server_errors'])} answered 5xx "
        f"({', '.join(f'{k}: {v}' for k, v in sorted(by_class.items()))}); "
        f"GLANCE_EMULATOR_FUZZ_EXAMPLES={stats['examples']}"
    )
    for line in stats["server_errors"][:20]:
        terminalreporter.write_line(f"  5xx: {line}")
    if terminalreporter.verbosity > 0:
        for label, counts in sorted(stats["per_operation"].items()):
            spread = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
            terminalreporter.write_line(f"  {label}: {spread}")
