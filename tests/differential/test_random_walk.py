"""The random walk, by seed: ``DIFF_SEEDS`` (e.g. "1 2 3") × ``DIFF_STEPS`` steps each.

Each seed runs walks of up to ``DIFF_WALK_LENGTH`` steps (Hypothesis draws each walk's
length), in batches of ten walks, until the seed's step budget is spent; batch k of
seed s runs under Hypothesis seed ``s * 1000 + k``, so a seed always replays the same
walks. ``DIFF_SURVEY=1`` counts every
difference instead of stopping at the first (then shrinking it and printing the minimal
walk as a script). The self-check (``test_self_check``) walks the real stack alone and
replays each walk there: the two runs must not differ.
"""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.stateful import run_state_machine_as_test

from differential import walk
from differential.pair import Pair
from differential.targets import Target

SEEDS = [int(s) for s in os.environ.get("DIFF_SEEDS", "1").split()]
STEPS = int(os.environ.get("DIFF_STEPS", "300"))
WALK_LENGTH = int(os.environ.get("DIFF_WALK_LENGTH", "50"))
SELF_CHECK_STEPS = int(os.environ.get("DIFF_SELF_CHECK_STEPS", "400"))


def walk_until(run: walk.Run, seed: int, budget: int, shrink: bool) -> None:
    phases = [Phase.generate] + ([Phase.shrink] if shrink else [])
    config = settings(
        max_examples=10,
        stateful_step_count=WALK_LENGTH,
        deadline=None,
        database=None,
        phases=phases,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    walk.RUN = run
    k = 0
    while run.tally.steps < budget:
        machine = hypothesis_seed(seed * 1000 + k)(walk.Walk)
        run_state_machine_as_test(machine, settings=config)
        k += 1


@pytest.mark.parametrize("seed", SEEDS)
def test_random_walk(seed: int, real: Target, emulator: Target, ledger) -> None:  # type: ignore[no-untyped-def]
    survey = os.environ.get("DIFF_SURVEY") == "1"
    run = walk.Run(Pair(real, emulator), mode="survey" if survey else "fail")
    ledger.parts[f"walk seed {seed}"] = run.tally
    started = time.monotonic()
    try:
        walk_until(run, seed, STEPS, shrink=not survey)
    finally:
        ledger.seconds[f"walk seed {seed}"] = time.monotonic() - started
    if survey and run.tally.classes:
        pytest.fail(
            f"{sum(run.tally.classes.values())} unexpected difference(s) in "
            f"{len(run.tally.classes)} class(es) over {run.tally.steps} steps; "
            "see the summary",
            pytrace=False,
        )


def test_self_check(real: Target, ledger) -> None:  # type: ignore[no-untyped-def]
    run = walk.Run(walk.Recorder(real), mode="self")
    ledger.parts["self-check"] = run.tally
    started = time.monotonic()
    try:
        walk_until(run, 7, SELF_CHECK_STEPS, shrink=False)
    finally:
        ledger.seconds["self-check"] = time.monotonic() - started
