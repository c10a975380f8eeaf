"""Several stores with the real clients: glanceclient ``stores-info``, ``image-import
--import-method copy-image --stores``, ``stores-delete``; openstacksdk ``stores()`` and
``import_image(stores=...)``; on a live server started with ``fast`` and ``cheap``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.app import create_app
from emulator.core.config import Config
from emulator.server import ServerThread
from tests.contract.conftest import Clients, LiveServer

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clients]:
    data_dir = tmp_path_factory.mktemp("multistore-data")
    config = Config(data_dir=data_dir, enabled_backends=("fast:file", "cheap:file"))
    thread = ServerThread(create_app(config)).start()
    helper = Clients(LiveServer(thread.base_url, data_dir), tmp_path_factory.mktemp("ms-cli"))
    try:
        yield helper
    finally:
        helper.close()
        thread.stop()


def wait_for_stores(cli: Clients, image_id: str, stores: str) -> Any:
    conn = cli.sdk("admin")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        image = conn.image.get_image(image_id)
        if image.properties.get("stores") == stores and image.status == "active":
            return image
        time.sleep(0.1)
    pytest.fail(f"image {image_id} never reached stores {stores}: {image.properties.get('stores')}")


def test_sdk_stores_and_glance_stores_info(cli: Clients) -> None:
    stores = list(cli.sdk("admin").image.stores())
    assert [s.id for s in stores] == ["fast", "cheap"]
    assert stores[0].is_default
    out = cli.glance("admin", "stores-info").stdout
    assert "fast" in out and "cheap" in out


def test_copy_image_and_stores_delete(cli: Clients, unique_name: str) -> None:
    conn = cli.sdk("admin")
    image = conn.image.create_image(
        name=unique_name, data=b"multi", disk_format="raw", container_format="bare"
    )
    assert conn.image.get_image(image.id).properties.get("stores") == "fast"
    cli.glance(
        "admin", "image-import", "--import-method", "copy-image", "--stores", "cheap", image.id
    )
    wait_for_stores(cli, image.id, "cheap,fast")
    cli.glance("admin", "stores-delete", "--store", "fast", image.id)
    assert conn.image.get_image(image.id).properties.get("stores") == "cheap"
    assert conn.image.download_image(image.id).content == b"multi"


def test_sdk_import_to_a_store(cli: Clients, unique_name: str) -> None:
    conn = cli.sdk("admin")
    image = conn.image.create_image(name=unique_name, disk_format="raw", container_format="bare")
    conn.image.stage_image(image, data=b"staged")
    conn.image.import_image(image, method="glance-direct", stores=["cheap"])
    done = wait_for_stores(cli, image.id, "cheap")
    assert done.properties["os_glance_importing_to_stores"] == ""
