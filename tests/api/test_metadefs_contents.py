"""Objects, property definitions, tags and resource type associations of a namespace.

Expectations read from openstack/glance: glance/api/v2/metadef_objects.py,
metadef_properties.py, metadef_tags.py, metadef_resource_types.py (controllers and
deserializers), glance/db/__init__.py (the repos' not-found texts),
glance/db/sqlalchemy/metadef_api/{object,property,tag,resource_type_association}.py,
glance/domain/__init__.py (protected deletes), and checked against a real Glance 33.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.api.metadef_helpers import NS, Api
from tests.conftest import Users

LAB = f"{NS}/Lab::Box"


@pytest.fixture
def api(client: FlaskClient, users: Users) -> Api:
    api = Api(client, users)
    api.create({"namespace": "Lab::Box", "visibility": "public"})
    return api


def test_object_lifecycle(api: Api) -> None:
    created = api.call("POST", f"{LAB}/objects", json={"name": "Disk"})
    assert created.status_code == 201
    assert list(created.get_json()) == ["name", "created_at", "updated_at", "self", "schema"]
    listed = api.call("GET", f"{LAB}/objects").get_json()
    assert listed["schema"] == "v2/schemas/metadefs/objects"
    # Stored without them, an object is listed with [] and {} (as Glance keeps it).
    assert listed["objects"][0]["required"] == [] and listed["objects"][0]["properties"] == {}
    body = {
        "name": "Disk2",
        "description": "d",
        "properties": {"bus": {"title": "Bus", "type": "string", "minimum": 7.9}},
    }
    updated = api.call("PUT", f"{LAB}/objects/Disk", json=body)
    assert updated.status_code == 200
    doc = updated.get_json()
    assert doc["self"] == "/v2/metadefs/namespaces/Lab::Box/objects/Disk2"
    assert doc["properties"] == {"bus": {"type": "string", "title": "Bus", "minimum": 7}}
    assert doc["updated_at"] == created.get_json()["updated_at"]
    gone = api.call("GET", f"{LAB}/objects/Disk")
    assert (gone.status_code, api.message(gone)) == (404, "Could not find metadata object Disk")
    assert api.call("GET", f"{LAB}/objects/Disk2").get_json()["description"] == "d"
    assert api.call("DELETE", f"{LAB}/objects/Disk2").status_code == 204
    assert api.call("GET", f"{LAB}/objects").get_json()["objects"] == []


def test_object_conflicts_and_namespace_messages(api: Api) -> None:
    api.call("POST", f"{LAB}/objects", json={"name": "A"})
    api.call("POST", f"{LAB}/objects", json={"name": "B"})
    again = api.call("POST", f"{LAB}/objects", json={"name": "A"})
    assert (again.status_code, api.message(again)) == (
        409,
        "A metadata definition object with name=A already exists in namespace=Lab::Box.",
    )
    onto = api.call("PUT", f"{LAB}/objects/B", json={"name": "A"})
    assert onto.status_code == 409
    assert api.message(onto) == (
        "Invalid update. It would result in a duplicate metadata definition object with the "
        "same name=A in namespace=Lab::Box."
    )
    # The object routes let the DB's own not-found through for a missing namespace.
    missing = api.call("GET", f"{NS}/Nope/objects")
    assert api.message(missing) == "Metadata definition namespace=Nope was not found."
    missing = api.call("GET", f"{NS}/Nope/properties")
    assert api.message(missing) == "Namespace Nope not found"


def test_property_lifecycle_and_wsme_coercions(api: Api) -> None:
    body = {
        "name": "speed",
        "title": "Speed",
        "type": "number",
        "minimum": 1.5,
        "default": 5,
        "readonly": False,
    }
    created = api.call("POST", f"{LAB}/properties", json=body)
    assert created.status_code == 201
    assert created.get_json() == {
        "name": "speed",
        "type": "number",
        "title": "Speed",
        "default": "5",
        "readonly": False,
        "minimum": 1,
    }
    listed = api.call("GET", f"{LAB}/properties").get_json()
    assert listed == {"properties": {"speed": created.get_json()}}
    dup = api.call("POST", f"{LAB}/properties", json=body)
    assert api.message(dup) == (
        "A metadata definition property with name=speed already exists in namespace=Lab::Box."
    )
    renamed = api.call(
        "PUT", f"{LAB}/properties/speed", json={"name": "rate", "title": "R", "type": "string"}
    )
    assert renamed.get_json() == {"name": "rate", "type": "string", "title": "R"}
    missing = api.call("GET", f"{LAB}/properties/speed")
    assert (missing.status_code, api.message(missing)) == (404, "Could not find property speed")
    assert api.call("DELETE", f"{LAB}/properties/rate").status_code == 204
    assert api.call("GET", f"{LAB}/properties").get_json() == {"properties": {}}


def test_property_show_through_a_resource_type_prefix(api: Api) -> None:
    api.call("POST", f"{LAB}/resource_types", json={"name": "OS::Glance::Image", "prefix": "x_"})
    api.call("POST", f"{LAB}/resource_types", json={"name": "OS::Nova::Flavor"})
    api.call("POST", f"{LAB}/properties", json={"name": "p", "title": "P", "type": "string"})
    found = api.call("GET", f"{LAB}/properties/x_p?resource_type=OS::Glance::Image")
    assert found.get_json()["name"] == "p"
    cases = [
        (
            "p?resource_type=OS::Glance::Image",
            "Property p does not start with the expected resource type association prefix of 'x_'.",
        ),
        (
            "p?resource_type=Nope",
            "The metadata definition resource-type with name=Nope, was not found.",
        ),
        (
            "p?resource_type=OS::Cinder::Volume",
            "The metadata definition resource-type association of "
            "resource-type=OS::Cinder::Volume to namespace=Lab::Box, was not found.",
        ),
        (
            "p?resource_type=OS::Nova::Flavor",
            "Property p does not start with the expected resource type association prefix "
            "of 'None'.",
        ),
    ]
    for query, message in cases:
        answer = api.call("GET", f"{LAB}/properties/{query}")
        assert (answer.status_code, api.message(answer)) == (404, message)


def test_tags_single_bulk_append_and_order(api: Api) -> None:
    one = api.call("POST", f"{LAB}/tags/first")
    assert one.status_code == 201 and list(one.get_json()) == ["name", "created_at", "updated_at"]
    bulk = api.call("POST", f"{LAB}/tags", json={"tags": [{"name": "a"}, {"name": "b"}]})
    assert (bulk.status_code, bulk.get_json()) == (201, {"tags": [{"name": "a"}, {"name": "b"}]})
    # Without X-Openstack-Append the bulk create replaced "first".
    assert api.call("GET", f"{LAB}/tags").get_json() == {"tags": [{"name": "b"}, {"name": "a"}]}
    api.call(
        "POST",
        f"{LAB}/tags",
        json={"tags": [{"name": "c"}]},
        headers={"X-Openstack-Append": "True"},
    )
    names = [t["name"] for t in api.call("GET", f"{LAB}/tags").get_json()["tags"]]
    assert names == ["c", "b", "a"]
    page = api.call("GET", f"{LAB}/tags?sort_dir=asc&limit=2&marker=a").get_json()
    assert page == {"tags": [{"name": "b"}, {"name": "c"}]}
    empty = api.call("POST", f"{LAB}/tags", json={"tags": []})
    assert empty.get_json() == {"tags": []}
    assert len(api.call("GET", f"{LAB}/tags").get_json()["tags"]) == 3
    twice = api.call("POST", f"{LAB}/tags", json={"tags": [{"name": "d"}, {"name": "d"}]})
    assert twice.status_code == 409
    assert api.message(twice) == (
        "A metadata tag with name=d already exists in namespace=Lab::Box. "
        "(Please note that metadata tag names are case insensitive)."
    )
    assert len(api.call("GET", f"{LAB}/tags").get_json()["tags"]) == 3  # rolled back
    renamed = api.call("PUT", f"{LAB}/tags/a", json={"name": "z"})
    assert renamed.get_json()["name"] == "z"
    assert api.call("PUT", f"{LAB}/tags/b", json={"name": "z"}).status_code == 409
    missing = api.call("GET", f"{LAB}/tags/a")
    assert (missing.status_code, api.message(missing)) == (404, "Could not find metadata tag a")
    assert api.call("DELETE", f"{LAB}/tags/z").status_code == 204
    assert api.call("DELETE", f"{LAB}/tags").status_code == 204
    assert api.call("GET", f"{LAB}/tags").get_json() == {"tags": []}


def test_resource_type_associations(api: Api) -> None:
    made = api.call("POST", f"{LAB}/resource_types", json={"name": "Lab::New", "prefix": "n_"})
    assert made.status_code == 201
    assert list(made.get_json()) == ["name", "prefix", "created_at", "updated_at"]
    types = [
        t["name"]
        for t in api.call("GET", "/v2/metadefs/resource_types").get_json()["resource_types"]
    ]
    assert "Lab::New" in types  # created on the way
    again = api.call("POST", f"{LAB}/resource_types", json={"name": "Lab::New"})
    assert (again.status_code, api.message(again)) == (
        409,
        "The metadata definition resource-type association of resource-type=Lab::New to "
        "namespace=Lab::Box already exists.",
    )
    listed = api.call("GET", f"{LAB}/resource_types").get_json()
    assert [a["name"] for a in listed["resource_type_associations"]] == ["Lab::New"]
    nope = api.call("DELETE", f"{LAB}/resource_types/Nope")
    assert (nope.status_code, api.message(nope)) == (
        404,
        "Failed to find resource type Nope to delete",
    )
    assert api.call("DELETE", f"{LAB}/resource_types/Lab::New").status_code == 204
    assert api.call("GET", f"{LAB}/resource_types").get_json() == {"resource_type_associations": []}


def test_protected_namespace_keeps_its_contents(api: Api) -> None:
    api.call("POST", f"{LAB}/objects", json={"name": "o"})
    api.call("POST", f"{LAB}/tags/t")
    api.call("POST", f"{LAB}/properties", json={"name": "p", "title": "P", "type": "string"})
    api.call("POST", f"{LAB}/resource_types", json={"name": "OS::Glance::Image"})
    api.call("PUT", LAB, json={"namespace": "Lab::Box", "protected": True})
    before = api.snapshot()
    cases = [
        ("objects/o", "Metadata definition object o is protected and cannot be deleted."),
        ("tags/t", "Metadata definition tag t is protected and cannot be deleted."),
        ("properties/p", "Metadata definition property p is protected and cannot be deleted."),
        (
            "resource_types/OS::Glance::Image",
            "Metadata definition resource-type-association OS::Glance::Image is protected and "
            "cannot be deleted.",
        ),
        ("objects", "Metadata definition namespace Lab::Box is protected and cannot be deleted."),
        ("tags", "Metadata definition namespace Lab::Box is protected and cannot be deleted."),
        (
            "properties",
            "Metadata definition namespace Lab::Box is protected and cannot be deleted.",
        ),
    ]
    for path, message in cases:
        answer = api.call("DELETE", f"{LAB}/{path}")
        assert (answer.status_code, api.message(answer)) == (403, message), path
    assert api.snapshot() == before


def test_readers_see_public_contents(api: Api) -> None:
    api.call("POST", f"{LAB}/objects", json={"name": "o"})
    api.call("POST", f"{LAB}/tags/t")
    for path in ("objects", "objects/o", "tags", "tags/t", "properties", "resource_types"):
        assert api.call("GET", f"{LAB}/{path}", "consumer").status_code == 200, path
