"""POST/GET/PUT/DELETE /servers: Nova's validation, image rules, views, filters, quotas.

Facts from nova/api/openstack/compute/servers.py, schemas/servers.py, views/servers.py and
nova/compute/api.py ``_validate_flavor_image_nostatus`` (nova-facts.md 3 to 5).
"""

from __future__ import annotations

from typing import Any

import pytest

from emulator.core.config import Config
from tests.api.compute.conftest import Compute


def message(response: Any) -> str:
    body = response.get_json()
    (fault,) = body.values()
    return str(fault["message"])


def test_create_answers_202_with_location_and_the_short_view(compute: Compute) -> None:
    image = compute.image(who="consumer")
    response = compute.post(
        "/servers",
        {"server": {"name": "vm1", "imageRef": image, "flavorRef": "1", "networks": "none"}},
    )
    assert response.status_code == 202
    server = response.get_json()["server"]
    assert set(server) == {"id", "links", "OS-DCF:diskConfig", "security_groups", "adminPass"}
    assert response.headers["Location"] == server["links"][0]["href"]
    assert server["security_groups"] == [{"name": "default"}]


def test_server_goes_build_then_active(compute: Compute, app: Any) -> None:
    app.config["EMULATOR"] = app.config["EMULATOR"].replace(compute_build_seconds=60.0)
    image = compute.image(who="consumer")
    server_id = compute.boot(image, networks="auto")
    server = compute.server(server_id)
    assert server["status"] == "BUILD"
    assert server["OS-EXT-STS:vm_state"] == "building"
    assert server["OS-EXT-STS:task_state"] == "scheduling"
    assert server["addresses"] == {}
    app.config["EMULATOR"] = app.config["EMULATOR"].replace(compute_build_seconds=0.0)
    compute.boot(image)  # any later read settles what is due; this one is not due yet
    assert compute.server(server_id)["status"] == "BUILD"


def test_active_server_view(compute: Compute, users: Any) -> None:
    image = compute.image(who="consumer")
    server_id = compute.boot(image, networks="auto", name="web")
    server = compute.server(server_id)
    assert server["status"] == "ACTIVE"
    assert server["OS-EXT-STS:task_state"] is None
    assert server["OS-EXT-STS:power_state"] == 1
    assert server["tenant_id"] == users.project("consumer")
    assert server["image"] == {
        "id": image,
        "links": [{"rel": "bookmark", "href": f"http://localhost/compute/images/{image}"}],
    }
    # 2.47+: the flavor embedded, without id.
    assert server["flavor"]["original_name"] == "m1.tiny" and "id" not in server["flavor"]
    (address,) = server["addresses"]["public"]
    assert address["OS-EXT-IPS:type"] == "fixed" and address["version"] == 4
    assert server["OS-SRV-USG:launched_at"] is not None
    assert server["locked"] is False and server["tags"] == [] and server["description"] is None
    old = compute.get(f"/servers/{server_id}", version=None).get_json()["server"]
    assert old["flavor"] == {
        "id": "1",
        "links": [{"rel": "bookmark", "href": "http://localhost/compute/flavors/1"}],
    }
    assert not {"locked", "tags", "description"} & set(old)


def test_networks_none_has_no_address(compute: Compute) -> None:
    server_id = compute.boot(compute.image(who="consumer"), networks="none")
    server = compute.server(server_id)
    assert server["status"] == "ACTIVE" and server["addresses"] == {}
    assert "security_groups" not in server


def test_image_from_block_device_mapping(compute: Compute) -> None:
    image = compute.image(who="consumer")
    mapping = {"uuid": image, "boot_index": 0, "source_type": "image",
               "destination_type": "local", "delete_on_termination": True}  # fmt: skip
    server_id = compute.boot(image, block_device_mapping_v2=[mapping])
    assert compute.server(server_id)["image"]["id"] == image
    server_id = compute.boot("", imageRef="", block_device_mapping_v2=[mapping])
    assert compute.server(server_id)["image"]["id"] == image


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ({"flavorRef": "1", "networks": "none"}, "'name' is a required property"),
        ({"name": "x", "networks": "none"}, "'flavorRef' is a required property"),
        ({"name": "x", "flavorRef": "1"}, "'networks' is a required property"),
        ({"name": "x", "flavorRef": "1", "networks": "some"}, "is not valid under any"),
        ({"name": " x", "flavorRef": "1", "networks": "none"}, "An invalid 'name' value"),
        ({"name": "x", "flavorRef": "1", "networks": "none", "bogus": 1},
         "Additional properties are not allowed ('bogus' was unexpected)"),
        ({"name": "x", "flavorRef": "1", "networks": "none", "imageRef": "nope"},
         "Invalid input for field/attribute imageRef"),
        ({"name": "x", "flavorRef": "1", "networks": "none"}, "Missing imageRef attribute"),
        ({"name": "x", "flavorRef": "1", "networks": "none", "min_count": 0},
         "Invalid input for field/attribute min_count"),
    ],
)  # fmt: skip
def test_invalid_bodies_are_400_and_change_nothing(
    compute: Compute, server: dict[str, Any], expected: str
) -> None:
    before = compute.state()
    response = compute.post("/servers", {"server": server})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert expected in message(response)
    assert set(response.get_json()) == {"badRequest"}
    assert compute.state() == before


def test_networks_not_required_at_2_1(compute: Compute) -> None:
    """tempest sends no microversion and no networks (nova-facts.md 8)."""
    image = compute.image(who="consumer")
    body = {"server": {"name": "x", "imageRef": image, "flavorRef": "1"}}
    assert compute.post("/servers", body, version=None).status_code == 202


@pytest.mark.parametrize(
    ("case", "expected_status", "expected"),
    [
        ("unknown flavor", 400, "Flavor 99 could not be found."),
        ("invisible image", 400, "Can not find requested image"),
        ("queued image", 400, "is not active."),
        ("min_ram", 400, "Flavor's memory is too small for requested image."),
        ("min_disk", 400, "Flavor's disk is smaller than the minimum size specified in image"),
    ],
)
def test_image_and_flavor_rules(
    compute: Compute, case: str, expected_status: int, expected: str
) -> None:
    flavor = "1"
    if case == "unknown flavor":
        image, flavor = compute.image(who="consumer"), "99"
    elif case == "invisible image":
        image = compute.image(who="producer")  # private to the producer
    elif case == "queued image":
        image = compute.image(who="consumer", data=None)
    elif case == "min_ram":
        image = compute.image(who="consumer", min_ram=1024)
    else:
        image = compute.image(who="consumer", min_disk=2)
    before = compute.state()
    response = compute.post(
        "/servers",
        {"server": {"name": "x", "imageRef": image, "flavorRef": flavor, "networks": "none"}},
    )
    assert response.status_code == expected_status
    assert expected in message(response)
    assert compute.state() == before


def test_quota_exceeded_is_403_and_changes_nothing(compute: Compute, app: Any) -> None:
    app.config["EMULATOR"] = app.config["EMULATOR"].replace(compute_quota_instances=1)
    image = compute.image(who="consumer")
    compute.boot(image)
    before = compute.state()
    response = compute.post(
        "/servers",
        {
            "server": {"name": "x", "imageRef": image, "flavorRef": "1", "networks": "none"}
        },  # fmt: skip
    )
    assert response.status_code == 403
    assert response.get_json() == {
        "forbidden": {
            "code": 403,
            "message": "Quota exceeded for instances: Requested 1, but already used 1 of 1 "
            "instances",
        }
    }
    assert compute.state() == before


def test_cores_and_ram_quotas(compute: Compute, app: Any) -> None:
    app.config["EMULATOR"] = app.config["EMULATOR"].replace(
        compute_quota_cores=3, compute_quota_ram=4096
    )
    image = compute.image(who="consumer")
    response = compute.post(
        "/servers",
        {
            "server": {"name": "x", "imageRef": image, "flavorRef": "4", "networks": "none"}
        },  # fmt: skip
    )
    assert response.status_code == 403
    assert message(response) == (
        "Quota exceeded for cores, ram: Requested 4, 8192, but already used 0, 0 of 3, 4096 "
        "cores, ram"
    )


def test_list_filters_and_paging(compute: Compute) -> None:
    image = compute.image(who="consumer")
    other = compute.image(who="consumer")
    ids = [compute.boot(image, name=f"web-{n}") for n in range(3)]
    db_id = compute.boot(other, name="db", flavorRef="2")
    listed = compute.get("/servers").get_json()["servers"]
    assert [s["id"] for s in listed] == [db_id, *reversed(ids)]  # newest first
    assert set(listed[0]) == {"id", "name", "links"}

    def names(query: str) -> list[str]:
        return [s["name"] for s in compute.get(f"/servers/detail?{query}").get_json()["servers"]]

    assert names("name=web") == ["web-2", "web-1", "web-0"]
    assert names("name=^db$") == ["db"]
    assert names(f"image={other}") == ["db"]
    assert names("flavor=2") == ["db"]
    assert names("status=active") == ["db", "web-2", "web-1", "web-0"]
    assert names("status=SHUTOFF") == []
    assert names("deleted=False&unknown=1") == ["db", "web-2", "web-1", "web-0"]
    response = compute.get("/servers?status=nonsense")
    assert response.status_code == 400 and message(response) == "Invalid status value"
    old = compute.get("/servers?status=nonsense", version="compute 2.37")
    assert old.status_code == 200 and old.get_json()["servers"] == []
    assert names("status=nonsense&status=ACTIVE") == ["db", "web-2", "web-1", "web-0"]
    page = compute.get("/servers/detail?limit=2").get_json()
    assert [s["name"] for s in page["servers"]] == ["db", "web-2"]
    next_href = page["servers_links"][0]["href"]
    assert next_href.endswith(f"/servers/detail?limit=2&marker={page['servers'][1]['id']}")
    rest = compute.get(f"/servers/detail?limit=2&marker={page['servers'][1]['id']}")
    assert [s["name"] for s in rest.get_json()["servers"]] == ["web-1", "web-0"]
    assert message(compute.get("/servers?marker=nope")) == "marker [nope] not found"
    assert compute.get("/servers", who="producer").get_json()["servers"] == []


def test_another_projects_server_is_404(compute: Compute) -> None:
    server_id = compute.boot(compute.image(who="consumer"))
    before = compute.state()
    for response in (
        compute.get(f"/servers/{server_id}", who="producer"),
        compute.delete(f"/servers/{server_id}", who="producer"),
        compute.put(f"/servers/{server_id}", {"server": {"name": "mine"}}, who="producer"),
        compute.post(f"/servers/{server_id}/action", {"os-stop": None}, who="producer"),
    ):
        assert response.status_code == 404
        assert response.get_json() == {
            "itemNotFound": {"code": 404, "message": f"Instance {server_id} could not be found."}
        }
    assert compute.state() == before
    assert compute.get(f"/servers/{server_id}", who="admin").status_code == 200


def test_rename(compute: Compute) -> None:
    server_id = compute.boot(compute.image(who="consumer"))
    response = compute.put(f"/servers/{server_id}", {"server": {"name": "renamed"}})
    assert response.status_code == 200
    assert response.get_json()["server"]["name"] == "renamed"
    assert "OS-EXT-STS:vm_state" not in response.get_json()["server"]  # reduced view
    assert compute.server(server_id)["name"] == "renamed"
    assert compute.put(f"/servers/{server_id}", {"server": {"id": "x"}}).status_code == 400


def test_delete_then_404(compute: Compute) -> None:
    server_id = compute.boot(compute.image(who="consumer"))
    response = compute.delete(f"/servers/{server_id}")
    assert response.status_code == 204 and response.get_data() == b""
    assert compute.get(f"/servers/{server_id}").status_code == 404
    assert compute.get("/limits").get_json()["limits"]["absolute"]["totalInstancesUsed"] == 0


def test_malformed_json_is_novas_400(compute: Compute, users: Any) -> None:
    response = compute.client.post(
        "/compute/v2.1/servers",
        data=b"{not json",
        headers=compute.headers("consumer") | {"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json() == {"badRequest": {"code": 400, "message": "Malformed request body"}}


def test_data_not_matching_disk_format_goes_error_with_a_fault(compute: Compute) -> None:
    """Nova's compute-side format check (virt/images.py): accepted, then ERROR."""
    qcow2_header = b"QFI\xfb" + b"\x00\x00\x00\x03" + b"\x00" * 504
    image = compute.image(who="consumer", data=qcow2_header + b"\x00" * 512, disk_format="raw")
    server_id = compute.boot(image)
    server = compute.server(server_id)
    assert server["status"] == "ERROR"
    assert server["fault"]["code"] == 500
    assert server["fault"]["message"] == (
        f"Build of instance {server_id} aborted: Image {image} is unacceptable: "
        "Image content does not match disk_format"
    )
    assert compute.delete(f"/servers/{server_id}").status_code == 204


def test_config_roundtrip_is_not_needed_for_defaults() -> None:
    assert Config().compute_build_seconds > 0
