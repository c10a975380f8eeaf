"""Every bad metadef request gets Glance's 4xx and leaves the catalog as it was.

Where Glance itself answers 500 (a non-integer `limit`, an unknown `sort_key`, a body that
is a JSON list, an unknown attribute in a property definition, an embedded item without a
name: all seen on a real Glance 33), the emulator answers 400 instead; these are listed in
api-ref/COVERAGE.md.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.metadef_helpers import NS, Api
from tests.conftest import Users

WATCHDOG = f"{NS}/OS::Compute::Watchdog"
SCHEMA_400 = "Provided object does not match schema"


@pytest.fixture
def api(client: FlaskClient, users: Users) -> Api:
    return Api(client, users)


# (method, path, user, body, status, message or its start)
CASES: list[tuple[str, str, str, Any, int, str]] = [
    ("GET", f"{NS}/Nope", "admin", None, 404, "Metadata definition namespace=Nope was not found."),
    ("PUT", f"{NS}/Nope", "admin", {"namespace": "Nope"}, 404, "Namespace Nope not found"),
    ("DELETE", f"{NS}/Nope", "admin", None, 404, "Namespace Nope not found"),
    ("GET", f"{NS}/Nope/tags", "admin", None, 404, "Namespace Nope not found"),
    ("POST", f"{NS}/Nope/tags/x", "admin", None, 404, "Namespace Nope not found"),
    ("DELETE", f"{NS}/Nope/objects", "admin", None, 404, "Namespace Nope not found"),
    (
        "POST",
        f"{NS}/Nope/objects",
        "admin",
        {"name": "o"},
        404,
        "Metadata definition namespace=Nope was not found.",
    ),
    (
        "POST",
        NS,
        "admin",
        {"namespace": "OS::Compute::Watchdog"},
        409,
        "The metadata definition namespace=OS::Compute::Watchdog already exists.",
    ),
    (
        "POST",
        f"{WATCHDOG}/properties",
        "admin",
        {"name": "watchdog_action", "title": "t", "type": "string"},
        409,
        "A metadata definition property with name=watchdog_action already exists in "
        "namespace=OS::Compute::Watchdog.",
    ),
    (
        "POST",
        f"{WATCHDOG}/resource_types",
        "admin",
        {"name": "OS::Nova::Flavor"},
        409,
        "The metadata definition resource-type association of resource-type=OS::Nova::Flavor "
        "to namespace=OS::Compute::Watchdog already exists.",
    ),
    ("POST", NS, "admin", {"namespace": "x", "visibility": "bogus"}, 400, SCHEMA_400),
    ("POST", NS, "admin", {"namespace": "x" * 81}, 400, SCHEMA_400),
    ("POST", NS, "admin", {"display_name": "no name"}, 400, SCHEMA_400),
    ("POST", NS, "admin", {"namespace": "x", "unknown": 1}, 400, SCHEMA_400),
    (
        "POST",
        NS,
        "admin",
        {"namespace": "x", "properties": {"p": {"type": "string"}}},
        400,
        "Provided object does not match schema 'namespace': 'title' is a required property",
    ),
    ("POST", NS, "admin", {"namespace": "x", "self": "/x"}, 403, "Attribute 'self' is read-only."),
    (
        "POST",
        NS,
        "admin",
        {"namespace": "x", "created_at": "now"},
        403,
        "Attribute 'created_at' is read-only.",
    ),
    ("POST", NS, "admin", [1, 2], 400, SCHEMA_400),
    (
        "POST",
        NS,
        "admin",
        {"namespace": "x", "properties": {"p": {"title": "t", "type": "string", "extra": 1}}},
        400,
        "Unknown attribute for property p: extra",
    ),
    ("POST", NS, "admin", {"namespace": "x", "objects": [{"description": "d"}]}, 400, "Mandatory"),
    ("POST", f"{WATCHDOG}/properties", "admin", {"name": "p", "type": "string"}, 400, SCHEMA_400),
    (
        "POST",
        f"{WATCHDOG}/properties",
        "admin",
        {"name": "p", "title": "t", "type": "string", "created_at": "x"},
        403,
        "Attribute 'created_at' is read-only.",
    ),
    ("POST", f"{WATCHDOG}/objects", "admin", {"name": "o", "required": "x"}, 400, SCHEMA_400),
    (
        "POST",
        f"{WATCHDOG}/objects",
        "admin",
        {"name": "o", "properties": {"a": {"type": "string"}}},
        400,
        "Provided object does not match schema 'object'",
    ),
    ("POST", f"{WATCHDOG}/tags/{'t' * 81}", "admin", None, 400, SCHEMA_400),
    ("POST", f"{WATCHDOG}/tags", "admin", {"tags": [{"nam": "x"}]}, 400, SCHEMA_400),
    ("POST", f"{WATCHDOG}/tags", "admin", {"tags": "x"}, 400, SCHEMA_400),
    (
        "POST",
        f"{WATCHDOG}/tags",
        "admin",
        {"tags": [], "updated_at": "x"},
        403,
        "Attribute 'updated_at' is read-only.",
    ),
    ("PUT", f"{WATCHDOG}/tags/x", "admin", {}, 400, SCHEMA_400),
    ("POST", f"{WATCHDOG}/resource_types", "admin", {"prefix": "p"}, 400, SCHEMA_400),
    ("GET", f"{NS}?limit=abc", "admin", None, 400, "limit param must be an integer"),
    ("GET", f"{NS}?limit=-1", "admin", None, 400, "limit param must be positive"),
    ("GET", f"{NS}?sort_dir=up", "admin", None, 400, "Invalid sort direction: up"),
    ("GET", f"{NS}?visibility=shared", "admin", None, 400, "Invalid visibility value: shared"),
    ("GET", f"{NS}?sort_key=bogus", "admin", None, 400, "Invalid sort key: bogus"),
    (
        "GET",
        f"{NS}?marker=Nope",
        "admin",
        None,
        404,
        "Metadata definition namespace=Nope was not found.",
    ),
    ("GET", f"{WATCHDOG}/tags?sort_key=bogus", "admin", None, 400, "Invalid sort key: bogus"),
    ("GET", f"{WATCHDOG}/tags?marker=zz", "admin", None, 404, "The metadata definition tag with"),
    (
        "DELETE",
        WATCHDOG,
        "admin",
        None,
        403,
        "Metadata definition namespace OS::Compute::Watchdog is protected",
    ),
    (
        "POST",
        NS,
        "producer",
        {"namespace": "x"},
        403,
        "You are not authorized to complete add_metadef_namespace action.",
    ),
    (
        "POST",
        NS,
        "producer",
        {"namespace": "x", "visibility": "public"},
        403,
        "You are not authorized",
    ),
    (
        "DELETE",
        f"{WATCHDOG}/tags",
        "consumer",
        None,
        403,
        "You are not authorized to complete delete_metadef_namespace action.",
    ),
]


@pytest.mark.parametrize(("method", "path", "user", "body", "status", "message"), CASES)
def test_bad_requests_change_nothing(
    api: Api, method: str, path: str, user: str, body: Any, status: int, message: str
) -> None:
    before = api.snapshot()
    answer = api.call(method, path, user, json=body)
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert api.message(answer).startswith(message)
    assert api.snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "raw"),
    [
        ("POST", NS, b"{not json"),
        ("POST", NS, b'{"namespace": "\\udc80"}'),
        ("POST", NS, b'{"namespace": "x", "protected": 1e999999}'),
        ("POST", NS, b"7"),
        ("PUT", WATCHDOG, b""),
        ("POST", f"{WATCHDOG}/objects", b"[]"),
        ("GET", WATCHDOG, b"{}"),
        ("POST", f"{WATCHDOG}/tags/x", b"{}"),
        ("DELETE", f"{WATCHDOG}/objects/x", b"{}"),
    ],
)
def test_malformed_bodies_are_400(api: Api, method: str, path: str, raw: bytes) -> None:
    before = api.snapshot()
    answer = api.call(method, path, data=raw, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert api.snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", NS, "GET, POST"),
        ("POST", WATCHDOG, "GET, PUT, DELETE"),
        ("PUT", f"{WATCHDOG}/tags", "GET, POST, DELETE"),
        ("PATCH", f"{WATCHDOG}/tags/x", "GET, POST, PUT, DELETE"),
        ("POST", "/v2/metadefs/resource_types", "GET"),
        ("GET", f"{WATCHDOG}/resource_types/OS::Glance::Image", "DELETE"),
        ("HEAD", NS, "GET, POST"),
    ],
)
def test_other_methods_are_405_with_glances_allow(
    api: Api, method: str, path: str, allow: str
) -> None:
    answer = api.call(method, path)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == allow


def test_no_token_is_401(client: FlaskClient) -> None:
    assert client.get(NS).status_code == 401


def test_resource_type_schema_failures_name_the_association_schema(api: Api) -> None:
    answer = api.call("POST", f"{WATCHDOG}/resource_types", json={"prefix": "p"})
    assert api.message(answer) == (
        "Provided object does not match schema 'resource_type_association': "
        "'name' is a required property"
    )
