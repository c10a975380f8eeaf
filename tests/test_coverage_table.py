"""api-ref/COVERAGE.md's "Where we differ from Glance on purpose" table and the differential
suite's expected-divergence list name the same differences: a new accepted difference must
be documented, and a documented one must be what the suite accepts."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADING = "## Where we differ from Glance on purpose"


def expected_keys() -> list[str]:
    path = ROOT / "tests" / "differential" / "expected_divergences.py"
    spec = importlib.util.spec_from_file_location("expected_divergences", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return [entry.key for entry in module.EXPECTED]


def documented_keys() -> list[str]:
    text = (ROOT / "api-ref" / "COVERAGE.md").read_text()
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z0-9-]+)` \|", section, re.MULTILINE)


def test_the_table_lists_exactly_the_accepted_differences() -> None:
    keys = expected_keys()
    assert len(keys) == len(set(keys)), "an entry key is used twice"
    assert documented_keys() == keys


def test_every_entry_says_whose_answer_is_off() -> None:
    text = (ROOT / "api-ref" / "COVERAGE.md").read_text()
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert rows
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        assert cells[4] in ("Glance", "the reference stack's deployment", "neither (our choice)")
        assert len(cells[5]) > 20, row  # a reason, not a placeholder
