"""``/v2/images/{id}/actions/deactivate|reactivate``: glance/api/v2/image_actions.py."""

from __future__ import annotations

from flask import Blueprint, Response

from emulator.core.http import bodies
from emulator.core.http.render import no_content
from emulator.core.http.request_scope import unit_of_work
from emulator.image.services import images as image_service

bp = Blueprint("image_actions", __name__)


@bp.post("/v2/images/<image_id>/actions/deactivate")
def deactivate(image_id: str) -> Response:
    bodies.refuse_body()
    image_service.deactivate(unit_of_work(), image_id)
    return no_content()


@bp.post("/v2/images/<image_id>/actions/reactivate")
def reactivate(image_id: str) -> Response:
    bodies.refuse_body()
    image_service.reactivate(unit_of_work(), image_id)
    return no_content()
