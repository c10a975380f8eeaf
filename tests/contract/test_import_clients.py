"""Interoperable import with the real clients on a live server: the openstack CLI
(``image create --import``, ``image stage``, ``image import``), glanceclient
(``image-create-via-import`` with glance-direct and web-download, ``import-info``) and
openstacksdk (``stage_image``, ``import_image``, ``get_import_info``).

The server here allows loopback web-downloads (``import_allow_loopback``) so the tests
can import from an HTTP server of their own.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.app import create_app
from emulator.core.config import Config
from emulator.server import ServerThread
from tests.contract.conftest import Clients, ImageFile, LiveServer, make_image_file

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def import_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("import-data")
    thread = ServerThread(create_app(Config(data_dir=data_dir, import_allow_loopback=True))).start()
    try:
        yield LiveServer(thread.base_url, data_dir)
    finally:
        thread.stop()


@pytest.fixture(scope="module")
def cli(import_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clients]:
    helper = Clients(import_server, tmp_path_factory.mktemp("import-clients"))
    yield helper
    helper.close()


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> ImageFile:
    return make_image_file(tmp_path_factory.mktemp("import-file"), size=300_000)


@pytest.fixture(scope="module")
def web_source(disk: ImageFile) -> Iterator[str]:
    data = disk.data

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path != "/disk.raw":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/disk.raw"
    finally:
        server.shutdown()
        server.server_close()


def wait_for(cli: Clients, image_id: str, status: str) -> Any:
    conn = cli.sdk("producer")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        image = conn.image.get_image(image_id)
        if image.status == status:
            return image
        time.sleep(0.1)
    pytest.fail(f"image {image_id} never became {status}: {image.status}")


def queued_image(cli: Clients, name: str) -> str:
    conn = cli.sdk("producer")
    image = conn.image.create_image(name=name, disk_format="raw", container_format="bare")
    return str(image.id)


def check_data(image: Any, disk: ImageFile) -> None:
    assert image.checksum == disk.md5
    assert image.hash_value == disk.sha512
    assert image.size == disk.size


# --- openstacksdk ------------------------------------------------------------------------


def test_sdk_import_info(cli: Clients) -> None:
    info = cli.sdk("producer").image.get_import_info()
    assert info.import_methods["value"] == ["glance-direct", "web-download", "copy-image"]


def test_sdk_stage_then_import(cli: Clients, disk: ImageFile, unique_name: str) -> None:
    conn = cli.sdk("producer")
    image = conn.image.create_image(name=unique_name, disk_format="raw", container_format="bare")
    conn.image.stage_image(image, data=disk.data)
    assert conn.image.get_image(image.id).status == "uploading"
    conn.image.import_image(image, method="glance-direct")
    check_data(wait_for(cli, image.id, "active"), disk)
    assert conn.image.download_image(image.id).content == disk.data


def test_sdk_web_download(cli: Clients, disk: ImageFile, web_source: str, unique_name: str) -> None:
    conn = cli.sdk("producer")
    image = conn.image.create_image(name=unique_name, disk_format="raw", container_format="bare")
    conn.image.import_image(image, method="web-download", uri=web_source)
    done = wait_for(cli, image.id, "active")
    check_data(done, disk)
    assert done.properties["os_glance_failed_import"] == ""


def test_sdk_create_image_use_import(cli: Clients, disk: ImageFile, unique_name: str) -> None:
    # create_image(use_import=True) reads the OpenStack-image-import-methods header.
    conn = cli.sdk("producer")
    image = conn.image.create_image(
        name=unique_name,
        data=disk.data,
        disk_format="raw",
        container_format="bare",
        use_import=True,
        wait=True,
        timeout=60,
    )
    check_data(wait_for(cli, image.id, "active"), disk)


# --- the openstack CLI -------------------------------------------------------------------


def test_osc_image_create_import(cli: Clients, disk: ImageFile, unique_name: str) -> None:
    created = cli.openstack_json(
        "producer",
        "image",
        "create",
        "--import",
        "--file",
        str(disk.path),
        "--disk-format",
        "raw",
        "--container-format",
        "bare",
        unique_name,
    )
    check_data(wait_for(cli, created["id"], "active"), disk)


def test_osc_stage_and_import(cli: Clients, disk: ImageFile, unique_name: str) -> None:
    # (OSC's own `image create` would read the CLI's stdin, which is no terminal here.)
    image_id = queued_image(cli, unique_name)
    cli.openstack("producer", "image", "stage", "--file", str(disk.path), image_id)
    shown = cli.openstack_json("producer", "image", "show", image_id)
    assert shown["status"] == "uploading"
    # OSC always sends all_stores_must_succeed (false by default), which a single-store
    # Glance refuses with a 400 that openstacksdk's import_image does not raise: the
    # command "succeeds" and the image stays uploading, as against Glance.
    cli.openstack("producer", "image", "import", "--method", "glance-direct", image_id)
    assert cli.openstack_json("producer", "image", "show", image_id)["status"] == "uploading"
    cli.openstack(
        "producer", "image", "import", "--method", "glance-direct", "--disallow-failure", image_id
    )
    check_data(wait_for(cli, image_id, "active"), disk)


def test_osc_import_web_download(
    cli: Clients, disk: ImageFile, web_source: str, unique_name: str
) -> None:
    image_id = queued_image(cli, unique_name)
    cli.openstack(
        "producer",
        "image",
        "import",
        "--method",
        "web-download",
        "--uri",
        web_source,
        "--disallow-failure",
        image_id,
    )
    check_data(wait_for(cli, image_id, "active"), disk)


# --- glanceclient ------------------------------------------------------------------------


def test_glance_import_info(cli: Clients) -> None:
    methods = json.loads(
        cli.glance("producer", "import-info").glance_properties()["import-methods"]
    )
    assert methods == {
        "description": "Import methods available.",
        "type": "array",
        "value": ["glance-direct", "web-download", "copy-image"],
    }


def test_glance_create_via_import_glance_direct(
    cli: Clients, disk: ImageFile, unique_name: str
) -> None:
    result = cli.glance(
        "producer",
        "image-create-via-import",
        "--name",
        unique_name,
        "--disk-format",
        "raw",
        "--container-format",
        "bare",
        "--file",
        str(disk.path),
        close_stdin=True,
    )
    image_id = result.glance_properties()["id"]
    check_data(wait_for(cli, image_id, "active"), disk)


def test_glance_create_via_import_web_download(
    cli: Clients, disk: ImageFile, web_source: str, unique_name: str
) -> None:
    result = cli.glance(
        "producer",
        "image-create-via-import",
        "--name",
        unique_name,
        "--disk-format",
        "raw",
        "--container-format",
        "bare",
        "--import-method",
        "web-download",
        "--uri",
        web_source,
        close_stdin=True,
    )
    image_id = result.glance_properties()["id"]
    check_data(wait_for(cli, image_id, "active"), disk)


def test_glance_web_download_of_missing_file_requeues(
    cli: Clients, web_source: str, unique_name: str, tmp_path: Path
) -> None:
    result = cli.glance(
        "producer",
        "image-create-via-import",
        "--name",
        unique_name,
        "--disk-format",
        "raw",
        "--container-format",
        "bare",
        "--import-method",
        "web-download",
        "--uri",
        web_source + ".missing",
        close_stdin=True,
    )
    image_id = result.glance_properties()["id"]
    conn = cli.sdk("producer")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        image = conn.image.get_image(image_id)
        if image.status == "queued" and "os_glance_import_task" not in image.properties:
            break
        time.sleep(0.1)
    assert image.status == "queued"
    assert image.properties.get("os_glance_failed_import") == ""
    assert image.checksum is None


# --- tasks -------------------------------------------------------------------------------


def test_sdk_tasks(cli: Clients, disk: ImageFile, web_source: str, unique_name: str) -> None:
    admin = cli.sdk("admin")
    task = admin.image.create_task(
        type="import",
        input={
            "import_from": web_source,
            "import_from_format": "raw",
            "image_properties": {
                "name": unique_name,
                "disk_format": "raw",
                "container_format": "bare",
            },
        },
    )
    done = admin.image.wait_for_task(task, status="success", wait=60)
    assert done.result["image_id"]
    check_data(admin.image.get_image(done.result["image_id"]), disk)
    assert task.id in [t.id for t in admin.image.tasks()]
    # a legacy task names no image_id in its input, so the new image lists no task
    assert list(admin.image.image_tasks(done.result["image_id"])) == []


def test_sdk_image_tasks_of_an_import(cli: Clients, disk: ImageFile, unique_name: str) -> None:
    conn = cli.sdk("producer")
    image = conn.image.create_image(name=unique_name, disk_format="raw", container_format="bare")
    conn.image.stage_image(image, data=disk.data)
    conn.image.import_image(image, method="glance-direct")
    wait_for(cli, image.id, "active")
    (task,) = list(conn.image.image_tasks(image.id))
    assert task.type == "api_image_import" and task.status == "success"
    assert task.image_id == image.id


def test_glance_task_list_and_show(cli: Clients, web_source: str) -> None:
    admin = cli.sdk("admin")
    task = admin.image.create_task(
        type="import",
        input={
            "import_from": web_source,
            "import_from_format": "raw",
            "image_properties": {"disk_format": "raw", "container_format": "bare"},
        },
    )
    admin.image.wait_for_task(task, status="success", wait=60)
    records = cli.glance("admin", "task-list", "--status", "success").glance_records()
    assert task.id in [r["ID"] for r in records]
    shown = cli.glance("admin", "task-show", task.id).glance_properties()
    assert shown["status"] == "success" and shown["type"] == "import"
    refused = cli.glance("producer", "task-list", expect="failure")
    assert "403" in refused.stderr
