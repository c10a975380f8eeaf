"""The request log: every request kept in a bounded ring, read at ``/_emulator/requests`` and
through ``app.extensions["emulator.request_log"].entries()`` (the panel's interface)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator.app import create_app
from emulator.core.config import Config
from tests.conftest import Users


class BufferedClient(FlaskClient):
    """Reads each body at once, as a server does: the recorder records a request when its
    body has been taken (Flask's test client otherwise reads it only when asked)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = BufferedClient
    return app.test_client()


PANEL_KEYS = {
    "time",
    "request_id",
    "user_id",
    "user_name",
    "project_id",
    "method",
    "path",
    "query",
    "status",
    "duration_ms",
    "bytes",
    "fault",
}


def test_every_request_is_recorded_with_who_and_what(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    created = client.post(
        "/v2/images",
        json={"name": "logged", "disk_format": "raw", "container_format": "bare"},
        headers=users.headers("producer"),
    )
    assert created.status_code == 201
    image_id = created.json["id"]
    client.put(
        f"/v2/images/{image_id}/file",
        data=b"x" * 1000,
        headers=users.headers("producer", **{"Content-Type": "application/octet-stream"}),
    )
    download = client.get(f"/v2/images/{image_id}/file", headers=users.headers("producer"))
    assert download.data == b"x" * 1000
    client.get("/v2/images?limit=1&name=logged", headers=users.headers("consumer"))
    client.get("/v2/images")  # no token: 401

    log = app.extensions["emulator.request_log"]
    newest_first = log.entries()
    assert [(e["method"], e["path"], e["status"]) for e in newest_first] == [
        ("GET", "/v2/images", 401),
        ("GET", "/v2/images", 200),
        ("GET", f"/v2/images/{image_id}/file", 200),
        ("PUT", f"/v2/images/{image_id}/file", 204),
        ("POST", "/v2/images", 201),
    ]
    for entry in newest_first:
        assert PANEL_KEYS <= set(entry)
        assert datetime.fromisoformat(entry["time"]).tzinfo is not None
        assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
        assert entry["fault"] is None
    anonymous, listing, got, put, post = newest_first
    assert (anonymous["user_id"], anonymous["user_name"], anonymous["request_id"]) == (
        None,
        None,
        None,
    )
    assert listing["user_name"] == "consumer" and listing["query"] == "limit=1&name=logged"
    assert listing["project_id"] == users.project("consumer")
    assert got["bytes"] == 1000 and got["user_name"] == "producer"
    assert post["request_id"] == created.headers["x-openstack-request-id"]
    assert post["bytes"] == len(created.data)

    assert [e["path"] for e in log.entries(user="consumer")] == ["/v2/images"]
    assert log.entries(user=listing["user_id"]) == log.entries(user="consumer")
    assert len(log.entries(limit=2)) == 2
    assert [e["method"] for e in log.entries(method="put")] == ["PUT"]


def test_the_ring_is_bounded(tmp_path: Path) -> None:
    app = create_app(Config(data_dir=tmp_path, request_log_size=3))
    app.test_client_class = BufferedClient
    client = app.test_client()
    for n in range(5):
        client.get(f"/v2/images/{n}")
    paths = [e["path"] for e in app.extensions["emulator.request_log"].entries()]
    assert paths == ["/v2/images/4", "/v2/images/3", "/v2/images/2"]


def test_size_zero_records_nothing(tmp_path: Path) -> None:
    app = create_app(Config(data_dir=tmp_path, request_log_size=0))
    app.test_client_class = BufferedClient
    app.test_client().get("/")
    assert app.extensions["emulator.request_log"].entries() == []


def test_read_over_http_with_filters(client: FlaskClient, users: Users) -> None:
    client.get("/v2/images", headers=users.headers("producer"))
    client.get("/v2/images/nope", headers=users.headers("consumer"))
    client.get("/versions")
    answer = client.get("/_emulator/requests")
    assert answer.status_code == 200
    listed = answer.json["requests"]
    # Reading the log is not itself recorded.
    assert [e["path"] for e in listed] == ["/versions", "/v2/images/nope", "/v2/images"]
    assert answer.json["last_seq"] == listed[0]["seq"]

    def paths(query: str) -> list[str]:
        got = client.get("/_emulator/requests?" + query)
        assert got.status_code == 200, got.json
        return [e["path"] for e in got.json["requests"]]

    assert paths("user=producer") == ["/v2/images"]
    assert paths("status=404") == ["/v2/images/nope"]
    assert paths("path=/v2/") == ["/v2/images/nope", "/v2/images"]
    assert paths("method=GET&limit=1") == ["/versions"]
    assert paths(f"after={listed[1]['seq']}") == ["/versions"]
    assert paths("fault=true") == []


def test_ndjson(client: FlaskClient) -> None:
    client.get("/versions")
    client.get("/v2")
    by_param = client.get("/_emulator/requests?format=ndjson")
    by_accept = client.get("/_emulator/requests", headers={"Accept": "application/x-ndjson"})
    for answer in (by_param, by_accept):
        assert answer.content_type == "application/x-ndjson"
        lines = [json.loads(line) for line in answer.data.decode().splitlines()]
        assert [e["path"] for e in lines] == ["/v2", "/versions"]


def test_delete_empties_the_log(client: FlaskClient) -> None:
    client.get("/versions")
    assert client.delete("/_emulator/requests").status_code == 204
    # The DELETE itself is recorded after the clearing.
    assert [e["method"] for e in client.get("/_emulator/requests").json["requests"]] == ["DELETE"]


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=-1",
        "limit=abc",
        "limit=99999999",
        "status=99",
        "status=%EF%BC%91",
        "after=x",
        "after=" + "9" * 5000,
        "limit=" + "1" * 5000,
        "fault=maybe",
        "format=xml",
        "colour=red",
    ],
)
def test_bad_filters_are_a_clear_400(client: FlaskClient, query: str) -> None:
    answer = client.get("/_emulator/requests?" + query)
    assert answer.status_code == 400
    assert answer.json["error"]["message"]


def test_remote_clients_need_an_admin_token(client: FlaskClient, users: Users) -> None:
    remote = {"REMOTE_ADDR": "192.0.2.7"}
    assert client.get("/_emulator/requests", environ_base=remote).status_code == 401
    member = client.get(
        "/_emulator/requests", headers=users.headers("producer"), environ_base=remote
    )
    assert member.status_code == 403
    admin = client.get("/_emulator/requests", headers=users.headers("admin"), environ_base=remote)
    assert admin.status_code == 200
