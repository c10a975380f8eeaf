"""``/v2/cache``, ``/v2/cache/{image_id}``, ``/v2/cache/clean``, ``/v2/cache/prune``:
glance/api/v2/cached_images.py (routes in glance/api/v2/router.py)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from emulator.core.http import bodies
from emulator.core.http.render import json_response, no_content
from emulator.core.http.request_scope import unit_of_work
from emulator.image.api.image_import import background
from emulator.image.services import cache

bp = Blueprint("cached_images", __name__)


@bp.get("/v2/cache")
def get_cache_state() -> Response:
    bodies.refuse_body()
    return json_response(cache.state(unit_of_work()))


@bp.delete("/v2/cache")
def clear_cache() -> Response:
    cache.clear(unit_of_work(), request.headers.get("x-image-cache-clear-target"))
    return no_content()


@bp.put("/v2/cache/<image_id>")
def queue_image_from_api(image_id: str) -> Response:
    if cache.queue_image(unit_of_work(), image_id):
        background().submit(lambda worker: cache.fetch_queued(worker, image_id))
    return Response(status=202, content_type="text/html; charset=UTF-8")


@bp.delete("/v2/cache/<image_id>")
def delete_cache_entry(image_id: str) -> Response:
    cache.delete_entry(unit_of_work(), image_id)
    return no_content()


@bp.post("/v2/cache/clean")
def clean_cache() -> Response:
    cache.clean(unit_of_work())
    return Response(status=200, content_type="text/html; charset=UTF-8")


@bp.post("/v2/cache/prune")
def prune_cache() -> Response:
    return json_response(cache.prune(unit_of_work()))
