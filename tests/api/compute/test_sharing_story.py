"""The shared-images guide's ending, once per sharing profile: share -> accept -> boot ->
snapshot -> revoke; the consumer's server and snapshot stay the consumer's
(managing-shared-images.rst: "they remain available to the consumer, even if the producer
revokes the shared image"; nova-facts.md fact 8 and section 7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emulator.core.config import Config
from tests.api.compute.conftest import Compute


@pytest.fixture(params=("glance", "strict"))
def config(tmp_path: Path, request: pytest.FixtureRequest) -> Config:
    return Config(
        data_dir=tmp_path / "data", sharing_profile=request.param, compute_build_seconds=0.0
    )


@pytest.mark.parametrize("revoke", ["remove member", "delete image"])
def test_story_share_boot_snapshot_revoke(compute: Compute, users: Any, revoke: str) -> None:
    image = compute.image(who="producer", visibility="shared", os_distro="cirros")
    compute.share(image, "consumer", status="accepted")
    server_id = compute.boot(image, networks="auto")
    assert compute.server(server_id)["status"] == "ACTIVE"
    response = compute.post(f"/servers/{server_id}/action", {"createImage": {"name": "mine"}})
    snapshot_id = response.get_json()["image_id"]

    producer = users.headers("producer")
    if revoke == "remove member":
        url = f"/v2/images/{image}/members/{users.project('consumer')}"
        assert compute.client.delete(url, headers=producer).status_code == 204
    else:
        assert compute.client.delete(f"/v2/images/{image}", headers=producer).status_code == 204

    # The producer's image is gone from the consumer's view...
    assert compute.glance_image(image).status_code == 404
    listed = compute.client.get("/v2/images", headers=users.headers("consumer")).get_json()
    assert image not in {i["id"] for i in listed["images"]}
    # ...the server keeps running and keeps showing the image id...
    server = compute.server(server_id)
    assert server["status"] == "ACTIVE" and server["image"]["id"] == image
    # ...the snapshot stays active, the consumer's, private, and bootable...
    snapshot = compute.glance_image(snapshot_id).get_json()
    assert snapshot["status"] == "active" and snapshot["visibility"] == "private"
    assert snapshot["owner"] == users.project("consumer")
    assert snapshot["base_image_ref"] == image and snapshot["os_distro"] == "cirros"
    assert snapshot_id in {i["id"] for i in listed["images"]}
    assert compute.glance_image(snapshot_id, who="producer").status_code == 404
    assert compute.server(compute.boot(snapshot_id))["status"] == "ACTIVE"
    # ...a new snapshot still works (from what the server kept)...
    again = compute.post(f"/servers/{server_id}/action", {"createImage": {"name": "again"}})
    assert again.status_code == 202
    # ...and booting or rebuilding to the revoked image is Nova's 400.
    body = {"server": {"name": "x", "imageRef": image, "flavorRef": "1", "networks": "none"}}
    response = compute.post("/servers", body)
    assert response.status_code == 400
    assert response.get_json()["badRequest"]["message"] == "Can not find requested image"
    response = compute.post(f"/servers/{server_id}/action", {"rebuild": {"imageRef": image}})
    assert response.status_code == 400
    assert response.get_json()["badRequest"]["message"] == "Cannot find image for rebuild"


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_booting_a_share_not_accepted_follows_the_profile(
    compute: Compute, profile_name: str, status: str
) -> None:
    """Nova asks Glance for the image by id as the user: under Glance's rules any member
    may (so the boot works, as with Nova + Glance); under strict, only an accepted one."""
    image = compute.image(who="producer", visibility="shared")
    compute.share(image, "consumer", status=None if status == "pending" else status)
    response = compute.post(
        "/servers",
        {"server": {"name": "x", "imageRef": image, "flavorRef": "1", "networks": "none"}},
    )
    if profile_name == "glance":
        assert response.status_code == 202
    else:
        assert response.status_code == 400
        assert response.get_json()["badRequest"]["message"] == "Can not find requested image"


def test_an_outsider_cannot_boot_the_share(compute: Compute) -> None:
    image = compute.image(who="producer", visibility="shared")
    compute.share(image, "consumer", status="accepted")
    before = compute.state("outsider")
    response = compute.post(
        "/servers",
        {"server": {"name": "x", "imageRef": image, "flavorRef": "1", "networks": "none"}},
        who="outsider",
    )
    assert response.status_code == 400
    assert compute.state("outsider") == before


@pytest.fixture
def profile_name(config: Config) -> str:
    return config.sharing_profile
