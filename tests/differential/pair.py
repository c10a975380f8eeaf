"""Send each call to both sides, normalise, compare, and sort out what was expected.

``Pair`` keeps one symbol table per side for the current script (images are bound to the
number of the call that created them, so both sides agree on ``<<img:K>>`` even when only
one of them made it). An image whose state is known to differ after a deliberate
divergence (see ``expected_divergences.py``: ``taints``) is *tainted*: it is left out of
every later comparison, so one documented difference does not show up again in every
later answer.

``Transcript`` runs a script on a single target and keeps the normalised views: the
self-check runs a script twice on the real stack and compares the transcripts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from differential.calls import Call, Symbols
from differential.compare import Difference, compare, request_shape
from differential.expectations import Verdict, judge, taints_on_request
from differential.normalise import View, normalise
from differential.targets import Answer, Target, wipe_images

IMAGE_IN_PATH = re.compile(r"^/v2/images/(<<img:\d+>>)")


@dataclass
class Step:
    index: int
    call: Call
    real: View
    emulator: View
    differences: list[Difference]
    verdicts: list[Verdict]
    tainting: str | None = None  # the expected entry whose request shape tainted the image

    @property
    def unexpected(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.expected is None]


@dataclass
class Tally:
    steps: int = 0
    requests: int = 0
    classes: Counter[str] = field(default_factory=Counter)
    expected: Counter[str] = field(default_factory=Counter)
    # For each unexpected class, its shortest sighting: the walk up to it, and the step.
    examples: dict[str, list[Call]] = field(default_factory=dict)
    sightings: dict[str, str] = field(default_factory=dict)
    # Requests both sides failed on alike (5xx or a dropped connection): no divergence, but
    # the emulator should answer a 4xx where Glance fails.
    shared_failures: Counter[str] = field(default_factory=Counter)

    def add(self, step: Step, history: list[Call]) -> None:
        if step.tainting is not None:
            self.expected[step.tainting] += 1
        status = step.emulator.status
        one_side = step.real is step.emulator  # the self-check's recorder
        if not one_side and step.real.status == status and (status == 0 or status >= 500):
            self.shared_failures[f"{request_shape(step.call)} | {status}"] += 1
        for verdict in step.verdicts:
            name = verdict.expected.key if verdict.expected else verdict.cls
            target = self.expected if verdict.expected else self.classes
            target[name] += 1
            if verdict.expected is None and (
                name not in self.examples or len(history) < len(self.examples[name])
            ):
                self.examples[name] = list(history)
                self.sightings[name] = report(step)


def register_created(call: Call, index: int, answer: Answer, symbols: Symbols) -> None:
    if (
        call.service == "image"
        and call.method == "POST"
        and call.path.rstrip("/") == "/v2/images"
        and answer.status == 201
    ):
        image_id = answer.json().get("id")
        if isinstance(image_id, str):
            symbols.bind(f"<<img:{index}>>", image_id)


def drop_tainted(view: View, tainted: set[str]) -> View:
    """An image list without the tainted images (their state differs on purpose)."""
    if not tainted or not isinstance(view.body, dict) or "images" not in view.body:
        return view
    keep = [(s, k) for s, k in view.order if s not in tainted]
    images = [
        image
        for image in view.body["images"]
        if not (isinstance(image, dict) and image.get("id") in tainted)
    ]
    body = {**view.body, "images": images}
    return View(view.status, view.headers, body, view.error_text, keep)


class Pair:
    """``taint_unexpected``: also stop comparing an image after a change that differed
    unexpectedly (the random walk, which would otherwise count one divergence again in
    every later answer); the targeted cases keep comparing, to see the consequences."""

    def __init__(self, real: Target, emulator: Target, taint_unexpected: bool = True):
        self.real = real
        self.emulator = emulator
        self.taint_unexpected = taint_unexpected
        self.begin()

    def begin(self) -> None:
        for target in (self.real, self.emulator):
            wipe_images(target)
        self.real_symbols = self.real.new_symbols()
        self.emulator_symbols = self.emulator.new_symbols()
        self.index = 0
        self.history: list[Call] = []
        self.tainted: set[str] = set()

    @property
    def requests(self) -> int:
        return self.real.requests_sent + self.emulator.requests_sent

    def image_of(self, call: Call) -> str | None:
        match = IMAGE_IN_PATH.match(call.path)
        return match.group(1) if match else None

    def run(self, call: Call) -> Step:
        index = self.index
        self.index += 1
        self.history.append(call)
        real_answer = self.real.send(call, self.real_symbols)
        register_created(call, index, real_answer, self.real_symbols)
        emulator_answer = self.emulator.send(call, self.emulator_symbols)
        register_created(call, index, emulator_answer, self.emulator_symbols)
        real_view = normalise(call, real_answer, self.real_symbols, self.real)
        emulator_view = normalise(call, emulator_answer, self.emulator_symbols, self.emulator)
        real_view = drop_tainted(real_view, self.tainted)
        emulator_view = drop_tainted(emulator_view, self.tainted)
        differences = compare(call, real_view, emulator_view)
        verdicts = judge(call, differences)
        image = self.image_of(call)
        created = f"<<img:{index}>>"
        if image in self.tainted:
            # Answers about a tainted image are not compared.
            return Step(index, call, real_view, emulator_view, differences, [])
        by_request = taints_on_request(call)
        if by_request or any(v.expected is not None and v.expected.taints for v in verdicts):
            self.tainted.add(image or created)
        changed = call.method not in ("GET", "HEAD")
        if self.taint_unexpected and changed and any(v.expected is None for v in verdicts):
            # A change that went differently leaves the image different on the two sides:
            # later answers about it would only repeat this divergence.
            self.tainted.add(image or created)
        tainting = by_request.key if by_request else None
        return Step(index, call, real_view, emulator_view, differences, verdicts, tainting)


class Transcript:
    """A script run on one target, kept as normalised views (for the self-check)."""

    def __init__(self, target: Target):
        self.target = target
        self.begin()

    def begin(self) -> None:
        wipe_images(self.target)
        self.symbols = self.target.new_symbols()
        self.index = 0

    def send(self, call: Call) -> View:
        answer = self.target.send(call, self.symbols)
        register_created(call, self.index, answer, self.symbols)
        self.index += 1
        return normalise(call, answer, self.symbols, self.target)

    def run(self, calls: list[Call]) -> list[View]:
        self.begin()
        return [self.send(call) for call in calls]


def first_unexpected(steps: list[Step]) -> Step | None:
    return next((step for step in steps if step.unexpected), None)


def report(step: Step) -> str:
    lines = [f"step {step.index}: {step.call.describe()}"]
    for verdict in step.verdicts:
        mark = f"expected ({verdict.expected.key})" if verdict.expected else "UNEXPECTED"
        lines.append(f"  {mark}: {verdict.difference.describe()}")
        lines.append(f"    class: {verdict.cls}")
    return "\n".join(lines)


def as_jsonable(view: View) -> dict[str, Any]:
    return {
        "status": view.status,
        "headers": view.headers,
        "body": view.body,
        "error_text": view.error_text,
    }
