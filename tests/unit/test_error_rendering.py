"""The Glance error renderer (``emulator.core.http.errors``) against webob's own output.

Glance raises ``webob.exc.HTTP*`` and lets webob write the body
(``webob/exc.py`` ``WSGIHTTPException.generate_response``, webob 1.8.9, the version in
OpenStack's upper constraints): the format is ``Accept.acceptable_offers(['text/html',
'application/json'])[0]``, else ``text/plain``. Every expected string below was produced by
running webob 1.8.9 itself on the same exception and ``Accept`` header; the bodies use
``body_template_obj`` = ``"${explanation}<br /><br />\\n${detail}\\n${html_comment}\\n"``.
See glance-facts.md §1.13 (which says an absent ``Accept`` gives HTML: webob 1.8.9 does not,
``create_accept_header('')`` accepts nothing, so the body is text/plain).
"""

from __future__ import annotations

import json

import pytest

from emulator.core import errors
from emulator.core.http.errors import glance_error_response, negotiate

# (Accept header, webob 1.8.9's match among text/html and application/json; None = text/plain)
WEBOB_NEGOTIATION = [
    ("", None),
    ("*/*", "text/html"),
    ("application/json", "application/json"),
    ("text/html", "text/html"),
    ("text/plain", None),
    ("application/xml", None),
    ("text/*", "text/html"),
    ("application/*", "application/json"),
    ("application/json;q=0.5, text/html;q=0.4", "application/json"),
    ("text/html;q=0, */*", "application/json"),
    ("application/json, text/html", "text/html"),
    ("text/html, application/json", "text/html"),
    ("application/json;q=0", None),
    ("*/*;q=0.5, application/json", "application/json"),
    ("APPLICATION/JSON", "application/json"),
    ("text/plain, */*;q=0.1", "text/html"),
    ("application/json;q=0.9, */*", "text/html"),
    ("text/*;q=0.3, application/json;q=0.2", "text/html"),
    ("application/*;q=0.1, text/html;q=0", "application/json"),
    ("application/json, */*;q=0", "application/json"),
    ("*/*;q=0, application/json;q=0", None),
    ("application/vnd.openstack.images-v2.1", None),
    # A media range with parameters other than q does not match a bare offer in webob.
    ("application/json; charset=utf-8", None),
    ("text/html;level=1", None),
    # An invalid header is treated as no preference at all: the first offer wins.
    ("garbage", "text/html"),
    ("text/html;q=abc", "text/html"),
    ("application/json;q=1.5", "text/html"),
]


@pytest.mark.parametrize(("accept", "expected"), WEBOB_NEGOTIATION)
def test_negotiation_matches_webob(accept: str, expected: str | None) -> None:
    assert negotiate(accept) == expected


def test_absent_accept_header_is_plain_text() -> None:
    # webob reads environ.get('HTTP_ACCEPT', ''), so "absent" and "empty" are the same.
    assert negotiate(None) is None


# --- bodies --------------------------------------------------------------------------------

NOT_FOUND = errors.NotFound("No image found with ID abc")


def test_json_body() -> None:
    response = glance_error_response(NOT_FOUND, "application/json")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_data(as_text=True) == (
        '{"message": "No image found with ID abc<br /><br />\\n\\n\\n", '
        '"code": "404 Not Found", "title": "Not Found"}'
    )


def test_html_body() -> None:
    response = glance_error_response(NOT_FOUND, "*/*")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert response.get_data(as_text=True) == (
        "<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n"
        "  <h1>404 Not Found</h1>\n  No image found with ID abc<br /><br />\n\n\n\n"
        " </body>\n</html>"
    )


@pytest.mark.parametrize("accept", ["text/plain", "application/xml", None, ""])
def test_plain_body(accept: str | None) -> None:
    response = glance_error_response(NOT_FOUND, accept)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert response.get_data(as_text=True) == "404 Not Found\n\nNo image found with ID abc\n\n   "


def test_html_escapes_like_webob() -> None:
    # webob.util.html_escape: html.escape(quote=True), then non-ASCII as &#NNN; references.
    response = glance_error_response(errors.Forbidden("Attribute 'self' is read-only."), "*/*")
    assert "  Attribute &#x27;self&#x27; is read-only.<br /><br />\n" in response.get_data(
        as_text=True
    )
    response = glance_error_response(errors.Forbidden('Nom "é" <x> & y'), "text/html")
    assert "  Nom &quot;&#233;&quot; &lt;x&gt; &amp; y<br /><br />\n" in response.get_data(
        as_text=True
    )


def test_json_escapes_like_json_dumps() -> None:
    response = glance_error_response(errors.Forbidden('Nom "é" <x> & y'), "application/json")
    assert response.get_data(as_text=True) == (
        '{"message": "Nom \\"\\u00e9\\" <x> & y<br /><br />\\n\\n\\n", '
        '"code": "403 Forbidden", "title": "Forbidden"}'
    )


def test_plain_text_strips_tags_and_newlines_like_webob() -> None:
    response = glance_error_response(errors.Forbidden('Nom "é" <x> & y'), "text/plain")
    assert response.get_data(as_text=True) == '403 Forbidden\n\nNom "é"  & y\n\n   '
    response = glance_error_response(errors.BadRequest("line one\nline two"), "text/plain")
    assert response.get_data(as_text=True) == "400 Bad Request\n\nline one line two\n\n   "


def test_html_keeps_newlines_of_the_message() -> None:
    response = glance_error_response(errors.BadRequest("line one\nline two"), "text/html")
    assert "  line one\nline two<br /><br />\n\n\n\n </body>" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("error", "code", "title"),
    [
        (errors.BadRequest("m"), "400 Bad Request", "Bad Request"),
        (errors.Unauthorized("m"), "401 Unauthorized", "Unauthorized"),
        (errors.Forbidden("m"), "403 Forbidden", "Forbidden"),
        (errors.NotFound("m"), "404 Not Found", "Not Found"),
        (errors.Conflict("m"), "409 Conflict", "Conflict"),
        (errors.Gone("m"), "410 Gone", "Gone"),
        (
            errors.RequestEntityTooLarge("m"),
            "413 Request Entity Too Large",
            "Request Entity Too Large",
        ),
        (
            errors.RangeNotSatisfiable("m"),
            "416 Request Range Not Satisfiable",
            "Request Range Not Satisfiable",
        ),
        (
            errors.RequestHeaderFieldsTooLarge("m"),
            "431 Request Header Fields Too Large",
            "Request Header Fields Too Large",
        ),
        (errors.ServiceUnavailable("m"), "503 Service Unavailable", "Service Unavailable"),
        (errors.EmulatorError("m"), "500 Internal Server Error", "Internal Server Error"),
    ],
)
def test_code_is_the_status_string_and_title_is_webobs(
    error: errors.EmulatorError, code: str, title: str
) -> None:
    response = glance_error_response(error, "application/json")
    assert response.status_code == int(code.split()[0])
    assert json.loads(response.get_data(as_text=True)) == {
        "message": "m<br /><br />\n\n\n",
        "code": code,
        "title": title,
    }
    html = glance_error_response(error, "text/html").get_data(as_text=True)
    assert f"<title>{code}</title>" in html and f"<h1>{code}</h1>" in html
    plain = glance_error_response(error, "text/plain").get_data(as_text=True)
    assert plain.startswith(f"{code}\n\nm")


# webob's class explanations, whitespace-normalised at import time by webob/exc.py
# (value.explanation = ' '.join(value.explanation.strip().split())).
WEBOB_EXPLANATIONS = [
    (
        errors.BadRequest,
        "The server could not comply with the request since it is either "
        "malformed or otherwise incorrect.",
    ),
    (
        errors.Unauthorized,
        "This server could not verify that you are authorized to access the "
        "document you requested. Either you supplied the wrong credentials "
        "(e.g., bad password), or your browser does not understand how to "
        "supply the credentials required.",
    ),
    (errors.Forbidden, "Access was denied to this resource."),
    (errors.NotFound, "The resource could not be found."),
    (errors.Conflict, "There was a conflict when trying to complete your request."),
    (errors.Gone, "This resource is no longer available. No forwarding address is given."),
    (errors.RequestEntityTooLarge, "The body of your request was too large for this server."),
    (errors.RangeNotSatisfiable, "The Range requested is not available."),
    (errors.RequestHeaderFieldsTooLarge, "The request header fields were too large"),
    (
        errors.ServiceUnavailable,
        "The server is currently unavailable. Please try again at a later time.",
    ),
    (
        errors.EmulatorError,
        "The server has either erred or is incapable of performing the requested operation.",
    ),
]


@pytest.mark.parametrize(("cls", "explanation"), WEBOB_EXPLANATIONS)
def test_default_messages_are_webobs_explanations(
    cls: type[errors.EmulatorError], explanation: str
) -> None:
    assert cls().message == explanation


def test_error_headers_are_not_added_by_the_body_renderer() -> None:
    # Extra headers (Allow, Accept-Patch) are added once, by render(); the body renderer
    # must not lose or invent any.
    response = glance_error_response(errors.NotFound(), "application/json")
    assert "Allow" not in response.headers and "Accept-Patch" not in response.headers
