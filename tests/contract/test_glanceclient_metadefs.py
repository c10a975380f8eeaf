"""``glance md-*`` (python-glanceclient) against a live emulator.

glanceclient validates what it sends against the schemas the emulator serves at
``/v2/schemas/metadefs/...`` and prints what comes back; every md-* command is run.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.contract.conftest import Clients

pytestmark = pytest.mark.contract


def _props(result: object) -> dict[str, str]:
    return result.glance_properties()  # type: ignore[attr-defined, no-any-return]


def test_namespace_objects_properties_tags_and_types(clients: Clients, tmp_path: Path) -> None:
    ns = f"Contract::Glance::{uuid.uuid4().hex[:8]}"
    made = _props(clients.glance("admin", "md-namespace-create", ns, "--visibility", "public"))
    assert made["namespace"] == ns and made["visibility"] == "public"
    listed = clients.glance("consumer", "md-namespace-list")
    assert ns in listed.stdout and "OS::Compute::Watchdog" in listed.stdout
    _props(clients.glance("admin", "md-namespace-update", ns, "--display-name", "Lab"))
    shown = _props(clients.glance("admin", "md-namespace-show", ns))
    assert shown["display_name"] == "Lab"

    schema = {"properties": {"bus": {"title": "Bus", "type": "string", "enum": ["virtio"]}}}
    obj = _props(
        clients.glance(
            "admin", "md-object-create", ns, "--name", "Disk", "--schema", json.dumps(schema)
        )
    )
    assert obj["name"] == "Disk"
    assert "Disk" in clients.glance("admin", "md-object-list", ns).stdout
    assert _props(clients.glance("admin", "md-object-show", ns, "Disk"))["name"] == "Disk"
    prop = _props(clients.glance("admin", "md-object-property-show", ns, "Disk", "bus"))
    assert prop["title"] == "Bus"
    clients.glance("admin", "md-object-update", ns, "Disk", "--name", "Disk2")
    assert _props(clients.glance("admin", "md-object-show", ns, "Disk2"))["name"] == "Disk2"
    clients.glance("admin", "md-object-delete", ns, "Disk2")
    clients.glance("admin", "md-object-create", ns, "--name", "Again", "--schema", "{}")
    clients.glance("admin", "md-namespace-objects-delete", ns)
    assert "Again" not in clients.glance("admin", "md-object-list", ns).stdout

    made_prop = _props(
        clients.glance(
            "admin",
            "md-property-create",
            ns,
            "--name",
            "speed",
            "--title",
            "Speed",
            "--type",
            "integer",
            "--schema",
            json.dumps({"minimum": 1}),
        )
    )
    assert made_prop["name"] == "speed"
    assert "speed" in clients.glance("admin", "md-property-list", ns).stdout
    assert _props(clients.glance("admin", "md-property-show", ns, "speed"))["title"] == "Speed"
    clients.glance("admin", "md-property-update", ns, "speed", "--title", "Velocity")
    assert _props(clients.glance("admin", "md-property-show", ns, "speed"))["title"] == "Velocity"
    clients.glance("admin", "md-property-delete", ns, "speed")
    clients.glance(
        "admin",
        "md-property-create",
        ns,
        "--name",
        "p2",
        "--title",
        "P",
        "--type",
        "string",
        "--schema",
        "{}",
    )
    clients.glance("admin", "md-namespace-properties-delete", ns)
    assert "p2" not in clients.glance("admin", "md-property-list", ns).stdout

    clients.glance("admin", "md-tag-create", ns, "--name", "first")
    clients.glance("admin", "md-tag-create-multiple", ns, "--names", "a,b")
    tags = clients.glance("admin", "md-tag-list", ns).stdout
    assert "a" in tags and "b" in tags and "first" not in tags  # bulk create replaced it
    # `md-tag-create-multiple --append` fails inside glanceclient 4.13 before any request
    # (it sends the header value True, a bool, and quoting it raises): the header is
    # covered by tests/api/test_metadefs_contents.py instead.
    clients.glance("admin", "md-tag-create", ns, "--name", "c")
    assert "c" in clients.glance("admin", "md-tag-list", ns).stdout
    assert _props(clients.glance("admin", "md-tag-show", ns, "a"))["name"] == "a"
    clients.glance("admin", "md-tag-update", ns, "a", "--name", "z")
    assert _props(clients.glance("admin", "md-tag-show", ns, "z"))["name"] == "z"
    clients.glance("admin", "md-tag-delete", ns, "z")
    clients.glance("admin", "md-namespace-tags-delete", ns)
    assert clients.glance("admin", "md-tag-list", ns).glance_table()[1:] == []

    types = clients.glance("consumer", "md-resource-type-list").stdout
    assert "OS::Nova::Flavor" in types and "OS::Glance::Image" in types
    clients.glance(
        "admin", "md-resource-type-associate", ns, "--name", "OS::Glance::Image", "--prefix", "x_"
    )
    assert "x_" in clients.glance("admin", "md-namespace-resource-type-list", ns).stdout
    clients.glance("admin", "md-resource-type-deassociate", ns, "OS::Glance::Image")
    assert (
        "OS::Glance::Image"
        not in clients.glance("admin", "md-namespace-resource-type-list", ns).stdout
    )

    clients.glance("admin", "md-namespace-delete", ns)
    clients.glance("admin", "md-namespace-show", ns, expect="failure")

    document = {
        "namespace": ns + "::Imported",
        "visibility": "public",
        "properties": {"p": {"title": "P", "type": "string"}},
        "objects": [{"name": "o"}],
        "tags": [{"name": "t"}],
    }
    path = tmp_path / "ns.json"
    path.write_text(json.dumps(document))
    imported = _props(clients.glance("admin", "md-namespace-import", "--file", str(path)))
    assert imported["namespace"] == ns + "::Imported"
    clients.glance("admin", "md-namespace-delete", ns + "::Imported")


def test_non_admin_writes_fail(clients: Clients) -> None:
    failed = clients.glance("producer", "md-namespace-create", "Contract::Nope", expect="failure")
    assert "403" in failed.stderr or "Forbidden" in failed.stderr
    failed = clients.glance(
        "producer", "md-tag-create", "OS::Compute::Watchdog", "--name", "x", expect="failure"
    )
    assert "403" in failed.stderr or "Forbidden" in failed.stderr
