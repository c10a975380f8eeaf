"""``/v2/images`` and ``/v2/images/{id}``: glance/api/v2/images.py's controller."""

from __future__ import annotations

from urllib.parse import urljoin

from flask import Blueprint, Response, current_app, request

from emulator.core.http import bodies
from emulator.core.http.render import json_response, no_content
from emulator.core.http.request_scope import db
from emulator.identity.api.auth import current_context
from emulator.image.api.image_view import image_document
from emulator.image.services import images as image_service
from emulator.image.services import listing

bp = Blueprint("images", __name__)


def _config():  # noqa: ANN202
    return current_app.config["EMULATOR"]


def _blobs():  # noqa: ANN202
    return current_app.extensions["emulator.blobs"]


@bp.post("/v2/images")
def create() -> Response:
    body = bodies.json_body()
    image = image_service.create(db(), current_context(), _config(), body)
    # webob makes Location absolute against the request URI (a path prefix is lost).
    location = urljoin(request.url, f"/v2/images/{image.id}")
    return json_response(image_document(image), status=201, headers={"Location": location})


@bp.get("/v2/images")
def index() -> Response:
    bodies.refuse_body()
    page = listing.list_images(db(), current_context(), _config(), request.args)
    payload = {
        "images": [image_document(image) for image in page.images],
        "first": page.first,
        "schema": "/v2/schemas/images",
    }
    if page.next is not None:
        payload["next"] = page.next
    return json_response(payload)


@bp.get("/v2/images/<image_id>")
def show(image_id: str) -> Response:
    bodies.refuse_body()
    image = image_service.show(db(), current_context(), _config(), image_id)
    return json_response(image_document(image))


@bp.patch("/v2/images/<image_id>")
def update(image_id: str) -> Response:
    from emulator.image.domain import patch

    patch.draft_for(request.headers.get("Content-Type"))  # 415 before reading the body
    body = bodies.json_body()
    image = image_service.update(
        db(), current_context(), _config(), image_id, request.headers.get("Content-Type"), body
    )
    return json_response(image_document(image))


@bp.delete("/v2/images/<image_id>")
def delete(image_id: str) -> Response:
    bodies.refuse_body()
    image_service.delete(db(), current_context(), _config(), _blobs(), image_id)
    return no_content()
