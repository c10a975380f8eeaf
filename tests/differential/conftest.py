"""Fixtures of the differential suite: the real stack, an emulator subprocess, a ledger.

Collected only by ``make diff-real`` (``tests/conftest.py`` ignores this folder unless
GLANCE_DIFF_REAL=1). The real stack must be up (``make real-glance-up``); the emulator is
started here, ephemeral, on a free port. Every step's verdicts go into a ledger printed at
the end and written to ``build/diff-real/report.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from differential.calls import script_source
from differential.pair import Pair, Step, Tally
from differential.targets import REPO, EmulatorProcess, Target, real_target, stack_is_up

REPORT = REPO / "build" / "diff-real" / "report.json"


class Ledger:
    def __init__(self) -> None:
        self.parts: dict[str, Tally] = {}
        self.seconds: dict[str, float] = {}

    def tally(self, part: str) -> Tally:
        return self.parts.setdefault(part, Tally())

    def record(self, part: str, step: Step, history: list) -> None:  # type: ignore[type-arg]
        tally = self.tally(part)
        tally.steps += 1
        tally.add(step, history)

    def as_json(self) -> dict[str, object]:
        return {
            part: {
                "steps": tally.steps,
                "requests": tally.requests,
                "seconds": round(self.seconds.get(part, 0.0), 1),
                "unexpected_by_class": dict(tally.classes.most_common()),
                "expected_by_entry": dict(tally.expected.most_common()),
                "shared_failures": dict(tally.shared_failures.most_common()),
                "first_sightings": {
                    name: {"step": tally.sightings[name], "script": script_source(calls)}
                    for name, calls in tally.examples.items()
                },
            }
            for part, tally in self.parts.items()
        }


LEDGER = Ledger()


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    return LEDGER


@pytest.fixture(scope="session")
def real() -> Iterator[Target]:
    target = real_target()
    if not stack_is_up(target):
        pytest.fail(
            f"no real Keystone at {target.identity_url}: run `make real-glance-up` first",
            pytrace=False,
        )
    target.login_all()
    yield target
    target.close()


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    process = EmulatorProcess(tmp_path_factory.mktemp("emulator") / "emulator.log")
    process.start()
    try:
        target = process.target()
        target.login_all()
        yield target
        target.close()
    finally:
        process.stop()


@pytest.fixture
def pair(real: Target, emulator: Target) -> Pair:
    return Pair(real, emulator, taint_unexpected=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not LEDGER.parts:
        return
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "parts": LEDGER.as_json(),
    }
    REPORT.write_text(json.dumps(document, indent=2))
    write = terminalreporter.write_line
    write("")
    write("differential suite: steps, requests, divergences by class")
    for part, tally in LEDGER.parts.items():
        write(
            f"  {part}: {tally.steps} steps, {tally.requests} requests, "
            f"{sum(tally.classes.values())} unexpected, {sum(tally.expected.values())} expected"
        )
        for name, count in tally.classes.most_common():
            write(f"    {count:5d}  {name}")
        for name, count in tally.expected.most_common():
            write(f"    {count:5d}  expected: {name}")
        for name, count in tally.shared_failures.most_common():
            write(f"    {count:5d}  both sides failed alike: {name}")
    write(f"  (written to {Path(REPORT).relative_to(REPO)})")
