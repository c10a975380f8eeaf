"""Error bodies, routing errors, authentication and request ids under ``/v2``, as Glance.

Sources: webob 1.8.9 ``webob/exc.py`` (``generate_response``: the body format follows
``Accept``; the 405 and 415 classes have their own body templates; default explanations are
whitespace-normalised), ``glance/common/wsgi.py`` (``Router._dispatch`` -> ``HTTPNotFound()``;
``RejectMethodController`` -> ``HTTPMethodNotAllowed(headers=[('Allow', allowed_methods)])``),
``glance/api/v2/router.py`` (each path's ``allowed_methods`` string and the catch-all reject
routes), ``glance/api/middleware/context.py`` (``HTTPUnauthorized()`` when the token is missing
or invalid; request id reuse, the ``req-`` prefix, and the 64-character limit answered with
``HTTPRequestHeaderFieldsTooLarge(comment=msg)``; both are answered before ``process_response``
adds ``x-openstack-request-id``) and keystonemiddleware ``auth_token`` (``WWW-Authenticate:
Keystone uri="..."`` on every 401).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

REQUEST_ID = "x-openstack-request-id"
WEBOB_401 = (
    "This server could not verify that you are authorized to access the document you "
    "requested. Either you supplied the wrong credentials (e.g., bad password), or your "
    "browser does not understand how to supply the credentials required."
)


def json_error(status_line: str, message: str) -> dict[str, str]:
    return {"message": message, "code": status_line, "title": status_line.split(" ", 1)[1]}


@pytest.fixture
def image_id(client: FlaskClient, users: Any) -> str:
    response = client.post("/v2/images", json={"name": "x"}, headers=users.headers("producer"))
    assert response.status_code == 201
    return response.get_json()["id"]


def token_only(users: Any, who: str = "producer", **extra: str) -> dict[str, str]:
    return {"X-Auth-Token": users.tokens[who], **extra}


# --- Accept negotiation of error bodies -----------------------------------------------------


def test_json_error_body(client: FlaskClient, users: Any) -> None:
    missing = str(uuid.uuid4())
    response = client.get(
        f"/v2/images/{missing}", headers=token_only(users, Accept="application/json")
    )
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_data(as_text=True) == (
        f'{{"message": "No image found with ID {missing}<br /><br />\\n\\n\\n", '
        '"code": "404 Not Found", "title": "Not Found"}'
    )


@pytest.mark.parametrize("accept", ["text/html", "*/*", "text/*", "application/json, text/html"])
def test_html_error_body(client: FlaskClient, users: Any, accept: str) -> None:
    missing = str(uuid.uuid4())
    response = client.get(f"/v2/images/{missing}", headers=token_only(users, Accept=accept))
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert response.get_data(as_text=True) == (
        "<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n"
        f"  <h1>404 Not Found</h1>\n  No image found with ID {missing}<br /><br />\n\n\n\n"
        " </body>\n</html>"
    )


@pytest.mark.parametrize("accept", ["text/plain", "application/xml", "image/png"])
def test_plain_error_body(client: FlaskClient, users: Any, accept: str) -> None:
    missing = str(uuid.uuid4())
    response = client.get(f"/v2/images/{missing}", headers=token_only(users, Accept=accept))
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert response.get_data(as_text=True) == (
        f"404 Not Found\n\nNo image found with ID {missing}\n\n   "
    )


def test_error_body_without_accept_header_is_plain_text(client: FlaskClient, users: Any) -> None:
    # webob: environ.get('HTTP_ACCEPT', '') -> a valid but empty header that accepts neither
    # offer, so generate_response falls through to text/plain.
    missing = str(uuid.uuid4())
    response = client.get(f"/v2/images/{missing}", headers=token_only(users))
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert response.get_data(as_text=True) == (
        f"404 Not Found\n\nNo image found with ID {missing}\n\n   "
    )


def test_html_error_body_escapes_quotes(client: FlaskClient, users: Any) -> None:
    response = client.post(
        "/v2/images", json={"self": "x"}, headers=token_only(users, Accept="*/*")
    )
    assert response.status_code == 403
    assert "  Attribute &#x27;self&#x27; is read-only.<br /><br />\n" in response.get_data(
        as_text=True
    )


def test_plain_error_body_keeps_quotes(client: FlaskClient, users: Any) -> None:
    response = client.post(
        "/v2/images", json={"self": "x"}, headers=token_only(users, Accept="text/plain")
    )
    assert response.status_code == 403
    assert response.get_data(as_text=True) == (
        "403 Forbidden\n\nAttribute 'self' is read-only.\n\n   "
    )


# --- routing errors under /v2 ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v2/nothing",
        "/v2/images/{id}/nothing",
        "/v2/images/{id}/tags",
        "/v2/images/{id}/actions/explode",
        "/v2/images/{id}/tags/a/b",
    ],
)
def test_unknown_routes_are_404(client: FlaskClient, users: Any, image_id: str, path: str) -> None:
    response = client.get(path.format(id=image_id), headers=users.headers("producer"))
    assert response.status_code == 404
    assert response.get_json() == json_error(
        "404 Not Found", "The resource could not be found.<br /><br />\n\n\n"
    )
    assert response.headers[REQUEST_ID].startswith("req-")


def test_unknown_routes_need_a_token_first(client: FlaskClient) -> None:
    assert client.get("/v2/nothing").status_code == 401


# router.py: the reject routes and their allowed_methods strings (Glance's order, not sorted).
METHOD_NOT_ALLOWED = [
    ("PUT", "/v2/images", "GET, POST"),
    ("DELETE", "/v2/images", "GET, POST"),
    ("PATCH", "/v2/images", "GET, POST"),
    ("PUT", "/v2/images/{id}", "GET, PATCH, DELETE"),
    ("POST", "/v2/images/{id}", "GET, PATCH, DELETE"),
    ("GET", "/v2/images/{id}/actions/deactivate", "POST"),
    ("PUT", "/v2/images/{id}/actions/reactivate", "POST"),
    ("POST", "/v2/images/{id}/tags/x", "PUT, DELETE"),
    ("GET", "/v2/images/{id}/tags/x", "PUT, DELETE"),
]


@pytest.mark.parametrize(("method", "path", "allow"), METHOD_NOT_ALLOWED)
def test_method_not_allowed(
    client: FlaskClient, users: Any, image_id: str, method: str, path: str, allow: str
) -> None:
    response = client.open(
        path.format(id=image_id), method=method, headers=users.headers("producer")
    )
    assert response.status_code == 405
    # HTTPMethodNotAllowed's own template: "The method ${REQUEST_METHOD} is not allowed for
    # this resource. <br /><br />\n${detail}"
    assert (response.headers.get("Allow"), response.get_json()) == (
        allow,
        json_error(
            "405 Method Not Allowed",
            f"The method {method} is not allowed for this resource. <br /><br />\n",
        ),
    )


def test_method_not_allowed_leaves_the_image_alone(
    client: FlaskClient, users: Any, image_id: str
) -> None:
    headers = users.headers("producer")
    before = client.get(f"/v2/images/{image_id}", headers=headers).get_json()
    client.put(f"/v2/images/{image_id}", json={"name": "replaced"}, headers=headers)
    client.post(f"/v2/images/{image_id}", json={"name": "replaced"}, headers=headers)
    assert client.get(f"/v2/images/{image_id}", headers=headers).get_json() == before


@pytest.mark.parametrize(
    "path", ["/v2/images", "/v2/images/nope", "/v2/schemas/image", "/", "/versions", "/v2.9/x"]
)
@pytest.mark.parametrize("with_token", [True, False])
def test_options_is_answered_by_the_cors_filter(
    client: FlaskClient, users: Any, path: str, with_token: bool
) -> None:
    """oslo.middleware's CORS filter heads Glance's pipelines and answers every OPTIONS
    with an empty 200, before authentication and routing (seen on a real Glance 33)."""
    headers = users.headers("producer") if with_token else {}
    response = client.options(path, headers=headers)
    assert response.status_code == 200
    assert response.get_data() == b""
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert "Allow" not in response.headers
    assert "x-openstack-request-id" not in response.headers


def test_head_on_an_image_is_rejected(client: FlaskClient, users: Any, image_id: str) -> None:
    # routes matches methods literally: HEAD is not GET, so the reject route answers.
    response = client.head(f"/v2/images/{image_id}", headers=users.headers("producer"))
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, PATCH, DELETE"
    assert response.get_data() == b""


# --- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "not-a-real-token", "gAAAA" + "x" * 180])
def test_401_without_a_valid_token(client: FlaskClient, token: str | None) -> None:
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["X-Auth-Token"] = token
    response = client.get("/v2/images", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Keystone uri="http://localhost/identity"'
    assert response.headers["Content-Type"] == "application/json"
    # context.py: raise webob.exc.HTTPUnauthorized() -> webob's default explanation
    assert response.get_json() == json_error("401 Unauthorized", f"{WEBOB_401}<br /><br />\n\n\n")


def test_401_plain_text(client: FlaskClient) -> None:
    response = client.get("/v2/images/anything")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert response.get_data(as_text=True) == f"401 Unauthorized\n\n{WEBOB_401}\n\n   "


def test_401_carries_no_request_id(client: FlaskClient) -> None:
    # HTTPUnauthorized is raised in ContextMiddleware.process_request, so its
    # process_response never runs.
    response = client.get("/v2/images", headers={"X-Openstack-Request-ID": "req-abc"})
    assert response.status_code == 401
    assert REQUEST_ID not in response.headers


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v2/images"),
        ("POST", "/v2/images"),
        ("GET", "/v2/images/{id}"),
        ("PATCH", "/v2/images/{id}"),
        ("DELETE", "/v2/images/{id}"),
        ("PUT", "/v2/images/{id}/tags/t"),
        ("DELETE", "/v2/images/{id}/tags/t"),
        ("POST", "/v2/images/{id}/actions/deactivate"),
        ("PUT", "/v2/images/{id}"),
    ],
)
def test_every_v2_route_needs_a_token(
    client: FlaskClient, image_id: str, method: str, path: str
) -> None:
    response = client.open(path.format(id=image_id), method=method)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Keystone uri="http://localhost/identity"'


def test_unauthenticated_delete_changes_nothing(
    client: FlaskClient, users: Any, image_id: str
) -> None:
    assert client.delete(f"/v2/images/{image_id}").status_code == 401
    assert (
        client.get(f"/v2/images/{image_id}", headers=users.headers("producer")).status_code == 200
    )


# --- request ids ----------------------------------------------------------------------------


def test_generated_request_id(client: FlaskClient, users: Any) -> None:
    first = client.get("/v2/images", headers=users.headers("producer"))
    second = client.get("/v2/images", headers=users.headers("producer"))
    pattern = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    assert pattern.match(first.headers[REQUEST_ID])
    assert pattern.match(second.headers[REQUEST_ID])
    assert first.headers[REQUEST_ID] != second.headers[REQUEST_ID]


def test_request_id_on_errors_inside_v2(client: FlaskClient, users: Any) -> None:
    response = client.get(f"/v2/images/{uuid.uuid4()}", headers=users.headers("producer"))
    assert response.status_code == 404
    assert response.headers[REQUEST_ID].startswith("req-")


def test_supplied_request_id_is_echoed(client: FlaskClient, users: Any) -> None:
    supplied = f"req-{uuid.uuid4()}"
    response = client.get(
        "/v2/images", headers=users.headers("producer", **{"X-Openstack-Request-ID": supplied})
    )
    assert response.status_code == 200
    assert response.headers[REQUEST_ID] == supplied


def test_supplied_request_id_gets_the_req_prefix(client: FlaskClient, users: Any) -> None:
    # BaseContextMiddleware.process_response: prefix 'req-' unless already there.
    response = client.get(
        "/v2/images", headers=users.headers("producer", **{"X-Openstack-Request-ID": "trace-7"})
    )
    assert response.status_code == 200
    assert response.headers[REQUEST_ID] == "req-trace-7"


def test_request_id_of_64_characters_is_accepted(client: FlaskClient, users: Any) -> None:
    supplied = "req-" + "a" * 60
    response = client.get(
        "/v2/images", headers=users.headers("producer", **{"X-Openstack-Request-ID": supplied})
    )
    assert response.status_code == 200
    assert response.headers[REQUEST_ID] == supplied


def test_request_id_of_65_characters_is_431(client: FlaskClient, users: Any) -> None:
    supplied = "req-" + "a" * 61
    response = client.post(
        "/v2/images",
        json={"name": "never"},
        headers=users.headers("producer", **{"X-Openstack-Request-ID": supplied}),
    )
    assert response.status_code == 431
    # HTTPRequestHeaderFieldsTooLarge(comment=msg): the message goes into an HTML comment.
    assert response.get_json() == json_error(
        "431 Request Header Fields Too Large",
        "The request header fields were too large<br /><br />\n\n"
        "<!-- x-openstack-request-id is too long, max size 64 -->\n",
    )
    # Returned from process_request: no x-openstack-request-id header.
    assert REQUEST_ID not in response.headers
    listing = client.get("/v2/images", headers=users.headers("producer")).get_json()
    assert listing["images"] == []


def test_431_plain_text(client: FlaskClient, users: Any) -> None:
    response = client.get(
        "/v2/images",
        headers=token_only(users, **{"X-Openstack-Request-ID": "r" * 65, "Accept": "text/plain"}),
    )
    assert response.status_code == 431
    assert response.get_data(as_text=True) == (
        "431 Request Header Fields Too Large\n\nThe request header fields were too large\n\n"
        "   x-openstack-request-id is too long, max size 64  "
    )


def test_overlong_request_id_without_a_token_is_401(client: FlaskClient) -> None:
    # The length is checked only for an authenticated request (X-Identity-Status: Confirmed).
    response = client.get("/v2/images", headers={"X-Openstack-Request-ID": "r" * 65})
    assert response.status_code == 401
