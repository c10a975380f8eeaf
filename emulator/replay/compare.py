"""Comparing a recorded answer with the answer its replay got.

Two strictnesses:

- ``shape`` (the default): the status, and for JSON the same keys everywhere, the same JSON
  type for each value (``null``, ``boolean``, ``number``, ``string``, ``array``,
  ``object``) and lists as long (a Keystone catalog only as a list: its length is the
  deployment's). What differs by nature between two clouds (ids, times,
  checksums of random data, host names) cannot make a difference here.
- ``values``: the shape, and every scalar equal once the recorded answer has had its ids
  replaced by the replay's (:class:`~emulator.replay.ids.IdMap`) and the values that differ
  by nature are set aside: times, hashes, request ids, ``expires_at``, and the scheme and
  host of URLs.
"""

from __future__ import annotations

import re
from typing import Any

from emulator.core.body_capture import REDACTED
from emulator.replay.ids import IdMap

MODES = ("shape", "values")

#: Values compared in neither mode: they differ between any two runs.
VOLATILE_KEYS = frozenset(
    {
        "created_at",
        "updated_at",
        "expires_at",
        "issued_at",
        "deleted_at",
        "checksum",
        "os_hash_value",
        "audit_ids",
        "request_id",
        "password_expires_at",
        "launched_at",
        "terminated_at",
        "hostId",
        "OS-EXT-SRV-ATTR:host",
    }
)

#: Compared by JSON type only: what a cloud's deployment decides, not its API (a real
#: Keystone's catalog lists every service and region it has).
DEPLOYMENT_KEYS = frozenset({"catalog"})

_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$")
_ORIGIN = re.compile(r"^https?://[^/]+")

#: Shown in place of a long value.
SHOWN = 60


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


def normalise(value: Any) -> Any:
    """A scalar as compared in ``values`` mode: times are all alike, URLs lose their
    scheme and host (the two sides are different hosts)."""
    if isinstance(value, str):
        if _TIME.match(value):
            return "<time>"
        return _ORIGIN.sub("", value)
    return value


def differences(
    recorded: Any, replayed: Any, *, mode: str = "shape", where: str = "$"
) -> list[str]:
    """What differs between two JSON documents, one line each (``$.image.status: ...``).
    In ``values`` mode, ``recorded`` should already have its ids substituted."""
    recorded_type, replayed_type = json_type(recorded), json_type(replayed)
    if recorded_type != replayed_type:
        return [f"{where}: {recorded_type} recorded, {replayed_type} replayed"]
    found: list[str] = []
    if isinstance(recorded, dict):
        for key in recorded:
            if key not in replayed:
                found.append(f"{where}.{key}: missing from the replay")
        for key in replayed:
            if key not in recorded:
                found.append(f"{where}.{key}: only in the replay")
        for key, value in recorded.items():
            if key not in replayed or key in VOLATILE_KEYS:
                continue
            if key in DEPLOYMENT_KEYS:
                if json_type(value) != json_type(replayed[key]):
                    found.append(
                        f"{where}.{key}: {json_type(value)} recorded, "
                        f"{json_type(replayed[key])} replayed"
                    )
                continue
            found += differences(value, replayed[key], mode=mode, where=f"{where}.{key}")
    elif isinstance(recorded, list):
        if len(recorded) != len(replayed):
            found.append(f"{where}: {len(recorded)} items recorded, {len(replayed)} replayed")
        for index, (old, new) in enumerate(zip(recorded, replayed, strict=False)):
            found += differences(old, new, mode=mode, where=f"{where}[{index}]")
    elif recorded == REDACTED:
        pass  # a secret the recording did not keep (Nova's adminPass): its type is compared
    elif mode == "values" and normalise(recorded) != normalise(replayed):
        found.append(f"{where}: {_shown(recorded)} recorded, {_shown(replayed)} replayed")
    return found


def compare_answers(
    *,
    recorded_status: int,
    recorded_body: Any,
    replayed_status: int,
    replayed_body: Any,
    ids: IdMap,
    mode: str = "shape",
) -> list[str]:
    """Everything that differs between two answers: the status first; bodies are compared
    when both sides are JSON (``None`` stands for no JSON body)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    found: list[str] = []
    if recorded_status != replayed_status:
        found.append(f"status: {recorded_status} recorded, {replayed_status} replayed")
    if recorded_body is None or replayed_body is None:
        if recorded_body is not None and recorded_status == replayed_status:
            found.append("body: JSON recorded, none replayed")
        return found
    if recorded_status != replayed_status:
        return found  # two different answers: their bodies differ by nature
    return found + differences(ids.substitute(recorded_body), replayed_body, mode=mode)
