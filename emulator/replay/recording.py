"""Reading a recording: the request log of a server started with ``--record-bodies``, as
NDJSON (``/_emulator/requests?format=ndjson``, ``glance-emulator requests --json``) or as
the JSON answer of ``/_emulator/requests``. Entries are put back in the order they were
answered (by ``seq``), whatever order the file has them in.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emulator.core.body_capture import is_data_path

#: Our own APIs: no other cloud has them, and replaying a reset would be harmful anyway.
IGNORED_PREFIXES = ("/_emulator/", "/panel")

_LOGIN_PATH = re.compile(r"^/identity(/v3)?/auth/tokens/?$")


class RecordingError(ValueError):
    """The file is not a recording, or was made without bodies."""


@dataclass(frozen=True)
class Recorded:
    seq: int
    method: str
    path: str
    query: str
    status: int
    user_id: str | None
    user_name: str | None
    project_id: str | None
    bytes: int
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: Any = None
    response_body: Any = None
    body_notes: tuple[str, ...] = ()
    #: When the request arrived, in seconds since the epoch (None if not recorded).
    at: float | None = None

    @property
    def target(self) -> str:
        return self.path + ("?" + self.query if self.query else "")

    @property
    def is_data(self) -> bool:
        """Image data going up (upload, stage) or down (download)."""
        return is_data_path(self.path)

    @property
    def is_login(self) -> bool:
        return self.method == "POST" and _LOGIN_PATH.match(self.path) is not None

    @property
    def ignored(self) -> str | None:
        """Why this request is not replayed at all (not a failure), or None."""
        if self.path.startswith(IGNORED_PREFIXES):
            return "the emulator's own API: not replayed"
        return None

    @property
    def unreplayable(self) -> str | None:
        """Why this request cannot be sent as it was (a failure to replay), or None."""
        for note in self.body_notes:
            if note.startswith("request body"):
                return f"{note} (cannot be sent again)"
        if self.is_data and self.method == "PUT":
            if not self.request_headers.get("content-length", "").isdigit():
                return "image data of unknown length (sent chunked): cannot be sent again"
        return None


def _seconds(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def offsets(entries: list[Recorded]) -> list[float]:
    """Seconds from the first request to each (``replay --keep-timing``): a client that
    polled a server until it was built must poll as long again. An entry without a time
    keeps the offset of the one before it; a clock that went back counts as no wait."""
    found: list[float] = []
    first = next((entry.at for entry in entries if entry.at is not None), None)
    latest = 0.0
    for entry in entries:
        if first is not None and entry.at is not None:
            latest = max(latest, entry.at - first)
        found.append(latest)
    return found


def _entry(item: Any, line: int) -> Recorded:
    if not isinstance(item, dict):
        raise RecordingError(f"entry {line}: not a JSON object")
    if "request_body" not in item:
        raise RecordingError(
            f"entry {line} has no request_body: record with 'glance-emulator serve "
            "--record-bodies' (GLANCE_EMULATOR_REQUEST_LOG_BODIES=1)"
        )
    try:
        return Recorded(
            seq=int(item["seq"]),
            method=str(item["method"]).upper(),
            path=str(item["path"]),
            query=str(item.get("query") or ""),
            status=int(item["status"]),
            user_id=item.get("user_id"),
            user_name=item.get("user_name"),
            project_id=item.get("project_id"),
            bytes=int(item.get("bytes") or 0),
            request_headers={
                str(k).lower(): str(v) for k, v in (item.get("request_headers") or {}).items()
            },
            request_body=item.get("request_body"),
            response_body=item.get("response_body"),
            body_notes=tuple(str(n) for n in item.get("body_notes") or ()),
            at=_seconds(item.get("time")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordingError(f"entry {line}: missing or bad field ({exc})") from None


def load(text: str) -> list[Recorded]:
    """The entries of a recording, oldest first."""
    stripped = text.strip()
    if not stripped:
        raise RecordingError("the recording is empty")
    items: list[Any]
    try:
        whole = json.loads(stripped)
    except ValueError:
        whole = None
    if isinstance(whole, dict) and isinstance(whole.get("requests"), list):
        items = whole["requests"]
    elif isinstance(whole, list):
        items = whole
    else:
        items = []
        for number, line in enumerate(stripped.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except ValueError:
                raise RecordingError(f"line {number} is not JSON") from None
    entries = [_entry(item, number) for number, item in enumerate(items, 1)]
    return sorted(entries, key=lambda entry: entry.seq)
