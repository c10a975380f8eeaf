"""Compare two normalised answers; name each difference and the class it belongs to.

Four aspects, reported separately: ``status`` (only this one is reported when the codes
differ: the bodies of two different statuses say nothing more), ``header``, ``body`` (JSON
paths), and ``error-text`` (the ``message`` of an error with the same code).

A class is what stays the same when the same divergence recurs with other ids, names or
data: the aspect, the request's shape (method, path with symbols generalised, the kind of
body) and the first differing field, e.g. ``status | GET /v2/images/{img}/file | 416 vs 204``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from differential.calls import NO_BODY, SYMBOL, Call
from differential.normalise import View

MISSING = "<absent>"


@dataclass(frozen=True)
class Difference:
    aspect: str  # status | header | body | error-text
    where: str  # header name or JSON path ("" for status)
    real: Any
    emulator: Any

    def describe(self) -> str:
        where = f" {self.where}" if self.where else ""
        return f"{self.aspect}{where}: real {_short(self.real)} / emulator {_short(self.emulator)}"


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 160 else text[:157] + "..."


def path_shape(path: str) -> str:
    """``/v2/images/<<img:3>>/members/<<project:consumer>>``
    -> ``/v2/images/{img}/members/{project}``."""
    return SYMBOL.sub(lambda m: "{" + m.group(1) + "}", path)


def body_shape(call: Call) -> str:
    if call.json is not NO_BODY:
        return type(call.json).__name__
    if call.data is not None:
        return f"bytes[{'0' if not call.data else 'n'}]"
    return ""


def request_shape(call: Call) -> str:
    path = path_shape(call.path)
    # A tag or member that is not a symbol is data, not shape; the images list keeps its
    # parameter names (filters are shape), not their values.
    path = re.sub(r"^(/v2/images/\{img\}/tags/).+$", r"\1{tag}", path)
    path = re.sub(r"^(/v2/images/[^/]+/members/)[^{/][^/]*$", r"\1{member}", path)
    path = re.sub(r"^/v2/images/[^{/][^/]*", "/v2/images/{id}", path)
    keys = sorted({part.split("=")[0] for part in call.query.split("&") if part})
    query = f"?{'&'.join(keys)}" if keys else ""
    body = body_shape(call)
    return f"{call.method} {path}{query}" + (f" <{body}>" if body else "")


def class_of(call: Call, difference: Difference) -> str:
    detail = difference.where
    if difference.aspect == "status":
        detail = f"{difference.real} vs {difference.emulator}"
    detail = re.sub(r"\[\d+\]", "[]", detail)
    if detail.endswith(".description") and request_shape(call).startswith("GET /v2/schemas"):
        detail = "*.description (schema prose)"
    return f"{difference.aspect} | {request_shape(call)} | {detail}"


def compare(call: Call, real: View, emulator: View) -> list[Difference]:
    if real.status != emulator.status:
        return [Difference("status", "", real.status, emulator.status)]
    differences: list[Difference] = []
    for name in sorted(set(real.headers) | set(emulator.headers)):
        a, b = real.headers.get(name, MISSING), emulator.headers.get(name, MISSING)
        if a != b:
            differences.append(Difference("header", name, a, b))
    real_body, emulator_body = real.body, emulator.body
    if real.order or emulator.order:
        emulator_body, order_problem = _align_image_order(real, emulator)
        differences += order_problem
    differences += _diff_json(real_body, emulator_body, "")
    if real.error_text != emulator.error_text:
        differences.append(
            Difference("error-text", "message", real.error_text, emulator.error_text)
        )
    return differences


def _tied(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return a == b


def _align_image_order(real: View, emulator: View) -> tuple[Any, list[Difference]]:
    """Check that the emulator's list keeps every order the real one fixes, then put it in
    the real one's order. Two images are free to swap when either side shows the same sort
    values for them (Glance then orders by id, which differs between the sides; whole
    seconds make such ties common)."""
    real_keys = dict(real.order)
    emulator_keys = dict(emulator.order)
    real_ids = [symbol for symbol, _ in real.order]
    emulator_ids = [symbol for symbol, _ in emulator.order]
    common = [s for s in real_ids if s in emulator_keys]
    position = {symbol: index for index, symbol in enumerate(emulator_ids)}
    problems: list[Difference] = []
    for i, first in enumerate(common):
        for second in common[i + 1 :]:
            free = _tied(real_keys[first], real_keys[second]) or _tied(
                emulator_keys[first], emulator_keys[second]
            )
            if not free and position[first] > position[second]:
                problems.append(
                    Difference("body", "images[order]", [first, second], [second, first])
                )
    if not isinstance(emulator.body, dict) or "images" not in emulator.body:
        return emulator.body, problems
    by_id = dict(zip(emulator_ids, emulator.body["images"], strict=False))
    ordered = [by_id[s] for s in real_ids if s in by_id]
    ordered += [by_id[s] for s in emulator_ids if s not in real_keys]
    return {**emulator.body, "images": ordered}, problems[:1]


def _diff_json(a: Any, b: Any, path: str) -> list[Difference]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[Difference] = []
        for key in sorted(set(a) | set(b), key=str):
            out += _diff_json(a.get(key, MISSING), b.get(key, MISSING), f"{path}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            out += _diff_json(x, y, f"{path}[{index}]")
        return out
    if a != b or type(a) is not type(b):
        return [Difference("body", path or ".", a, b)]
    return []
