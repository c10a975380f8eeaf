"""The ids that differ between a recording and its replay, learned as the replay goes.

Every answer the two sides gave to the same request is walked side by side: where the
recording has an id (``id``, ``*_id``, ``owner``...) and the replay another, the recorded one
now stands for the replayed one (an image created, a task started, a project logged into).
Later requests have every recorded id replaced before they are sent, in their path, query
and body.
"""

from __future__ import annotations

import re
from typing import Any

#: Keys whose string values are ids.
ID_KEYS = frozenset({"id", "owner", "member", "imageRef", "flavorRef", "image", "server"})

#: Parts of a document not walked: their lists need not be in the same order on both
#: sides (a real cloud's catalog and role list), and links are URLs, not ids.
SKIPPED_KEYS = frozenset({"catalog", "roles", "links", "endpoints"})

#: Shorter values are not ids to replace everywhere ("default", "admin"): replacing them
#: inside other strings would do harm.
SHORTEST_ID = 8


def is_id_key(key: str) -> bool:
    return key in ID_KEYS or key.endswith("_id")


class IdMap:
    """Recorded id -> replayed id."""

    def __init__(self) -> None:
        self._map: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None
        #: (recorded id, the first replayed id, a later different one)
        self.conflicts: list[tuple[str, str, str]] = []

    def __len__(self) -> int:
        return len(self._map)

    def __contains__(self, old: object) -> bool:
        return old in self._map

    def get(self, old: str) -> str | None:
        return self._map.get(old)

    def as_dict(self) -> dict[str, str]:
        return dict(self._map)

    def add(self, old: str, new: str) -> None:
        """Learn that ``old`` is ``new`` on the other side. The first pairing wins: an id
        is made once, and a later answer pairing it otherwise is a misaligned list."""
        if old == new or len(old) < SHORTEST_ID:
            return
        known = self._map.get(old)
        if known is None:
            self._map[old] = new
            self._pattern = None
        elif known != new:
            self.conflicts.append((old, known, new))

    def learn(self, recorded: Any, replayed: Any) -> None:
        """Walk two answers to the same request side by side, pairing their ids. Lists are
        paired item by item only when they are as long."""
        if isinstance(recorded, dict) and isinstance(replayed, dict):
            for key, old in recorded.items():
                if key in SKIPPED_KEYS or key not in replayed:
                    continue
                new = replayed[key]
                if is_id_key(key) and isinstance(old, str) and isinstance(new, str):
                    self.add(old, new)
                else:
                    self.learn(old, new)
        elif isinstance(recorded, list) and isinstance(replayed, list):
            if len(recorded) == len(replayed):
                for old, new in zip(recorded, replayed, strict=True):
                    self.learn(old, new)

    def substitute_text(self, text: str) -> str:
        """``text`` with every recorded id in it replaced (ids are long and random: one
        found inside a path, a query or an image URL is that id)."""
        if not self._map:
            return text
        if self._pattern is None:
            olds = sorted(self._map, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(old) for old in olds))
        return self._pattern.sub(lambda found: self._map[found.group(0)], text)

    def substitute(self, document: Any) -> Any:
        """A copy of a JSON document with every recorded id in its strings replaced (keys
        too: metadata keys never look like ids, image property names might hold one)."""
        if isinstance(document, str):
            return self.substitute_text(document)
        if isinstance(document, list):
            return [self.substitute(item) for item in document]
        if isinstance(document, dict):
            return {
                self.substitute_text(key): self.substitute(value) for key, value in document.items()
            }
        return document
