"""The guide's story end to end with openstacksdk, on a live server per sharing profile:
share -> accept -> boot -> snapshot -> revoke; the server and the snapshot are still the
consumer's, and the producer's image is gone from the consumer's list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.app import create_app
from emulator.core.config import Config
from emulator.server import ServerThread
from tests.contract.conftest import Clients, LiveServer, make_image_file

pytestmark = pytest.mark.contract


@pytest.fixture(params=("glance", "strict"))
def story_clients(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Clients]:
    config = Config(
        data_dir=tmp_path / "data", sharing_profile=request.param, compute_build_seconds=0.2
    )
    thread = ServerThread(create_app(config)).start()
    helper = Clients(LiveServer(thread.base_url, tmp_path / "data"), tmp_path / "clients")
    try:
        yield helper
    finally:
        helper.close()
        thread.stop()


def test_story(story_clients: Clients, tmp_path: Path) -> None:
    producer, consumer = story_clients.sdk("producer"), story_clients.sdk("consumer")
    consumer_project = story_clients.project_id("consumer")
    disk = make_image_file(tmp_path, size=64 * 1024)
    image = producer.image.create_image(
        "golden", filename=str(disk.path), disk_format="raw", container_format="bare"
    )
    producer.image.add_member(image.id, member_id=consumer_project)
    consumer.image.update_member(consumer_project, image.id, status="accepted")
    assert image.id in {i.id for i in consumer.image.images()}

    flavor = consumer.compute.find_flavor("m1.tiny")
    server = consumer.compute.wait_for_server(
        consumer.compute.create_server(
            name="web", image_id=image.id, flavor_id=flavor.id, networks="auto"
        ),
        wait=30,
    )
    snapshot = consumer.compute.create_server_image(server, "web-snap", wait=True)

    producer.image.remove_member(consumer_project, image.id)

    assert image.id not in {i.id for i in consumer.image.images()}
    kept = consumer.compute.get_server(server.id)
    assert kept.status == "ACTIVE" and kept.image.id == image.id
    snap = consumer.image.get_image(snapshot.id)
    assert snap.status == "active" and snap.owner == consumer_project
    assert snap.checksum == disk.md5
    assert snap.id in {i.id for i in consumer.image.images()}
    assert snap.id not in {i.id for i in producer.image.images()}
    rebooted = consumer.compute.wait_for_server(
        consumer.compute.create_server(
            name="web2", image_id=snap.id, flavor_id=flavor.id, networks="none"
        ),
        wait=30,
    )
    assert rebooted.status == "ACTIVE"
