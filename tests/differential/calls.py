"""A request written once and sent to two servers: ``Call``, with symbols for what differs.

Ids differ between the two sides (each server makes its own image ids, and the two
Keystones have their own project and user ids), so a call names them with symbols that
each side resolves to its own value:

- ``<<project:NAME>>`` / ``<<user:NAME>>``: the demo user NAME's project or user id;
- ``<<img:K>>``: the image that call number K of the script created;
- ``<<uuid:K>>``: a fresh random UUID, made the first time a side resolves it (so a replay
  never meets an id the real Glance remembers from an earlier run: it never reuses one).

A script is a list of calls. ``script_source`` prints one as Python that ``replay.py`` runs.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

SYMBOL = re.compile(r"<<(project|user|img|uuid|token):([A-Za-z0-9_-]+)>>")


class _NoBody:
    def __repr__(self) -> str:
        return "NO_BODY"


NO_BODY: Any = _NoBody()


@dataclass(frozen=True)
class Call:
    """One HTTP request, as a client would make it.

    ``user`` is a demo user name (its token is sent), None for no token, or ``"bad-token"``
    for a token neither side issued. ``service`` picks the base URL: ``image`` (Glance) or
    ``identity`` (Keystone's root; paths then start with ``/v3``). ``query`` is the raw,
    already encoded query string. ``follow_next`` makes a list call fetch every page through
    each side's own ``next`` links (the markers differ) and compare them as one list.
    """

    user: str | None
    method: str
    path: str
    query: str = ""
    json: Any = NO_BODY
    data: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    service: str = "image"
    follow_next: bool = False

    def describe(self) -> str:
        query = f"?{self.query}" if self.query else ""
        who = self.user or "anonymous"
        return f"{self.method} {self.path}{query} as {who}"

    def source(self) -> str:
        """This call as Python source (defaults left out), for a replayable script."""
        parts = [repr(self.user), repr(self.method), repr(self.path)]
        for item in dataclasses.fields(self):
            if item.name in ("user", "method", "path"):
                continue
            value = getattr(self, item.name)
            default = item.default if item.default_factory is dataclasses.MISSING else {}
            if value is default or value == default:
                continue
            parts.append(f"{item.name}={value!r}")
        return f"Call({', '.join(parts)})"


def script_source(calls: list[Call], title: str = "") -> str:
    lines = ['"""' + (title or "A differential script") + '"""', ""]
    lines.append(
        "from differential.calls import NO_BODY, Call  # noqa: F401  (replay.py runs this)"
    )
    lines.append("")
    lines.append("SCRIPT = [")
    for index, call in enumerate(calls):
        lines.append(f"    {call.source()},  # {index}")
    lines.append("]")
    return "\n".join(lines)


class Symbols:
    """One side's symbol table: symbol <-> its own value for that symbol."""

    def __init__(self) -> None:
        self.to_value: dict[str, str] = {}
        self.to_symbol: dict[str, str] = {}

    def bind(self, symbol: str, value: str) -> None:
        self.to_value[symbol] = value
        # A value seen under two symbols (an image created with <<uuid:3>> is also
        # <<img:5>>) keeps the first name, which is what both sides agree on.
        self.to_symbol.setdefault(value.lower(), symbol)

    def resolve_text(self, text: str) -> str:
        def one(match: re.Match[str]) -> str:
            symbol = match.group(0)
            if symbol not in self.to_value:
                if match.group(1) == "uuid":
                    self.bind(symbol, str(uuid.uuid4()))
                else:
                    # An image that was never made on this side: an id nobody has.
                    return "00000000-0000-4000-8000-" + f"{zlib.crc32(symbol.encode()):012d}"
            return self.to_value[symbol]

        return SYMBOL.sub(one, text)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.resolve_text(value)
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            return {self.resolve(k): self.resolve(v) for k, v in value.items()}
        return value

    def symbolise_text(self, text: str) -> str:
        """Every known value inside ``text`` replaced by its symbol (longest first)."""
        if not self.to_symbol:
            return text
        pattern = self._pattern()
        return pattern.sub(lambda m: self.to_symbol[m.group(0).lower()], text)

    def _pattern(self) -> re.Pattern[str]:
        values = sorted(self.to_symbol, key=len, reverse=True)
        return re.compile("|".join(re.escape(v) for v in values), re.IGNORECASE)

    def symbol_of(self, value: str) -> str | None:
        return self.to_symbol.get(value.lower())
