"""``/healthcheck``: oslo.middleware's ``Healthcheck`` app, as Glance's paste file mounts it.

``etc/glance-api-paste.ini`` maps ``/healthcheck`` beside ``/`` in every root composite, so
the check answers before CORS, version negotiation, authentication and the request-id
middleware: no token, no ``x-openstack-request-id``, any method, and any path below it
(paste's URL map matches whole segments: ``/healthcheck/x`` is the check, ``/healthcheckx``
is not). Glance configures the ``disable_by_file`` backend only; without its file that
backend reports ``OK``. ``oslo_middleware/healthcheck/__init__.py`` (``process_request``):

- ``HEAD``: 204 and no body;
- otherwise 200, in the first of ``text/plain``, ``text/html``, ``application/json`` that
  the ``Accept`` header rates highest (webob's ``acceptable_offers``); a missing, empty,
  malformed or unmatched ``Accept`` gets ``text/plain``.

The emulator is always healthy, so the 503 of a disabled check never happens here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

PATH = "/healthcheck"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")  # any, in fact
REASONS = ["OK"]
# The offers in oslo.middleware's order: ties go to the earlier one.
OFFERS = ("text/plain", "text/html", "application/json")

# oslo.middleware's templates rendered for one result, "OK", not in detailed mode.
_HTML = (
    "<HTML>\n<HEAD><TITLE>Healthcheck Status</TITLE></HEAD>\n<BODY>\n\n"
    "<H2>Result of 1 checks:</H2>\n"
    '<TABLE bgcolor="#ffffff" border="1">\n<TBODY>\n<TR>\n\n<TH>\nReason\n</TH>\n</TR>\n'
    "<TR>\n\n    <TD>OK</TD>\n\n</TR>\n</TBODY>\n</TABLE>\n<HR></HR>\n\n</BODY>\n</HTML>"
)
BODIES: dict[str, tuple[bytes, str]] = {
    "text/plain": ("\n".join(REASONS).encode(), "text/plain; charset=UTF-8"),
    "text/html": (_HTML.encode(), "text/html; charset=UTF-8"),
    # json.dumps(indent=4, sort_keys=True), and webob adds no charset to application/json.
    "application/json": (
        json.dumps({"detailed": False, "reasons": REASONS}, indent=4, sort_keys=True).encode(),
        "application/json",
    ),
}

# RFC 7231 Accept grammar, as webob validates it (an invalid header accepts every offer).
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[\t !#-\[\]-~\x80-\xff]|\\[\t !-~\x80-\xff])*"'
_PARAM = re.compile(rf"\s*;\s*({_TOKEN})=({_TOKEN}|{_QUOTED})")
_RANGE = re.compile(rf"\s*({_TOKEN})/({_TOKEN})")
_QVALUE = re.compile(r"^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")


def is_healthcheck_path(path: str) -> bool:
    return path == PATH or path.startswith(PATH + "/")


def _elements(header: str) -> list[str]:
    """The header split on the commas that are not inside a quoted parameter value."""
    elements, start, quoted, escaped = [], 0, False, False
    for index, char in enumerate(header):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            elements.append(header[start:index])
            start = index + 1
    elements.append(header[start:])
    return elements


def _parse_accept(header: str) -> list[tuple[str, str, float, tuple[tuple[str, str], ...]]] | None:
    """[(type, subtype, q, media type params)], or None when the header is malformed."""
    ranges = []
    for element in _elements(header):
        if not element.strip(" \t"):
            continue  # the "#" list rule allows empty elements
        found = _RANGE.match(element)
        if found is None:
            return None
        kind, subtype = found.group(1).lower(), found.group(2).lower()
        position, q, params = found.end(), 1.0, []
        seen_q = False
        while position < len(element.rstrip(" \t")):
            param = _PARAM.match(element, position)
            if param is None:
                return None
            name, value = param.group(1).lower(), param.group(2)
            if name == "q" and not seen_q:
                if not _QVALUE.match(value):
                    return None
                q, seen_q = float(value), True
            elif not seen_q:  # parameters after q are accept extensions, not the range's
                params.append((name, value))
            position = param.end()
        ranges.append((kind, subtype, q, tuple(params)))
    return ranges


def negotiate(header: str | None) -> str:
    """The media type oslo.middleware answers a GET with, for this ``Accept`` header."""
    if header is None:
        return OFFERS[0]
    ranges = _parse_accept(header)
    if ranges is None:
        return OFFERS[0]
    rated: list[tuple[float, int, str]] = []
    for index, offer in enumerate(OFFERS):
        kind, subtype = offer.split("/")
        best: tuple[int, float] | None = None  # (specificity, q) of the most specific match
        for r_kind, r_subtype, q, params in ranges:
            if (r_kind, r_subtype) == (kind, subtype):
                specificity = 3 if not params else -1  # the offers carry no parameters
            elif r_kind == kind and r_subtype == "*":
                specificity = 2
            elif (r_kind, r_subtype) == ("*", "*"):
                specificity = 1
            else:
                continue
            if specificity > 0 and (best is None or specificity > best[0]):
                best = (specificity, q)
        if best is not None and best[1] > 0:
            rated.append((-best[1], index, offer))
    return min(rated)[2] if rated else OFFERS[0]


class Healthcheck:
    """WSGI middleware in front of everything, as paste's URL map is in front of Glance."""

    def __init__(self, app: WSGIApp):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not is_healthcheck_path(environ.get("PATH_INFO", "") or ""):
            return self.app(environ, start_response)
        if environ.get("REQUEST_METHOD") == "HEAD":
            start_response("204 No Content", [])
            return [b""]
        body, content_type = BODIES[negotiate(environ.get("HTTP_ACCEPT"))]
        start_response(
            "200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        )
        return [body]
