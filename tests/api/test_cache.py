"""The image cache API (glance/api/v2/cached_images.py): off by default, admin only, and
filled by whole-image downloads and ``PUT /v2/cache/{id}`` when on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator.core.config import Config

OCTET = {"Content-Type": "application/octet-stream"}


@pytest.fixture
def config(tmp_path: Path, request: pytest.FixtureRequest) -> Config:
    return Config(
        data_dir=tmp_path / "data", **getattr(request, "param", {"image_cache_enabled": True})
    )


def message(response: Any) -> str:
    return str(response.get_json()["message"]).split("<br />")[0]


def active_image(client: FlaskClient, users: Any, data: bytes = b"cached bytes") -> str:
    body = {
        "name": "c",
        "disk_format": "raw",
        "container_format": "bare",
        "visibility": "community",
    }
    image_id = client.post("/v2/images", json=body, headers=users.headers("producer")).get_json()[
        "id"
    ]
    client.put(f"/v2/images/{image_id}/file", data=data, headers=users.headers("producer", **OCTET))
    return str(image_id)


def state(client: FlaskClient, users: Any) -> dict[str, Any]:
    response = client.get("/v2/cache", headers=users.headers("admin"))
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


@pytest.mark.parametrize("config", [{}], indirect=True)
def test_cache_off_is_404_after_the_policy(client: FlaskClient, users: Any) -> None:
    response = client.get("/v2/cache", headers=users.headers("admin"))
    assert response.status_code == 404
    assert message(response) == "Caching via API is not supported at this site."
    assert client.get("/v2/cache", headers=users.headers("producer")).status_code == 403
    image_id = active_image(client, users)
    assert client.put(f"/v2/cache/{image_id}", headers=users.headers("admin")).status_code == 404
    assert client.delete(f"/v2/cache/{image_id}", headers=users.headers("admin")).status_code == 404


def test_downloads_fill_the_cache_and_count_hits(client: FlaskClient, users: Any) -> None:
    image_id = active_image(client, users)
    assert state(client, users) == {"cached_images": [], "queued_images": []}
    client.get(f"/v2/images/{image_id}/file", headers=users.headers("consumer"))
    (entry,) = state(client, users)["cached_images"]
    assert entry["image_id"] == image_id and entry["hits"] == 0
    assert entry["size"] == len(b"cached bytes")
    assert set(entry) == {
        "id",
        "image_id",
        "last_accessed",
        "last_modified",
        "size",
        "hits",
        "checksum",
    }
    assert isinstance(entry["last_accessed"], float)
    client.get(f"/v2/images/{image_id}/file", headers=users.headers("consumer"))
    assert state(client, users)["cached_images"][0]["hits"] == 1
    ranged = {"Range": "bytes=0-1"}
    client.get(f"/v2/images/{image_id}/file", headers=users.headers("consumer", **ranged))
    assert state(client, users)["cached_images"][0]["hits"] == 1  # partial: not through cache


def test_queue_then_cached(app: Flask, client: FlaskClient, users: Any) -> None:
    image_id = active_image(client, users)
    response = client.put(f"/v2/cache/{image_id}", headers=users.headers("admin"))
    assert response.status_code == 202
    app.extensions["emulator.background"].wait(timeout=30)
    cached = state(client, users)
    assert [e["image_id"] for e in cached["cached_images"]] == [image_id]
    assert cached["queued_images"] == []


def test_queue_refusals(client: FlaskClient, users: Any) -> None:
    response = client.put("/v2/cache/non-existing-image-id", headers=users.headers("admin"))
    assert response.status_code == 404
    assert message(response) == "Image non-existing-image-id not found."
    queued = client.post(
        "/v2/images", json={"name": "q"}, headers=users.headers("admin")
    ).get_json()["id"]
    response = client.put(f"/v2/cache/{queued}", headers=users.headers("admin"))
    assert response.status_code == 400
    assert message(response) == "Only images with status active can be targeted for queueing"
    image_id = active_image(client, users)
    assert client.put(f"/v2/cache/{image_id}", headers=users.headers("producer")).status_code == 403


def test_clear_targets(app: Flask, client: FlaskClient, users: Any) -> None:
    first = active_image(client, users)
    client.get(f"/v2/images/{first}/file", headers=users.headers("admin"))
    bad = client.delete(
        "/v2/cache", headers=users.headers("admin", **{"x-image-cache-clear-target": "invalid"})
    )
    assert bad.status_code == 400
    assert len(state(client, users)["cached_images"]) == 1
    queue_only = users.headers("admin", **{"x-image-cache-clear-target": "QUEUE"})
    assert client.delete("/v2/cache", headers=queue_only).status_code == 204
    assert len(state(client, users)["cached_images"]) == 1
    assert client.delete("/v2/cache", headers=users.headers("admin")).status_code == 204
    assert state(client, users) == {"cached_images": [], "queued_images": []}


def test_delete_entry_and_image_delete(client: FlaskClient, users: Any) -> None:
    image_id = active_image(client, users)
    client.get(f"/v2/images/{image_id}/file", headers=users.headers("admin"))
    assert client.delete(f"/v2/cache/{image_id}", headers=users.headers("admin")).status_code == 204
    assert state(client, users)["cached_images"] == []
    missing = client.delete(
        "/v2/cache/3b3e2a5c-2f6e-4a54-9d1f-5f0b0c2e1a77", headers=users.headers("admin")
    )
    assert missing.status_code == 404
    client.get(f"/v2/images/{image_id}/file", headers=users.headers("admin"))
    client.delete(f"/v2/images/{image_id}", headers=users.headers("producer"))
    assert state(client, users)["cached_images"] == []


def test_clean_and_prune(client: FlaskClient, users: Any) -> None:
    assert client.post("/v2/cache/clean", headers=users.headers("admin")).status_code == 200
    pruned = client.post("/v2/cache/prune", headers=users.headers("admin"))
    assert pruned.get_json() == {"total_files_pruned": 0, "total_bytes_pruned": 0}
    assert client.post("/v2/cache/prune", headers=users.headers("producer")).status_code == 403
