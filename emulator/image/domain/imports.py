"""The rules of ``POST /v2/images/{id}/import`` and ``PUT /v2/images/{id}/stage``.

From glance/api/v2/images.py (``RequestDeserializer._validate_import_body``,
``ImagesController.import_image``) and glance/api/v2/image_data.py (``stage``), in the
order Glance checks them: the order decides which error a client sees.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from emulator.core import errors
from emulator.image.domain.images import Image

GLANCE_DIRECT = "glance-direct"
WEB_DOWNLOAD = "web-download"
COPY_IMAGE = "copy-image"
GLANCE_DOWNLOAD = "glance-download"
METHODS = (GLANCE_DIRECT, WEB_DOWNLOAD, COPY_IMAGE, GLANCE_DOWNLOAD)

#: Reserved properties the import keeps on the image (api_image_import.py _ImportActions).
IMPORT_TASK_KEY = "os_glance_import_task"
IMPORTING_STORES_KEY = "os_glance_importing_to_stores"
FAILED_STORES_KEY = "os_glance_failed_import"
STAGE_HOST_KEY = "os_glance_stage_host"
#: Never shown in an image document (images.py ResponseSerializer._hidden_properties).
HIDDEN_PROPERTIES = (STAGE_HOST_KEY, "os_glance_hash_op_host")

#: images.py _enforce_import_lock: a lock older than this may be stolen (minutes).
LOCK_EXPIRY_MINUTES = 60


@dataclass(frozen=True)
class ImportRequest:
    """A checked import body."""

    method: str
    body: dict[str, Any]
    uri: Any = None
    all_stores: bool = False
    all_stores_must_succeed: bool = True


def stage_enabled(enabled_methods: tuple[str, ...]) -> None:
    """image_data.py RequestDeserializer.stage: checked before anything else."""
    if GLANCE_DIRECT not in enabled_methods:
        raise errors.NotFound("'glance-direct' method is not available at this site.")


def parse_import_body(body: Any, enabled_methods: tuple[str, ...]) -> ImportRequest:
    """RequestDeserializer._validate_import_body."""
    if not isinstance(body, dict):
        # Glance indexes a list with 'method' (a 500); the 400 it meant:
        raise errors.BadRequest("Import request requires a 'method' field.")
    if "method" not in body:
        raise errors.BadRequest("Import request requires a 'method' field.")
    method = body["method"]
    if not isinstance(method, dict) or "name" not in method:
        raise errors.BadRequest("Import request requires a 'name' field.")
    name = method["name"]
    if not isinstance(name, str) or name not in enabled_methods:
        raise errors.BadRequest(f"Unknown import method name '{_text(name)}'.")
    must_succeed = body.get("all_stores_must_succeed", True)
    if not isinstance(must_succeed, bool):
        raise errors.BadRequest("'all_stores_must_succeed' must be boolean value only")
    all_stores = body.get("all_stores", False)
    if not isinstance(all_stores, bool):
        raise errors.BadRequest("'all_stores' must be boolean value only")
    return ImportRequest(name, body, method.get("uri"), all_stores, must_succeed)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def check_image_for_import(image: Image, request: ImportRequest) -> None:
    """ImagesController.import_image: the status and format gates (all 409), then the
    glance-download fields (400)."""
    method = request.method
    if image.status == "active" and method != COPY_IMAGE:
        raise errors.Conflict("Image with status active cannot be target for import")
    if image.status != "active" and method == COPY_IMAGE:
        raise errors.Conflict("Only images with status active can be targeted for copying")
    if image.status != "queued" and method in (WEB_DOWNLOAD, GLANCE_DOWNLOAD):
        raise errors.Conflict(f"Image needs to be in 'queued' state to use '{method}' method")
    if image.status != "uploading" and method == GLANCE_DIRECT:
        raise errors.Conflict("Image needs to be staged before 'glance-direct' method can be used")
    if not image.container_format:
        raise errors.Conflict("'container_format' needs to be set before import")
    if not image.disk_format:
        raise errors.Conflict("'disk_format' needs to be set before import")
    if method == GLANCE_DOWNLOAD:
        fields = request.body["method"]
        for key in ("glance_region", "glance_image_id"):
            if key not in fields:
                raise errors.BadRequest(
                    f"'{key}' needs to be set for glance-download import method"
                )
        try:
            uuid.UUID(str(fields["glance_image_id"]))
        except ValueError as exc:
            raise errors.BadRequest(
                f"Remote image id does not look like a UUID: {_text(fields['glance_image_id'])}"
            ) from exc
        fields.setdefault("glance_service_interface", "public")


def store_list(stores: list[str | None]) -> str:
    """The value of the two store-list properties: sorted, comma separated, no None."""
    return ",".join(sorted(s for s in stores if s))


def merge_store_list(current: str | None, stores: list[str | None], subtract: bool = False) -> str:
    """_ImportActions.merge_store_list."""
    have = {s for s in (current or "").split(",") if s}
    change = {s for s in stores if s}
    have = have - change if subtract else have | change
    return ",".join(sorted(have))
