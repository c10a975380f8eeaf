"""Keystone unified limits as Glance enforces them (glance/quota/keystone.py), and
``/v2/info/usage``; off by default, as in Glance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator.core.config import Config

OCTET = {"Content-Type": "application/octet-stream"}
MIB = 1 << 20
LIMITS: dict[str, Any] = {
    "use_keystone_limits": True,
    "image_size_total": 1,
    "image_stage_total": 1,
    "image_count_total": 3,
    "image_count_uploading": 1,
}


@pytest.fixture
def config(tmp_path: Path, request: pytest.FixtureRequest) -> Config:
    return Config(data_dir=tmp_path / "data", **getattr(request, "param", LIMITS))


def message(response: Any) -> str:
    return str(response.get_json()["message"]).split("<br />")[0]


def create(client: FlaskClient, users: Any) -> Any:
    body = {"name": "q", "disk_format": "raw", "container_format": "bare"}
    return client.post("/v2/images", json=body, headers=users.headers("producer"))


def usage(client: FlaskClient, users: Any) -> dict[str, Any]:
    response = client.get("/v2/info/usage", headers=users.headers("producer"))
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


@pytest.mark.parametrize("config", [{}], indirect=True)
def test_usage_is_empty_without_unified_limits(client: FlaskClient, users: Any) -> None:
    assert usage(client, users) == {"usage": {}}


def test_usage_reports_limits_and_usage(client: FlaskClient, users: Any) -> None:
    image_id = create(client, users).get_json()["id"]
    client.put(
        f"/v2/images/{image_id}/file", data=b"x" * MIB, headers=users.headers("producer", **OCTET)
    )
    staged = create(client, users).get_json()["id"]
    client.put(
        f"/v2/images/{staged}/stage", data=b"y" * 10, headers=users.headers("producer", **OCTET)
    )
    assert usage(client, users) == {
        "usage": {
            "image_size_total": {"limit": 1, "usage": 1},
            "image_stage_total": {"limit": 1, "usage": 0},
            "image_count_total": {"limit": 3, "usage": 2},
            "image_count_uploading": {"limit": 1, "usage": 1},
        }
    }


def test_image_count_total(client: FlaskClient, users: Any, app: Flask) -> None:
    for _ in range(3):
        assert create(client, users).status_code == 201
    refused = create(client, users)
    assert refused.status_code == 413
    text = refused.get_json()["message"]
    assert (
        "Resource image_count_total is over limit of 3 due to current usage 3 and delta 1" in text
    )
    assert text.startswith("The request returned a 413 Request Entity Too Large.")
    listed = client.get("/v2/images", headers=users.headers("producer")).get_json()["images"]
    assert len(listed) == 3


def test_image_size_total_on_upload(client: FlaskClient, users: Any) -> None:
    first = create(client, users).get_json()["id"]
    assert (
        client.put(
            f"/v2/images/{first}/file", data=b"x" * MIB, headers=users.headers("producer", **OCTET)
        ).status_code
        == 204
    )
    second = create(client, users).get_json()["id"]
    refused = client.put(
        f"/v2/images/{second}/file",
        data=b"x" * MIB,
        headers=users.headers("producer", **OCTET, **{"x-openstack-image-size": str(MIB)}),
    )
    assert refused.status_code == 413
    assert (
        "Resource image_size_total is over limit of 1 due to current usage 1 and delta 1"
        in (refused.get_json()["message"])
    )
    shown = client.get(f"/v2/images/{second}", headers=users.headers("producer")).get_json()
    assert shown["status"] == "queued"


def test_image_count_uploading_on_stage(client: FlaskClient, users: Any) -> None:
    first = create(client, users).get_json()["id"]
    assert (
        client.put(
            f"/v2/images/{first}/stage", data=b"a", headers=users.headers("producer", **OCTET)
        ).status_code
        == 204
    )
    second = create(client, users).get_json()["id"]
    refused = client.put(
        f"/v2/images/{second}/stage", data=b"b", headers=users.headers("producer", **OCTET)
    )
    assert refused.status_code == 413
    assert "image_count_uploading is over limit of 1" in refused.get_json()["message"]
    shown = client.get(f"/v2/images/{second}", headers=users.headers("producer")).get_json()
    assert shown["status"] == "queued"  # nothing lost


@pytest.mark.parametrize(
    "config", [{**LIMITS, "image_size_total": 0, "image_stage_total": -1}], indirect=True
)
def test_glance_direct_import_over_size_total_fails_its_task(
    app: Flask, client: FlaskClient, users: Any
) -> None:
    image_id = create(client, users).get_json()["id"]
    client.put(
        f"/v2/images/{image_id}/stage",
        data=b"z" * (2 * MIB),
        headers=users.headers("producer", **OCTET),
    )
    response = client.post(
        f"/v2/images/{image_id}/import",
        json={"method": {"name": "glance-direct"}},
        headers=users.headers("producer"),
    )
    assert response.status_code == 202
    app.extensions["emulator.background"].wait(timeout=30)
    image = client.get(f"/v2/images/{image_id}", headers=users.headers("producer")).get_json()
    assert image["status"] == "queued" and "os_glance_import_task" not in image
    (task,) = client.get(
        f"/v2/images/{image_id}/tasks", headers=users.headers("producer")
    ).get_json()["tasks"]
    assert task["status"] == "failure"
    assert (
        "Resource image_size_total is over limit of 0 due to current usage 0 and delta 2"
        in task["message"]
    )


# --- per-project limits from a scenario -------------------------------------------------


SCENARIO = {
    "name": "limited",
    "projects": [{"name": "producer", "limits": {"image_count_total": 1}}],
}


def test_scenario_sets_project_limits_and_export_keeps_them(
    client: FlaskClient, users: Any, app: Flask
) -> None:
    admin = users.headers("admin")
    response = client.post("/_emulator/reset", json={"document": SCENARIO}, headers=admin)
    assert response.status_code == 200, response.get_data(as_text=True)
    from tests.conftest import Users

    fresh = Users(app)
    body = {"name": "one", "disk_format": "raw", "container_format": "bare"}
    assert (
        client.post("/v2/images", json=body, headers=fresh.headers("producer")).status_code == 201
    )
    refused = client.post("/v2/images", json=body, headers=fresh.headers("producer"))
    assert refused.status_code == 413
    assert "over limit of 1 due to current usage 1 and delta 1" in refused.get_json()["message"]
    usage = client.get("/v2/info/usage", headers=fresh.headers("producer")).get_json()["usage"]
    assert usage["image_count_total"] == {"limit": 1, "usage": 1}
    assert usage["image_size_total"]["limit"] == 1  # the registered (config) limit
    # others keep the registered limit (3)
    assert (
        client.post("/v2/images", json=body, headers=fresh.headers("consumer")).status_code == 201
    )
    exported = client.get("/_emulator/export", headers=fresh.headers("admin")).get_json()
    (producer,) = [p for p in exported["projects"] if p["name"] == "producer"]
    assert producer["limits"] == {"image_count_total": 1}
    # a plain reset drops the scenario's limits
    assert client.post("/_emulator/reset", headers=fresh.headers("admin")).status_code == 200
    again = Users(app)
    usage = client.get("/v2/info/usage", headers=again.headers("producer")).get_json()["usage"]
    assert usage["image_count_total"]["limit"] == 3


def test_scenario_limit_names_are_checked(client: FlaskClient, users: Any) -> None:
    bad = {"projects": [{"name": "p", "limits": {"image_bogus": 1}}]}
    response = client.post(
        "/_emulator/reset", json={"document": bad}, headers=users.headers("admin")
    )
    assert response.status_code == 400
