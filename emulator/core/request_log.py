"""The request log: a bounded ring of every request the emulator answered.

Read by ``/_emulator/requests``, ``glance-emulator requests``, the pytest plugin (a failing
test's requests go into its report) and the web panel, which codes against
:meth:`RequestLog.entries` and the keys of its dicts: keep them.

Recording must cost next to nothing per request: an entry is a tuple appended to a
``collections.deque`` (its ``append`` is atomic, so serving threads need no lock of ours);
dicts, ISO times and user names are only built when someone reads the log.

With ``record_bodies`` (``--record-bodies``, off by default) each entry also keeps the JSON
bodies of its request and answer (``emulator/core/body_capture.py`` decides what, and takes
the secrets out). Bodies live beside the ring, keyed by ``seq``, under a byte budget: the
oldest entries lose their bodies first, so the ring never holds more than ``body_budget``
bytes of them whatever its size.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from emulator.core.body_capture import Bodies, parse

#: Most bytes of bodies kept in all (see the module docstring).
BODY_BUDGET = 32 * 1024 * 1024


class Entry(NamedTuple):
    seq: int
    time: float
    request_id: str | None
    user_id: str | None
    project_id: str | None
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    bytes: int
    fault: str | None


#: Finds a user's name from its id (None if unknown); set by the app factory.
NameResolver = Callable[[str], str | None]


class RequestLog:
    """The last ``size`` requests, oldest dropped first."""

    def __init__(
        self,
        size: int = 1000,
        resolve_name: NameResolver | None = None,
        *,
        record_bodies: bool = False,
        body_budget: int = BODY_BUDGET,
    ):
        self.size = size
        self.record_bodies = record_bodies and size > 0
        self.body_budget = body_budget
        # Only touched when recording bodies: the default path stays lock-free.
        self._bodies: OrderedDict[int, Bodies] = OrderedDict()
        self._body_bytes = 0
        self._bodies_lock = threading.Lock()
        self._ring: deque[Entry] = deque(maxlen=size)
        self._seq = itertools.count(1)
        self._resolve_name = resolve_name
        # Names are looked up once per user id (ids are never reused for another name by
        # the emulator: a reset keeps a name's id or makes a new one).
        self._names: dict[str, str | None] = {}
        self._names_lock = threading.Lock()

    def record(
        self,
        *,
        started: float,
        request_id: str | None,
        user_id: str | None,
        project_id: str | None,
        method: str,
        path: str,
        query: str,
        status: int,
        duration_ms: float,
        sent: int,
        fault: str | None,
        bodies: Bodies | None = None,
    ) -> None:
        if not self.size:
            return
        seq = next(self._seq)
        if bodies is not None and self.record_bodies:
            self._keep_bodies(seq, bodies)
        self._ring.append(
            Entry(
                seq,
                started,
                request_id,
                user_id,
                project_id,
                method,
                path,
                query,
                status,
                duration_ms,
                sent,
                fault,
            )
        )

    def _keep_bodies(self, seq: int, bodies: Bodies) -> None:
        with self._bodies_lock:
            self._bodies[seq] = bodies
            self._body_bytes += bodies.size
            while self._bodies and (
                self._body_bytes > self.body_budget or len(self._bodies) > self.size
            ):
                _, dropped = self._bodies.popitem(last=False)
                self._body_bytes -= dropped.size

    @property
    def body_bytes(self) -> int:
        """Bytes of bodies kept now (at most ``body_budget``)."""
        return self._body_bytes

    def bodies_of(self, seq: int) -> dict[str, Any]:
        """The body keys of an entry (only when recording bodies)."""
        with self._bodies_lock:
            bodies = self._bodies.get(seq)
        if bodies is None:
            return {
                "request_headers": {},
                "request_body": None,
                "response_body": None,
                "body_notes": [f"bodies dropped: the log keeps {self.body_budget} bytes of them"],
            }
        return {
            "request_headers": dict(bodies.request_headers),
            "request_body": parse(bodies.request_body),
            "response_body": parse(bodies.response_body),
            "body_notes": list(bodies.notes),
        }

    @property
    def last_seq(self) -> int:
        """The sequence number of the newest entry (0 if none): read it, then ask for
        ``entries(after=...)`` to get only what came since."""
        ring = self._ring
        return ring[-1].seq if ring else 0

    def clear(self) -> None:
        self._ring.clear()
        with self._bodies_lock:
            self._bodies.clear()
            self._body_bytes = 0

    def user_name(self, user_id: str | None) -> str | None:
        if user_id is None or self._resolve_name is None:
            return None
        if user_id in self._names:
            return self._names[user_id]
        name = self._resolve_name(user_id)
        with self._names_lock:
            if name is not None:
                self._names[user_id] = name
        return name

    def entries(
        self,
        limit: int = 200,
        user: str | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        fault: bool | None = None,
        after: int = 0,
    ) -> list[dict[str, Any]]:
        """Newest first, at most ``limit``. ``user`` matches a user id or name; ``path`` is
        a prefix; ``fault`` True keeps only requests a fault rule answered; ``after`` keeps
        entries whose ``seq`` is greater."""
        found: list[dict[str, Any]] = []
        method = method.upper() if method else None
        for entry in reversed(list(self._ring)):  # a copy: writers keep appending
            if len(found) >= limit:
                break
            if entry.seq <= after:
                break
            if method is not None and entry.method != method:
                continue
            if path is not None and not entry.path.startswith(path):
                continue
            if status is not None and entry.status != status:
                continue
            if fault is not None and (entry.fault is not None) != fault:
                continue
            name = self.user_name(entry.user_id)
            if user is not None and user not in (entry.user_id, name):
                continue
            item = as_dict(entry, name)
            if self.record_bodies:
                item.update(self.bodies_of(entry.seq))
            found.append(item)
        return found


def iso_time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


def as_dict(entry: Entry, user_name: str | None) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "time": iso_time(entry.time),
        "request_id": entry.request_id,
        "user_id": entry.user_id,
        "user_name": user_name,
        "project_id": entry.project_id,
        "method": entry.method,
        "path": entry.path,
        "query": entry.query,
        "status": entry.status,
        "duration_ms": round(entry.duration_ms, 3),
        "bytes": entry.bytes,
        "fault": entry.fault,
    }


def access_line(item: dict[str, Any]) -> str:
    """One entry as a log line: ``time METHOD path?query status ms bytes user [fault]``."""
    target = item["path"] + ("?" + item["query"] if item["query"] else "")
    who = item["user_name"] or item["user_id"] or "-"
    line = (
        f"{item['time']} {item['method']} {target} {item['status']} "
        f"{item['duration_ms']:.1f}ms {item['bytes']}B {who} {item['request_id'] or '-'}"
    )
    if item["fault"]:
        line += f" fault={item['fault']}"
    return line
