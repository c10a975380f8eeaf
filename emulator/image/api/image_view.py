"""The image document, shaped like Glance's ResponseSerializer._format_image."""

from __future__ import annotations

from typing import Any

from emulator.core import clock
from emulator.image.domain.images import Image

# Glance's key order: extra properties first, then these, then the links.
_ATTRIBUTES = (
    "name",
    "disk_format",
    "container_format",
    "visibility",
    "size",
    "virtual_size",
    "status",
    "checksum",
    "protected",
    "min_ram",
    "min_disk",
    "owner",
    "os_hidden",
    "os_hash_algo",
    "os_hash_value",
)


def image_document(image: Image) -> dict[str, Any]:
    doc: dict[str, Any] = dict(image.extra_properties)
    for key in _ATTRIBUTES:
        doc[key] = getattr(image, key)
    doc["id"] = image.id
    doc["created_at"] = clock.isotime(image.created_at)
    doc["updated_at"] = clock.isotime(image.updated_at)
    doc["tags"] = list(image.tags)
    doc["self"] = f"/v2/images/{image.id}"
    doc["file"] = f"/v2/images/{image.id}/file"
    doc["schema"] = "/v2/schemas/image"
    if image.stores:  # several stores only: the stores holding the data (images.py)
        doc["stores"] = ",".join(image.stores)
    return doc
