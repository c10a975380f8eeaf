"""``/v2/schemas/...``: the JSON-schema documents Glance serves (``glance/api/v2/schemas.py``).

python-glanceclient fetches ``image``, ``metadefs/namespace`` and ``metadefs/resource_type`` on
every CLI start and builds its models and options from them. The image documents depend on the
configured disk and container formats; the documents themselves live in
``emulator.image.documents.image_schemas``. Authentication is enforced for ``/v2`` by
``identity/api/auth.py``.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, json

from emulator.core.config import Config
from emulator.image.documents import image_schemas as glance_json
from emulator.image.documents import metadef_schemas as metadef_json

bp = Blueprint("schemas", __name__)


def _config() -> Config:
    config: Config = current_app.config["EMULATOR"]
    return config


def _render(document: glance_json.Document) -> Response:
    return Response(json.dumps(document), content_type="application/json")


@bp.get("/v2/schemas/image")
def image() -> Response:
    config = _config()
    return _render(glance_json.image_schema(config.disk_formats, config.container_formats))


@bp.get("/v2/schemas/images")
def images() -> Response:
    config = _config()
    return _render(glance_json.images_schema(config.disk_formats, config.container_formats))


@bp.get("/v2/schemas/member")
def member() -> Response:
    return _render(glance_json.member_schema())


@bp.get("/v2/schemas/members")
def members() -> Response:
    return _render(glance_json.members_schema())


@bp.get("/v2/schemas/task")
def task() -> Response:
    return _render(glance_json.task_schema())


@bp.get("/v2/schemas/tasks")
def tasks() -> Response:
    return _render(glance_json.tasks_schema())


# Only the names Glance routes (glance/api/v2/router.py); any other name is a routing 404.
_METADEF_NAMES = ", ".join(metadef_json.METADEF_SCHEMAS)


@bp.get(f"/v2/schemas/metadefs/<any({_METADEF_NAMES}):name>")
def metadef(name: str) -> Response:
    return _render(metadef_json.METADEF_SCHEMAS[name]())
