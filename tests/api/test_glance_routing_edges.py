"""Trailing slashes, empty ids, ``/v2`` and runs of slashes, routed as Glance 33 routes them.

Sources: ``glance/api/v2/router.py`` (``routes`` paths without a trailing slash, ids
``[^/]+``), ``glance/common/wsgi.py`` (``Router``: ``mapper.redirect("", "/")`` and
``_dispatch`` -> webob's ``HTTPNotFound()``), paste ``urlmap.URLMap.__call__`` (the root of
``glance-api-paste.ini``: ``normalize_url`` turns runs of slashes into one). Checked against
the real Glance 33 stack: every ``/v2`` path ending in ``/`` is the plain 404 whatever the
method; ``/v2`` is a 302 to ``/v2/``; ``/v2//images`` lists images. tempest's
``ImagesNegativeTest.test_get_image_null_id`` and ``test_delete_image_null_id`` send
``GET``/``DELETE /v2/images/`` and expect 404.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

GENERIC_404 = {
    "message": "The resource could not be found.<br /><br />\n\n\n",
    "code": "404 Not Found",
    "title": "Not Found",
}


@pytest.fixture
def image_id(client: FlaskClient, users: Any) -> str:
    response = client.post(
        "/v2/images",
        json={"name": "kept", "tags": ["t"]},
        headers=users.headers("producer"),
    )
    assert response.status_code == 201
    return str(response.get_json()["id"])


def shown(client: FlaskClient, users: Any, image_id: str) -> dict[str, Any]:
    response = client.get(f"/v2/images/{image_id}", headers=users.headers("producer"))
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


@pytest.mark.parametrize("method", ["GET", "DELETE", "PATCH", "PUT", "POST", "HEAD"])
def test_an_empty_image_id_is_a_plain_404(
    client: FlaskClient, users: Any, image_id: str, method: str
) -> None:
    response = client.open("/v2/images/", method=method, headers=users.headers("producer"))
    assert response.status_code == 404
    if method != "HEAD":
        assert response.get_json() == GENERIC_404
    assert response.headers["x-openstack-request-id"].startswith("req-")
    assert shown(client, users, image_id)["status"] == "queued"  # nothing was deleted


TRAILING = [
    ("GET", "/v2/images/{id}/"),
    ("DELETE", "/v2/images/{id}/"),
    ("PATCH", "/v2/images/{id}/"),
    ("GET", "/v2/images/{id}/members/"),
    ("POST", "/v2/images/{id}/members/"),
    ("GET", "/v2/images/{id}/file/"),
    ("PUT", "/v2/images/{id}/file/"),
    ("DELETE", "/v2/images/{id}/tags/t/"),
    ("POST", "/v2/images/{id}/actions/deactivate/"),
    ("GET", "/v2/schemas/image/"),
    ("GET", "/v2/"),
    ("GET", "/v2/images/?limit=1"),
    ("GET", "/v2/images//"),
]


@pytest.mark.parametrize(("method", "path"), TRAILING)
def test_a_trailing_slash_reaches_no_route(
    client: FlaskClient, users: Any, image_id: str, method: str, path: str
) -> None:
    response = client.open(
        path.format(id=image_id), method=method, headers=users.headers("producer"), data=b""
    )
    assert response.status_code == 404
    assert response.get_json() == GENERIC_404
    image = shown(client, users, image_id)
    assert image["tags"] == ["t"]
    assert image["status"] == "queued"


def test_a_trailing_slash_needs_a_token_first(client: FlaskClient) -> None:
    assert client.get("/v2/images/").status_code == 401
    assert client.delete("/v2/images/").status_code == 401


@pytest.mark.parametrize("path", ["/v2", "/v2.1", "/v2?limit=1"])
@pytest.mark.parametrize("method", ["GET", "DELETE", "HEAD"])
def test_v2_alone_is_a_redirect_to_v2_slash(
    client: FlaskClient, users: Any, path: str, method: str
) -> None:
    response = client.open(path, method=method, headers=users.headers("producer"))
    assert response.status_code == 302
    assert response.headers["Location"] == "http://localhost/v2/"  # the query is dropped
    assert response.headers["Content-Type"] == "text/plain; charset=utf8"
    assert response.data == b""
    assert response.headers["x-openstack-request-id"].startswith("req-")


def test_v2_alone_needs_a_token_first(client: FlaskClient) -> None:
    assert client.get("/v2").status_code == 401


def test_the_redirect_follows_the_host_header(client: FlaskClient, users: Any) -> None:
    headers = users.headers("producer", Host="example.com:8080")
    response = client.get("/v2", headers=headers)
    assert response.headers["Location"] == "http://example.com:8080/v2/"


def test_runs_of_slashes_count_as_one(client: FlaskClient, users: Any, image_id: str) -> None:
    headers = users.headers("producer")
    listed = client.get("/v2//images", headers=headers)
    assert listed.status_code == 200
    assert [i["id"] for i in listed.get_json()["images"]] == [image_id]
    assert listed.get_json()["first"] == "/v2/images"
    assert client.get(f"/v2/images///{image_id}", headers=headers).get_json()["id"] == image_id
    assert client.get("/v2//schemas//image", headers=headers).get_json()["name"] == "image"
    members = client.get(f"/v2/images/{image_id}//members", headers=headers)
    assert (
        members.get_json()
        == client.get(f"/v2/images/{image_id}/members", headers=headers).get_json()
    )
    missing = client.get("/v2/images//abc", headers=headers)
    assert missing.status_code == 404
    assert missing.get_json()["message"].startswith("No image found with ID abc<br />")
    assert client.delete("/v2//images", headers=headers).status_code == 405


def test_merging_slashes_cannot_turn_a_trailing_slash_into_a_route(
    client: FlaskClient, users: Any, image_id: str
) -> None:
    headers = users.headers("producer")
    assert client.delete(f"/v2/images/{image_id}//", headers=headers).status_code == 404
    assert shown(client, users, image_id)["status"] == "queued"


def test_keystone_paths_keep_their_own_slash_handling(client: FlaskClient) -> None:
    """Keystone is a Flask app of its own (no paste URL map): werkzeug's 308 to the merged
    path, as the real Keystone answers ``/v3//auth/tokens``."""
    response = client.get("/identity/v3//auth/tokens")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/identity/v3/auth/tokens")


@pytest.mark.parametrize("accept", [None, "application/json", "text/plain"])
@pytest.mark.parametrize(("path", "status"), [("/v2/images/", 404), ("/v2/images", 405)])
def test_head_errors_are_webobs_empty_html_answer(
    client: FlaskClient, users: Any, accept: str | None, path: str, status: int
) -> None:
    """webob answers HEAD with the exception's own response (as the real stack does):
    text/html and Content-Length 0, whatever Accept asks for."""
    headers = {"X-Auth-Token": users.tokens["producer"]}
    if accept:
        headers["Accept"] = accept
    response = client.head(path, headers=headers)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert response.headers["Content-Length"] == "0"


def test_head_without_a_token_is_an_empty_html_401(client: FlaskClient) -> None:
    response = client.head("/v2/images", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert response.headers["Content-Length"] == "0"
    assert response.headers["WWW-Authenticate"].startswith("Keystone uri=")


@pytest.mark.parametrize("method", ["PROPFIND", "TRACE", "FOO"])
@pytest.mark.parametrize("path", ["/v2/images/", "/v2/nothing", "/v2/images/{id}/members/x/y"])
def test_no_route_and_an_unknown_method_is_webobs_501(
    client: FlaskClient, users: Any, image_id: str, method: str, path: str
) -> None:
    response = client.open(
        path.format(id=image_id), method=method, headers=users.headers("producer")
    )
    assert response.status_code == 501
    assert response.get_json() == {
        "message": f"\nThe request method {method} is not implemented for this server. "
        "<br /><br />\n",
        "code": "501 Not Implemented",
        "title": "Not Implemented",
    }
    assert shown(client, users, image_id)["status"] == "queued"


@pytest.mark.parametrize(("path", "status"), [("/v2/images", 405), ("/v2/images/{id}", 405)])
def test_a_route_with_an_unknown_method_stays_405(
    client: FlaskClient, users: Any, image_id: str, path: str, status: int
) -> None:
    response = client.open(
        path.format(id=image_id), method="PROPFIND", headers=users.headers("producer")
    )
    assert response.status_code == status


def test_an_unknown_method_needs_a_token_first(client: FlaskClient) -> None:
    assert client.open("/v2/nothing", method="PROPFIND").status_code == 401
