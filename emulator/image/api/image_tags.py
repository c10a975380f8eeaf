"""``/v2/images/{id}/tags/{tag}``: glance/api/v2/image_tags.py."""

from __future__ import annotations

from flask import Blueprint, Response

from emulator.core.http import bodies
from emulator.core.http.render import no_content
from emulator.core.http.request_scope import unit_of_work
from emulator.image.services import images as image_service

bp = Blueprint("image_tags", __name__)


@bp.put("/v2/images/<image_id>/tags/<tag_value>")
def update(image_id: str, tag_value: str) -> Response:
    bodies.refuse_body()  # router.py connects this route with body_reject=True
    image_service.add_tag(unit_of_work(), image_id, tag_value)
    return no_content()


@bp.delete("/v2/images/<image_id>/tags/<tag_value>")
def delete(image_id: str, tag_value: str) -> Response:
    bodies.refuse_body()
    image_service.delete_tag(unit_of_work(), image_id, tag_value)
    return no_content()
