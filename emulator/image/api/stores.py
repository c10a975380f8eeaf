"""``DELETE /v2/stores/{store_id}/{image_id}``: glance/api/v2/images.py
``delete_from_store`` (API 2.10, several stores only)."""

from __future__ import annotations

from flask import Blueprint, Response

from emulator.core.http import bodies
from emulator.core.http.render import no_content
from emulator.core.http.request_scope import unit_of_work
from emulator.image.services import stores

bp = Blueprint("stores", __name__)


@bp.delete("/v2/stores/<store_id>/<image_id>")
def delete_from_store(store_id: str, image_id: str) -> Response:
    bodies.refuse_body()
    stores.delete_from_store(unit_of_work(), store_id, image_id)
    return no_content()
