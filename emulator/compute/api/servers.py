"""Servers (``nova/api/openstack/compute/servers.py`` ServersController): create, list,
detail, show, update, delete."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Response, request

from emulator.compute.api import documents
from emulator.compute.api.blueprint import check_project, json_body, route, version
from emulator.compute.api.query import limit_and_marker, one
from emulator.compute.domain import request_schemas
from emulator.compute.services import flavors, servers
from emulator.core import errors
from emulator.core.http.render import json_response, no_content
from emulator.core.http.request_scope import unit_of_work

#: Query keys a non-admin may filter on at the versions served
#: (``_get_server_search_options``); other known keys are dropped silently
#: (``remove_invalid_options``), and so are unknown ones below 2.75.
_FILTERS = ("reservation_id", "name", "status", "image", "flavor", "ip", "changes-since",
            "all_tenants", "ip6", "tags", "tags-any", "not-tags", "not-tags-any")  # fmt: skip


def _boolean(value: Any) -> bool:
    return str(value).lower() in ("true", "1", "on", "yes")


def _create_request(body: dict[str, Any]) -> servers.CreateRequest:
    """The validated body as plain values; the image from ``imageRef`` or, when that is
    empty, the boot-index-0 image mapping (``_image_from_req_data``)."""
    server = body["server"]
    image_ref = server.get("imageRef") or ""
    if not image_ref:
        for mapping in server.get("block_device_mapping_v2") or []:
            if mapping.get("source_type") == "image" and str(mapping.get("boot_index")) == "0":
                image_ref = str(mapping.get("uuid") or mapping.get("image_id") or "")
                if mapping.get("destination_type") == "volume":
                    raise errors.BadRequest("Block storage (volumes) is not emulated.")
        if not image_ref:
            if server.get("block_device_mapping_v2") or server.get("block_device_mapping"):
                raise errors.BadRequest("Booting from volume is not emulated.")
            raise errors.BadRequest("Missing imageRef attribute")
    for key in ("min_count", "max_count"):
        if key in server and int(server[key]) != 1:
            # Nova boots several servers in one request; the emulator one at a time.
            raise errors.BadRequest(f"{key} other than 1 is not emulated.")
    networks = server.get("networks", "auto")
    return servers.CreateRequest(
        name=server["name"],
        flavor_ref=str(server["flavorRef"]),
        image_ref=image_ref,
        networks=networks,
        description=server.get("description"),
        metadata=server.get("metadata") or {},
        security_groups=server.get("security_groups") or [],
        tags=server.get("tags") or [],
        key_name=server.get("key_name"),
        availability_zone=server.get("availability_zone"),
        config_drive=_boolean(server.get("config_drive", False)),
        access_ipv4=server.get("accessIPv4", ""),
        access_ipv6=server.get("accessIPv6", ""),
        disk_config=server.get("OS-DCF:diskConfig", "MANUAL"),
    )


@route("/servers", ["POST"])
def create_server(project_id: str | None = None) -> Response:
    body = json_body()
    check_project(project_id)
    request_schemas.validate_create(body, version())
    server = servers.create(unit_of_work(), _create_request(body))
    admin_pass = body["server"].get("adminPass") or secrets.token_urlsafe(9)
    doc = documents.server_created(server, admin_pass, project_id)
    location = doc["server"]["links"][0]["href"]
    return json_response(doc, status=202, headers={"Location": location})


def _query() -> tuple[servers.ServerQuery, int]:
    if version().at_least("2.75"):  # pragma: no cover - above the versions served
        raise AssertionError
    limit, marker = limit_and_marker(flavors.MAX_LIMIT)
    return (
        servers.ServerQuery(
            name=one("name"),
            statuses=tuple(request.args.getlist("status")),
            strict_status=version().at_least("2.38"),
            image=_last_segment(one("image")),
            flavor=_last_segment(one("flavor")),
            all_tenants="all_tenants" in request.args,
            limit=limit,
            marker=marker,
        ),
        limit,
    )


def _last_segment(value: str | None) -> str | None:
    """Nova accepts an image or flavor href as well as an id (``common.get_id_from_href``)."""
    return None if value is None else value.rstrip("/").rsplit("/", 1)[-1]


def _list(detail: bool, project_id: str | None) -> Response:
    check_project(project_id)
    query, limit = _query()
    found = servers.listing(unit_of_work(), query)
    if detail:
        items = [documents.server_detail(s, version(), project_id) for s in found]
    else:
        items = [documents.server_basic(s, project_id) for s in found]
    doc: dict[str, Any] = {"servers": items}
    collection = "servers/detail" if detail else "servers"
    more = documents.next_links(collection, found, limit, flavors.MAX_LIMIT, project_id)
    if more:
        doc["servers_links"] = more
    return json_response(doc)


@route("/servers", ["GET"])
def list_servers(project_id: str | None = None) -> Response:
    return _list(False, project_id)


@route("/servers/detail", ["GET"])
def list_servers_detail(project_id: str | None = None) -> Response:
    return _list(True, project_id)


@route("/servers/<server_id>", ["GET"])
def show_server(server_id: str, project_id: str | None = None) -> Response:
    check_project(project_id)
    server = servers.load(unit_of_work(), server_id)
    return json_response({"server": documents.server_detail(server, version(), project_id)})


_UPDATE_FIELDS = {"name": "name", "description": "description", "accessIPv4": "access_ipv4",
                  "accessIPv6": "access_ipv6", "OS-DCF:diskConfig": "disk_config"}  # fmt: skip


@route("/servers/<server_id>", ["PUT"])
def update_server(server_id: str, project_id: str | None = None) -> Response:
    body = json_body()
    check_project(project_id)
    request_schemas.validate_update(body, version())
    changes = {_UPDATE_FIELDS[k]: v for k, v in body["server"].items()}
    server = servers.rename(unit_of_work(), server_id, changes)
    doc = documents.server_detail(server, version(), project_id, full=False)
    return json_response({"server": doc})


@route("/servers/<server_id>", ["DELETE"])
def delete_server(server_id: str, project_id: str | None = None) -> Response:
    check_project(project_id)
    servers.delete(unit_of_work(), server_id)
    return no_content()
