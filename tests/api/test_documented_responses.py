"""Real answers match the API reference: status, headers, media type and JSON body.

A walk through every surface with ``assert_matches_documented`` (tests/api_ref_helper.py),
which any API test can use the same way.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from api_ref_helper import assert_matches_documented, documented_response
from flask.testing import FlaskClient

JSON_PATCH = "application/openstack-images-v2.1-json-patch"
DATA = bytes(range(256)) * 16


def _create(client: FlaskClient, users: Any, **body: Any) -> dict:
    body = {"name": "doc", "disk_format": "raw", "container_format": "bare", **body}
    response = client.post("/v2/images", json=body, headers=users.headers("producer"))
    assert response.status_code == 201
    return assert_matches_documented(response, "POST", "/v2/images")


def test_version_documents(client: FlaskClient) -> None:
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        response = client.open("/", method=method)
        assert response.status_code == 300
        body = assert_matches_documented(response, method, "/")
        assert [v["id"] for v in body["versions"] if v["status"] == "CURRENT"] == ["v2.17"]
        response = client.open("/versions", method=method)
        assert response.status_code == 200
        assert_matches_documented(response, method, "/versions")


def test_image_lifecycle(client: FlaskClient, users: Any) -> None:
    headers = users.headers("producer")
    image = _create(client, users, tags=["a"], os_distro="cirros")
    assert (image["status"], image["visibility"]) == ("queued", "shared")
    assert image["os_distro"] == "cirros"
    path = f"/v2/images/{image['id']}"

    response = client.get(path, headers=headers)
    assert_matches_documented(response, "GET", "/v2/images/{image_id}")

    response = client.get("/v2/images?limit=1&sort=name:asc", headers=headers)
    listing = assert_matches_documented(response, "GET", "/v2/images")
    assert listing["next"].startswith("/v2/images?")

    response = client.patch(
        path,
        json=[{"op": "replace", "path": "/name", "value": "renamed"}],
        headers={**headers, "Content-Type": JSON_PATCH},
    )
    updated = assert_matches_documented(response, "PATCH", "/v2/images/{image_id}")
    assert updated["name"] == "renamed"

    response = client.get(f"{path}/file", headers=headers)
    assert response.status_code == 204
    assert_matches_documented(response, "GET", "/v2/images/{image_id}/file")

    response = client.put(
        f"{path}/file", data=DATA, headers={**headers, "Content-Type": "application/octet-stream"}
    )
    assert response.status_code == 204
    assert_matches_documented(response, "PUT", "/v2/images/{image_id}/file")

    response = client.get(f"{path}/file", headers=headers)
    assert response.status_code == 200
    assert_matches_documented(response, "GET", "/v2/images/{image_id}/file")
    assert response.get_data() == DATA
    assert response.headers["Content-MD5"] == hashlib.md5(DATA).hexdigest()

    response = client.get(f"{path}/file", headers={**headers, "Range": "bytes=10-19"})
    assert response.status_code == 206
    assert_matches_documented(response, "GET", "/v2/images/{image_id}/file")
    assert response.get_data() == DATA[10:20]

    for method, suffix, template in (
        ("PUT", "/tags/b", "/v2/images/{image_id}/tags/{tag_value}"),
        ("DELETE", "/tags/b", "/v2/images/{image_id}/tags/{tag_value}"),
        ("POST", "/actions/deactivate", "/v2/images/{image_id}/actions/deactivate"),
        ("POST", "/actions/reactivate", "/v2/images/{image_id}/actions/reactivate"),
        ("DELETE", "", "/v2/images/{image_id}"),
    ):
        response = client.open(path + suffix, method=method, headers=headers)
        assert response.status_code == 204, (method, suffix, response.get_data(as_text=True))
        assert_matches_documented(response, method, template)

    response = client.get(path, headers=headers)
    assert response.status_code == 404
    assert_matches_documented(response, "GET", "/v2/images/{image_id}")


def test_sharing_flow(client: FlaskClient, users: Any) -> None:
    image = _create(client, users)
    consumer = users.project("consumer")
    base = f"/v2/images/{image['id']}/members"
    steps = [
        ("producer", "POST", base, {"member": consumer}, 200, "/v2/images/{image_id}/members"),
        ("producer", "POST", base, {"member": consumer}, 409, "/v2/images/{image_id}/members"),
        ("producer", "GET", base, None, 200, "/v2/images/{image_id}/members"),
        (
            "consumer",
            "GET",
            f"{base}/{consumer}",
            None,
            200,
            "/v2/images/{image_id}/members/{member_id}",
        ),
        (
            "producer",
            "PUT",
            f"{base}/{consumer}",
            {"status": "accepted"},
            403,
            "/v2/images/{image_id}/members/{member_id}",
        ),
        (
            "consumer",
            "PUT",
            f"{base}/{consumer}",
            {"status": "accepted"},
            200,
            "/v2/images/{image_id}/members/{member_id}",
        ),
        (
            "consumer",
            "DELETE",
            f"{base}/{consumer}",
            None,
            403,
            "/v2/images/{image_id}/members/{member_id}",
        ),
        (
            "producer",
            "DELETE",
            f"{base}/{consumer}",
            None,
            204,
            "/v2/images/{image_id}/members/{member_id}",
        ),
        ("consumer", "GET", f"/v2/images/{image['id']}", None, 404, "/v2/images/{image_id}"),
    ]
    for who, method, path, body, status, template in steps:
        response = client.open(path, method=method, json=body, headers=users.headers(who))
        assert response.status_code == status, (who, method, path, response.get_data(as_text=True))
        assert_matches_documented(response, method, template)


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("application/json", "application/json"),
        ("*/*", "text/html"),
        ("text/html", "text/html"),
        ("text/plain", "text/plain"),
        (None, "text/plain"),
    ],
)
def test_glance_errors_in_every_negotiated_form(
    client: FlaskClient, users: Any, accept: str | None, media_type: str
) -> None:
    headers = {"X-Auth-Token": users.tokens["producer"]}
    if accept is not None:
        headers["Accept"] = accept
    response = client.get("/v2/images/7d3c4a3e-0a8e-4d3b-9f4e-2b1c0d9e8f7a", headers=headers)
    assert response.status_code == 404
    assert response.mimetype == media_type
    assert_matches_documented(response, "GET", "/v2/images/{image_id}")


def test_glance_401_carries_www_authenticate(client: FlaskClient) -> None:
    response = client.get("/v2/images", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert_matches_documented(response, "GET", "/v2/images")
    assert response.headers["WWW-Authenticate"].startswith('Keystone uri="')


def test_identity_flow(client: FlaskClient, users: Any) -> None:
    response = client.get("/identity")
    assert response.status_code == 300
    assert_matches_documented(response, "GET", "/identity")
    response = client.get("/identity/v3")
    assert_matches_documented(response, "GET", "/identity/v3")
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": "producer",
                        "domain": {"name": "Default"},
                        "password": "producer-pass",
                    }
                },
            },
            "scope": {"project": {"name": "producer", "domain": {"name": "Default"}}},
        }
    }
    response = client.post("/identity/v3/auth/tokens", json=body)
    assert response.status_code == 201
    token = assert_matches_documented(response, "POST", "/identity/v3/auth/tokens")["token"]
    assert {entry["type"] for entry in token["catalog"]} == {"identity", "image", "compute"}
    subject = response.headers["X-Subject-Token"]
    headers = {"X-Auth-Token": subject, "X-Subject-Token": subject}
    for method, status in (("GET", 200), ("HEAD", 200), ("DELETE", 204), ("GET", 401)):
        response = client.open("/identity/v3/auth/tokens", method=method, headers=headers)
        assert response.status_code == status, method
        assert_matches_documented(response, method, "/identity/v3/auth/tokens")
    wrong = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "producer", "domain": {"name": "Default"}, "password": "wrong"}
                },
            }
        }
    }
    response = client.post("/identity/v3/auth/tokens", json=wrong)
    assert response.status_code == 401
    assert_matches_documented(response, "POST", "/identity/v3/auth/tokens")


def test_identity_projects(client: FlaskClient, users: Any) -> None:
    own = users.project("producer")
    cases = [
        ("producer", "/identity/v3/auth/projects", "/identity/v3/auth/projects", 200),
        ("producer", "/identity/v3/auth/catalog", "/identity/v3/auth/catalog", 200),
        ("producer", f"/identity/v3/projects/{own}", "/identity/v3/projects/{project_id}", 200),
        (
            "producer",
            f"/identity/v3/projects/{users.project('consumer')}",
            "/identity/v3/projects/{project_id}",
            403,
        ),
        ("admin", "/identity/v3/projects/nope", "/identity/v3/projects/{project_id}", 404),
        ("producer", "/identity/v3/projects", "/identity/v3/projects", 403),
        ("admin", "/identity/v3/projects?name=producer", "/identity/v3/projects", 200),
    ]
    for who, path, template, status in cases:
        response = client.get(path, headers=users.headers(who))
        assert response.status_code == status, (who, path, response.get_data(as_text=True))
        assert_matches_documented(response, "GET", template)


def test_control_api(client: FlaskClient, users: Any) -> None:
    response = client.get("/_emulator/health")
    assert response.status_code == 200
    assert assert_matches_documented(response, "GET", "/_emulator/health")["status"] == "ok"
    response = client.get("/_emulator/openapi.yaml")
    assert response.status_code == 200
    assert_matches_documented(response, "GET", "/_emulator/openapi.yaml")
    for who, status in (("producer", 403), ("admin", 200)):
        response = client.get("/_emulator/export", headers=users.headers(who))
        assert response.status_code == status
        assert_matches_documented(response, "GET", "/_emulator/export")
    response = client.post(
        "/_emulator/scenario", json={"scenario": "sharing-101"}, headers=users.headers("admin")
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert assert_matches_documented(response, "POST", "/_emulator/scenario")["shares"] == 2
    response = client.post("/_emulator/reset", headers=users.headers("admin"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert_matches_documented(response, "POST", "/_emulator/reset")
    response = client.get("/v2/images", headers=users.headers("producer"))
    assert assert_matches_documented(response, "GET", "/v2/images")["images"] == []


def test_the_helper_refuses_what_is_not_documented(client: FlaskClient, users: Any) -> None:
    response = client.get("/v2/images", headers=users.headers("producer"))
    with pytest.raises(AssertionError, match="not documented"):
        assert_matches_documented(response, "PUT", "/v2/images")
    with pytest.raises(AssertionError, match="does not document"):
        documented_response("GET", "/v2/images", 418)
    response = client.get("/v2/schemas/image", headers=users.headers("producer"))
    with pytest.raises(AssertionError, match="does not match the schema"):
        assert_matches_documented(response, "GET", "/v2/images")  # a schema is not a list
