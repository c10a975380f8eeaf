"""``/v2/metadefs/namespaces[/{ns}]`` and the delete-all routes of a namespace's content
(glance/api/v2/metadef_namespaces.py, routes in glance/api/v2/router.py)."""

from __future__ import annotations

from urllib.parse import urlencode, urljoin

from flask import Blueprint, Response, request

from emulator.core.http import bodies
from emulator.core.http.render import json_response, no_content
from emulator.core.http.request_scope import unit_of_work
from emulator.metadefs.api.views import association_document, namespace_document, namespace_href
from emulator.metadefs.services import namespaces as service

bp = Blueprint("metadef_namespaces", __name__)
BASE = "/v2/metadefs/namespaces"


def _params() -> dict[str, str]:
    """``dict(request.params)``: the last value of each key, in first-seen order."""
    params: dict[str, str] = {}
    for key, value in request.args.items(multi=True):
        params[key] = value
    return params


@bp.get(BASE)
def index() -> Response:
    params = _params()
    page = service.list_namespaces(unit_of_work(), params)
    items = []
    for ns in page.namespaces:
        doc = namespace_document(ns)
        links = page.associations.get(ns.id or 0)
        if links:
            doc = _with_associations(doc, [association_document(a) for a in links])
        items.append(doc)
    rest = {k: v for k, v in params.items() if k != "marker"}
    query = urlencode(rest)
    # WSME's order for ``Namespaces``: namespaces, next, schema, first.
    payload: dict[str, object] = {"namespaces": items}
    if page.next_marker is not None:
        payload["next"] = f"{BASE}?{urlencode({**rest, 'marker': page.next_marker})}"
    payload["schema"] = "/v2/schemas/metadefs/namespaces"
    payload["first"] = f"{BASE}?{query}" if query else BASE
    return json_response(payload)


def _with_associations(doc: dict[str, object], links: list[dict[str, object]]) -> dict[str, object]:
    """Associations sit after the timestamps, as in the model."""
    ordered: dict[str, object] = {}
    for key, value in doc.items():
        if key == "self":
            ordered["resource_type_associations"] = links
        ordered[key] = value
    return ordered


@bp.post(BASE)
def create() -> Response:
    detail = service.create(unit_of_work(), bodies.json_body())
    location = urljoin(request.url, namespace_href(detail.namespace.namespace))
    return json_response(
        namespace_document(detail.namespace, detail), status=201, headers={"Location": location}
    )


@bp.get(f"{BASE}/<namespace>")
def show(namespace: str) -> Response:
    bodies.refuse_body()
    resource_type = request.args.get("resource_type")
    detail = service.show(unit_of_work(), namespace, resource_type)
    return json_response(namespace_document(detail.namespace, detail))


@bp.put(f"{BASE}/<namespace>")
def update(namespace: str) -> Response:
    ns = service.update(unit_of_work(), namespace, bodies.json_body())
    return json_response(namespace_document(ns))


@bp.delete(f"{BASE}/<namespace>")
def delete(namespace: str) -> Response:
    bodies.refuse_body()
    service.delete(unit_of_work(), namespace)
    return no_content()


@bp.delete(f"{BASE}/<namespace>/objects")
def delete_objects(namespace: str) -> Response:
    service.delete_contents(unit_of_work(), namespace, "objects")
    return no_content()


@bp.delete(f"{BASE}/<namespace>/properties")
def delete_properties(namespace: str) -> Response:
    service.delete_contents(unit_of_work(), namespace, "properties")
    return no_content()


@bp.delete(f"{BASE}/<namespace>/tags")
def delete_tags(namespace: str) -> Response:
    service.delete_contents(unit_of_work(), namespace, "tags")
    return no_content()
