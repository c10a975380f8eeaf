"""Targeted cases: a script per endpoint and rule, sent to both sides.

A case fails when any of its differences is not in ``expected_divergences.py``; the failure
prints every step that differed and the case as a replayable script.
"""

from __future__ import annotations

import time

import pytest

from differential import cases_images, cases_metadefs, cases_sharing
from differential.calls import Call, script_source
from differential.pair import Pair, report

CASES: dict[str, list[Call]] = {
    **cases_images.CASES,
    **cases_sharing.CASES,
    **cases_metadefs.CASES,
}


@pytest.mark.parametrize("name", list(CASES))
def test_targeted_case(name: str, pair: Pair, ledger) -> None:  # type: ignore[no-untyped-def]
    calls = CASES[name]
    started, before = time.monotonic(), pair.requests
    problems = []
    for call in calls:
        step = pair.run(call)
        ledger.record("targeted", step, pair.history)
        if step.unexpected:
            problems.append(report(step))
    ledger.tally("targeted").requests += pair.requests - before
    ledger.seconds["targeted"] = ledger.seconds.get("targeted", 0.0) + time.monotonic() - started
    if problems:
        pytest.fail(
            f"{len(problems)} step(s) of {name!r} differ unexpectedly:\n"
            + "\n".join(problems)
            + "\n\n"
            + script_source(calls, f"targeted case {name!r}"),
            pytrace=False,
        )
