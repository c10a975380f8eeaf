"""``/v2/info/import``, ``/v2/info/stores``, ``/v2/info/stores/detail``, ``/v2/info/usage``
(glance/api/v2/discovery.py; routes in glance/api/v2/router.py)."""

from __future__ import annotations

from flask import Blueprint, Response

from emulator.core.http import bodies
from emulator.core.http.render import json_response
from emulator.core.http.request_scope import unit_of_work
from emulator.image.services import discovery

bp = Blueprint("discovery", __name__)


@bp.get("/v2/info/import")
def get_image_import() -> Response:
    bodies.refuse_body()
    return json_response(discovery.import_info(unit_of_work()))


@bp.get("/v2/info/stores")
def get_stores() -> Response:
    bodies.refuse_body()
    return json_response(discovery.stores(unit_of_work()))


@bp.get("/v2/info/stores/detail")
def get_stores_detail() -> Response:
    bodies.refuse_body()
    return json_response(discovery.stores_detail(unit_of_work()))


@bp.get("/v2/info/usage")
def get_usage() -> Response:
    # router.py connects /info/usage without body_reject and without a reject route.
    return json_response(discovery.usage(unit_of_work()))
