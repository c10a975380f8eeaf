"""Flavors (``nova/api/openstack/compute/flavors.py``): list, detail, show."""

from __future__ import annotations

from flask import Response

from emulator.compute.api import documents
from emulator.compute.api.blueprint import check_project, route, version
from emulator.compute.api.query import limit_and_marker, one
from emulator.compute.services import flavors
from emulator.core import errors
from emulator.core.http.render import json_response
from emulator.core.http.request_scope import unit_of_work

_SORT_DIRS = ("asc", "desc")


def _query() -> tuple[flavors.FlavorQuery, int]:
    limit, marker = limit_and_marker(flavors.MAX_LIMIT)
    sort_key, sort_dir = one("sort_key"), one("sort_dir")
    if sort_key is not None and sort_key not in flavors.SORT_KEYS:
        raise errors.BadRequest(
            f"Invalid input for query parameters sort_key. Value: {sort_key}. "
            f"'{sort_key}' is not one of {sorted(flavors.SORT_KEYS)}"
        )
    if sort_dir is not None and sort_dir not in _SORT_DIRS:
        raise errors.BadRequest(
            f"Invalid input for query parameters sort_dir. Value: {sort_dir}. "
            f"'{sort_dir}' is not one of {list(_SORT_DIRS)}"
        )
    query = flavors.FlavorQuery(
        is_public=one("is_public"),
        min_ram=one("minRam"),
        min_disk=one("minDisk"),
        sort_key=sort_key,
        sort_dir=sort_dir,
        limit=limit,
        marker=marker,
    )
    return query, limit


def _list(detail: bool, project_id: str | None) -> Response:
    check_project(project_id)
    query, limit = _query()
    found = flavors.list_flavors(unit_of_work(), query)
    render = documents.flavor_detail if detail else documents.flavor_basic
    doc: dict[str, object] = {"flavors": [render(f, version(), project_id) for f in found]}
    collection = "flavors/detail" if detail else "flavors"
    more = documents.next_links(collection, found, limit, flavors.MAX_LIMIT, project_id)
    if more:
        doc["flavors_links"] = more
    return json_response(doc)


@route("/flavors", ["GET"])
def list_flavors(project_id: str | None = None) -> Response:
    return _list(False, project_id)


@route("/flavors/detail", ["GET"])
def list_flavors_detail(project_id: str | None = None) -> Response:
    return _list(True, project_id)


@route("/flavors/<flavor_id>", ["GET"])
def show_flavor(flavor_id: str, project_id: str | None = None) -> Response:
    check_project(project_id)
    flavor = flavors.show(unit_of_work(), flavor_id)
    return json_response({"flavor": documents.flavor_detail(flavor, version(), project_id)})
