"""``request_log_bodies`` (``serve --record-bodies``): the request log keeps the JSON bodies
of non-data requests and their answers, with secrets redacted, in ``/_emulator/requests``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator.core.body_capture import BODY_LIMIT
from emulator.core.config import Config
from tests.api.test_request_log import BufferedClient
from tests.conftest import Users
from tests.keystone_bodies import password_login, project_scope

BODY_KEYS = {"request_headers", "request_body", "response_body", "body_notes"}


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(data_dir=tmp_path / "data", request_log_bodies=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = BufferedClient
    return app.test_client()


def _newest(client: FlaskClient, **filters: str) -> dict[str, object]:
    answer = client.get("/_emulator/requests", query_string={"limit": "1", **filters})
    assert answer.status_code == 200
    entry: dict[str, object] = answer.json["requests"][0]
    return entry


def test_a_login_is_kept_without_its_password(client: FlaskClient) -> None:
    login = password_login("producer", "producer-pass", project_scope("producer"))
    answer = client.post("/identity/v3/auth/tokens", json=login)
    assert answer.status_code == 201
    token = answer.headers["X-Subject-Token"]
    whole = client.get("/_emulator/requests?format=ndjson").data.decode()
    assert "producer-pass" not in whole and token not in whole
    entry = json.loads(whole.splitlines()[0])
    assert entry["request_body"]["auth"]["identity"]["password"]["user"] == {
        "name": "producer",
        "domain": {"id": "default"},
        "password": "***",
    }
    assert entry["response_body"]["token"]["project"]["name"] == "producer"
    assert entry["request_headers"]["content-type"] == "application/json"
    assert entry["body_notes"] == []


def test_create_patch_and_data_requests(client: FlaskClient, users: Users) -> None:
    created = client.post(
        "/v2/images",
        json={"name": "kept", "disk_format": "raw", "container_format": "bare"},
        headers=users.headers("producer"),
    )
    image = created.json["id"]
    entry = _newest(client, method="POST")
    assert entry["request_body"] == {
        "name": "kept",
        "disk_format": "raw",
        "container_format": "bare",
    }
    assert entry["response_body"] == created.json

    patch = [{"op": "add", "path": "/colour", "value": "blue"}]
    client.patch(
        f"/v2/images/{image}",
        data=json.dumps(patch),
        headers=users.headers(
            "producer", **{"Content-Type": "application/openstack-images-v2.1-json-patch"}
        ),
    )
    entry = _newest(client, method="PATCH")
    assert entry["request_body"] == patch
    assert entry["response_body"]["colour"] == "blue"  # type: ignore[index]

    client.put(
        f"/v2/images/{image}/file",
        data=b'{"looks": "like json"}',
        headers=users.headers("producer", **{"Content-Type": "application/json"}),
    )
    client.put(
        f"/v2/images/{image}/file",
        data=b"x" * 100,
        headers=users.headers("producer", **{"Content-Type": "application/octet-stream"}),
    )
    upload = _newest(client, method="PUT")
    assert upload["status"] == 204
    assert upload["request_body"] is None and upload["response_body"] is None
    assert upload["request_headers"] == {
        "content-type": "application/octet-stream",
        "content-length": "100",
        "accept": "application/json",
    }
    client.get(f"/v2/images/{image}/file", headers=users.headers("producer"))
    download = _newest(client, method="GET", path=f"/v2/images/{image}/file")
    assert download["response_body"] is None and download["bytes"] == 100


def test_bodies_over_the_limit_are_noted_not_kept(client: FlaskClient, users: Users) -> None:
    big = {"name": "big", "description_padding": "p" * BODY_LIMIT}
    client.post("/v2/images", json=big, headers=users.headers("producer"))
    entry = _newest(client, method="POST")
    assert entry["status"] == 201
    # The image document echoes the big property: both bodies are over the limit.
    assert entry["request_body"] is None and entry["response_body"] is None
    assert entry["body_notes"] == [
        f"request body over {BODY_LIMIT} bytes: not kept",
        f"response body over {BODY_LIMIT} bytes: not kept",
    ]
    # A small answer to the next request is kept again.
    client.get("/v2/images?limit=1&name=nothing", headers=users.headers("producer"))
    assert _newest(client)["response_body"] == {
        "images": [],
        "first": "/v2/images?limit=1&name=nothing",
        "schema": "/v2/schemas/images",
    }


def test_error_answers_and_non_json_answers(client: FlaskClient, users: Users) -> None:
    client.get("/v2/images/nope", headers=users.headers("consumer"))
    missing = _newest(client)
    # webob's JSON error body, as the client asked for JSON; HTML ones are not kept.
    assert missing["response_body"]["code"] == "404 Not Found"  # type: ignore[index]
    client.get("/v2/images/nope", headers={"X-Auth-Token": users.tokens["consumer"]})
    html = _newest(client)
    assert html["status"] == 404 and html["response_body"] is None
    client.get("/_emulator/openapi.yaml")
    yaml = _newest(client)
    assert yaml["response_body"] is None and yaml["body_notes"] == []
    client.get("/identity/v3/projects/nope", headers=users.headers("consumer"))
    keystone = _newest(client)
    assert keystone["status"] in (403, 404)
    assert isinstance(keystone["response_body"], dict) and "error" in keystone["response_body"]


def test_off_by_default(tmp_path: Path) -> None:
    from emulator.app import create_app

    app = create_app(Config(data_dir=tmp_path))
    app.test_client_class = BufferedClient
    client = app.test_client()
    client.get("/versions")
    (entry,) = client.get("/_emulator/requests").json["requests"]
    assert not BODY_KEYS & set(entry)
