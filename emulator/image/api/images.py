"""``/v2/images`` and ``/v2/images/{id}``: glance/api/v2/images.py's controller."""

from __future__ import annotations

from urllib.parse import urljoin

from flask import Blueprint, Response, request

from emulator.core.http import bodies
from emulator.core.http.render import json_response, no_content
from emulator.core.http.request_scope import config, unit_of_work
from emulator.image.api.image_view import image_document
from emulator.image.api.list_links import first_link, next_link
from emulator.image.domain import patch
from emulator.image.services import images as image_service
from emulator.image.services import listing

bp = Blueprint("images", __name__)


@bp.post("/v2/images")
def create() -> Response:
    body = bodies.json_body()
    image = image_service.create(unit_of_work(), body)
    # webob makes Location absolute against the request URI (a path prefix is lost).
    location = urljoin(request.url, f"/v2/images/{image.id}")
    headers = {"Location": location}
    methods = config().enabled_import_methods
    if methods:  # ResponseSerializer.create: no empty header (RFC 7230)
        headers["OpenStack-image-import-methods"] = ",".join(methods)
    backends = config().enabled_backends
    if backends:  # in config order, as Glance joins enabled_backends' keys
        headers["OpenStack-image-store-ids"] = ",".join(b.split(":", 1)[0] for b in backends)
    return json_response(image_document(image), status=201, headers=headers)


@bp.get("/v2/images")
def index() -> Response:
    bodies.refuse_body()
    pairs = list(request.args.items(multi=True))  # every key and value, in order
    page = listing.list_images(unit_of_work(), pairs)
    payload = {
        "images": [image_document(image) for image in page.images],
        "first": first_link(pairs),
        "schema": "/v2/schemas/images",
    }
    if page.next_marker is not None:
        payload["next"] = next_link(pairs, page.next_marker)
    return json_response(payload)


@bp.get("/v2/images/<image_id>")
def show(image_id: str) -> Response:
    bodies.refuse_body()
    image = image_service.show(unit_of_work(), image_id)
    return json_response(image_document(image))


@bp.patch("/v2/images/<image_id>")
def update(image_id: str) -> Response:
    draft = patch.draft_for(request.headers.get("Content-Type"))  # 415 before the body
    body = bodies.json_body()
    image = image_service.update(unit_of_work(), image_id, draft, body)
    return json_response(image_document(image))


@bp.delete("/v2/images/<image_id>")
def delete(image_id: str) -> Response:
    bodies.refuse_body()
    image_service.delete(unit_of_work(), image_id)
    return no_content()
