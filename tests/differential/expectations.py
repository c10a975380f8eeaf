"""Match differences against the expected-divergence table (``expected_divergences.py``).

An entry matches a difference when the request has its shape (a regular expression over
``compare.request_shape``, e.g. ``POST /v2/images <list>``), the optional ``when``
condition holds for the request, and the difference has its aspect, place and values.
Anything no entry matches is unexpected, and fails the suite.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from differential.calls import Call
from differential.compare import Difference, class_of, request_shape
from differential.expected_divergences import EXPECTED, Expected


def _non_ascii_path(call: Call) -> bool:
    """Non-ASCII once decoded: a literal ``é`` or its percent-encoded UTF-8."""
    return not unquote(call.path).isascii()


def _text_first_non_ascii(call: Call) -> bool:
    head = (call.data or b"")[:65536]
    return any(byte >= 0x80 for byte in head)


def _long_member_or_key(call: Call) -> bool:
    body = call.json if isinstance(call.json, dict | list) else {}
    if isinstance(body, dict):
        if len(str(body.get("member", ""))) > 255:
            return True
        return any(len(str(key)) > 255 for key in body)
    return any(isinstance(op, dict) and len(str(op.get("path", ""))) > 256 for op in body)


def _range_header(call: Call) -> bool:
    return any(name.lower() in ("range", "content-range") for name in call.headers)


def _kernel_or_ramdisk(call: Call) -> bool:
    text = str(call.json)
    return "kernel_id" in text or "ramdisk_id" in text


def _uncomparable_filter(call: Call) -> bool:
    keys = {part.split("=")[0] for part in call.query.split("&") if part}
    plain = {"properties", "locations", "members", "changes-since", "tags"}
    return (
        bool(keys & plain)
        or any(k.endswith(("_min", "_max")) for k in keys)
        or bool(keys & {"created_at", "updated_at"})
    )


def _odd_member(call: Call) -> bool:
    """A member id Glance cannot store: empty or null, or a list or object."""
    if not isinstance(call.json, dict):
        return False
    member = call.json.get("member")
    return not member or isinstance(member, list | dict)


CONDITIONS: dict[str, Callable[[Call], bool]] = {
    "kernel or ramdisk id": _kernel_or_ramdisk,
    "filter Glance cannot compare": _uncomparable_filter,
    "odd member": _odd_member,
    "non-ascii path": _non_ascii_path,
    "non-ascii data": _text_first_non_ascii,
    "over 255 characters": _long_member_or_key,
    "range header": _range_header,
}


def _first_line_kept(real: Any, emulator: Any) -> bool:
    """The emulator's message is the first line of the real one (jsonschema's dump cut)."""
    return isinstance(real, str) and isinstance(emulator, str) and real.split("\n")[0] == emulator


RULES: dict[str, Callable[[Any, Any], bool]] = {
    "emulator keeps the first line": _first_line_kept,
}


@dataclass(frozen=True)
class Verdict:
    difference: Difference
    cls: str
    expected: Expected | None


def _matches(entry: Expected, call: Call, difference: Difference) -> bool:
    if not re.search(entry.request, request_shape(call)):
        return False
    if entry.when is not None and not CONDITIONS[entry.when](call):
        return False
    if entry.aspect != difference.aspect:
        return False
    if entry.where is not None and not re.search(entry.where, difference.where):
        return False
    if not _value_matches(entry.real, difference.real):
        return False
    if not _value_matches(entry.emulator, difference.emulator):
        return False
    if entry.rule is not None and not RULES[entry.rule](difference.real, difference.emulator):
        return False
    return True


def _value_matches(wanted: object, seen: object) -> bool:
    """None: any value; a tuple: one of its values; else that value."""
    if wanted is None:
        return True
    if isinstance(wanted, tuple):
        return seen in wanted
    return wanted == seen


def judge(call: Call, differences: list[Difference]) -> list[Verdict]:
    verdicts = []
    for difference in differences:
        entry = next((e for e in EXPECTED if _matches(e, call, difference)), None)
        verdicts.append(Verdict(difference, class_of(call, difference), entry))
    return verdicts


def taints_on_request(call: Call) -> Expected | None:
    """The entry, if the call is of a shape whose effect is known to differ (``taints``)
    even though the two answers may be the same (a garbled tag answers 204 on both sides)."""
    return next(
        (
            entry
            for entry in EXPECTED
            if entry.taints
            and entry.aspect == "request"
            and re.search(entry.request, request_shape(call))
            and (entry.when is None or CONDITIONS[entry.when](call))
        ),
        None,
    )
