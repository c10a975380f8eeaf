"""Fault rules: what to match, what to do, how often; and the table of rules in force.

A rule matches on method, path pattern (``fnmatch``: ``*`` also crosses ``/``), user and
project (an id or a name), then fires with a probability and at most ``count`` times. When
it fires it adds latency, answers a status with the service's own error body, cuts the
connection part-way through a download or an upload, or ends a download early. Nothing
about the request is stored unless ``pass_through`` says the request goes through first (a
status then replaces its real answer: "created, but the client never heard").

Pure: no Flask, no I/O. The table is shared by the serving threads, hence its lock.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from emulator.core import errors

#: download: the answer starts with its full Content-Length and the connection drops after
#: cut_after_bytes; truncate: the answer is sent without Content-Length (chunked) and ends,
#: well-formed, after cut_after_bytes (only a checksum shows it); upload: the request body is
#: read up to cut_after_bytes, then the connection drops unanswered.
CUT_KINDS = ("download", "truncate", "upload")
DOWNLOAD_CUTS = ("download", "truncate")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
FIELDS = (
    "name",
    "method",
    "path",
    "user",
    "project",
    "probability",
    "count",
    "latency_ms",
    "status",
    "cut",
    "cut_after_bytes",
    "pass_through",
)
MAX_LATENCY_MS = 600_000
#: Where a rule never applies: the control API and the panel (whose trainer view manages
#: rules) must stay reachable to remove rules; neither is an OpenStack API to emulate.
EXEMPT_PREFIXES = ("/_emulator", "/panel")


def _error_classes() -> dict[int, type[errors.EmulatorError]]:
    found: dict[int, type[errors.EmulatorError]] = {500: errors.EmulatorError}
    pending = list(errors.EmulatorError.__subclasses__())
    while pending:
        cls = pending.pop()
        found.setdefault(cls.status, cls)
        pending.extend(cls.__subclasses__())
    return found


#: Statuses a rule may answer, each with the service's own error body.
ERROR_CLASSES = _error_classes()


@dataclass
class FaultRule:
    id: str
    name: str | None = None
    method: tuple[str, ...] = ()
    path: str | None = None
    user: str | None = None
    project: str | None = None
    probability: float = 1.0
    count: int | None = None
    latency_ms: float = 0.0
    status: int | None = None
    cut: str | None = None
    cut_after_bytes: int = 0
    pass_through: bool = False
    fired: int = field(default=0)

    @property
    def label(self) -> str:
        """How the request log names what this rule did."""
        parts = []
        if self.latency_ms:
            parts.append(f"latency {self.latency_ms:g}ms")
        if self.status is not None:
            parts.append(f"status {self.status}" + (" after" if self.pass_through else ""))
        if self.cut is not None:
            parts.append(f"cut {self.cut} after {self.cut_after_bytes}B")
        return f"{self.name or self.id}: {', '.join(parts)}"

    def as_dict(self) -> dict[str, Any]:
        remaining = None if self.count is None else max(self.count - self.fired, 0)
        return {
            "id": self.id,
            "name": self.name,
            "method": list(self.method) or None,
            "path": self.path,
            "user": self.user,
            "project": self.project,
            "probability": self.probability,
            "count": self.count,
            "latency_ms": self.latency_ms,
            "status": self.status,
            "cut": self.cut,
            "cut_after_bytes": self.cut_after_bytes,
            "pass_through": self.pass_through,
            "fired": self.fired,
            "remaining": remaining,
        }

    def error(self) -> errors.EmulatorError:
        assert self.status is not None
        return ERROR_CLASSES[self.status]()


class RuleError(errors.BadRequest):
    """A malformed rule: a 400 naming the field, and nothing changed."""


def _number(body: Mapping[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise RuleError(f"{name} must be a number from {low:g} to {high:g}, not {value!r}.")
    return float(value)


def _whole(body: Mapping[str, Any], name: str, low: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise RuleError(f"{name} must be a whole number of at least {low}, not {value!r}.")
    return value


def _text(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > 255:
        raise RuleError(f"{name} must be a non-empty string (at most 255 characters).")
    return value


def _methods(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    listed = [value] if isinstance(value, str) else value
    if not isinstance(listed, list) or not listed:
        raise RuleError("method must be a method name or a list of them.")
    found = []
    for item in listed:
        if not isinstance(item, str) or item.upper() not in METHODS:
            raise RuleError(f"method must be one of {', '.join(METHODS)}, not {item!r}.")
        found.append(item.upper())
    return tuple(found)


def parse_rule(body: Any, rule_id: str) -> FaultRule:
    """A checked rule from its JSON form, or :class:`RuleError` saying what is wrong."""
    if not isinstance(body, dict):
        raise RuleError("A fault rule must be a JSON object.")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise RuleError(f"Unknown field {unknown[0]!r}; a rule has: {', '.join(FIELDS)}.")
    path = _text(body, "path")
    if path is not None and not path.startswith(("/", "*")):
        raise RuleError(f"path must be a pattern starting with / or *, not {path!r}.")
    status = _whole(body, "status", 0)
    if status is not None and status not in ERROR_CLASSES:
        known = ", ".join(str(s) for s in sorted(ERROR_CLASSES))
        raise RuleError(f"status must be one of {known} (an error the service answers).")
    cut = body.get("cut")
    if cut is not None and cut not in CUT_KINDS:
        raise RuleError(f"cut must be one of {', '.join(CUT_KINDS)}, not {cut!r}.")
    pass_through = body.get("pass_through", False)
    if not isinstance(pass_through, bool):
        raise RuleError("pass_through must be true or false.")
    latency = _number(body, "latency_ms", 0, MAX_LATENCY_MS) or 0.0
    if status is None and cut is None and not latency:
        raise RuleError("A rule must do something: give latency_ms, status or cut.")
    if status is not None and cut is not None:
        raise RuleError("Give status or cut, not both.")
    if pass_through and status is None:
        raise RuleError("pass_through goes with status (the answer replaced afterwards).")
    if "cut_after_bytes" in body and cut is None:
        raise RuleError("cut_after_bytes goes with cut.")
    methods = _methods(body.get("method"))
    if cut in DOWNLOAD_CUTS and methods and "GET" not in methods:
        raise RuleError("A download cut applies to GET: this rule would never fire.")
    if cut == "upload" and methods and not set(methods) & {"PUT", "POST", "PATCH"}:
        raise RuleError("An upload cut applies to PUT, POST or PATCH: it would never fire.")
    if path is not None and path.startswith(EXEMPT_PREFIXES):
        raise RuleError(
            f"{' and '.join(p + '/' for p in EXEMPT_PREFIXES)} are never faulted "
            "(rules must stay removable)."
        )
    probability = _number(body, "probability", 0, 1)
    if probability == 0:
        raise RuleError("probability must be above 0: this rule would never fire.")
    count = _whole(body, "count", 1)
    return FaultRule(
        id=rule_id,
        name=_text(body, "name"),
        method=methods,
        path=path,
        user=_text(body, "user"),
        project=_text(body, "project"),
        probability=1.0 if probability is None else probability,
        count=count,
        latency_ms=latency,
        status=status,
        cut=cut,
        cut_after_bytes=_whole(body, "cut_after_bytes", 0) or 0,
        pass_through=pass_through,
    )


#: (id) -> name, for matching a rule's user or project given by name.
Names = Callable[[str], str | None]


@dataclass(frozen=True)
class Asking:
    """What a rule is matched against."""

    method: str
    path: str
    user_id: str | None
    project_id: str | None
    user_name: Names
    project_name: Names


def _who_matches(wanted: str | None, given: str | None, name_of: Names) -> bool:
    if wanted is None:
        return True
    if given is None:
        return False
    return wanted == given or wanted == name_of(given)


def matches(rule: FaultRule, asking: Asking) -> bool:
    if rule.method and asking.method not in rule.method:
        return False
    if rule.path is not None and not fnmatchcase(asking.path, rule.path):
        return False
    if rule.cut in DOWNLOAD_CUTS and asking.method != "GET":
        return False
    if rule.cut == "upload" and asking.method not in (rule.method or ("PUT",)):
        return False  # image data goes up by PUT (file, stage); others when listed
    return _who_matches(rule.user, asking.user_id, asking.user_name) and _who_matches(
        rule.project, asking.project_id, asking.project_name
    )


class FaultTable:
    """The rules in force, in the order added; the first that matches and fires wins."""

    def __init__(self, chance: Callable[[], float] = random.random):
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._chance = chance
        #: Why no rule may be added, if none may (``control/per_process.py``).
        self.refusal: str | None = None

    def __bool__(self) -> bool:
        return bool(self._rules)

    def add(self, body: Any) -> FaultRule:
        if self.refusal is not None:
            raise errors.Conflict(self.refusal)
        with self._lock:
            rule = parse_rule(body, f"fault-{next(self._ids)}")
            self._rules.append(rule)
        return rule

    def list(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def delete(self, rule_id: str) -> bool:
        with self._lock:
            kept = [r for r in self._rules if r.id != rule_id]
            found = len(kept) != len(self._rules)
            self._rules = kept
        return found

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def fire(self, asking: Asking) -> FaultRule | None:
        """The rule that fires for this request (its count taken), or None."""
        if asking.path.startswith(EXEMPT_PREFIXES):
            return None
        for rule in self.list():
            if rule.count is not None and rule.fired >= rule.count:
                continue
            if not matches(rule, asking):
                continue
            if rule.probability < 1.0 and self._chance() >= rule.probability:
                continue
            with self._lock:
                if rule.count is not None and rule.fired >= rule.count:
                    continue
                rule.fired += 1
            return rule
        return None


def check_can_take(table: FaultTable, scenario: dict[str, Any] | None) -> None:
    """Conflict if ``scenario`` has rules ``table`` may not take: before a reset or load
    changes anything."""
    if table.refusal is not None and (scenario or {}).get("faults"):
        raise errors.Conflict(table.refusal)


def put_in_force(table: FaultTable, scenario: dict[str, Any] | None, *, replace: bool) -> None:
    """A scenario's ``faults`` into ``table``: instead of the rules there (a reset; none for
    the demo accounts) or beside them (a load)."""
    if replace:
        table.clear()
    for rule in (scenario or {}).get("faults", []):
        table.add(rule)
