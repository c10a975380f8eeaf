"""The small grammars inside ``GET /v2/images`` filter values.

* ``op:value`` (``glance/common/utils.py`` ``split_filter_op``): no colon, or a value that is
  itself an ISO 8601 time, means ``eq``.
* ``in:`` lists with double-quoted items (``split_filter_value_for_quotes`` after
  ``validate_quotes``): ``in:"glass, darkly",share me`` is two names.
* ISO 8601 times as Glance reads them: ``oslo_utils.timeutils.parse_isotime``, which is the
  ``iso8601`` library's ``parse_date`` (no zone means UTC), then ``normalize_time`` (naive UTC).

Every refusal raises ``errors.BadRequest`` with Glance's words.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from emulator.core import errors

# The iso8601 library's grammar, same structure (so the same backtracking picks the same
# groups): YYYY, then optionally -M/-MM or MM (not YYYYMM alone), then optionally -D/-DD or
# DD, then optionally [ T]hh[[:]mm][[:]s[s][.,fraction]][Z|±hh[[:]mm]]. ``$`` (not ``\Z``),
# as there: a single trailing newline is tolerated.
_ISO8601 = re.compile(
    r"(?P<year>\d{4})"
    r"(((-(?P<monthdash>\d{1,2}))|(?P<month>\d{2})(?!$))"
    r"(((-(?P<daydash>\d{1,2}))|(?P<day>\d{2}))"
    r"(((?P<separator>[ T])(?P<hour>\d{2})(:?(?P<minute>\d{2}))?"
    r"(:?(?P<second>\d{1,2})([.,](?P<second_fraction>\d+))?)?"
    r"(?P<timezone>Z|((?P<tz_sign>[-+])(?P<tz_hour>\d{2}):?(?P<tz_minute>\d{2})?))?)?))?)?$",
    re.ASCII,
)

# split_filter_value_for_quotes: a quoted item (backslash escapes kept verbatim), or a run of
# non-commas, each with an optional trailing comma; a lone comma is an empty item.
_IN_ITEM = re.compile(r'"((?:[^"\\]|\\.)*)",?|([^,]+),?|,')


def parse_isotime(value: str) -> dt.datetime:
    """An aware datetime, or ValueError (iso8601.parse_date's acceptance, exactly)."""
    match = _ISO8601.match(value)
    if match is None:
        raise ValueError(f"Unable to parse date string {value!r}")
    groups = {k: v for k, v in match.groupdict().items() if v is not None}
    try:
        zone = dt.UTC
        if groups.get("timezone", "Z") != "Z":
            hours = int(groups["tz_hour"])
            minutes = int(groups.get("tz_minute", 0))
            if groups["tz_sign"] == "-":
                hours, minutes = -hours, -minutes
            zone = dt.timezone(dt.timedelta(hours=hours, minutes=minutes))
        fraction = Decimal(f"0.{groups.get('second_fraction', 0)}")
        return dt.datetime(
            year=int(groups["year"]),
            month=int(groups.get("month", groups.get("monthdash", 1))),
            day=int(groups.get("day", groups.get("daydash", 1))),
            hour=int(groups.get("hour", 0)),
            minute=int(groups.get("minute", 0)),
            second=int(groups.get("second", 0)),
            microsecond=int(fraction * Decimal(1000000)),
            tzinfo=zone,
        )
    except (ValueError, OverflowError) as exc:
        raise ValueError(str(exc)) from exc


def to_utc(moment: dt.datetime) -> dt.datetime:
    """oslo's normalize_time: naive UTC. OverflowError near year 1 or 9999."""
    offset = moment.utcoffset()
    naive = moment.replace(tzinfo=None)
    return naive if offset is None else naive - offset


def split_filter_op(expression: str) -> tuple[str, str]:
    """(operator, operand): ``eq`` when there is no colon or the whole value is a time."""
    left, sep, right = expression.partition(":")
    if not sep:
        return "eq", left
    try:
        parse_isotime(expression)
    except ValueError:
        return left, right
    return "eq", expression


def validate_quotes(value: str) -> None:
    """Quotes must open after a comma (or at the start), close before one, and balance."""
    opening = True
    for i, char in enumerate(value):
        if char != '"' or (i and value[i - 1] == "\\"):
            continue
        if opening and i and value[i - 1] != ",":
            raise errors.BadRequest(
                f"Invalid filter value {value}. There is no comma before opening quotation mark."
            )
        if not opening and i + 1 != len(value) and value[i + 1] != ",":
            raise errors.BadRequest(
                f"Invalid filter value {value}. There is no comma after closing quotation mark."
            )
        opening = not opening
    if not opening:
        raise errors.BadRequest(f"Invalid filter value {value}. The quote is not closed.")


def split_in_list(value: str) -> list[str]:
    """The items of an ``in:`` operand."""
    validate_quotes(value)
    return [quoted or plain for quoted, plain in _IN_ITEM.findall(value)]
