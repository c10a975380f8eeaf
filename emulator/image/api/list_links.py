"""The ``first`` and ``next`` links of an image list (ResponseSerializer.index in
glance/api/v2/images.py): the request's own parameters, the last value of each in first-seen
order, with ``marker`` replaced."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from emulator.image.domain.list_query import QueryParams


def first_link(pairs: Sequence[tuple[str, str]]) -> str:
    """``/v2/images`` plus every parameter but ``marker`` (last value of each, first order)."""
    params = QueryParams(pairs).last_values()
    params.pop("marker", None)
    query = urlencode(params)
    return f"/v2/images?{query}" if query else "/v2/images"


def next_link(pairs: Sequence[tuple[str, str]], marker: str) -> str:
    params = QueryParams(pairs).last_values()
    params.pop("marker", None)
    params["marker"] = marker
    return f"/v2/images?{urlencode(params)}"
