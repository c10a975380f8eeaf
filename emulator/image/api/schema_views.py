"""``/v2/schemas/...``: the JSON-schema documents Glance serves (``glance/api/v2/schemas.py``).

python-glanceclient fetches ``image``, ``metadefs/namespace`` and ``metadefs/resource_type`` on
every CLI start and builds its models and options from them. The image documents depend on the
configured disk and container formats; the documents themselves live in
``emulator.image.documents.image_schemas``. Authentication is enforced for ``/v2`` by
``identity/api/auth.py``.
"""

from __future__ import annotations

import functools
from typing import Any

from flask import Blueprint, Response, json

from emulator.core.http.request_scope import config
from emulator.image.documents import image_schemas, metadef_schemas

bp = Blueprint("schemas", __name__)


def _render(document: dict[str, Any]) -> Response:
    return Response(json.dumps(document), content_type="application/json")


# The documents only change with the configured formats: each is rendered once per set.
@functools.lru_cache(maxsize=16)
def _image_text(plural: bool, disk_formats: tuple[str, ...], containers: tuple[str, ...]) -> str:
    build = image_schemas.images_schema if plural else image_schemas.image_schema
    return json.dumps(build(disk_formats, containers))


@bp.get("/v2/schemas/image")
def image() -> Response:
    formats = config()
    body = _image_text(False, formats.disk_formats, formats.container_formats)
    return Response(body, content_type="application/json")


@bp.get("/v2/schemas/images")
def images() -> Response:
    formats = config()
    body = _image_text(True, formats.disk_formats, formats.container_formats)
    return Response(body, content_type="application/json")


@bp.get("/v2/schemas/member")
def member() -> Response:
    return _render(image_schemas.member_schema())


@bp.get("/v2/schemas/members")
def members() -> Response:
    return _render(image_schemas.members_schema())


@bp.get("/v2/schemas/task")
def task() -> Response:
    return _render(image_schemas.task_schema())


@bp.get("/v2/schemas/tasks")
def tasks() -> Response:
    return _render(image_schemas.tasks_schema())


# Only the names Glance routes (glance/api/v2/router.py); any other name is a routing 404.
_METADEF_NAMES = ", ".join(metadef_schemas.METADEF_SCHEMAS)


@bp.get(f"/v2/schemas/metadefs/<any({_METADEF_NAMES}):name>")
def metadef(name: str) -> Response:
    return _render(metadef_schemas.METADEF_SCHEMAS[name]())
