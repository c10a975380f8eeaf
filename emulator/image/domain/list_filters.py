"""Conditions on the ``images`` columns that ``GET /v2/images`` filters can build.

glance/db/sqlalchemy/api.py ``_make_conditions_from_filters``: ``<column>_min``/``_max``
ranges, ``created_at``/``updated_at`` comparisons, ``in:``/``eq:`` on five columns, and plain
equality on the other columns of glance's ``models.Image``. Pure: the store writes the SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from emulator.core import errors
from emulator.image.domain.filter_syntax import (
    parse_isotime,
    split_filter_op,
    split_in_list,
    to_utc,
)

# How _make_conditions_from_filters treats a key (the columns of glance's models.Image).
OPERATOR_COLUMNS = ("name", "id", "status", "container_format", "disk_format")
TIME_COLUMNS = ("created_at", "updated_at")
EQUALITY_COLUMNS = (
    "visibility",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "owner",
    "protected",
    "size",
    "virtual_size",
    "min_disk",
    "min_ram",
    "deleted_at",
)
#: ``<column>_min`` / ``<column>_max``. Glance builds ``column >= int`` for any attribute:
#: meaningless on text/time columns and a 500 on non-columns; we answer 400 for those.
RANGE_COLUMNS = ("size", "virtual_size", "min_disk", "min_ram")
#: Relationships of models.Image: ``?locations=x`` is a 500 in Glance; we answer 400.
UNFILTERABLE = ("properties", "locations", "members", "tags")

TIME_OPERATORS = ("gt", "gte", "eq", "neq", "lt", "lte")


# --- conditions on columns of ``images`` (the store turns them into SQL) -------------------


@dataclass(frozen=True)
class Compare:
    column: str
    op: str  # one of = != < <= > >=
    value: str | int


@dataclass(frozen=True)
class OneOf:
    column: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one of ``terms`` (an empty AnyOf matches nothing)."""

    terms: tuple[Compare, ...]


ALWAYS = ()  # an empty tuple of conditions
NEVER = AnyOf(())
Condition = Compare | OneOf | AnyOf


SQL_INT_MAX = 2**63 - 1
SQL_INT_MIN = -(2**63)


def range_condition(key: str, value: str) -> Condition:
    try:
        number = int(value)
    except ValueError:
        raise errors.BadRequest("Unable to filter on a range with a non-numeric value.") from None
    column = key[:-4]
    if column not in RANGE_COLUMNS:
        raise errors.BadRequest(
            f"Unable to filter on a range of '{column}': range filters apply to "
            f"{', '.join(RANGE_COLUMNS)}."
        )
    at_least = key.endswith("_min")
    # SQLite integers are 64-bit; past that, the answer is known without asking.
    if number > SQL_INT_MAX:
        return NEVER if at_least else Compare(column, "<=", SQL_INT_MAX)
    if number < SQL_INT_MIN:
        return Compare(column, ">=", SQL_INT_MIN) if at_least else NEVER
    return Compare(column, ">=" if at_least else "<=", number)


def operator_condition(column: str, value: str) -> Condition:
    operator, operand = split_filter_op(value)
    if operator == "in":
        return OneOf(column, tuple(split_in_list(operand)))
    if operator == "eq":
        return Compare(column, "=", operand)
    raise errors.BadRequest(f"Unable to filter by unknown operator '{operator}'.")


def _storage(moment: dt.datetime) -> str:
    """Our stored timestamp format (emulator/clock.py to_storage), for naive UTC."""
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}Z"
    )


def time_condition(column: str, value: str) -> tuple[Condition, ...]:
    """``created_at=gte:2024-01-01T00:00:00Z`` and friends.

    Glance keeps timestamps at whole seconds (MySQL DATETIME) and shows them so; we store
    microseconds to keep creation order and show the truncated second. Comparing the second
    we show with the threshold, as Glance compares its column, becomes a range on the stored
    value, which keeps the index usable.
    """
    operator, operand = split_filter_op(value)
    try:
        threshold = to_utc(parse_isotime(operand))
    except (ValueError, OverflowError):
        raise errors.BadRequest(
            f'Bad "{column}" query filter format. Use ISO 8601 DateTime notation.'
        ) from None
    if operator not in TIME_OPERATORS:
        raise errors.BadRequest("Unable to filter on a unknown operator.")
    whole = threshold.microsecond == 0
    start = _storage(threshold.replace(microsecond=0))
    try:
        after: str | None = _storage(threshold.replace(microsecond=0) + dt.timedelta(seconds=1))
    except OverflowError:
        after = None  # past 9999-12-31T23:59:59: nothing is later
    at_or_after_next = NEVER if after is None else Compare(column, ">=", after)
    before_next: tuple[Condition, ...] = ALWAYS if after is None else (Compare(column, "<", after),)
    if operator == "gt" or (operator == "gte" and not whole):
        return (at_or_after_next,)
    if operator == "gte":
        return (Compare(column, ">=", start),)
    if operator == "lt" and whole:
        return (Compare(column, "<", start),)
    if operator in ("lt", "lte"):
        return before_next
    if operator == "eq":
        return (Compare(column, ">=", start), *before_next) if whole else (NEVER,)
    # neq
    if not whole:
        return ALWAYS
    outside = [Compare(column, "<", start)]
    if after is not None:
        outside.append(Compare(column, ">=", after))
    return (AnyOf(tuple(outside)),)
