"""Fixtures of the differential suite: the real stack, an emulator subprocess, a ledger.

Collected only by ``make diff-real`` (``tests/conftest.py`` ignores this folder unless
GLANCE_DIFF_REAL=1). When nothing answers at the real stack's default URLs, the session
starts it with ``make real-glance-up`` and stops it at the end (``DIFF_KEEP_REAL=1`` keeps
it up); a stack already up is used and left as it is. The emulator is started here,
ephemeral, on a free port. Every step's verdicts go into a ledger printed at
the end and written to ``build/diff-real/report.json``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from differential.calls import script_source
from differential.pair import Pair, Step, Tally
from differential.targets import (
    REPO,
    EmulatorProcess,
    Target,
    is_default_stack,
    real_target,
    stack_is_up,
    start_real_stack,
    stop_real_stack,
)

REPORT = REPO / "build" / "diff-real" / "report.json"


class Ledger:
    def __init__(self) -> None:
        self.parts: dict[str, Tally] = {}
        self.seconds: dict[str, float] = {}
        self.notes: list[str] = []

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
    stop_at_end = False
    if not stack_is_up(target):
        if not is_default_stack(target):
            pytest.fail(
                f"no real stack answers at {target.identity_url} and {target.image_url}",
                pytrace=False,
            )
        log_path = REPORT.parent / "real-glance-up.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            seconds = start_real_stack(log_path)
        except RuntimeError as error:
            pytest.fail(f"could not start the real stack: {error}", pytrace=False)
        stop_at_end = os.environ.get("DIFF_KEEP_REAL") != "1"
        LEDGER.notes.append(
            f"real stack: nothing answered, so this run started it (make real-glance-up, "
            f"{seconds:.0f} s; output in {log_path.relative_to(REPO)}) and "
            + ("stopped it at the end (DIFF_KEEP_REAL=1 keeps it)" if stop_at_end else "kept it up")
        )
    try:
        target.login_all()
        yield target
        target.close()
    finally:
        if stop_at_end:
            stop_real_stack()


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
    for note in LEDGER.notes:
        terminalreporter.write_line(note)
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
