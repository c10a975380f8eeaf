"""Discovery, microversions, flavors, limits and Nova's error bodies.

Facts from nova/api/openstack/compute/versions.py, views/versions.py, wsgi.py (headers,
Fault names), flavors.py, views/flavors.py, limits.py (nova-facts.md sections 1, 2, 9, 10).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from emulator.compute.domain import microversions


def test_root_lists_both_versions_without_a_token(client: FlaskClient) -> None:
    response = client.get("/compute/")
    assert response.status_code == 200
    versions = {v["id"]: v for v in response.get_json()["versions"]}
    assert versions["v2.1"]["status"] == "CURRENT"
    assert versions["v2.1"]["version"] == str(microversions.MAXIMUM)
    assert versions["v2.1"]["min_version"] == "2.1"
    assert versions["v2.1"]["links"] == [{"rel": "self", "href": "http://localhost/compute/v2.1/"}]
    assert versions["v2.0"]["version"] == ""
    assert response.headers["x-compute-request-id"] == response.headers["x-openstack-request-id"]


@pytest.mark.parametrize("path", ["/compute/v2.1", "/compute/v2.1/"])
def test_v21_document_without_a_token(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    version = response.get_json()["version"]
    assert version["id"] == "v2.1"
    assert microversions.MAXIMUM >= microversions.Version(2, 47)
    assert version["links"][0] == {"rel": "self", "href": "http://localhost/compute/v2.1/"}
    assert version["media-types"][0]["type"].endswith("version=2.1")


def test_the_catalog_lists_compute(client: FlaskClient, users: Any) -> None:
    response = client.get("/identity/v3/auth/catalog", headers=users.headers("consumer"))
    entries = {e["type"]: e for e in response.get_json()["catalog"]}
    assert entries["compute"]["name"] == "nova"
    urls = {e["url"] for e in entries["compute"]["endpoints"]}
    assert urls == {"http://localhost/compute/v2.1"}


def test_api_needs_a_token(client: FlaskClient) -> None:
    response = client.get("/compute/v2.1/flavors")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Keystone uri=")


@pytest.mark.parametrize(
    ("sent", "effective"),
    [
        ({}, "2.1"),
        ({"OpenStack-API-Version": "compute 2.47"}, "2.47"),
        ({"OpenStack-API-Version": "compute latest"}, str(microversions.MAXIMUM)),
        ({"X-OpenStack-Nova-API-Version": "2.30"}, "2.30"),
        # The newer header wins.
        ({"OpenStack-API-Version": "compute 2.5", "X-OpenStack-Nova-API-Version": "2.9"}, "2.5"),
        ({"OpenStack-API-Version": "image 2.5"}, "2.1"),
    ],
)
def test_microversion_is_echoed_with_vary(
    client: FlaskClient, users: Any, sent: dict[str, str], effective: str
) -> None:
    response = client.get("/compute/v2.1/flavors", headers=users.headers("consumer", **sent))
    assert response.status_code == 200
    assert response.headers["OpenStack-API-Version"] == f"compute {effective}"
    assert response.headers["X-OpenStack-Nova-API-Version"] == effective
    assert response.headers.getlist("Vary") == [
        "OpenStack-API-Version",
        "X-OpenStack-Nova-API-Version",
    ]


@pytest.mark.parametrize("asked", ["2.0", "2.61", "3.0", "2.200"])
def test_out_of_range_is_406(client: FlaskClient, users: Any, asked: str) -> None:
    headers = users.headers("consumer", **{"OpenStack-API-Version": f"compute {asked}"})
    response = client.get("/compute/v2.1/flavors", headers=headers)
    assert response.status_code == 406
    assert response.get_json() == {
        "computeFault": {
            "code": 406,
            "message": f"Version {asked} is not supported by the API. Minimum is 2.1 and "
            f"maximum is {microversions.MAXIMUM}.",
        }
    }


@pytest.mark.parametrize("asked", ["2", "2.01", "abc", "2.1.1"])
def test_malformed_version_is_400(client: FlaskClient, users: Any, asked: str) -> None:
    headers = users.headers("consumer", **{"X-OpenStack-Nova-API-Version": asked})
    response = client.get("/compute/v2.1/flavors", headers=headers)
    assert response.status_code == 400
    assert response.get_json()["badRequest"]["message"] == (
        f"API Version String {asked} is of invalid format. Must be of format MajorNum.MinorNum."
    )
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"


# --- flavors ------------------------------------------------------------------------------


def test_flavor_list_has_the_built_in_set(compute: Any) -> None:
    response = compute.get("/flavors", version=None)
    flavors = response.get_json()["flavors"]
    assert [f["name"] for f in flavors] == ["m1.tiny", "m1.small", "m1.medium", "m1.large"]
    assert set(flavors[0]) == {"id", "name", "links"}  # 2.1: no description
    assert flavors[0]["links"] == [
        {"rel": "self", "href": "http://localhost/compute/v2.1/flavors/1"},
        {"rel": "bookmark", "href": "http://localhost/compute/flavors/1"},
    ]
    assert "description" in compute.get("/flavors").get_json()["flavors"][0]  # 2.55+


def test_flavor_detail_shape(compute: Any) -> None:
    flavor = compute.get("/flavors/detail?is_public=None").get_json()["flavors"][0]
    assert flavor["name"] == "m1.tiny"
    assert flavor["ram"] == 512 and flavor["disk"] == 1 and flavor["vcpus"] == 1
    assert flavor["swap"] == ""  # "" when 0, below 2.75
    assert flavor["os-flavor-access:is_public"] is True
    assert flavor["OS-FLV-DISABLED:disabled"] is False
    assert flavor["OS-FLV-EXT-DATA:ephemeral"] == 0


def test_flavor_by_name_is_404_then_found_in_detail(compute: Any) -> None:
    """What OSC and openstacksdk do with ``--flavor m1.tiny`` (nova-facts.md 2)."""
    response = compute.get("/flavors/m1.tiny")
    assert response.status_code == 404
    assert response.get_json() == {
        "itemNotFound": {"code": 404, "message": "Flavor m1.tiny could not be found."}
    }
    assert compute.get("/flavors/1").get_json()["flavor"]["name"] == "m1.tiny"


def test_flavor_paging(compute: Any) -> None:
    first = compute.get("/flavors?limit=2").get_json()
    assert [f["id"] for f in first["flavors"]] == ["1", "2"]
    assert first["flavors_links"] == [
        {"rel": "next", "href": "http://localhost/compute/v2.1/flavors?limit=2&marker=2"}
    ]
    second = compute.get("/flavors?limit=2&marker=2").get_json()
    assert [f["id"] for f in second["flavors"]] == ["3", "4"]
    response = compute.get("/flavors?marker=nope")
    assert response.status_code == 400
    assert response.get_json()["badRequest"]["message"] == "marker [nope] not found"
    assert compute.get("/flavors?limit=x").status_code == 400


def test_flavor_filters(compute: Any) -> None:
    names = [f["name"] for f in compute.get("/flavors?minRam=4096").get_json()["flavors"]]
    assert names == ["m1.medium", "m1.large"]
    response = compute.get("/flavors?minDisk=x")
    assert response.get_json()["badRequest"]["message"] == "Invalid minDisk filter [x]"


def test_is_public_filter_is_read_for_admins_only(compute: Any) -> None:
    assert compute.get("/flavors?is_public=junk").status_code == 200
    response = compute.get("/flavors?is_public=junk", who="admin")
    assert response.status_code == 400
    assert response.get_json()["badRequest"]["message"] == "Invalid is_public filter [junk]"


def test_configured_flavors_replace_the_built_in_set(tmp_path: Any, template_db: Any) -> None:
    import shutil

    from emulator.app import create_app
    from emulator.core.config import Config
    from tests.conftest import Users

    config = Config(
        data_dir=tmp_path / "d",
        compute_flavors=(
            "tiny id=t1 ram=64 disk=1 vcpus=1",
            "hidden id=h ram=64 disk=1 vcpus=1 is_public=false",
        ),
    )
    config.db_path.parent.mkdir(parents=True)
    shutil.copyfile(template_db, config.db_path)
    app = create_app(config)
    users = Users(app)
    client = app.test_client()
    response = client.get("/compute/v2.1/flavors/detail", headers=users.headers("consumer"))
    assert [f["id"] for f in response.get_json()["flavors"]] == ["t1"]
    admin = users.headers("admin")
    response = client.get("/compute/v2.1/flavors/detail?is_public=none", headers=admin)
    assert [f["id"] for f in response.get_json()["flavors"]] == ["h", "t1"]


def test_a_malformed_configured_flavor_stops_the_start(tmp_path: Any) -> None:
    from emulator.app import create_app
    from emulator.core.config import Config

    with pytest.raises(ValueError, match="ram must be a whole number"):
        bad = ("x id=1 ram=lots disk=1 vcpus=1",)
        create_app(Config(data_dir=tmp_path / "d", compute_flavors=bad))


# --- limits -------------------------------------------------------------------------------


def test_limits_count_the_projects_servers(compute: Any) -> None:
    absolute = compute.get("/limits").get_json()["limits"]["absolute"]
    assert absolute["maxTotalInstances"] == 10
    assert absolute["maxTotalCores"] == 20
    assert absolute["maxTotalRAMSize"] == 51200
    assert absolute["totalInstancesUsed"] == 0
    assert "maxPersonality" not in absolute  # gone at 2.57
    image = compute.image(who="consumer")
    compute.boot(image, flavorRef="2")
    absolute = compute.get("/limits").get_json()["limits"]["absolute"]
    assert (absolute["totalInstancesUsed"], absolute["totalCoresUsed"]) == (1, 1)
    assert absolute["totalRAMUsed"] == 2048
    old = compute.get("/limits", version=None).get_json()["limits"]
    assert old["rate"] == []
    assert "maxPersonality" in old["absolute"] and "maxSecurityGroups" in old["absolute"]
    other = compute.get("/limits", who="producer").get_json()["limits"]["absolute"]
    assert other["totalInstancesUsed"] == 0


# --- errors -------------------------------------------------------------------------------


def test_no_route_is_the_routers_plain_404(compute: Any, client: FlaskClient) -> None:
    """nova/api/wsgi.py ``Router._dispatch`` returns webob's ``HTTPNotFound()`` (no Nova
    fault), for an unknown path and for a method the path does not take; without a token
    keystonemiddleware's 401 comes first."""
    for response in (
        compute.get("/nothing-here"),
        compute.client.patch("/compute/v2.1/servers", headers=compute.headers("consumer")),
    ):
        assert response.status_code == 404
        assert response.headers["x-compute-request-id"].startswith("req-")
        assert response.get_json() == {
            "message": "The resource could not be found.<br /><br />\n\n\n",
            "code": "404 Not Found",
            "title": "Not Found",
        }
    assert client.patch("/compute/v2.1/servers").status_code == 401


def test_project_id_in_the_url(compute: Any, users: Any) -> None:
    mine = users.project("consumer")
    response = compute.get(f"/{mine}/flavors/1")
    assert response.status_code == 200
    assert response.get_json()["flavor"]["links"][0]["href"] == (
        f"http://localhost/compute/v2.1/{mine}/flavors/1"
    )
    theirs = users.project("producer")
    response = compute.get(f"/{theirs}/flavors/1")
    assert response.status_code == 400
    assert "doesn't match Context's project_id" in response.get_json()["badRequest"]["message"]
