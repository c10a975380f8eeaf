"""``openstack image metadef ...`` (python-openstackclient) against a live emulator.

Every command the installed OSC offers for metadefs is run at least once: namespace
create/list/show/set/unset/delete, object create/list/show/update/delete,
property create/list/show/set/delete, resource type list and association
create/list/delete.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # fixtures provide the objects; the conftest is never imported directly
    from tests.contract.conftest import Clients

pytestmark = pytest.mark.contract


@pytest.fixture
def namespace(clients: Clients) -> str:
    name = f"Contract::OSC::{uuid.uuid4().hex[:8]}"
    created = clients.openstack_json(
        "admin",
        "image",
        "metadef",
        "namespace",
        "create",
        name,
        "--display-name",
        "Contract",
        "--description",
        "made by the contract tests",
        "--public",
        "--protected",
    )
    assert created["namespace"] == name
    assert created["visibility"] == "public" and created["protected"] is True
    return name


def test_namespace_list_show_set_delete(clients: Clients, namespace: str) -> None:
    listed = clients.openstack_json("admin", "image", "metadef", "namespace", "list")
    names = {row["Namespace"] if "Namespace" in row else row["namespace"] for row in listed}
    assert {namespace, "OS::Compute::Watchdog", "OS::OperatingSystem"} <= names
    as_reader = clients.openstack_json("consumer", "image", "metadef", "namespace", "list")
    assert namespace in {row.get("Namespace", row.get("namespace")) for row in as_reader}

    shown = clients.openstack_json("admin", "image", "metadef", "namespace", "show", namespace)
    assert shown["display_name"] == "Contract"
    assert shown["description"] == "made by the contract tests"

    clients.openstack(
        "admin", "image", "metadef", "namespace", "delete", namespace, expect="failure"
    )
    clients.openstack(
        "admin",
        "image",
        "metadef",
        "namespace",
        "set",
        namespace,
        "--private",
        "--unprotected",
        "--display-name",
        "Renamed",
    )
    shown = clients.openstack_json("admin", "image", "metadef", "namespace", "show", namespace)
    assert (shown["visibility"], shown["protected"]) == ("private", False)
    assert shown["display_name"] == "Renamed"
    as_reader = clients.openstack_json("consumer", "image", "metadef", "namespace", "list")
    assert namespace not in {row.get("Namespace", row.get("namespace")) for row in as_reader}

    clients.openstack("admin", "image", "metadef", "namespace", "delete", namespace)
    clients.openstack("admin", "image", "metadef", "namespace", "show", namespace, expect="failure")


def test_non_admin_cannot_create(clients: Clients) -> None:
    failed = clients.openstack(
        "producer", "image", "metadef", "namespace", "create", "Contract::Mine", expect="failure"
    )
    assert (
        "403" in failed.stderr or "Forbidden" in failed.stderr or "not authorized" in failed.stderr
    )


def test_objects(clients: Clients, namespace: str) -> None:
    base = ("image", "metadef", "object")
    made = clients.openstack_json("admin", *base, "create", "--namespace", namespace, "Disk")
    assert made["name"] == "Disk"
    listed = clients.openstack_json("admin", *base, "list", namespace)
    assert [row.get("name", row.get("Name")) for row in listed] == ["Disk"]
    shown = clients.openstack_json("admin", *base, "show", namespace, "Disk")
    assert shown["name"] == "Disk"
    clients.openstack("admin", *base, "update", namespace, "Disk", "--name", "Disk2")
    shown = clients.openstack_json("admin", *base, "show", namespace, "Disk2")
    assert shown["name"] == "Disk2"
    clients.openstack("admin", *base, "show", namespace, "Disk", expect="failure")
    # The namespace is protected: its objects stay.
    clients.openstack("admin", *base, "delete", namespace, "Disk2", expect="failure")
    clients.openstack("admin", "image", "metadef", "namespace", "set", namespace, "--unprotected")
    clients.openstack("admin", *base, "delete", namespace, "Disk2")
    assert clients.openstack_json("admin", *base, "list", namespace) == []


def test_properties(clients: Clients, namespace: str) -> None:
    base = ("image", "metadef", "property")
    made = clients.openstack_json(
        "admin",
        *base,
        "create",
        "--name",
        "speed",
        "--title",
        "Speed",
        "--type",
        "string",
        "--schema",
        json.dumps({"enum": ["slow", "fast"], "description": "How fast"}),
        namespace,
    )
    assert made["name"] == "speed" and made["title"] == "Speed"
    listed = clients.openstack_json("admin", *base, "list", namespace)
    assert [row.get("name", row.get("Name")) for row in listed] == ["speed"]
    shown = clients.openstack_json("admin", *base, "show", namespace, "speed")
    assert shown["enum"] == ["slow", "fast"]
    clients.openstack("admin", *base, "set", namespace, "speed", "--title", "Velocity")
    shown = clients.openstack_json("admin", *base, "show", namespace, "speed")
    assert shown["title"] == "Velocity"
    clients.openstack("admin", "image", "metadef", "namespace", "set", namespace, "--unprotected")
    clients.openstack("admin", *base, "delete", namespace, "speed")
    assert clients.openstack_json("admin", *base, "list", namespace) == []


def test_resource_types_and_associations(clients: Clients, namespace: str) -> None:
    types = clients.openstack_json("consumer", "image", "metadef", "resource", "type", "list")
    names = {row.get("Name", row.get("name")) for row in types}
    assert {"OS::Glance::Image", "OS::Nova::Flavor", "OS::Cinder::Volume"} <= names
    base = ("image", "metadef", "resource", "type", "association")
    made = clients.openstack_json(
        "admin", *base, "create", namespace, "OS::Glance::Image", "--properties-target", "image"
    )
    assert made["name"] == "OS::Glance::Image"
    listed = clients.openstack_json("admin", *base, "list", namespace)
    assert [row.get("Name", row.get("name")) for row in listed] == ["OS::Glance::Image"]
    clients.openstack("admin", "image", "metadef", "namespace", "set", namespace, "--unprotected")
    clients.openstack("admin", *base, "delete", namespace, "OS::Glance::Image")
    assert clients.openstack_json("admin", *base, "list", namespace) == []


def test_namespace_tags_and_object_property(clients: Clients, namespace: str) -> None:
    clients.openstack("admin", "image", "metadef", "namespace", "set", namespace, "--unprotected")
    clients.openstack("admin", "image", "metadef", "namespace", "set", namespace, "--tag", "gpu")
    shown = clients.openstack_json("admin", "image", "metadef", "namespace", "show", namespace)
    assert "gpu" in json.dumps(shown["tags"])
    clients.openstack("admin", "image", "metadef", "namespace", "unset", namespace, "--all-tags")
    shown = clients.openstack_json("admin", "image", "metadef", "namespace", "show", namespace)
    assert not shown.get("tags")
    clients.openstack("admin", "image", "metadef", "namespace", "delete", namespace)
