"""``GET /v2/images``: what the query string means.

Pure rules. ``parse`` replays Glance's own steps over the query pairs, in Glance's order, so
every 400 (and which of two bad parameters wins) matches:

1. ``RequestDeserializer.index`` (glance/api/v2/images.py): pops the *first* ``limit``,
   ``marker`` and ``member_status``, every ``tag``; checks ``visibility`` and
   ``changes-since`` (the *last* value, as webob's ``MultiDict.get`` reads), then
   ``member_status``, ``limit``, and the sort parameters.
2. ``ImagesController.index``: ``os_hidden`` and ``protected``.
3. ``_image_get_all`` / ``_make_conditions_from_filters`` (glance/db/sqlalchemy/api.py): the
   DB layer pops the *first* ``visibility``; the rest become conditions, key by key in
   query-string order, last value winning for a repeated key.

``read_request`` is stages 1 and 2 and ``to_query`` stage 3: Glance's ``get_images`` policy
check (a 403) sits between them. ``parse`` is both at once. Who may see which images is
``list_scope``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from emulator.core import errors
from emulator.image.domain.list_filters import (
    EQUALITY_COLUMNS,
    OPERATOR_COLUMNS,
    TIME_COLUMNS,
    UNFILTERABLE,
    Compare,
    Condition,
    operator_condition,
    range_condition,
    time_condition,
)

# glance/api/v2/images.py RequestDeserializer
SORT_KEYS = (
    "name",
    "status",
    "container_format",
    "disk_format",
    "size",
    "id",
    "created_at",
    "updated_at",
)
SORT_DIRS = ("asc", "desc")
DEFAULT_SORT_KEY = "created_at"
DEFAULT_SORT_DIR = "desc"
VISIBILITY_VALUES = ("community", "public", "private", "shared", "all")
MEMBER_STATUS_VALUES = ("pending", "accepted", "rejected", "all")
#: glance/db/sqlalchemy/api.py: ``id`` is String(36); a longer marker is "not found" at once.
MAX_ID_LENGTH = 36

#: Value a NULL takes in the keyset comparison (``_get_default_column_value``); ``None`` for
#: the NOT NULL columns, which need no COALESCE.
SORT_NULL_DEFAULTS: Mapping[str, str | int | None] = {
    "name": "",
    "status": None,
    "container_format": "",
    "disk_format": "",
    "size": 0,
    "id": None,
    "created_at": None,
    "updated_at": None,
}


@dataclass(frozen=True)
class ListQuery:
    limit: int
    marker: str | None
    member_status: str
    #: What the DB layer sees: the *first* ``visibility`` given (checked was the last one).
    visibility: str | None
    os_hidden: bool
    conditions: tuple[Condition, ...]
    properties: tuple[tuple[str, str], ...]
    tags: tuple[str, ...]
    #: (key, direction) pairs, with Glance's ``created_at`` and ``id`` tie-breakers appended.
    sort: tuple[tuple[str, str], ...]


class QueryParams:
    """Just enough of webob's MultiDict: ``pop`` takes the first value, ``get`` the last."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        self.items = list(pairs)

    def __contains__(self, key: str) -> bool:
        return any(k == key for k, _ in self.items)

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in reversed(self.items):
            if k == key:
                return v
        return default

    def pop(self, key: str, default: str | None = None) -> str | None:
        for index, (k, v) in enumerate(self.items):
            if k == key:
                del self.items[index]
                return v
        return default

    def pop_all(self, key: str) -> list[str]:
        values = [v for k, v in self.items if k == key]
        self.items = [(k, v) for k, v in self.items if k != key]
        return values

    def last_values(self) -> dict[str, str]:
        """``dict(multidict)``: first-seen key order, last value."""
        result: dict[str, str] = {}
        for k, v in self.items:
            result[k] = v
        return result


@dataclass
class RequestParams:
    """What the deserializer and the controller leave for the DB layer (stages 1 and 2)."""

    limit: int
    marker: str | None
    member_status: str
    tags: list[str]
    sort: tuple[tuple[str, str], ...]
    os_hidden: bool
    protected: str | None
    rest: QueryParams


def parse(pairs: Sequence[tuple[str, str]], default_limit: int, max_limit: int) -> ListQuery:
    """The query string of ``GET /v2/images`` as a ListQuery, or Glance's 400."""
    return to_query(read_request(pairs, default_limit, max_limit))


def read_request(
    pairs: Sequence[tuple[str, str]], default_limit: int, max_limit: int
) -> RequestParams:
    """Stages 1 and 2: the 400s Glance gives before its ``get_images`` policy check."""
    params = QueryParams(pairs)
    # RequestDeserializer.index
    raw_limit = params.pop("limit")
    marker = params.pop("marker")
    member_status = params.pop("member_status", "accepted")
    tags = [tag.strip() for tag in params.pop_all("tag")]
    visibility = params.get("visibility")
    if visibility and visibility not in VISIBILITY_VALUES:
        raise errors.BadRequest(f"Invalid visibility value: {visibility}")
    if "changes-since" in params:
        # Glance checks only a non-empty value; an empty one is a 500 further down.
        raise errors.BadRequest('The "changes-since" filter is no longer available on v2.')
    if member_status not in MEMBER_STATUS_VALUES:
        raise errors.BadRequest(f"Invalid status: {member_status}")
    limit = default_limit if raw_limit is None else _limit(raw_limit)
    sort = _sorting(params)
    # ImagesController.index
    os_hidden = (params.pop_all("os_hidden") or ["false"])[-1].lower()
    if os_hidden not in ("true", "false"):
        raise errors.BadRequest(
            f"Invalid value '{os_hidden}' for 'os_hidden' filter. "
            "Valid values are 'true' or 'false'."
        )
    protected = params.pop_all("protected")
    if protected and protected[-1] not in ("true", "false"):
        raise errors.BadRequest(
            f"Invalid value '{protected[-1]}' for 'protected' filter. "
            "Valid values are 'true' or 'false'."
        )
    params.pop_all("deleted")  # the controller forces deleted=False
    return RequestParams(
        limit=min(max_limit, limit),
        marker=marker,
        member_status=member_status,
        tags=tags,
        sort=sort,
        os_hidden=os_hidden == "true",
        protected=protected[-1] if protected else None,
        rest=params,
    )


def to_query(request: RequestParams) -> ListQuery:
    """Stage 3, _image_get_all / _make_conditions_from_filters: the 400s that come after the
    policy check."""
    params = request.rest
    tags = list(request.tags)
    db_visibility = params.pop("visibility")
    conditions: list[Condition] = []
    if request.protected is not None:
        conditions.append(Compare("protected", "=", int(request.protected == "true")))
    for column in ("checksum", "os_hash_value"):
        value = params.pop(column)
        if value is not None:
            conditions.append(Compare(column, "=", value))
    if "properties" in params:
        raise errors.BadRequest("Unable to filter on attribute 'properties'.")
    if tags:
        params.pop_all("tags")  # the deserializer's filters['tags'] = [...] replaces them
    elif "tags" in params:
        # Without any ``tag``, a ``tags=abc`` reaches the DB as a string and Glance iterates
        # it: every character must be a tag.
        tags = list(params.pop("tags") or "")
    properties: list[tuple[str, str]] = []
    remaining = params.last_values()
    for key, value in remaining.items():
        if key.endswith(("_min", "_max")):
            conditions.append(range_condition(key, value))
        elif key in TIME_COLUMNS:
            conditions.extend(time_condition(key, value))
        elif key in OPERATOR_COLUMNS:
            conditions.append(operator_condition(key, value))
    for key, value in remaining.items():
        if key.endswith(("_min", "_max")) or key in TIME_COLUMNS or key in OPERATOR_COLUMNS:
            continue
        if key in UNFILTERABLE:
            raise errors.BadRequest(f"Unable to filter on attribute '{key}'.")
        if key in EQUALITY_COLUMNS:
            conditions.append(Compare(key, "=", value))
        else:
            properties.append((key, value))
    return ListQuery(
        limit=request.limit,
        marker=request.marker,
        member_status=request.member_status,
        visibility=db_visibility,
        os_hidden=request.os_hidden,
        conditions=tuple(conditions),
        properties=tuple(properties),
        tags=tuple(tags),
        sort=request.sort,
    )


def _limit(value: str) -> int:
    try:
        limit = int(value)
    except ValueError:
        raise errors.BadRequest("limit param must be an integer") from None
    if limit < 0:
        raise errors.BadRequest("limit param must be positive")
    return limit


def _sort_key(key: str) -> str:
    if key not in SORT_KEYS:
        raise errors.BadRequest(
            f"Invalid sort key: {key}. It must be one of the following: {', '.join(SORT_KEYS)}."
        )
    return key


def _sort_dir(direction: str) -> str:
    if direction not in SORT_DIRS:
        raise errors.BadRequest(f"Invalid sort direction: {direction}")
    return direction


def _sorting(params: QueryParams) -> tuple[tuple[str, str], ...]:
    """Classic ``sort_key``/``sort_dir`` or new ``sort=k:d,...``; then the DB's tie-breakers."""
    keys: list[str] = []
    dirs: list[str] = []
    if "sort" in params:
        if "sort_key" in params or "sort_dir" in params:
            raise errors.BadRequest("Old and new sorting syntax cannot be combined")
        for item in (params.pop("sort") or "").strip().split(","):
            key, _, direction = item.partition(":")
            keys.append(_sort_key(key.strip()))
            dirs.append(_sort_dir(direction.strip() if direction else DEFAULT_SORT_DIR))
    else:
        keys = [_sort_key(k.strip()) for k in params.pop_all("sort_key")]
        dirs = [_sort_dir(d.strip()) for d in params.pop_all("sort_dir")]
        if len(dirs) > 1 and len(dirs) != len(keys):
            raise errors.BadRequest("Number of sort dirs does not match the number of sort keys")
    keys = keys or [DEFAULT_SORT_KEY]
    dirs = dirs or [DEFAULT_SORT_DIR]
    # _image_get_all: one direction serves every key and the tie-breakers; several directions
    # leave the tie-breakers descending.
    tie_dir = dirs[0] if len(dirs) == 1 else DEFAULT_SORT_DIR
    if len(dirs) == 1:
        dirs = dirs * len(keys)
    for key in ("created_at", "id"):
        if key not in keys:
            keys.append(key)
            dirs.append(tie_dir)
    return tuple(zip(keys, dirs, strict=True))


def check_marker_length(marker: str) -> None:
    """_check_image_id raises ImageNotFound() with its template unformatted, as Glance shows."""
    if len(marker) > MAX_ID_LENGTH:
        raise errors.BadRequest("Image with the given id %(image_id)s was not found")
