"""``/v2/metadefs/resource_types`` and a namespace's resource-type associations
(glance/api/v2/metadef_resource_types.py)."""

from __future__ import annotations

from flask import Blueprint, Response

from emulator.core.http import bodies
from emulator.core.http.render import json_response, no_content
from emulator.core.http.request_scope import unit_of_work
from emulator.metadefs.api.views import association_document, resource_type_document
from emulator.metadefs.services import resource_types as service

bp = Blueprint("metadef_resource_types", __name__)
NS = "/v2/metadefs/namespaces/<namespace>"


@bp.get("/v2/metadefs/resource_types")
def index() -> Response:
    bodies.refuse_body()
    found = service.list_resource_types(unit_of_work())
    return json_response({"resource_types": [resource_type_document(rt) for rt in found]})


@bp.get(f"{NS}/resource_types")
def list_associations(namespace: str) -> Response:
    bodies.refuse_body()
    found = service.list_associations(unit_of_work(), namespace)
    return json_response({"resource_type_associations": [association_document(a) for a in found]})


@bp.post(f"{NS}/resource_types")
def associate(namespace: str) -> Response:
    assoc = service.associate(unit_of_work(), namespace, bodies.json_body())
    return json_response(association_document(assoc), status=201)


@bp.delete(f"{NS}/resource_types/<resource_type>")
def dissociate(namespace: str, resource_type: str) -> Response:
    bodies.refuse_body()
    service.dissociate(unit_of_work(), namespace, resource_type)
    return no_content()
