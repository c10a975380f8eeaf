"""``PUT /v2/images/{id}/stage`` and ``POST /v2/images/{id}/import``: the interoperable
import (glance/api/v2/image_data.py ``stage``, glance/api/v2/images.py ``import_image``).

The import answers 202 at once; the task it created runs on the app's background pool.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request

from emulator.core import errors
from emulator.core.background import Background
from emulator.core.http import bodies
from emulator.core.http.render import no_content
from emulator.core.http.request_scope import config, unit_of_work
from emulator.core.http.urls import base_url
from emulator.identity.api.documents import REGION
from emulator.image.api.image_data import body_chunks, check_media_type, declared_size, drain
from emulator.image.services import glance_download, import_tasks
from emulator.image.services import imports as import_service

bp = Blueprint("image_import", __name__)


def background() -> Background:
    runner: Background = current_app.extensions["emulator.background"]
    return runner


def _remote() -> glance_download.Remote | None:
    """The caller's token and this catalog's image endpoints (one region, every
    interface, all this server), plus the configured other regions, for glance-download."""
    token = request.headers.get("X-Auth-Token")
    if not token:
        return None
    endpoints = {f"{REGION}/{i}": base_url() for i in ("public", "internal", "admin")}
    for entry in config().glance_download_regions:
        region, _, url = entry.partition("=")
        for interface in ("public", "internal", "admin"):
            endpoints[f"{region}/{interface}"] = url
    return glance_download.Remote(token, endpoints)


@bp.put("/v2/images/<image_id>/stage")
def stage(image_id: str) -> Response:
    uow = unit_of_work()
    try:
        import_service.check_stage_enabled(uow)  # RequestDeserializer.stage: first
        check_media_type(request.headers.get("Content-Type"))
        size = declared_size(request.headers.get("x-openstack-image-size"), request.content_length)
        import_service.stage(uow, image_id, body_chunks(), size)
    except errors.EmulatorError:
        drain()
        raise
    return no_content()


@bp.post("/v2/images/<image_id>/import")
def import_image(image_id: str) -> Response:
    body = bodies.json_body()
    task_id = import_service.import_image(
        unit_of_work(),
        image_id,
        body,
        g.get("request_id"),
        request.headers.get("X-Image-Meta-Store"),
    )
    if task_id is not None:
        remote = _remote()
        background().submit(lambda uow: import_tasks.run(uow, task_id, remote))
    # webob's default response: an empty text/html body.
    return Response(status=202, content_type="text/html; charset=UTF-8")
