"""Nova's documents: version discovery, flavors, servers, limits, and their links.

Shapes from ``nova/api/openstack/compute/views/`` (``versions.py``, ``flavors.py``,
``servers.py``, ``limits.py``) and ``nova/api/openstack/common.py`` ``ViewBuilder`` (self
and bookmark links, ``next`` links), for the microversions served.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import request

from emulator.compute.domain import microversions
from emulator.compute.domain.flavors import Flavor
from emulator.compute.domain.microversions import Version
from emulator.compute.domain.servers import Server
from emulator.compute.services.limits import Limits
from emulator.core import clock
from emulator.core.http.urls import base_url

Document = dict[str, Any]
_MEDIA_TYPE = "application/vnd.openstack.compute+json;version="


def root() -> str:
    return base_url() + "/compute"


def _project_part(project_id: str | None) -> str:
    return f"/{project_id}" if project_id else ""


def links(collection: str, item_id: str, project_id: str | None) -> list[Document]:
    project = _project_part(project_id)
    return [
        {"rel": "self", "href": f"{root()}/v2.1{project}/{collection}/{item_id}"},
        {"rel": "bookmark", "href": f"{root()}{project}/{collection}/{item_id}"},
    ]


def bookmark(collection: str, item_id: str, project_id: str | None) -> list[Document]:
    href = f"{root()}{_project_part(project_id)}/{collection}/{item_id}"
    return [{"rel": "bookmark", "href": href}]


def next_links(
    collection: str, items: list[Any], limit: int, max_limit: int, project_id: str | None
) -> list[Document]:
    """``_get_collection_links``: a ``next`` link when the page is full."""
    if not items or min(limit, max_limit) != len(items):
        return []
    params = dict(sorted(request.args.items()))
    params["marker"] = items[-1].id
    href = f"{root()}/v2.1{_project_part(project_id)}/{collection}?{urlencode(params)}"
    return [{"rel": "next", "href": href}]


# --- versions ---------------------------------------------------------------------------


def _version_entry(version_id: str) -> Document:
    if version_id == "v2.0":
        return {"id": "v2.0", "status": "DEPRECATED", "version": "", "min_version": "",
                "updated": "2025-07-04T12:00:00Z"}  # fmt: skip
    return {"id": "v2.1", "status": "CURRENT", "version": str(microversions.MAXIMUM),
            "min_version": str(microversions.MINIMUM),
            "updated": "2013-07-23T11:33:21Z"}  # fmt: skip


def versions() -> Document:
    """``GET /compute/``: both versions, each with its ``self`` link."""
    return {
        "versions": [
            {**_version_entry(v), "links": [{"rel": "self", "href": f"{root()}/{path}/"}]}
            for v, path in (("v2.0", "v2"), ("v2.1", "v2.1"))
        ]
    }


def version_v21() -> Document:
    """``GET /compute/v2.1/``: ``build_version``."""
    return {
        "version": {
            **_version_entry("v2.1"),
            "links": [
                {"rel": "self", "href": f"{root()}/v2.1/"},
                {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"},
            ],
            "media-types": [{"base": "application/json", "type": _MEDIA_TYPE + "2.1"}],
        }
    }


# --- flavors ----------------------------------------------------------------------------


def flavor_basic(flavor: Flavor, version: Version, project_id: str | None) -> Document:
    doc: Document = {"id": flavor.id, "name": flavor.name}
    if version.at_least("2.55"):
        doc["description"] = flavor.description
    doc["links"] = links("flavors", flavor.id, project_id)
    return doc


def flavor_detail(flavor: Flavor, version: Version, project_id: str | None) -> Document:
    """``views/flavors.py`` ``show``: ``swap`` and ``rxtx_factor`` are "" when falsy."""
    doc: Document = {
        "id": flavor.id,
        "name": flavor.name,
        "ram": flavor.ram,
        "disk": flavor.disk,
        "swap": flavor.swap or "",
        "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral,
        "OS-FLV-DISABLED:disabled": flavor.disabled,
        "vcpus": flavor.vcpus,
        "os-flavor-access:is_public": flavor.is_public,
        "rxtx_factor": flavor.rxtx_factor or "",
    }
    if version.at_least("2.55"):
        doc["description"] = flavor.description
    doc["links"] = links("flavors", flavor.id, project_id)
    return doc


# --- servers ----------------------------------------------------------------------------


def server_basic(server: Server, project_id: str | None) -> Document:
    return {"id": server.id, "name": server.name, "links": links("servers", server.id, project_id)}


def _flavor(server: Server, version: Version, project_id: str | None) -> Document:
    kept = server.flavor
    if version.at_least("2.47"):
        return {
            "vcpus": kept["vcpus"],
            "ram": kept["ram"],
            "disk": kept["disk"],
            "ephemeral": kept["ephemeral"],
            "swap": kept["swap"],
            "original_name": kept["original_name"],
            "extra_specs": dict(kept.get("extra_specs") or {}),
        }
    return {"id": kept["id"], "links": bookmark("flavors", kept["id"], project_id)}


def _launched(value: str | None) -> str | None:
    """``str(datetime)`` of a naive timestamp, as Nova renders ``launched_at``."""
    if value is None:
        return None
    return clock.from_storage(value).replace(tzinfo=None).isoformat(sep=" ")


def server_detail(
    server: Server, version: Version, project_id: str | None, full: bool = True
) -> Document:
    """``views/servers.py`` ``show`` for a non-admin caller. ``full=False``: the reduced
    view ``update`` and ``rebuild`` answer with below 2.75 (no AZ, config drive, key,
    usage times, security groups, extended status or volumes; plain addresses)."""
    building = server.vm_state == "building"
    doc: Document = {
        "id": server.id,
        "name": server.name,
        "status": server.status,
        "tenant_id": server.project_id,
        "user_id": server.user_id,
        "metadata": dict(server.metadata),
        "hostId": server.host_id,
        "image": {
            "id": server.image_ref,
            "links": bookmark("images", server.image_ref, project_id),
        },
        "flavor": _flavor(server, version, project_id),
        "created": clock.isotime(server.created_at),
        "updated": clock.isotime(server.updated_at),
        "addresses": {} if building else _addresses(server.addresses, full),
        "accessIPv4": server.access_ipv4,
        "accessIPv6": server.access_ipv6,
        "links": links("servers", server.id, project_id),
        "OS-DCF:diskConfig": server.disk_config,
    }
    if server.status in ("ERROR", "DELETED") and server.fault:
        fault = server.fault
        doc["fault"] = {
            "code": fault["code"],
            "created": clock.isotime(fault["created"]),
            "message": fault["message"],
        }
    if server.status in ("ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"):
        doc["progress"] = 0
    if not full:
        return _later_fields(doc, server, version)
    doc["OS-EXT-AZ:availability_zone"] = "" if building else server.availability_zone
    doc["config_drive"] = server.config_drive
    doc["key_name"] = server.key_name
    doc["OS-SRV-USG:launched_at"] = _launched(server.launched_at)
    doc["OS-SRV-USG:terminated_at"] = None
    if server.networks != "none" and not building:
        doc["security_groups"] = list(server.security_groups)
    doc["OS-EXT-STS:task_state"] = server.task_state
    doc["OS-EXT-STS:vm_state"] = server.vm_state
    doc["OS-EXT-STS:power_state"] = server.power_state
    doc["os-extended-volumes:volumes_attached"] = []
    return _later_fields(doc, server, version)


def _addresses(addresses: dict[str, list[Document]], extended: bool) -> dict[str, Any]:
    if extended:
        return addresses
    return {
        net: [{"version": a["version"], "addr": a["addr"]} for a in items]
        for net, items in addresses.items()
    }


def _later_fields(doc: Document, server: Server, version: Version) -> Document:
    if version.at_least("2.9"):
        doc["locked"] = False
    if version.at_least("2.19"):
        doc["description"] = server.description
    if version.at_least("2.26"):
        doc["tags"] = list(server.tags)
    return doc


def server_created(server: Server, admin_pass: str, project_id: str | None) -> Document:
    """``views/servers.py`` ``create``: what ``POST /servers`` answers (202)."""
    return {
        "server": {
            "id": server.id,
            "links": links("servers", server.id, project_id),
            "OS-DCF:diskConfig": server.disk_config,
            "security_groups": list(server.security_groups),
            "adminPass": admin_pass,
        }
    }


# --- limits -----------------------------------------------------------------------------


def limits(found: Limits, version: Version) -> Document:
    """``views/limits.py``; the network and personality entries of older versions."""
    q, used = found.limits, found.used
    absolute: Document = {
        "maxTotalInstances": q.instances,
        "maxTotalCores": q.cores,
        "maxTotalRAMSize": q.ram,
        "maxTotalKeypairs": 100,
        "maxServerMeta": 128,
        "maxImageMeta": 128,
        "maxServerGroups": 10,
        "maxServerGroupMembers": 10,
        "totalInstancesUsed": used.instances,
        "totalCoresUsed": used.cores,
        "totalRAMUsed": used.ram,
        "totalServerGroupsUsed": 0,
    }
    if not version.at_least("2.36"):
        absolute.update({"maxTotalFloatingIps": -1, "maxSecurityGroups": -1,
                         "maxSecurityGroupRules": -1, "totalFloatingIpsUsed": 0,
                         "totalSecurityGroupsUsed": 0})  # fmt: skip
    if not version.at_least("2.57"):
        absolute.update({"maxPersonality": 5, "maxPersonalitySize": 10240})
    return {"limits": {"rate": [], "absolute": absolute}}
