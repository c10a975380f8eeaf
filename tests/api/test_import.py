"""Interoperable import through the Flask test client: stage, import, the task behind it.

Behaviour from glance/api/v2/image_data.py ``stage``, glance/api/v2/images.py
``import_image`` and glance/async_/flows/api_image_import.py. Every refusal is checked to
leave the image as it was.
"""

from __future__ import annotations

import hashlib
import random
import struct
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator.core.config import Config
from tests.api.import_helpers import http_source  # noqa: I001

OCTET = {"Content-Type": "application/octet-stream"}
DATA = random.Random(7).randbytes(200_000)
MISSING = "3b3e2a5c-2f6e-4a54-9d1f-5f0b0c2e1a77"


@pytest.fixture
def config(tmp_path: Path, request: pytest.FixtureRequest) -> Config:
    overrides: dict[str, Any] = {"import_allow_loopback": True}
    overrides.update(getattr(request, "param", {}))
    return Config(data_dir=tmp_path / "data", **overrides)


def message(response: Any) -> str:
    body = response.get_json()
    return str(body["message"]).split("<br />")[0]


def create(client: FlaskClient, users: Any, who: str = "producer", **body: Any) -> str:
    body.setdefault("name", "imported")
    body.setdefault("disk_format", "raw")
    body.setdefault("container_format", "bare")
    response = client.post("/v2/images", json=body, headers=users.headers(who))
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["id"])


def show(client: FlaskClient, users: Any, image_id: str, who: str = "producer") -> dict[str, Any]:
    response = client.get(f"/v2/images/{image_id}", headers=users.headers(who))
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def stage(
    client: FlaskClient, users: Any, image_id: str, data: bytes = DATA, **headers: str
) -> Any:
    return client.put(
        f"/v2/images/{image_id}/stage",
        data=data,
        headers=users.headers("producer", **OCTET, **headers),
    )


def do_import(
    client: FlaskClient, users: Any, image_id: str, body: Any, who: str = "producer"
) -> Any:
    return client.post(f"/v2/images/{image_id}/import", json=body, headers=users.headers(who))


def settle(app: Flask) -> None:
    app.extensions["emulator.background"].wait(timeout=30)


def staged_files(config: Config) -> list[str]:
    return (
        sorted(p.name for p in config.staging_dir.iterdir()) if config.staging_dir.exists() else []
    )


GLANCE_DIRECT = {"method": {"name": "glance-direct"}}


# --- create header -----------------------------------------------------------------------


def test_create_announces_import_methods(client: FlaskClient, users: Any) -> None:
    response = client.post("/v2/images", json={"name": "x"}, headers=users.headers("producer"))
    assert (
        response.headers["OpenStack-image-import-methods"]
        == "glance-direct,web-download,copy-image"
    )
    assert "OpenStack-image-store-ids" not in response.headers


@pytest.mark.parametrize("config", [{"enabled_import_methods": ()}], indirect=True)
def test_no_methods_no_header_and_stage_is_404(client: FlaskClient, users: Any) -> None:
    response = client.post("/v2/images", json={"name": "x"}, headers=users.headers("producer"))
    assert "OpenStack-image-import-methods" not in response.headers
    response = stage(client, users, MISSING)
    assert response.status_code == 404
    assert message(response) == "'glance-direct' method is not available at this site."


# --- stage -------------------------------------------------------------------------------


def test_stage_then_glance_direct_import(
    app: Flask, client: FlaskClient, users: Any, config: Config
) -> None:
    image_id = create(client, users)
    response = stage(client, users, image_id)
    assert response.status_code == 204
    staged = show(client, users, image_id)
    assert staged["status"] == "uploading"
    assert staged["size"] == len(DATA)
    assert staged["checksum"] is None and staged["os_hash_value"] is None
    assert staged_files(config) == [image_id]

    response = do_import(client, users, image_id, GLANCE_DIRECT)
    assert response.status_code == 202
    assert response.get_data() == b""
    request_id = response.headers["x-openstack-request-id"]
    settle(app)
    image = show(client, users, image_id)
    assert image["status"] == "active"
    assert image["checksum"] == hashlib.md5(DATA).hexdigest()
    assert image["os_hash_value"] == hashlib.sha512(DATA).hexdigest()
    assert image["size"] == len(DATA)
    assert image["os_glance_importing_to_stores"] == ""
    assert image["os_glance_failed_import"] == ""
    assert "os_glance_import_task" not in image
    assert staged_files(config) == []
    data = client.get(f"/v2/images/{image_id}/file", headers=users.headers("producer"))
    assert data.get_data() == DATA

    tasks = client.get(f"/v2/images/{image_id}/tasks", headers=users.headers("producer"))
    (task,) = tasks.get_json()["tasks"]
    assert task["status"] == "success"
    assert task["request_id"] == request_id
    assert task["input"]["import_req"]["method"]["name"] == "glance-direct"
    assert task["result"] == {"image_id": image_id}


def test_stage_twice_is_409_and_keeps_data(client: FlaskClient, users: Any, config: Config) -> None:
    image_id = create(client, users)
    assert stage(client, users, image_id).status_code == 204
    again = stage(client, users, image_id, b"other")
    assert again.status_code == 409
    assert message(again) == "Image status transition from uploading to uploading is not allowed"
    assert show(client, users, image_id)["size"] == len(DATA)
    assert staged_files(config) == [image_id]


@pytest.mark.parametrize("config", [{"image_size_cap": 1000}], indirect=True)
def test_stage_over_size_cap_is_413_and_requeues(
    client: FlaskClient, users: Any, config: Config
) -> None:
    image_id = create(client, users)
    response = stage(client, users, image_id)
    assert response.status_code == 413
    assert message(response) == "The incoming image is too large: The provided image is too large."
    image = show(client, users, image_id)
    assert image["status"] == "queued" and image["size"] is None
    assert staged_files(config) == []


def test_stage_checks(client: FlaskClient, users: Any) -> None:
    image_id = create(client, users)
    wrong_type = client.put(
        f"/v2/images/{image_id}/stage",
        data=b"x",
        headers=users.headers("producer", **{"Content-Type": "application/json"}),
    )
    assert wrong_type.status_code == 415
    bad_size = stage(client, users, image_id, **{"x-openstack-image-size": "many"})
    assert bad_size.status_code == 400
    assert message(bad_size) == "Invalid or missing image size in request headers."
    assert stage(client, users, MISSING).status_code == 404
    other = client.put(
        f"/v2/images/{image_id}/stage", data=b"x", headers=users.headers("outsider", **OCTET)
    )
    assert other.status_code == 404
    assert show(client, users, image_id)["status"] == "queued"


def test_stage_active_image_is_409(client: FlaskClient, users: Any) -> None:
    image_id = create(client, users)
    client.put(
        f"/v2/images/{image_id}/file", data=b"abc", headers=users.headers("producer", **OCTET)
    )
    response = stage(client, users, image_id)
    assert response.status_code == 409
    assert message(response) == "Image status transition from active to uploading is not allowed"


# --- import: the request checks, in Glance's order ---------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, "Import request requires a 'method' field."),
        ({"method": {}}, "Import request requires a 'name' field."),
        ({"method": {"name": "glance-download"}}, "Unknown import method name 'glance-download'."),
        ({"method": {"name": "nope"}}, "Unknown import method name 'nope'."),
        (
            {"method": {"name": "glance-direct"}, "all_stores_must_succeed": "yes"},
            "'all_stores_must_succeed' must be boolean value only",
        ),
        (
            {"method": {"name": "glance-direct"}, "all_stores": 1},
            "'all_stores' must be boolean value only",
        ),
    ],
)
def test_import_body_checks(client: FlaskClient, users: Any, body: Any, expected: str) -> None:
    response = do_import(client, users, MISSING, body)  # checked before the image lookup
    assert response.status_code == 400
    assert message(response) == expected


def test_import_not_json_is_400(client: FlaskClient, users: Any) -> None:
    response = client.post(
        f"/v2/images/{MISSING}/import",
        data=b"{",
        headers=users.headers("producer", **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 400
    assert do_import(client, users, MISSING, ["method"]).status_code == 400


def test_import_status_gates(client: FlaskClient, users: Any) -> None:
    queued = create(client, users)
    response = do_import(client, users, queued, GLANCE_DIRECT)
    assert response.status_code == 409
    assert message(response) == "Image needs to be staged before 'glance-direct' method can be used"
    response = do_import(client, users, queued, {"method": {"name": "copy-image"}})
    assert response.status_code == 409
    assert message(response) == "Only images with status active can be targeted for copying"
    no_formats = create(client, users, disk_format=None, container_format=None)
    response = do_import(
        client, users, no_formats, {"method": {"name": "web-download", "uri": "http://127.0.0.1/x"}}
    )
    assert response.status_code == 409
    assert message(response) == "'container_format' needs to be set before import"
    active = create(client, users)
    client.put(f"/v2/images/{active}/file", data=b"abc", headers=users.headers("producer", **OCTET))
    response = do_import(client, users, active, GLANCE_DIRECT)
    assert response.status_code == 409
    assert message(response) == "Image with status active cannot be target for import"
    response = do_import(client, users, MISSING, GLANCE_DIRECT)
    assert response.status_code == 404
    assert message(response) == f"No image found with ID {MISSING}"
    for image_id in (queued, no_formats):
        assert show(client, users, image_id)["status"] == "queued"


def test_import_policy(client: FlaskClient, users: Any) -> None:
    image_id = create(client, users, visibility="community")
    stage(client, users, image_id)
    response = do_import(client, users, image_id, GLANCE_DIRECT, who="consumer")
    assert response.status_code == 403
    assert message(response) == "You are not authorized to complete modify_image action."
    active = create(client, users, visibility="community")
    client.put(f"/v2/images/{active}/file", data=b"abc", headers=users.headers("producer", **OCTET))
    response = do_import(client, users, active, {"method": {"name": "copy-image"}})
    assert response.status_code == 403
    assert message(response) == "You are not authorized to complete copy_image action."
    assert show(client, users, image_id)["status"] == "uploading"


def test_all_stores_must_succeed_false_is_400_single_store(client: FlaskClient, users: Any) -> None:
    # What OSC 10.5 `image import` sends by default (it always sends both flags).
    image_id = create(client, users)
    stage(client, users, image_id)
    body = {
        "method": {"name": "glance-direct"},
        "all_stores": False,
        "all_stores_must_succeed": False,
    }
    response = do_import(client, users, image_id, body)
    assert response.status_code == 400
    assert message(response) == "All_stores_must_succeed can only be set with enabled_backends None"
    # tempest's all_stores=true is accepted and ignored on a single store
    assert (
        do_import(client, users, image_id, {**GLANCE_DIRECT, "all_stores": True}).status_code == 202
    )


# --- web-download ------------------------------------------------------------------------


def web(uri: str) -> dict[str, Any]:
    return {"method": {"name": "web-download", "uri": uri}}


def test_web_download(app: Flask, client: FlaskClient, users: Any, config: Config) -> None:
    image_id = create(client, users)
    with http_source({"/disk.raw": (200, DATA, {})}) as base:
        response = do_import(client, users, image_id, web(base + "/disk.raw"))
        assert response.status_code == 202
        settle(app)
    image = show(client, users, image_id)
    assert image["status"] == "active"
    assert image["checksum"] == hashlib.md5(DATA).hexdigest()
    assert image["size"] == len(DATA)
    assert image["os_glance_failed_import"] == ""
    assert staged_files(config) == []


def test_web_download_qcow2_gets_virtual_size(app: Flask, client: FlaskClient, users: Any) -> None:
    header = b"QFI\xfb" + struct.pack(">I", 3) + bytes(16) + struct.pack(">Q", 1 << 30)
    qcow2 = header + bytes(512 - len(header))
    image_id = create(client, users, disk_format="qcow2")
    with http_source({"/c.qcow2": (200, qcow2, {})}) as base:
        assert do_import(client, users, image_id, web(base + "/c.qcow2")).status_code == 202
        settle(app)
    image = show(client, users, image_id)
    assert image["status"] == "active", image
    assert image["virtual_size"] == 1 << 30


@pytest.mark.parametrize(
    "routes",
    [
        {"/disk": (404, b"gone", {})},
        {"/disk": (500, b"broken", {})},
        {"/disk": (200, DATA[:100], {"Content-Length": "5000"})},  # cut short
    ],
)
def test_web_download_failures_requeue(
    app: Flask, client: FlaskClient, users: Any, routes: Any
) -> None:
    image_id = create(client, users, mine="kept")
    with http_source(routes) as base:
        assert do_import(client, users, image_id, web(base + "/disk")).status_code == 202
        settle(app)
    image = show(client, users, image_id)
    assert image["status"] == "queued"
    assert image["mine"] == "kept"
    assert "os_glance_import_task" not in image
    assert image["os_glance_importing_to_stores"] == ""
    assert image["os_glance_failed_import"] == ""
    # nothing lost: the image can be imported again
    with http_source({"/ok": (200, DATA, {})}) as base:
        assert do_import(client, users, image_id, web(base + "/ok")).status_code == 202
        settle(app)
    assert show(client, users, image_id)["status"] == "active"


def test_web_download_unreachable_fails_task(app: Flask, client: FlaskClient, users: Any) -> None:
    with http_source({}) as base:
        pass  # the port is closed again: connection refused
    image_id = create(client, users)
    assert do_import(client, users, image_id, web(base + "/x")).status_code == 202
    settle(app)
    assert show(client, users, image_id)["status"] == "queued"


@pytest.mark.parametrize("config", [{"image_size_cap": 1000}], indirect=True)
def test_web_download_over_size_cap_fails(app: Flask, client: FlaskClient, users: Any) -> None:
    image_id = create(client, users)
    with http_source({"/big": (200, DATA, {})}) as base:
        assert do_import(client, users, image_id, web(base + "/big")).status_code == 202
        settle(app)
    image = show(client, users, image_id)
    assert image["status"] == "queued" and image["checksum"] is None


def test_web_download_content_must_match_disk_format(
    app: Flask, client: FlaskClient, users: Any
) -> None:
    image_id = create(client, users, disk_format="qcow2")
    with http_source({"/raw": (200, DATA, {})}) as base:
        assert do_import(client, users, image_id, web(base + "/raw")).status_code == 202
        settle(app)
    assert show(client, users, image_id)["status"] == "queued"


@pytest.mark.parametrize("config", [{"import_allow_loopback": False}], indirect=True)
@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:8080/x",  # port not in allowed_ports
        "http://127.0.0.1/x",  # Glance 33.0.0: loopback addresses are never fetched
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://localhost/x",
        "http://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "ftp://127.0.0.1/x",  # scheme
        "http://2130706433/x",  # encoded address
        "http://127.1/x",
        "http://does-not.exist.invalid/no/possible/way",  # does not resolve
        "not a uri",
        "http://[::1/x",
    ],
)
def test_web_download_uri_filtering(client: FlaskClient, users: Any, uri: str) -> None:
    image_id = create(client, users)
    response = do_import(client, users, image_id, web(uri))
    assert response.status_code == 400
    assert message(response) == f"URI for web-download does not pass filtering: {uri}"
    image = show(client, users, image_id)
    assert image["status"] == "queued" and "os_glance_import_task" not in image


@pytest.mark.parametrize("config", [{"import_allow_loopback": False}], indirect=True)
def test_missing_uri_does_not_pass_filtering(client: FlaskClient, users: Any) -> None:
    image_id = create(client, users)
    response = do_import(client, users, image_id, {"method": {"name": "web-download"}})
    assert response.status_code == 400
    assert message(response) == "URI for web-download does not pass filtering: None"


def test_redirect_to_filtered_uri_fails_task(app: Flask, client: FlaskClient, users: Any) -> None:
    image_id = create(client, users)
    with http_source({"/hop": (302, b"", {"Location": "file:///etc/passwd"})}) as base:
        assert do_import(client, users, image_id, web(base + "/hop")).status_code == 202
        settle(app)
    assert show(client, users, image_id)["status"] == "queued"


# --- the lock ----------------------------------------------------------------------------


def test_second_import_while_one_runs_is_409(app: Flask, client: FlaskClient, users: Any) -> None:
    image_id = create(client, users)
    stage(client, users, image_id)
    # Hold the task back: the pool is busy until the gate opens.
    import threading

    gate = threading.Event()
    app.extensions["emulator.background"].submit(lambda _uow: gate.wait(10))
    app.extensions["emulator.background"].submit(lambda _uow: gate.wait(10))
    app.extensions["emulator.background"].submit(lambda _uow: gate.wait(10))
    app.extensions["emulator.background"].submit(lambda _uow: gate.wait(10))
    try:
        assert do_import(client, users, image_id, GLANCE_DIRECT).status_code == 202
        locked = show(client, users, image_id)
        assert locked["os_glance_import_task"]
        again = do_import(client, users, image_id, GLANCE_DIRECT)
        assert again.status_code == 409
        assert message(again) == "Image has active task"
    finally:
        gate.set()
    settle(app)
    assert show(client, users, image_id)["status"] == "active"


def test_delete_removes_staged_data(client: FlaskClient, users: Any, config: Config) -> None:
    image_id = create(client, users)
    stage(client, users, image_id)
    assert (
        client.delete(f"/v2/images/{image_id}", headers=users.headers("producer")).status_code
        == 204
    )
    assert staged_files(config) == []


def test_reserved_import_properties_cannot_be_patched(client: FlaskClient, users: Any) -> None:
    image_id = create(client, users)
    response = client.patch(
        f"/v2/images/{image_id}",
        json=[{"op": "add", "path": "/os_glance_import_task", "value": "x"}],
        headers=users.headers(
            "producer", **{"Content-Type": "application/openstack-images-v2.1-json-patch"}
        ),
    )
    assert response.status_code == 403


def test_copy_image_with_one_store_fails_and_keeps_the_image(
    app: Flask, client: FlaskClient, users: Any
) -> None:
    # Glance: the only store already holds the data (the filesystem driver's Duplicate).
    image_id = create(client, users)
    client.put(
        f"/v2/images/{image_id}/file", data=b"abc", headers=users.headers("producer", **OCTET)
    )
    body = {"method": {"name": "copy-image"}, "all_stores": True}
    assert do_import(client, users, image_id, body, who="admin").status_code == 202
    settle(app)
    image = show(client, users, image_id)
    assert image["status"] == "active" and image["checksum"] == hashlib.md5(b"abc").hexdigest()
    assert "os_glance_import_task" not in image
    (task,) = client.get(f"/v2/images/{image_id}/tasks", headers=users.headers("admin")).get_json()[
        "tasks"
    ]
    assert task["status"] == "failure"


def test_glance_download_restore_puts_metadata_back(
    app: Flask, client: FlaskClient, users: Any
) -> None:
    # _ImportMetadata.revert: formats and properties as they were before the copy.
    from emulator.app import operator_unit_of_work
    from emulator.image.services import glance_download
    from emulator.image.store import images as image_store

    image_id = create(client, users, disk_format="qcow2", container_format="ovf", hw_cpu_cores="8")
    with operator_unit_of_work(app) as uow:
        before = image_store.get(uow.db, image_id)
        assert before is not None
        saved = glance_download.Saved(
            dict(before.extra_properties),
            {"disk_format": "qcow2", "container_format": "ovf"},
            ["os_distro"],
        )
        with uow.atomic():
            before.disk_format, before.container_format = "raw", "bare"
            before.extra_properties.update({"hw_cpu_cores": "2", "os_distro": "cirros"})
            image_store.save(uow.db, before)
        glance_download.restore(uow, image_id, saved)
    image = show(client, users, image_id)
    assert (image["disk_format"], image["container_format"]) == ("qcow2", "ovf")
    assert image["hw_cpu_cores"] == "8" and "os_distro" not in image
