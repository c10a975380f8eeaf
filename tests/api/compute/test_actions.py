"""Server actions: createImage (the snapshot as Nova makes it), rebuild, reboot, stop,
start; state checks (409) and unknown actions (400).

Facts from nova/api/openstack/compute/servers.py ``_action_*``, nova/compute/api.py
``snapshot`` / ``check_instance_state``, nova/compute/utils.py ``create_image`` /
``initialize_instance_snapshot_metadata``, nova/utils.py ``get_system_metadata_from_image``
(nova-facts.md 6 and 7).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.api.compute.conftest import DATA, Compute


def message(response: Any) -> str:
    (fault,) = response.get_json().values()
    return str(fault["message"])


def test_create_image_makes_novas_snapshot(compute: Compute, users: Any) -> None:
    image = compute.image(
        who="consumer",
        min_ram=256,
        hw_disk_bus="virtio",
        img_signature="sig",
        cache_in_nova="true",
        bittorrent="yes",
    )
    server_id = compute.boot(image, flavorRef="2")  # 20 GB root disk
    response = compute.post(
        f"/servers/{server_id}/action", {"createImage": {"name": "snap", "metadata": {"k": "v"}}}
    )
    assert response.status_code == 202
    snapshot_id = response.get_json()["image_id"]
    snapshot = compute.glance_image(snapshot_id).get_json()
    assert snapshot["owner"] == users.project("consumer")
    assert snapshot["visibility"] == "private"
    assert snapshot["status"] == "active"
    assert snapshot["image_type"] == "snapshot"
    assert snapshot["instance_uuid"] == server_id
    assert snapshot["base_image_ref"] == image
    assert snapshot["owner_project_name"] == "consumer"
    assert snapshot["owner_user_name"] == "consumer"
    assert snapshot["user_id"] == compute.server(server_id)["user_id"]
    assert snapshot["hw_disk_bus"] == "virtio" and snapshot["k"] == "v"
    for dropped in ("img_signature", "cache_in_nova", "bittorrent"):
        assert dropped not in snapshot
    assert snapshot["min_ram"] == 256
    assert snapshot["min_disk"] == 20  # max(image min_disk, flavor root disk)
    assert snapshot["disk_format"] == "raw" and snapshot["container_format"] == "bare"
    assert snapshot["checksum"] == hashlib.md5(DATA, usedforsecurity=False).hexdigest()
    assert snapshot["size"] == len(DATA)


def test_create_image_below_2_45_answers_with_location(compute: Compute) -> None:
    server_id = compute.boot(compute.image(who="consumer"))
    response = compute.post(
        f"/servers/{server_id}/action", {"createImage": {"name": "s"}}, version="compute 2.44"
    )
    assert response.status_code == 202 and response.get_data() == b""
    location = response.headers["Location"]
    assert location.startswith("http://localhost/images/")
    image_id = location.rsplit("/", 1)[-1]
    assert compute.glance_image(image_id).status_code == 200


def test_snapshot_survives_the_deletion_of_its_base_image(compute: Compute) -> None:
    image = compute.image(who="consumer")
    server_id = compute.boot(image)
    owner = compute.users.headers("consumer")
    deleted = compute.client.delete(f"/v2/images/{image}", headers=owner)
    assert deleted.status_code == 204
    assert compute.server(server_id)["image"]["id"] == image  # the server keeps showing it
    response = compute.post(f"/servers/{server_id}/action", {"createImage": {"name": "after"}})
    assert response.status_code == 202
    snapshot = compute.glance_image(response.get_json()["image_id"]).get_json()
    assert snapshot["status"] == "active" and snapshot["base_image_ref"] == image
    assert compute.boot(snapshot["id"])  # and it boots


def test_create_image_needs_a_name(compute: Compute) -> None:
    server_id = compute.boot(compute.image(who="consumer"))
    before = compute.state()
    response = compute.post(f"/servers/{server_id}/action", {"createImage": {}})
    assert response.status_code == 400
    assert "'name' is a required property" in message(response)
    assert compute.state() == before


def test_create_image_while_building_is_409(compute: Compute, app: Any) -> None:
    app.config["EMULATOR"] = app.config["EMULATOR"].replace(compute_build_seconds=60.0)
    server_id = compute.boot(compute.image(who="consumer"))
    before = compute.state()
    response = compute.post(f"/servers/{server_id}/action", {"createImage": {"name": "s"}})
    assert response.status_code == 409
    assert response.get_json() == {
        "conflictingRequest": {
            "code": 409,
            "message": f"Cannot 'createImage' instance {server_id} while it is in vm_state "
            "building",
        }
    }
    assert compute.state() == before


def test_stop_start_reboot(compute: Compute) -> None:
    server_id = compute.boot(compute.image(who="consumer"))
    action = f"/servers/{server_id}/action"
    response = compute.post(action, {"os-stop": None})
    assert response.status_code == 202 and response.get_data() == b""
    server = compute.server(server_id)
    assert server["status"] == "SHUTOFF" and server["OS-EXT-STS:power_state"] == 4
    response = compute.post(action, {"os-stop": None})
    assert response.status_code == 409
    assert message(response) == (
        f"Cannot 'stop' instance {server_id} while it is in vm_state stopped"
    )
    response = compute.post(action, {"reboot": {"type": "SOFT"}})
    assert message(response) == (
        f"Cannot 'reboot' instance {server_id} while it is in vm_state stopped"
    )
    assert compute.post(action, {"os-start": None}).status_code == 202
    assert compute.server(server_id)["status"] == "ACTIVE"
    assert compute.post(action, {"reboot": {"type": "HARD"}}).status_code == 202
    assert compute.server(server_id)["status"] == "ACTIVE"
    assert compute.post(action, {"reboot": {"type": "gentle"}}).status_code == 400


def test_tasks_show_while_they_run(compute: Compute, app: Any) -> None:
    server_id = compute.boot(compute.image(who="consumer"))
    app.config["EMULATOR"] = app.config["EMULATOR"].replace(compute_build_seconds=60.0)
    compute.post(f"/servers/{server_id}/action", {"reboot": {"type": "HARD"}})
    server = compute.server(server_id)
    assert server["status"] == "HARD_REBOOT"
    assert server["OS-EXT-STS:task_state"] == "rebooting_hard"
    response = compute.post(f"/servers/{server_id}/action", {"createImage": {"name": "s"}})
    assert message(response) == (
        f"Cannot 'createImage' instance {server_id} while it is in task_state rebooting_hard"
    )


def test_rebuild(compute: Compute) -> None:
    first = compute.image(who="consumer")
    second = compute.image(who="consumer", name="second")
    server_id = compute.boot(first)
    response = compute.post(
        f"/servers/{server_id}/action", {"rebuild": {"imageRef": second, "name": "rebuilt"}}
    )
    assert response.status_code == 202
    doc = response.get_json()["server"]
    assert doc["id"] == server_id and doc["image"]["id"] == second
    assert doc["status"] == "REBUILD" or doc["status"] == "ACTIVE"
    assert "adminPass" in doc
    server = compute.server(server_id)
    assert server["status"] == "ACTIVE" and server["name"] == "rebuilt"
    assert server["image"]["id"] == second


@pytest.mark.parametrize(
    ("image_kind", "expected"),
    [
        ("invisible", "Cannot find image for rebuild"),
        ("queued", "is not active."),
        ("not a uuid", "Invalid input for field/attribute imageRef"),
    ],
)
def test_rebuild_refusals_change_nothing(compute: Compute, image_kind: str, expected: str) -> None:
    server_id = compute.boot(compute.image(who="consumer"))
    if image_kind == "invisible":
        target = compute.image(who="producer")
    elif image_kind == "queued":
        target = compute.image(who="consumer", data=None)
    else:
        target = "nope"
    before = compute.state()
    response = compute.post(f"/servers/{server_id}/action", {"rebuild": {"imageRef": target}})
    assert response.status_code == 400
    assert expected in message(response)
    assert compute.state() == before


@pytest.mark.parametrize(
    "body", [{"explode": {}}, {"os-stop": None, "os-start": None}, [], {"addFloatingIp": {}}]
)
def test_unknown_or_malformed_actions_are_400(compute: Compute, body: Any) -> None:
    server_id = compute.boot(compute.image(who="consumer"))
    before = compute.state()
    response = compute.post(f"/servers/{server_id}/action", body)
    assert response.status_code == 400
    assert set(response.get_json()) == {"badRequest"}
    assert compute.state() == before
