"""The one renderer: every error response is built here, and nowhere else.

Under ``/v2`` (and the version documents) errors look exactly like Glance's, which raises
``webob.exc.HTTP*``: the body format is negotiated on ``Accept`` between text/html and
application/json, falling back to text/plain (webob 1.8 ``WSGIHTTPException.generate_response``).
Under ``/identity`` they take Keystone's ``{"error": {...}}`` shape; the control API uses it too.
"""

from __future__ import annotations

import html
import json
import re

from flask import Flask, Request, Response, request
from werkzeug.exceptions import HTTPException

from emulator import errors

_OFFERS = ("text/html", "application/json")


def _webob_body(explanation: str) -> str:
    # webob's body template: "${explanation}<br /><br />\n${detail}\n${html_comment}\n"
    return f"{explanation}<br /><br />\n\n\n"


def _strip_tags(value: str) -> str:
    # webob.exc.strip_tags, used for the text/plain rendering.
    value = value.replace("\n", " ").replace("\r", "")
    value = re.sub(r"<br.*?>", "\n", value, flags=re.I | re.S)
    value = re.sub(r"<!--|-->", "", value)
    return re.sub(r"<.*?>", "", value, flags=re.S)


def negotiate(accept_header: str | None) -> str | None:
    """webob's ``acceptable_offers(['text/html', 'application/json'])[0]``.

    No header (or an empty one) accepts everything, so HTML wins, as in Glance.
    """
    if not accept_header or not accept_header.strip():
        return "text/html"
    best: tuple[float, int, str] | None = None
    ranges = []
    for part in accept_header.split(","):
        bits = [b.strip() for b in part.split(";")]
        media = bits[0].lower()
        if not media:
            continue
        q = 1.0
        for param in bits[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    for index, offer in enumerate(_OFFERS):
        offer_type, offer_sub = offer.split("/")
        # The most specific matching range decides the offer's quality.
        quality, specificity = None, -1
        for media, q in ranges:
            mtype, _, msub = media.partition("/")
            if media == offer:
                spec = 2
            elif mtype == offer_type and msub == "*":
                spec = 1
            elif media == "*/*":
                spec = 0
            else:
                continue
            if spec > specificity:
                quality, specificity = q, spec
        if quality is None or quality <= 0:
            continue
        candidate = (-quality, index, offer)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else None


def glance_error_response(error: errors.EmulatorError, accept: str | None) -> Response:
    body = _webob_body(error.message)
    match = negotiate(accept)
    if match == "text/html":
        text = (
            f"<html>\n <head>\n  <title>{error.status_line}</title>\n </head>\n <body>\n"
            f"  <h1>{error.status_line}</h1>\n  {_webob_body(html.escape(error.message, quote=False))}\n"
            " </body>\n</html>"
        )
        response = Response(text, status=error.status, content_type="text/html; charset=UTF-8")
    elif match == "application/json":
        payload = {"message": body, "code": error.status_line, "title": error.title}
        response = Response(
            json.dumps(payload), status=error.status, content_type="application/json"
        )
    else:
        text = f"{error.status_line}\n\n{_strip_tags(body)}"
        response = Response(text, status=error.status, content_type="text/plain; charset=UTF-8")
    return response


def keystone_error_response(error: errors.EmulatorError) -> Response:
    payload = {"error": {"code": error.status, "title": error.title, "message": error.message}}
    return Response(json.dumps(payload), status=error.status, content_type="application/json")


def _is_keystone_style(req: Request) -> bool:
    path = req.path
    return path.startswith("/identity") or path.startswith("/_emulator")


def render(error: errors.EmulatorError) -> Response:
    if _is_keystone_style(request):
        response = keystone_error_response(error)
    else:
        response = glance_error_response(error, request.headers.get("Accept"))
    for name, value in error.headers.items():
        response.headers[name] = value
    if error.status == 401:
        from emulator.api.urls import identity_url  # late: avoids a cycle at import

        response.headers["WWW-Authenticate"] = f'Keystone uri="{identity_url()}"'
    return response


def _from_werkzeug(exc: HTTPException) -> errors.EmulatorError:
    if exc.code == 404:
        return errors.NotFound()
    if exc.code == 405:
        allowed = ", ".join(sorted(getattr(exc, "valid_methods", None) or []))
        err = errors.MethodNotAllowed(
            f"The method {request.method} is not allowed for this resource."
        )
        if allowed:
            err.headers["Allow"] = allowed
        return err
    if exc.code == 413:
        return errors.RequestEntityTooLarge()
    if exc.code == 415:
        return errors.UnsupportedMediaType()
    if exc.code == 400:
        return errors.BadRequest()
    generic = errors.EmulatorError(exc.description)
    generic.status = exc.code or 500
    generic.title = exc.name
    return generic


def register(app: Flask) -> None:
    """Handlers live on the app, so routing 404/405s are rendered like every other error."""

    @app.errorhandler(errors.EmulatorError)
    def _emulator_error(exc: errors.EmulatorError) -> Response:
        return render(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        return render(_from_werkzeug(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:  # pragma: no cover - a bug if reached
        app.logger.exception("unhandled error", exc_info=exc)
        return render(errors.EmulatorError())
