"""glance-download from this emulator itself (its own region), with openstacksdk and raw
requests on a live server: the remote image's formats and the chosen properties are
copied, its data imported; a bad region or a missing remote image fails the task and
leaves the image as it was (tempest's glance_download tests)."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from emulator.app import create_app
from emulator.core.config import Config
from emulator.server import ServerThread
from tests.contract.conftest import Clients, LiveServer

pytestmark = pytest.mark.contract
METHODS = ("glance-direct", "web-download", "copy-image", "glance-download")


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clients]:
    data_dir = tmp_path_factory.mktemp("gd-data")
    config = Config(data_dir=data_dir, enabled_import_methods=METHODS)
    thread = ServerThread(create_app(config)).start()
    helper = Clients(LiveServer(thread.base_url, data_dir), tmp_path_factory.mktemp("gd-cli"))
    try:
        yield helper
    finally:
        helper.close()
        thread.stop()


def _import(cli: Clients, image_id: str, method: dict[str, Any]) -> requests.Response:
    conn = cli.sdk("producer")
    token = conn.session.get_token()
    return requests.post(
        f"{cli.server.base_url}/v2/images/{image_id}/import",
        json={"method": {"name": "glance-download", **method}},
        headers={"X-Auth-Token": token, "Accept": "application/json"},
        timeout=10,
    )


def _create(cli: Clients, **body: Any) -> str:
    token = cli.sdk("producer").session.get_token()
    response = requests.post(
        f"{cli.server.base_url}/v2/images", json=body, headers={"X-Auth-Token": token}, timeout=10
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _settled(cli: Clients, image_id: str) -> dict[str, Any]:
    token = cli.sdk("producer").session.get_token()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        image: dict[str, Any] = requests.get(
            f"{cli.server.base_url}/v2/images/{image_id}",
            headers={"X-Auth-Token": token},
            timeout=10,
        ).json()
        if image["status"] in ("active", "queued") and "os_glance_import_task" not in image:
            return image
        time.sleep(0.1)
    pytest.fail(f"import of {image_id} never settled")


def test_glance_download_from_own_region(cli: Clients, unique_name: str) -> None:
    conn = cli.sdk("producer")
    data = b"\x00" * 4096
    source = conn.image.create_image(
        name=unique_name + "-src",
        data=data,
        disk_format="raw",
        container_format="bare",
        hw_cpu_cores="2",
        os_distro="cirros",
        speed="fast",
        **{"trait:STORAGE_DISK_SSD": "required"},
    )
    target = conn.image.create_image(
        name=unique_name, disk_format="qcow2", container_format="ovf", kept="yes"
    )
    response = _import(cli, target.id, {"glance_region": "RegionOne", "glance_image_id": source.id})
    assert response.status_code == 202, response.text
    done = _settled(cli, target.id)
    assert done["status"] == "active"
    assert done["checksum"] == hashlib.md5(data).hexdigest()
    assert (done["disk_format"], done["container_format"]) == ("raw", "bare")
    assert done["hw_cpu_cores"] == "2" and done["os_distro"] == "cirros"
    assert done["trait:STORAGE_DISK_SSD"] == "required"
    assert "speed" not in done and done["kept"] == "yes"
    (task,) = list(conn.image.image_tasks(target.id))
    assert task.input["import_req"]["method"]["glance_service_interface"] == "public"


@pytest.mark.parametrize("region", ["RegionOne", "NoSuchRegion"])
def test_failures_leave_the_image_as_it_was(cli: Clients, unique_name: str, region: str) -> None:
    conn = cli.sdk("producer")
    target = conn.image.get_image(
        _create(
            cli, name=unique_name, disk_format="qcow2", container_format="bare", hw_cpu_cores="8"
        )
    )
    missing = str(uuid.uuid4())
    response = _import(cli, target.id, {"glance_region": region, "glance_image_id": missing})
    assert response.status_code == 202
    done = _settled(cli, target.id)
    assert done["status"] == "queued"
    assert done["hw_cpu_cores"] == "8" and done["disk_format"] == "qcow2"
    (task,) = list(conn.image.image_tasks(target.id))
    assert task.status == "failure"


def test_bad_remote_id_is_400(cli: Clients, unique_name: str) -> None:
    target = cli.sdk("producer").image.create_image(
        name=unique_name, disk_format="raw", container_format="bare"
    )
    response = _import(cli, target.id, {"glance_region": "RegionOne", "glance_image_id": "nope"})
    assert response.status_code == 400
    assert "image id does not look like a UUID" in response.text
    missing = _import(cli, target.id, {"glance_image_id": str(uuid.uuid4())})
    assert missing.status_code == 400
    assert "'glance_region' needs to be set for glance-download import method" in missing.text
