"""The built-in metadef catalog files: valid create bodies, in our own words."""

from __future__ import annotations

from emulator.metadefs.services import catalog

KNOWN_TYPES = {"OS::Glance::Image", "OS::Cinder::Volume", "OS::Nova::Flavor"}


def test_catalog_files_are_valid_namespaces() -> None:
    found = catalog.builtin_namespaces()
    assert [n["namespace"] for n in found] == [
        "OS::Compute::VirtCPUTopology",
        "OS::Compute::LibvirtImage",
        "OS::Compute::RandomNumberGenerator",
        "OS::Compute::Watchdog",
        "OS::OperatingSystem",
    ]
    for body in found:
        assert body["visibility"] == "public" and body["protected"] is True
        assert "owner" not in body  # the loader sets it
        assert {a["name"] for a in body["resource_type_associations"]} <= KNOWN_TYPES
        for name, prop in body["properties"].items():
            assert prop["title"] and prop["type"] and prop["description"], name
        # Our own words: no links to Glance's documentation pages.
        assert "docs.openstack.org/admin-guide" not in str(body)


def test_callers_get_copies() -> None:
    first = catalog.builtin_namespaces()
    first[0]["namespace"] = "changed"
    assert catalog.builtin_namespaces()[0]["namespace"] == "OS::Compute::VirtCPUTopology"
