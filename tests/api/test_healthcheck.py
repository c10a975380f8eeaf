"""``/healthcheck`` as oslo.middleware's ``Healthcheck`` app answers it in Glance 33.

Sources: ``etc/glance-api-paste.ini`` (``/healthcheck: healthcheck`` in the root composite,
beside the API pipeline: no CORS, version negotiation, authentication or request id;
``backends = disable_by_file``), oslo.middleware 8.2 ``healthcheck/__init__.py``
(``process_request``: 204 for HEAD, else 200 in the best of text/plain, text/html,
application/json by webob's ``acceptable_offers``, text/plain when none fits). The bodies
and headers below are the real Glance 33 stack's, byte for byte.
"""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from emulator.image.api.healthcheck import negotiate

REAL_HTML = (
    "<HTML>\n<HEAD><TITLE>Healthcheck Status</TITLE></HEAD>\n<BODY>\n\n"
    '<H2>Result of 1 checks:</H2>\n<TABLE bgcolor="#ffffff" border="1">\n<TBODY>\n<TR>\n\n'
    "<TH>\nReason\n</TH>\n</TR>\n<TR>\n\n    <TD>OK</TD>\n\n</TR>\n</TBODY>\n</TABLE>\n"
    "<HR></HR>\n\n</BODY>\n</HTML>"
)
REAL_JSON = '{\n    "detailed": false,\n    "reasons": [\n        "OK"\n    ]\n}'


def test_plain_ok_without_a_token_or_request_id(client: FlaskClient) -> None:
    response = client.get("/healthcheck")
    assert response.status_code == 200
    assert response.data == b"OK"
    assert response.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert response.headers["Content-Length"] == "2"
    assert "x-openstack-request-id" not in response.headers


def test_html_when_asked(client: FlaskClient) -> None:
    response = client.get("/healthcheck", headers={"Accept": "text/html"})
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert response.data.decode() == REAL_HTML


def test_json_when_asked(client: FlaskClient) -> None:
    response = client.get("/healthcheck", headers={"Accept": "application/json"})
    assert response.headers["Content-Type"] == "application/json"
    assert response.data.decode() == REAL_JSON
    assert json.loads(response.data) == {"detailed": False, "reasons": ["OK"]}


def test_head_is_204_without_a_body(client: FlaskClient) -> None:
    response = client.head("/healthcheck")
    assert response.status_code == 204
    assert response.data == b""
    assert "Content-Type" not in response.headers


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_every_method_gets_the_check(client: FlaskClient, method: str) -> None:
    response = client.open("/healthcheck", method=method, data=b"ignored")
    assert (response.status_code, response.data) == (200, b"OK")


@pytest.mark.parametrize("path", ["/healthcheck/", "/healthcheck/anything", "/healthcheck//x"])
def test_paths_below_it_are_the_check_too(client: FlaskClient, path: str) -> None:
    assert client.get(path).data == b"OK"


def test_a_longer_first_segment_is_not_the_check(client: FlaskClient) -> None:
    response = client.get("/healthcheckx")
    assert response.status_code == 300
    assert "versions" in response.get_json()


def test_a_bad_token_does_not_matter(client: FlaskClient) -> None:
    response = client.get("/healthcheck", headers={"X-Auth-Token": "not-a-token"})
    assert (response.status_code, response.data) == (200, b"OK")


# webob's acceptable_offers over ("text/plain", "text/html", "application/json"): the first
# six rows are the real stack's answers, every row is webob 1.8.11's (checked in Glance's venv).
NEGOTIATION = [
    (None, "text/plain"),
    ("", "text/plain"),
    ("*/*", "text/plain"),
    ("application/*", "application/json"),
    ("text/html, application/json;q=0.9", "text/html"),
    ("application/json;q=0.5, text/html;q=0.5", "text/html"),  # a tie: the offers' order
    ("garbage;;;q=x", "text/plain"),  # malformed: every offer is acceptable
    ("image/png", "text/plain"),  # nothing fits
    ("text/*;q=0.2, application/json", "application/json"),
    ("text/plain;q=0, */*", "text/html"),  # the most specific range rules text/plain out
    ("text/html;level=1, application/json;q=0.1", "application/json"),  # params must match
    ("TEXT/HTML", "text/html"),
    ("text/html;q=1.5", "text/plain"),  # a q above 1 makes the header malformed
    (",, application/json ,", "application/json"),
    ("*/html, application/json", "application/json"),
    ("text/html;q=0.5;foo=bar, application/json;q=0.4", "text/html"),  # an extension
    ('text/html;a="x,y", application/json;q=0.1', "application/json"),  # a quoted comma
]


@pytest.mark.parametrize(("accept", "expected"), NEGOTIATION)
def test_accept_negotiation(accept: str | None, expected: str) -> None:
    assert negotiate(accept) == expected
