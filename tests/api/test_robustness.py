"""Edge cases found in review: each was a 500, a wrong answer or a data-safety hole."""

from __future__ import annotations

import socket
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator.app import create_app, operator_unit_of_work
from emulator.control.services import state
from emulator.core.config import Config
from emulator.identity.services import accounts, tokens
from emulator.server import ServerThread


def _create(client: FlaskClient, users, user: str = "producer", **body) -> dict:
    response = client.post("/v2/images", json=body, headers=users.headers(user))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_image_ids_are_unique_regardless_of_case(client: FlaskClient, users) -> None:
    """Two images must never share one data file (ids are matched like MySQL does)."""
    original = _create(client, users, "admin", name="public", visibility="public")
    clash = client.post(
        "/v2/images",
        json={"id": original["id"].upper(), "name": "mine"},
        headers=users.headers("outsider"),
    )
    assert clash.status_code == 409
    found = client.get(f"/v2/images/{original['id'].upper()}", headers=users.headers("producer"))
    assert found.status_code == 200
    assert found.get_json()["id"] == original["id"]


@pytest.mark.parametrize("value", [2**31, 2**63, 1e308])
def test_integers_too_large_for_glance_are_400(client: FlaskClient, users, value) -> None:
    created = client.post(
        "/v2/images", json={"name": "x", "min_ram": value}, headers=users.headers("producer")
    )
    assert created.status_code == 400
    image = _create(client, users, name="y")
    patched = client.patch(
        f"/v2/images/{image['id']}",
        json=[{"op": "replace", "path": "/min_disk", "value": value}],
        headers=users.headers(
            "producer", **{"Content-Type": "application/openstack-images-v2.1-json-patch"}
        ),
    )
    assert patched.status_code == 400
    shown = client.get(f"/v2/images/{image['id']}", headers=users.headers("producer"))
    assert shown.get_json()["min_disk"] == 0


def _raw_request(base_url: str, head: str, body: bytes) -> bytes:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize("path_kind", ["create", "upload", "identity"])
def test_malformed_chunked_bodies_are_400_not_500(app: Flask, users, path_kind: str) -> None:
    client = app.test_client()
    image = _create(client, users, name="z", disk_format="raw", container_format="bare")
    path, content_type = {
        "create": ("/v2/images", "application/json"),
        "upload": (f"/v2/images/{image['id']}/file", "application/octet-stream"),
        "identity": ("/identity/v3/auth/tokens", "application/json"),
    }[path_kind]
    method = "PUT" if path_kind == "upload" else "POST"
    with ServerThread(app) as server:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
            f"X-Auth-Token: {users.tokens['producer']}\r\nContent-Type: {content_type}\r\n"
            "Accept: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        answer = _raw_request(server.base_url, head, b"zz\r\nnot a chunk\r\n0\r\n\r\n")
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500, answer[:300]
    shown = client.get(f"/v2/images/{image['id']}", headers=users.headers("producer"))
    assert shown.get_json()["status"] == "queued"


def test_opening_a_data_dir_keeps_uploads_in_flight(tmp_path: Path) -> None:
    """Tools that open a live server's data dir must not remove its upload temp files."""
    config = Config(data_dir=tmp_path / "data")
    create_app(config)
    in_flight = Path(config.blob_dir) / ".upload-abc123"
    in_flight.write_bytes(b"half an image")
    create_app(config)
    assert in_flight.read_bytes() == b"half an image"


def test_reset_leaves_uploads_in_flight_alone(app: Flask) -> None:
    blobs = app.extensions["emulator.blobs"]
    in_flight = blobs.root / ".upload-xyz"
    in_flight.write_bytes(b"still arriving")
    with operator_unit_of_work(app) as uow:
        state.reset(uow)
    assert in_flight.read_bytes() == b"still arriving"


def test_a_demoted_users_tokens_stop_working(app: Flask, users) -> None:
    client = app.test_client()
    admin_token = users.tokens["admin"]
    assert client.get("/_emulator/export", headers={"X-Auth-Token": admin_token}).status_code == 200
    with app.extensions["emulator.store"].session() as db:
        project = accounts.find_project(db, "admin", accounts.DEFAULT_DOMAIN_ID)
        accounts.upsert_user(db, "admin", project.id, ["member"], password="admin-pass")
        assert tokens.lookup(db, admin_token) is None
    assert client.get("/_emulator/export", headers={"X-Auth-Token": admin_token}).status_code == 401
    # An unchanged user keeps its token across the same kind of update.
    producer_token = users.tokens["producer"]
    with app.extensions["emulator.store"].session() as db:
        project = accounts.find_project(db, "producer", accounts.DEFAULT_DOMAIN_ID)
        accounts.upsert_user(db, "producer", project.id, ["member"], password="producer-pass")
        assert tokens.lookup(db, producer_token) is not None


def test_a_scenario_may_not_serve_the_database_as_image_data(client: FlaskClient, users) -> None:
    document = {
        "images": [
            {
                "name": "db",
                "owner": "producer",
                "disk_format": "raw",
                "container_format": "bare",
                "data": {"file": "emulator.db"},
            }
        ]
    }
    response = client.post(
        "/_emulator/scenario", json={"document": document}, headers=users.headers("admin")
    )
    assert response.status_code == 400
    assert "database" in response.get_json()["error"]["message"]
    listed = client.get("/v2/images", headers=users.headers("producer")).get_json()
    assert listed["images"] == []


def test_unknown_uuid_in_other_case_is_still_404(client: FlaskClient, users) -> None:
    response = client.get(
        f"/v2/images/{str(uuid.uuid4()).upper()}", headers=users.headers("producer")
    )
    assert response.status_code == 404


def test_a_writer_kept_waiting_too_long_gets_503_with_retry_after(
    app: Flask, config: Config, users: Any
) -> None:
    """Another writer holding the database past the busy timeout (a long reset) is a 503 to
    try again, not a 500."""
    app.extensions["emulator.store"].busy_timeout = 0.2  # before the first request's connection
    blocker = sqlite3.connect(config.db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        response = app.test_client().post(
            "/v2/images", json={"name": "waits"}, headers=users.headers("producer")
        )
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json()["title"] == "Service Unavailable"
    again = app.test_client().post(
        "/v2/images", json={"name": "waits"}, headers=users.headers("producer")
    )
    assert again.status_code == 201


def test_the_busy_timeout_is_a_setting(tmp_path: Path) -> None:
    app = create_app(Config(data_dir=tmp_path / "data", database_busy_timeout=0.25))
    assert app.extensions["emulator.store"].busy_timeout == 0.25
