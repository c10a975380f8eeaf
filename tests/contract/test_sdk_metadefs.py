"""openstacksdk's ``metadef_*`` calls against a live emulator."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from openstack import exceptions

if TYPE_CHECKING:
    from tests.contract.conftest import Clients

pytestmark = pytest.mark.contract


def test_sdk_metadefs_round_trip(clients: Clients) -> None:
    conn = clients.sdk("admin")
    name = f"Contract::SDK::{uuid.uuid4().hex[:8]}"
    names = {ns.namespace for ns in conn.image.metadef_namespaces()}
    assert {"OS::Compute::Watchdog", "OS::OperatingSystem"} <= names

    ns = conn.image.create_metadef_namespace(namespace=name, visibility="public", protected=True)
    assert (ns.namespace, ns.visibility, ns.is_protected) == (name, "public", True)
    fetched = conn.image.get_metadef_namespace(name)
    assert fetched.namespace == name
    conn.image.update_metadef_namespace(name, namespace=name, display_name="SDK", protected=False)
    assert conn.image.get_metadef_namespace(name).display_name == "SDK"

    obj = conn.image.create_metadef_object(name, name="Disk", description="d")
    assert obj.name == "Disk"
    assert [o.name for o in conn.image.metadef_objects(name)] == ["Disk"]
    assert conn.image.get_metadef_object("Disk", name).description == "d"
    conn.image.update_metadef_object("Disk", name, name="Disk", description="e")
    assert conn.image.get_metadef_object("Disk", name).description == "e"
    conn.image.delete_metadef_object("Disk", name)
    conn.image.create_metadef_object(name, name="Other")
    conn.image.delete_all_metadef_objects(name)
    assert list(conn.image.metadef_objects(name)) == []

    prop = conn.image.create_metadef_property(name, name="speed", title="Speed", type="string")
    assert prop.name == "speed"
    assert [p.name for p in conn.image.metadef_properties(name)] == ["speed"]
    assert conn.image.get_metadef_property("speed", name).title == "Speed"
    conn.image.update_metadef_property("speed", name, name="speed", title="Rate", type="string")
    assert conn.image.get_metadef_property("speed", name).title == "Rate"
    conn.image.delete_metadef_property("speed", name)
    conn.image.create_metadef_property(name, name="p2", title="P", type="string")
    conn.image.delete_all_metadef_properties(name)
    assert list(conn.image.metadef_properties(name)) == []

    conn.image.add_tag_to_metadef_namespace(name, "gpu")
    assert [t["name"] for t in conn.image.get_metadef_namespace(name).tags] == ["gpu"]
    conn.image.remove_tag_from_metadef_namespace(name, "gpu")
    conn.image.add_tag_to_metadef_namespace(name, "ssd")
    conn.image.remove_tags_from_metadef_namespace(name)
    # Glance (and the emulator) leave "tags" out when there are none, and the SDK then keeps
    # the list it had: ask the server itself.
    raw = conn.image.get(f"/metadefs/namespaces/{name}").json()
    assert "tags" not in raw

    types = {rt.name for rt in conn.image.metadef_resource_types()}
    assert {"OS::Glance::Image", "OS::Nova::Flavor", "OS::Cinder::Volume"} <= types
    assoc = conn.image.create_metadef_resource_type_association(
        name, name="OS::Nova::Flavor", prefix="hw:"
    )
    assert (assoc.name, assoc.prefix) == ("OS::Nova::Flavor", "hw:")
    linked = list(conn.image.metadef_resource_type_associations(name))
    assert [a.name for a in linked] == ["OS::Nova::Flavor"]
    conn.image.delete_metadef_resource_type_association("OS::Nova::Flavor", name)
    assert list(conn.image.metadef_resource_type_associations(name)) == []

    conn.image.delete_metadef_namespace(name)
    with pytest.raises(exceptions.NotFoundException):
        conn.image.get_metadef_namespace(name)


def test_sdk_errors(clients: Clients) -> None:
    admin = clients.sdk("admin")
    with pytest.raises(exceptions.ConflictException):
        admin.image.create_metadef_namespace(namespace="OS::Compute::Watchdog")
    with pytest.raises(exceptions.ForbiddenException):
        admin.image.delete_metadef_namespace("OS::Compute::Watchdog")
    with pytest.raises(exceptions.BadRequestException):
        admin.image.create_metadef_namespace(namespace="x", visibility="bogus")
    producer = clients.sdk("producer")
    with pytest.raises(exceptions.ForbiddenException):
        producer.image.create_metadef_namespace(namespace="Contract::SDK::Mine")
    assert "OS::Compute::Watchdog" in {n.namespace for n in producer.image.metadef_namespaces()}
