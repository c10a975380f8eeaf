"""The image cache API with glanceclient (``cache-queue``, ``cache-list``, ``cache-clear``)
on a live server started with the cache on."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from emulator.app import create_app
from emulator.core.config import Config
from emulator.server import ServerThread
from tests.contract.conftest import Clients, LiveServer

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clients]:
    data_dir = tmp_path_factory.mktemp("cache-data")
    thread = ServerThread(create_app(Config(data_dir=data_dir, image_cache_enabled=True))).start()
    helper = Clients(LiveServer(thread.base_url, data_dir), tmp_path_factory.mktemp("cache-cli"))
    try:
        yield helper
    finally:
        helper.close()
        thread.stop()


def test_glance_cache_queue_and_list(cli: Clients, unique_name: str) -> None:
    conn = cli.sdk("admin")
    image = conn.image.create_image(
        name=unique_name, data=b"to be cached", disk_format="raw", container_format="bare"
    )
    cli.glance("admin", "cache-queue", image.id)
    deadline = time.monotonic() + 30
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        records = cli.glance("admin", "cache-list").glance_records()
        states = {r["ID"]: r["State"] for r in records}
        if states.get(image.id) == "cached":
            break
        time.sleep(0.2)
    assert states.get(image.id) == "cached"
    refused = cli.glance("producer", "cache-list", expect="failure")
    assert "403" in refused.stderr or "Forbidden" in refused.stderr
    cli.glance("admin", "cache-clear")
    assert cli.glance("admin", "cache-list").glance_records() == []


def test_version_document_lists_the_cache_versions(cli: Clients) -> None:
    import requests

    versions = requests.get(cli.server.base_url + "/versions", timeout=10).json()["versions"]
    assert versions[0]["id"] == "v2.18" and versions[0]["status"] == "CURRENT"
