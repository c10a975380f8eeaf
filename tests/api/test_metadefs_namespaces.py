"""``/v2/metadefs/namespaces``: create, list, show, update, delete and who may do what.

Expectations read from openstack/glance: glance/api/v2/metadef_namespaces.py (controller,
RequestDeserializer.index, ResponseSerializer.index), glance/db/sqlalchemy/metadef_api/
namespace.py (visibility, paging, duplicate messages), glance/policies/metadef.py and
glance/api/v2/policy.py (MetadefAPIPolicy: admin-only writes, 404 for what one may not
see), glance/common/exception.py (texts), and checked against a real Glance 33.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.metadef_helpers import CATALOG, NS, Api
from tests.conftest import Users


@pytest.fixture
def api(client: FlaskClient, users: Users) -> Api:
    return Api(client, users)


def test_fresh_data_dir_has_the_builtin_catalog(api: Api) -> None:
    assert sorted(api.names()) == sorted(CATALOG)
    shown = api.call("GET", f"{NS}/OS::Compute::Watchdog").get_json()
    assert shown["visibility"] == "public" and shown["protected"] is True
    assert shown["owner"] == "admin"
    # Loaded rows have no updated_at, as glance-manage db_load_metadefs leaves them.
    assert "updated_at" not in shown and "created_at" in shown
    assert [a["name"] for a in shown["resource_type_associations"]] == [
        "OS::Glance::Image",
        "OS::Cinder::Volume",
        "OS::Nova::Flavor",
    ]
    types = api.call("GET", "/v2/metadefs/resource_types", "consumer").get_json()
    assert {t["name"] for t in types["resource_types"]} == {
        "OS::Glance::Image",
        "OS::Cinder::Volume",
        "OS::Nova::Flavor",
    }


def test_create_answers_201_with_location_and_defaults(api: Api, users: Users) -> None:
    created = api.call("POST", NS, json={"namespace": "Lab::One", "display_name": "One"})
    assert created.status_code == 201
    assert created.headers["Location"] == "http://localhost/v2/metadefs/namespaces/Lab::One"
    body = created.get_json()
    assert list(body) == [
        "namespace",
        "display_name",
        "visibility",
        "protected",
        "owner",
        "created_at",
        "updated_at",
        "self",
        "schema",
    ]
    assert body["visibility"] == "private" and body["protected"] is False
    assert body["owner"] == users.project("admin")
    assert body["self"] == "/v2/metadefs/namespaces/Lab::One"
    assert body["schema"] == "/v2/schemas/metadefs/namespace"


def test_create_with_contents_echoes_the_request_and_show_lists_them(api: Api) -> None:
    body = api.create(
        {
            "namespace": "Lab::Full",
            "visibility": "public",
            "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "lab_"}],
            "properties": {"speed": {"title": "Speed", "type": "integer", "minimum": 1.5}},
            "objects": [
                {
                    "name": "Fast",
                    "required": ["speed"],
                    "properties": {"speed": {"title": "Speed", "type": "integer"}},
                }
            ],
            "tags": [{"name": "a"}, {"name": "b"}],
        }
    )
    # The answer echoes the request's contents: no timestamps or links on them.
    assert body["resource_type_associations"] == [{"name": "OS::Glance::Image", "prefix": "lab_"}]
    assert body["objects"] == [
        {
            "name": "Fast",
            "required": ["speed"],
            "properties": {"speed": {"type": "integer", "title": "Speed"}},
        }
    ]
    assert body["tags"] == [{"name": "a"}, {"name": "b"}]
    assert body["properties"] == {"speed": {"type": "integer", "title": "Speed", "minimum": 1}}
    shown = api.call("GET", f"{NS}/Lab::Full").get_json()
    assert shown["tags"] == [{"name": "b"}, {"name": "a"}]  # newest first
    assert shown["objects"][0]["self"] == "/v2/metadefs/namespaces/Lab::Full/objects/Fast"
    assert set(shown["resource_type_associations"][0]) == {
        "name",
        "prefix",
        "created_at",
        "updated_at",
    }
    prefixed = api.call("GET", f"{NS}/Lab::Full?resource_type=OS::Glance::Image").get_json()
    assert list(prefixed["properties"]) == ["lab_speed"]
    assert prefixed["objects"][0]["required"] == ["lab_speed"]
    assert list(prefixed["objects"][0]["properties"]) == ["lab_speed"]
    other = api.call("GET", f"{NS}/Lab::Full?resource_type=OS::Nova::Flavor").get_json()
    assert list(other["properties"]) == ["speed"]


def test_list_pages_with_next_first_and_schema(api: Api) -> None:
    first = api.call("GET", f"{NS}?limit=2&sort_key=namespace&sort_dir=asc").get_json()
    assert list(first) == ["namespaces", "next", "schema", "first"]
    assert [n["namespace"] for n in first["namespaces"]] == sorted(CATALOG)[:2]
    assert first["first"] == "/v2/metadefs/namespaces?limit=2&sort_key=namespace&sort_dir=asc"
    assert first["next"] == (
        "/v2/metadefs/namespaces?limit=2&sort_key=namespace&sort_dir=asc"
        "&marker=OS%3A%3ACompute%3A%3ARandomNumberGenerator"
    )
    seen = [n["namespace"] for n in first["namespaces"]]
    page = first
    while "next" in page:
        page = api.call("GET", page["next"]).get_json()
        seen += [n["namespace"] for n in page["namespaces"]]
    assert seen == sorted(CATALOG)
    assert "next" not in api.call("GET", f"{NS}?limit=0").get_json()
    plain = api.call("GET", NS).get_json()
    assert plain["first"] == "/v2/metadefs/namespaces"
    assert "properties" not in plain["namespaces"][0]  # list items carry associations only
    assert "resource_type_associations" in plain["namespaces"][0]


def test_list_default_order_is_newest_first(api: Api) -> None:
    api.create({"namespace": "Lab::Old"})
    api.create({"namespace": "Lab::New"})
    assert api.names()[:2] == ["Lab::New", "Lab::Old"]
    assert api.names(query="&sort_dir=asc")[-2:] == ["Lab::Old", "Lab::New"]


def test_list_filters_by_visibility_and_resource_types(api: Api) -> None:
    api.create({"namespace": "Lab::Private"})
    api.create(
        {
            "namespace": "Lab::Typed",
            "visibility": "public",
            "resource_type_associations": [{"name": "Lab::Type"}],
        }
    )
    assert "Lab::Private" not in api.names(query="&visibility=public")
    assert api.names(query="&visibility=private") == ["Lab::Private"]
    assert api.names(query="&resource_types=Lab::Type") == ["Lab::Typed"]
    flavor = api.names(query="&resource_types=Lab::Type,OS::Nova::Flavor")
    assert sorted(flavor) == sorted(
        [
            "Lab::Typed",
            "OS::Compute::VirtCPUTopology",
            "OS::Compute::RandomNumberGenerator",
            "OS::Compute::Watchdog",
        ]
    )
    assert api.names(query="&resource_types=Nothing::Here") == []


def test_who_sees_private_namespaces(api: Api, users: Users) -> None:
    api.create({"namespace": "Lab::Admins"})
    api.create({"namespace": "Lab::Producers", "owner": users.project("producer")})
    assert "Lab::Admins" not in api.names("consumer")
    assert "Lab::Producers" in api.names("producer")
    assert "Lab::Producers" not in api.names("consumer")
    hidden = api.call("GET", f"{NS}/Lab::Admins", "consumer")
    assert hidden.status_code == 404
    assert api.message(hidden) == "The resource could not be found."
    assert api.call("GET", f"{NS}/Lab::Producers", "producer").status_code == 200
    for path in ("objects", "properties", "tags", "resource_types"):
        child = api.call("GET", f"{NS}/Lab::Admins/{path}", "consumer")
        assert child.status_code == 404
        assert api.message(child) == "Namespace Lab::Admins not found"
    gone = api.call("DELETE", f"{NS}/Lab::Admins", "consumer")
    assert (gone.status_code, api.message(gone)) == (404, "Namespace Lab::Admins not found")


def test_non_admins_may_not_write(api: Api, users: Users) -> None:
    before = api.snapshot()
    refused = api.call("POST", NS, "producer", json={"namespace": "Lab::Mine"})
    assert refused.status_code == 403
    action = "add_metadef_namespace"
    assert api.message(refused) == f"You are not authorized to complete {action} action."
    public = "OS::Compute::Watchdog"
    cases: list[tuple[str, str, Any, str]] = [
        ("PUT", f"{NS}/{public}", {"namespace": public}, "modify_metadef_namespace"),
        ("DELETE", f"{NS}/{public}", None, "delete_metadef_namespace"),
        ("POST", f"{NS}/{public}/objects", {"name": "x"}, "add_metadef_object"),
        ("POST", f"{NS}/{public}/tags/x", None, "add_metadef_tag"),
        ("POST", f"{NS}/{public}/tags", {"tags": []}, "add_metadef_tags"),
        (
            "POST",
            f"{NS}/{public}/properties",
            {"name": "x", "title": "x", "type": "string"},
            "add_metadef_property",
        ),
        (
            "POST",
            f"{NS}/{public}/resource_types",
            {"name": "X"},
            "add_metadef_resource_type_association",
        ),
        ("DELETE", f"{NS}/{public}/tags", None, "delete_metadef_namespace"),
    ]
    for method, path, body, action in cases:
        answer = api.call(method, path, "producer", json=body)
        assert answer.status_code == 403, (method, path)
        assert api.message(answer) == f"You are not authorized to complete {action} action."
    assert api.snapshot() == before


def test_duplicate_names_conflict(api: Api) -> None:
    api.create({"namespace": "Lab::Dup"})
    again = api.call("POST", NS, json={"namespace": "Lab::Dup"})
    assert again.status_code == 409
    assert api.message(again) == "The metadata definition namespace=Lab::Dup already exists."
    api.create({"namespace": "Lab::Other"})
    renamed = api.call("PUT", f"{NS}/Lab::Other", json={"namespace": "Lab::Dup"})
    assert renamed.status_code == 409
    assert api.message(renamed) == (
        "Invalid update. It would result in a duplicate metadata definition namespace with "
        "the same name of Lab::Dup"
    )
    assert "Lab::Other" in api.names()


def test_update_replaces_everything_and_answers_the_old_updated_at(api: Api) -> None:
    created = api.create(
        {
            "namespace": "Lab::Up",
            "display_name": "Up",
            "description": "d",
            "visibility": "public",
            "protected": True,
        }
    )
    updated = api.call("PUT", f"{NS}/Lab::Up", json={"namespace": "Lab::Down"})
    assert updated.status_code == 200
    body = updated.get_json()
    assert "display_name" not in body and "description" not in body
    assert body["visibility"] == "private" and body["protected"] is False
    assert body["updated_at"] == created["updated_at"]
    assert api.call("GET", f"{NS}/Lab::Up").status_code == 404
    assert api.call("GET", f"{NS}/Lab::Down").status_code == 200


def test_protected_namespace_refuses_delete(api: Api) -> None:
    before = api.snapshot()
    refused = api.call("DELETE", f"{NS}/OS::OperatingSystem")
    assert refused.status_code == 403
    assert api.message(refused) == (
        "Metadata definition namespace OS::OperatingSystem is protected and cannot be deleted."
    )
    for kind in ("objects", "properties", "tags"):
        answer = api.call("DELETE", f"{NS}/OS::OperatingSystem/{kind}")
        assert answer.status_code == 403
    assert api.snapshot() == before


def test_delete_takes_the_contents_along(api: Api) -> None:
    api.create(
        {
            "namespace": "Lab::Gone",
            "objects": [{"name": "o"}],
            "tags": [{"name": "t"}],
            "properties": {"p": {"title": "P", "type": "string"}},
            "resource_type_associations": [{"name": "OS::Glance::Image"}],
        }
    )
    assert api.call("DELETE", f"{NS}/Lab::Gone").status_code == 204
    assert api.call("GET", f"{NS}/Lab::Gone").status_code == 404
    api.create({"namespace": "Lab::Gone"})
    shown = api.call("GET", f"{NS}/Lab::Gone").get_json()
    assert not {"objects", "tags", "properties", "resource_type_associations"} & set(shown)
