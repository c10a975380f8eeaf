"""Query-string helpers with Nova's refusals (``common.py`` ``get_pagination_params``,
``validation/validators.py`` for query parameters)."""

from __future__ import annotations

from flask import request

from emulator.core import errors


def one(name: str) -> str | None:
    """The last value of ``name`` (Nova's query schemas take lists; the views read one)."""
    values = request.args.getlist(name)
    return values[-1] if values else None


def limit_and_marker(max_limit: int) -> tuple[int, str | None]:
    """``limit`` a non-negative integer (0 or missing: ``max_limit``), ``marker`` as sent."""
    limit = max_limit
    raw = one("limit")
    if raw is not None:
        if not raw.isascii() or not raw.isdigit():
            raise errors.BadRequest(
                f"Invalid input for query parameters limit. Value: {raw}. "
                f"'{raw}' does not match '^[0-9]*$'"
            )
        limit = min(int(raw), max_limit) if len(raw) < 20 else max_limit
        limit = limit or max_limit
    return limit, one("marker")
