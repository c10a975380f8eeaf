"""openstacksdk, unmodified, makes the recording; ``glance-emulator replay`` sends it to a
second emulator. The SDK's own habits (version discovery, lookups by name before create,
json-patch updates, a tag) must all replay with the same answers, values included."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openstack
import pytest
import requests

from emulator.app import create_app
from emulator.core.config import Config
from emulator.server import ServerThread

pytestmark = pytest.mark.contract


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[ServerThread, ServerThread]]:
    recording = create_app(Config(data_dir=tmp_path / "a", request_log_bodies=True))
    other = create_app(Config(data_dir=tmp_path / "b"))
    with ServerThread(recording, threads=4) as first, ServerThread(other, threads=4) as second:
        yield first, second


def _sdk(url: str, user: str, **options: str) -> openstack.connection.Connection:
    return openstack.connect(
        auth_url=url + "/identity/v3",
        username=user,
        password=f"{user}-pass",
        project_name=user,
        user_domain_id="default",
        project_domain_id="default",
        region_name="RegionOne",
        **options,
    )


def test_an_sdk_sharing_story_replays_the_same(
    two_servers: tuple[ServerThread, ServerThread], tmp_path: Path
) -> None:
    first, second = two_servers
    producer, consumer = _sdk(first.base_url, "producer"), _sdk(first.base_url, "consumer")
    try:
        image = producer.image.create_image(
            name="sdk-story", disk_format="raw", container_format="bare", data=b"x" * 512
        )
        project = consumer.current_project_id
        producer.image.add_member(image, member=project)
        consumer.image.update_member(project, image, status="accepted")
        assert [i.id for i in consumer.image.images(member_status="accepted")] == [image.id]
        producer.image.update_image(image, min_ram=5)
        producer.image.add_tag(image, "replayed")
    finally:
        producer.close()
        consumer.close()
    path = tmp_path / "sdk.ndjson"
    path.write_text(
        requests.get(f"{first.base_url}/_emulator/requests?format=ndjson", timeout=10).text
    )
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "replay", str(path), "--url", second.base_url]
        + ["--password", "producer=producer-pass", "--password", "consumer=consumer-pass"]
        + ["--compare", "values", "--report", str(report)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    outcomes = json.loads(report.read_text())["requests"]
    assert {o["outcome"] for o in outcomes} == {"same"}
    methods = {(o["method"], o["path"].split("?")[0].rsplit("/", 1)[-1]) for o in outcomes}
    assert ("PATCH", image.id) in methods and ("PUT", "replayed") in methods


def test_a_compute_story_replays_the_same_when_its_timing_is_kept(
    tmp_path: Path,
) -> None:
    """A server polled until ACTIVE, snapshotted, deleted: without the recorded pauses the
    replay would ask before the build is done."""
    recording = create_app(
        Config(data_dir=tmp_path / "a", request_log_bodies=True, compute_build_seconds=0.2)
    )
    other = create_app(Config(data_dir=tmp_path / "b", compute_build_seconds=0.2))
    with ServerThread(recording, threads=4) as first, ServerThread(other, threads=4) as second:
        producer = _sdk(first.base_url, "producer", compute_api_version="2.60")
        try:
            image = producer.image.create_image(
                name="boot", disk_format="raw", container_format="bare", data=b"\0" * 1024
            )
            flavor = next(producer.compute.flavors())
            server = producer.compute.create_server(
                name="vm", image_id=image.id, flavor_id=flavor.id, networks="none"
            )
            server = producer.compute.wait_for_server(server, wait=30, interval=0.5)
            snapshot = producer.compute.create_server_image(server, name="snap", wait=True)
            producer.compute.delete_server(server)
        finally:
            producer.close()
        path = tmp_path / "compute.ndjson"
        path.write_text(
            requests.get(f"{first.base_url}/_emulator/requests?format=ndjson", timeout=10).text
        )
        report = tmp_path / "report.json"
        result = subprocess.run(
            [sys.executable, "-m", "emulator", "replay", str(path), "--url", second.base_url]
            + ["--password", "producer=producer-pass", "--keep-timing", "--report", str(report)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(report.read_text())
    # The snapshot made on the other side stands for the recorded one.
    assert snapshot.id in document["ids"]
    assert any(o["path"] == f"/v2/images/{snapshot.id}" for o in document["requests"])
