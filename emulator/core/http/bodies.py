"""Reading request bodies the way Glance's JSONRequestDeserializer does, but bounded.

A body is present if the request is chunked or has a positive Content-Length
(``glance/common/wsgi.py`` ``has_body``); Content-Type is not checked for JSON bodies, as
in Glance. Bodies larger than ``max_request_body_size`` are refused with 413 before
being read in full.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, request
from werkzeug.exceptions import ClientDisconnected

from emulator.core import errors
from emulator.core.http.request_scope import current_request

_MISSING = object()


def has_body() -> bool:
    asked = current_request()
    if "chunked" in (asked.headers.get("Transfer-Encoding") or "").lower():
        return True
    return (asked.content_length or 0) > 0


def read_bytes(limit: int | None = None) -> bytes:
    if limit is None:
        limit = current_app.config["EMULATOR"].max_request_body_size
    if request.content_length is not None and request.content_length > limit:
        raise errors.RequestEntityTooLarge(
            f"The request body is larger than the limit of {limit} bytes."
        )
    data = read_stream(request.stream, limit + 1)
    if len(data) > limit:
        raise errors.RequestEntityTooLarge(
            f"The request body is larger than the limit of {limit} bytes."
        )
    return data


def read_stream(stream: Any, size: int) -> bytes:
    """``stream.read(size)``, with the server's own complaints about the body (bad chunked
    encoding: ValueError; a client that stalls past the timeout: OSError) as a 400."""
    try:
        return bytes(stream.read(size))
    except ClientDisconnected as exc:
        raise errors.BadRequest("The request body ended before its declared length.") from exc
    except (ValueError, OSError) as exc:
        raise errors.BadRequest("The request body could not be read.") from exc


def json_body(required: bool = True, limit: int | None = None) -> Any:
    """The parsed JSON body; 400 'Body expected in request.' when required and absent."""
    if not has_body():
        if required:
            raise errors.BadRequest("Body expected in request.")
        return _MISSING
    raw = read_bytes(limit)
    if not raw and required:
        raise errors.BadRequest("Body expected in request.")
    try:
        parsed = parse_json(raw)
    except ValueError as exc:
        raise errors.BadRequest("Malformed JSON in request body.") from exc
    if not isinstance(parsed, (dict, list)):
        raise errors.BadRequest("Unexpected body type. Expected list/dict.")
    return parsed


def parse_json(raw: bytes) -> Any:
    """JSON text (UTF-8) to Python values, or ValueError for anything that is not text a
    service could store: bad UTF-8, bad JSON, nesting too deep for the parser, and lone
    surrogates (``"\\udc80"`` is valid JSON but no Unicode text: SQLite and every
    encoder refuse it later, so it is refused here, once, as a 400)."""
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc
    if b"\\u" in raw and _has_lone_surrogate(parsed):
        raise ValueError("JSON text with a lone surrogate")
    return parsed


def _has_lone_surrogate(value: Any) -> bool:
    pending = [value]
    while pending:  # a loop, not recursion: the document may be deep
        item = pending.pop()
        if isinstance(item, str):
            if any("\ud800" <= ch <= "\udfff" for ch in item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def refuse_body() -> None:
    """Routes that take no body answer 400 if one is sent (glance/common/wsgi.py)."""
    if has_body():
        raise errors.BadRequest("A body is not expected with this request.")


def is_missing(value: Any) -> bool:
    return value is _MISSING
