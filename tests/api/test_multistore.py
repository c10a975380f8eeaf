"""Several stores (Glance's ``enabled_backends``): discovery, the ``stores`` property,
upload to a store, import to stores, copy-image and ``DELETE /v2/stores/{store}/{image}``.
Behaviour from glance/common/utils.py get_stores_from_request, glance/api/v2/images.py
import_image and delete_from_store, glance/api/v2/discovery.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator.core.config import Config

OCTET = {"Content-Type": "application/octet-stream"}


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(
        data_dir=tmp_path / "data",
        enabled_backends=("fast:file", "cheap:file", "web:http"),
        default_backend="fast",
    )


def message(response: Any) -> str:
    return str(response.get_json()["message"]).split("<br />")[0]


def settle(app: Flask) -> None:
    app.extensions["emulator.background"].wait(timeout=30)


def create(client: FlaskClient, users: Any, who: str = "admin") -> str:
    body = {"name": "m", "disk_format": "raw", "container_format": "bare"}
    response = client.post("/v2/images", json=body, headers=users.headers(who))
    assert response.headers["OpenStack-image-store-ids"] == "fast,cheap,web"
    return str(response.get_json()["id"])


def show(client: FlaskClient, users: Any, image_id: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(
        f"/v2/images/{image_id}", headers=users.headers("admin")
    ).get_json()
    return body


def upload(client: FlaskClient, users: Any, image_id: str, **headers: str) -> Any:
    return client.put(
        f"/v2/images/{image_id}/file",
        data=b"data",
        headers=users.headers("admin", **OCTET, **headers),
    )


def test_info_stores(client: FlaskClient, users: Any) -> None:
    response = client.get("/v2/info/stores", headers=users.headers("producer"))
    assert response.get_json() == {
        "stores": [
            {"id": "fast", "default": "true"},
            {"id": "cheap"},
            {"id": "web", "read-only": "true"},
        ]
    }
    assert (
        client.get("/v2/info/stores/detail", headers=users.headers("producer")).status_code == 403
    )
    detail = client.get("/v2/info/stores/detail", headers=users.headers("admin")).get_json()
    fast = detail["stores"][0]
    assert fast["type"] == "file" and fast["weight"] == 0
    assert set(fast["properties"]) == {"data_dir", "chunk_size", "thin_provisioning"}


def test_versions_list_multistore(client: FlaskClient) -> None:
    ids = [v["id"] for v in client.get("/versions").get_json()["versions"]]
    assert ids[:8] == ["v2.15", "v2.13", "v2.12", "v2.11", "v2.10", "v2.9", "v2.8", "v2.17"]


def test_upload_goes_to_the_named_or_default_store(client: FlaskClient, users: Any) -> None:
    first, second = create(client, users), create(client, users)
    assert upload(client, users, first).status_code == 204
    assert show(client, users, first)["stores"] == "fast"
    assert upload(client, users, second, **{"X-Image-Meta-Store": "cheap"}).status_code == 204
    assert show(client, users, second)["stores"] == "cheap"
    third = create(client, users)
    refused = upload(client, users, third, **{"X-Image-Meta-Store": "nope"})
    assert refused.status_code == 400
    assert "Store for identifier nope not found" in refused.get_data(as_text=True)
    assert show(client, users, third)["status"] == "queued"
    assert "stores" not in show(client, users, third)


def test_glance_direct_to_all_stores(app: Flask, client: FlaskClient, users: Any) -> None:
    image_id = create(client, users)
    client.put(f"/v2/images/{image_id}/stage", data=b"abc", headers=users.headers("admin", **OCTET))
    body = {
        "method": {"name": "glance-direct"},
        "all_stores": True,
        "all_stores_must_succeed": False,
    }
    assert (
        client.post(
            f"/v2/images/{image_id}/import", json=body, headers=users.headers("admin")
        ).status_code
        == 202
    )
    settle(app)
    image = show(client, users, image_id)
    assert image["status"] == "active"
    assert image["stores"] == "cheap,fast"  # the http store is read-only
    assert image["os_glance_importing_to_stores"] == "" and image["os_glance_failed_import"] == ""


@pytest.mark.parametrize(
    ("body", "headers", "status", "expected"),
    [
        (
            {"stores": ["fast"], "all_stores": True},
            {},
            400,
            "All_stores parameter can't be used with x-image-meta-store header or stores parameter",
        ),
        (
            {"stores": ["fast"]},
            {"X-Image-Meta-Store": "fast"},
            400,
            "Stores parameter and x-image-meta-store header can't be both specified",
        ),
        ({"stores": ["fast", "nope"]}, {}, 409, "Store for identifier nope not found"),
        ({}, {"X-Image-Meta-Store": "nope"}, 409, "Store for identifier nope not found"),
    ],
)
def test_store_selection_refusals(
    client: FlaskClient,
    users: Any,
    body: dict[str, Any],
    headers: dict[str, str],
    status: int,
    expected: str,
) -> None:
    image_id = create(client, users)
    client.put(f"/v2/images/{image_id}/stage", data=b"abc", headers=users.headers("admin", **OCTET))
    response = client.post(
        f"/v2/images/{image_id}/import",
        json={"method": {"name": "glance-direct"}, **body},
        headers=users.headers("admin", **headers),
    )
    assert response.status_code == status
    assert message(response) == expected
    image = show(client, users, image_id)
    assert image["status"] == "uploading" and "os_glance_import_task" not in image


def test_copy_image_and_delete_from_store(app: Flask, client: FlaskClient, users: Any) -> None:
    image_id = create(client, users)
    upload(client, users, image_id)
    again = client.post(
        f"/v2/images/{image_id}/import",
        json={"method": {"name": "copy-image"}, "stores": ["fast"]},
        headers=users.headers("admin"),
    )
    assert again.status_code == 400
    assert message(again) == "Image is already present at store 'fast'"
    copy = {"method": {"name": "copy-image"}, "all_stores": True, "all_stores_must_succeed": False}
    assert (
        client.post(
            f"/v2/images/{image_id}/import", json=copy, headers=users.headers("admin")
        ).status_code
        == 202
    )
    settle(app)
    image = show(client, users, image_id)
    assert image["status"] == "active" and image["stores"] == "cheap,fast"
    assert image["os_glance_importing_to_stores"] == "" and image["os_glance_failed_import"] == ""
    # everything present: 202, and no task
    assert (
        client.post(
            f"/v2/images/{image_id}/import", json=copy, headers=users.headers("admin")
        ).status_code
        == 202
    )
    tasks = client.get(f"/v2/images/{image_id}/tasks", headers=users.headers("admin")).get_json()[
        "tasks"
    ]
    assert len(tasks) == 1

    url = f"/v2/stores/fast/{image_id}"
    assert client.delete(url, headers=users.headers("producer")).status_code == 404  # not visible
    assert client.delete(url, headers=users.headers("admin")).status_code == 204
    assert show(client, users, image_id)["stores"] == "cheap"
    missing = client.delete(url, headers=users.headers("admin"))
    assert missing.status_code == 403  # the only store left
    assert message(missing).startswith("Cannot delete image data from the only store")
    unknown = client.delete(f"/v2/stores/nope/{image_id}", headers=users.headers("admin"))
    assert unknown.status_code == 409
    assert message(unknown) == "The selected store nope is not available on this node."
    data = client.get(f"/v2/images/{image_id}/file", headers=users.headers("admin"))
    assert data.get_data() == b"data"


def test_delete_from_store_checks(client: FlaskClient, users: Any) -> None:
    image_id = create(client, users)
    response = client.delete(f"/v2/stores/fast/{image_id}", headers=users.headers("admin"))
    assert response.status_code == 409
    assert message(response).startswith("It's not allowed to remove image data from store")
    gone = client.delete(
        "/v2/stores/fast/3b3e2a5c-2f6e-4a54-9d1f-5f0b0c2e1a77", headers=users.headers("admin")
    )
    assert gone.status_code == 404
    assert message(gone) == "Failed to find image 3b3e2a5c-2f6e-4a54-9d1f-5f0b0c2e1a77"
    owned = create(client, users, who="producer")
    upload_p = client.put(
        f"/v2/images/{owned}/file", data=b"x", headers=users.headers("producer", **OCTET)
    )
    assert upload_p.status_code == 204
    refused = client.delete(f"/v2/stores/fast/{owned}", headers=users.headers("producer"))
    assert refused.status_code == 403


def test_single_store_has_no_delete_from_store(tmp_path: Path, template_db: Any) -> None:
    from emulator.app import create_app

    app = create_app(Config(data_dir=tmp_path / "one"))
    client = app.test_client()
    from tests.conftest import Users

    users = Users(app)
    response = client.delete(
        "/v2/stores/fast/3b3e2a5c-2f6e-4a54-9d1f-5f0b0c2e1a77", headers=users.headers("admin")
    )
    assert response.status_code == 404
