"""Which bytes a partial download serves: Glance's reading of ``Range`` (and ``Content-Range``).

Glance parses with webob (``glance/common/wsgi.py`` ``Request.get_range_from_request``,
``webob/byterange.py``) and slices in ``glance/api/v2/image_data.py``
``ResponseSerializer.download``. werkzeug's ``parse_range_header`` is stricter than webob
(it refuses ``bytes=-0`` and suffixes longer than the file, which Glance serves whole, and
it accepts several ranges, which Glance refuses with 400), so the rules are stated here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from emulator.core import errors

# webob: a prefix match, spaces allowed, case-insensitive; trailing text is ignored.
_RANGE = re.compile(r"bytes *= *(\d*) *- *(\d*)", re.IGNORECASE)
_CONTENT_RANGE = re.compile(r"bytes (?:(\d+)-(\d+)|[*])/(?:(\d+)|[*])")

#: Python reads numbers of up to 4,300 digits (``sys.get_int_max_str_digits``); webob lets
#: the error of a longer one through, and Glance answers 500. We answer 416, as for any
#: header webob cannot parse.
MAX_DIGITS = 4300

MULTIPLE_RANGES = (
    "Requests with multiple ranges are not supported in Glance. You may make multiple "
    "single-range requests instead."
)


@dataclass(frozen=True)
class Slice:
    offset: int
    length: int
    #: The response's ``Content-Range``.
    content_range: str


def refuse_multiple(range_header: str | None) -> None:
    """Glance checks this before anything else about the data (400)."""
    if range_header is not None and "," in range_header:
        raise errors.BadRequest(MULTIPLE_RANGES)


def _unsatisfiable(message: str) -> errors.RangeNotSatisfiable:
    # Glance passes the text positionally: webob's ``detail``, after the 416 explanation.
    return errors.RangeNotSatisfiable(detail=message)


def _start_message(header: str, size: int) -> str:
    return (
        f"Invalid start position in {header} header. Start position MUST be in the inclusive "
        f"range [0, {size - 1}]."
    )


def _parse_range(value: str) -> tuple[int, int | None]:
    """webob's ``Range.parse``: (start, exclusive end or None); a suffix has a negative
    start. What webob cannot parse is Glance's 416 "Invalid Range header."."""
    match = _RANGE.match(value)
    if match is None or match.group(1) == match.group(2) == "":
        raise _unsatisfiable("Invalid Range header.")
    first, last = match.groups()
    if len(first) > MAX_DIGITS or len(last) > MAX_DIGITS:
        raise _unsatisfiable("Invalid Range header.")
    if first == "":
        return -int(last), None  # a suffix: the last N bytes
    start = int(first)
    end = int(last) + 1 if last else None  # webob keeps ``end`` exclusive
    if end is not None and start >= end:
        raise _unsatisfiable("Invalid Range header.")
    return start, end


def _from_range(value: str, size: int) -> Slice:
    start, end = _parse_range(value)
    if start >= size:
        raise _unsatisfiable(_start_message("Range", size))
    # ResponseSerializer.download: a suffix at least as long as the image serves it whole.
    offset = start if start >= 0 else (size + start if -start < size else 0)
    if end is not None and end < size:
        return Slice(offset, end - offset, f"bytes {offset}-{end - 1}/{size}")
    return Slice(offset, size - offset, f"bytes {offset}-{size - 1}/{size}")


def _parse_content_range(value: str) -> tuple[int, int, int | None]:
    """webob's ``ContentRange.parse``: (start, exclusive stop, length or None)."""
    match = _CONTENT_RANGE.match(value)
    if match is None or match.group(1) is None:
        # webob also accepts ``bytes */N``, on which Glance fails with a 500.
        raise _unsatisfiable("Invalid Content-Range header.")
    if any(len(group or "") > MAX_DIGITS for group in match.groups()):
        raise _unsatisfiable("Invalid Content-Range header.")
    start, stop = int(match.group(1)), int(match.group(2)) + 1
    length = int(match.group(3)) if match.group(3) is not None else None
    if start >= stop or (length is not None and (stop > length or start >= length)):
        raise _unsatisfiable("Invalid Content-Range header.")
    return start, stop, length


def _from_content_range(value: str, size: int) -> Slice:
    """The pre-RFC 7233 habit of sending ``Content-Range`` in a request, still honoured."""
    start, stop, length = _parse_content_range(value)
    if length is None and stop > size:
        raise _unsatisfiable(
            "Invalid stop position in Content-Range header. The stop position MUST be in the "
            f"inclusive range [0, {size - 1}]."
        )
    if start >= size:
        raise _unsatisfiable(_start_message("Content-Range", size))
    # Glance would announce bytes past the end of the image; we stop at its end.
    stop = min(stop, size)
    return Slice(start, stop - start, f"bytes {start}-{stop - 1}/{size}")


def select(range_header: str | None, content_range_header: str | None, size: int) -> Slice | None:
    """The part of an image of ``size`` bytes to send, or None for all of it (200)."""
    refuse_multiple(range_header)
    if range_header is not None:
        return _from_range(range_header, size)
    if content_range_header is not None:
        return _from_content_range(content_range_header, size)
    return None


def check_syntax(range_header: str | None, content_range_header: str | None) -> None:
    """For an image without data: Glance parses the header before it compares it with the
    size, so a header webob cannot parse is a 416 even then (``get_range_from_request``).
    A well-formed one makes Glance compare with a size of None and drop the connection;
    we answer as for no Range at all (204)."""
    refuse_multiple(range_header)
    if range_header is not None:
        _parse_range(range_header)
    elif content_range_header is not None:
        _parse_content_range(content_range_header)
