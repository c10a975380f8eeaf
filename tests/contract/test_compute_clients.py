"""The real clients against the compute slice on a live server: the ``openstack`` CLI
(which uses openstacksdk for every compute call) and openstacksdk's proxy and cloud layers.

The flows and the requests they make are those of nova-facts.md section 11; the server
takes ``compute_build_seconds`` (1 s by default) to go BUILD -> ACTIVE, so every ``--wait``
and ``wait_for_server`` really waits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from openstack import exceptions

if TYPE_CHECKING:
    from tests.contract.conftest import Clients

pytestmark = pytest.mark.contract


@pytest.fixture
def accepted_share(producer, consumer, shared_image, project: dict[str, str]):
    producer.image.add_member(shared_image.id, member_id=project["consumer"])
    consumer.image.update_member(project["consumer"], shared_image.id, status="accepted")
    return shared_image


def test_openstack_cli_server_lifecycle_on_a_shared_image(
    clients: Clients, consumer, accepted_share, unique_name: str, project: dict[str, str]
) -> None:
    image = accepted_share
    created = clients.openstack_json(
        "consumer", "server", "create", "--image", image.id, "--flavor", "m1.tiny",
        "--nic", "none", "--wait", unique_name,
    )  # fmt: skip
    assert created["status"] == "ACTIVE"
    server_id = created["id"]

    listed = clients.openstack_json("consumer", "server", "list")
    assert server_id in {row["ID"] for row in listed}
    shown = clients.openstack_json("consumer", "server", "show", unique_name)
    assert shown["id"] == server_id and shown["status"] == "ACTIVE"
    assert image.id in str(shown["image"])

    snapshot = clients.openstack_json(
        "consumer", "server", "image", "create", "--name", f"{unique_name}-snap", "--wait",
        unique_name,
    )  # fmt: skip
    snap = consumer.image.get_image(snapshot["id"])
    assert snap.status == "active" and snap.owner == project["consumer"]
    assert snap.visibility == "private"
    assert snap.properties["base_image_ref"] == image.id
    assert snap.properties["image_type"] == "snapshot"
    # The server's data, not an empty image.
    assert snap.checksum == consumer.image.get_image(image.id).checksum is not None

    clients.openstack("consumer", "server", "rebuild", "--image", snap.id, unique_name)
    rebuilt = consumer.compute.wait_for_server(consumer.compute.get_server(server_id), wait=60)
    assert rebuilt.image.id == snap.id

    clients.openstack("consumer", "server", "delete", "--wait", unique_name)
    with pytest.raises(exceptions.NotFoundException):
        consumer.compute.get_server(server_id)


def test_sdk_proxy_create_wait_snapshot(consumer, accepted_share, unique_name: str) -> None:
    flavor = consumer.compute.find_flavor("m1.tiny")
    server = consumer.compute.create_server(
        name=unique_name, image_id=accepted_share.id, flavor_id=flavor.id, networks="none"
    )
    server = consumer.compute.wait_for_server(server, wait=60)
    assert server.status == "ACTIVE"
    image = consumer.compute.create_server_image(server, f"{unique_name}-snap", wait=True)
    assert image.status == "active"
    assert image.instance_uuid == server.id
    consumer.compute.delete_server(server)
    consumer.compute.wait_for_delete(server, wait=60)


def test_sdk_cloud_layer_create_server_without_a_network(
    consumer, accepted_share, unique_name: str
) -> None:
    """No network service in the catalog: the server's address must count as reachable
    (nova-facts.md fact 1), else the cloud layer deletes the server and raises."""
    server = consumer.create_server(
        unique_name, image=accepted_share.id, flavor="m1.tiny", wait=True, timeout=60
    )
    assert server.status == "ACTIVE"
    assert server.public_v4 or server.interface_ip
    assert consumer.delete_server(server.id, wait=True, timeout=60)


def test_revoked_share_keeps_the_server_and_refuses_new_boots(
    producer, consumer, accepted_share, unique_name: str, project: dict[str, str]
) -> None:
    flavor = consumer.compute.find_flavor("m1.tiny")
    server = consumer.compute.wait_for_server(
        consumer.compute.create_server(
            name=unique_name, image_id=accepted_share.id, flavor_id=flavor.id, networks="none"
        ),
        wait=60,
    )
    snapshot = consumer.compute.create_server_image(server, f"{unique_name}-snap", wait=True)
    producer.image.remove_member(project["consumer"], accepted_share.id)

    with pytest.raises(exceptions.BadRequestException, match="Can not find requested image"):
        consumer.compute.create_server(
            name=unique_name, image_id=accepted_share.id, flavor_id=flavor.id, networks="none"
        )
    kept = consumer.compute.get_server(server.id)
    assert kept.status == "ACTIVE" and kept.image.id == accepted_share.id
    assert consumer.image.get_image(snapshot.id).status == "active"
    again = consumer.compute.wait_for_server(
        consumer.compute.create_server(
            name=f"{unique_name}-2", image_id=snapshot.id, flavor_id=flavor.id, networks="none"
        ),
        wait=60,
    )
    assert again.status == "ACTIVE"
    for each in (server, again):
        consumer.compute.delete_server(each)


def test_quota_and_unknown_flavor_errors_reach_the_client(consumer, accepted_share) -> None:
    with pytest.raises(exceptions.BadRequestException, match="Flavor nope could not be found"):
        consumer.compute.create_server(
            name="x", image_id=accepted_share.id, flavor_id="nope", networks="none"
        )


def test_a_pending_share_boots_by_id_but_not_by_name(
    clients: Clients, consumer, pending_share, unique_name: str
) -> None:
    """Under Glance's rules a pending member may GET the image by id, so Nova boots it;
    OSC resolves a name through the image list, which shows accepted shares only."""
    by_name = clients.openstack(
        "consumer", "server", "create", "--image", pending_share.name, "--flavor", "m1.tiny",
        "--nic", "none", f"{unique_name}-byname", expect="failure",
    )  # fmt: skip
    assert f"No Image found for {pending_share.name}" in by_name.stderr
    created = clients.openstack_json(
        "consumer", "server", "create", "--image", pending_share.id, "--flavor", "m1.tiny",
        "--nic", "none", "--wait", unique_name,
    )  # fmt: skip
    assert created["status"] == "ACTIVE"
    consumer.compute.delete_server(created["id"])
