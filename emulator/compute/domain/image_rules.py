"""Nova's image rules: may this image boot with this flavor, what the server keeps of it,
and what a snapshot of the server inherits.

``nova/compute/api.py`` ``_validate_flavor_image`` / ``_validate_flavor_image_nostatus``
(boot and rebuild checks, in their order), ``nova/utils.py``
``get_system_metadata_from_image`` / ``get_image_from_system_metadata`` (what an instance
keeps of its image, and reads back for a snapshot) and ``nova/compute/utils.py``
``initialize_instance_snapshot_metadata`` / ``create_image`` (the snapshot's metadata).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.compute.domain.flavors import Flavor
from emulator.core import errors

GIB = 1024**3

#: ``nova/utils.py`` SM_INHERITABLE_KEYS / SM_SKIP_KEYS.
INHERITABLE_KEYS = ("min_ram", "min_disk", "disk_format", "container_format")
SKIP_KEYS = frozenset({"mappings", "block_device_mapping", "img_mappings",
                       "img_block_device_mapping"})  # fmt: skip
#: ``nova/compute/utils.py`` NON_INHERITABLE_IMAGE_PROPERTIES, its namespaces, and
#: ``[DEFAULT] non_inheritable_image_properties``' default.
NON_INHERITABLE = frozenset({
    "cinder_encryption_key_id", "cinder_encryption_key_deletion_policy", "img_signature",
    "img_signature_hash_method", "img_signature_key_type", "img_signature_certificate_uuid",
    "cache_in_nova", "bittorrent",
})  # fmt: skip
NON_INHERITABLE_NAMESPACES = ("os_glance",)
IMAGE_PREFIX = "image_"


@dataclass(frozen=True)
class ImageFacts:
    """What Nova reads of a Glance image (``nova/image/glance.py`` ``_translate_from_glance``)."""

    id: str
    status: str
    disk_format: str | None
    container_format: str | None
    min_ram: int
    min_disk: int
    size: int | None
    properties: dict[str, str | None] = field(default_factory=dict)


def check_bootable(image: ImageFacts, flavor: Flavor, is_admin: bool) -> None:
    """The API-side checks of a boot or rebuild, in Nova's order (400s, and a 403)."""
    if image.status != "active":
        raise errors.BadRequest(f"Image {image.id} is not active.")
    if image.properties.get("cinder_encryption_key_id"):
        raise errors.BadRequest(
            f"Image {image.id} is unacceptable: Direct booting of an image uploaded from an "
            "encrypted volume is unsupported."
        )
    config_drive = image.properties.get("img_config_drive") or "optional"
    if config_drive not in ("optional", "mandatory"):
        raise errors.BadRequest(f"Image's config drive option '{config_drive}' is invalid")
    if flavor.ram < image.min_ram:
        raise errors.BadRequest("Flavor's memory is too small for requested image.")
    dest_size = flavor.disk * GIB
    image_size = image.size or 0
    image_min_disk = image.min_disk * GIB
    if dest_size != 0:
        if image_size > dest_size:
            raise errors.BadRequest(
                "Flavor's disk is too small for requested image. Flavor disk is "
                f"{dest_size} bytes, image is {image_size} bytes."
            )
        if image_min_disk > dest_size:
            raise errors.BadRequest(
                "Flavor's disk is smaller than the minimum size specified in image metadata. "
                f"Flavor disk is {dest_size} bytes, minimum size is {image_min_disk} bytes."
            )
    elif not is_admin:
        raise errors.Forbidden("Only volume-backed servers are allowed for flavors with zero disk.")


def system_metadata(
    image: ImageFacts, flavor: Flavor, project_name: str, user_name: str
) -> dict[str, str]:
    """What the instance keeps of its image at boot (``get_system_metadata_from_image``,
    then ``_populate_instance_for_create``): values as strings of at most 255 characters."""
    kept: dict[str, str] = {}
    for key, value in image.properties.items():
        if key in SKIP_KEYS or value is None:
            continue
        kept[IMAGE_PREFIX + key] = str(value)[:255]
    values: dict[str, Any] = {
        "min_ram": image.min_ram,
        "min_disk": flavor.disk if image.disk_format == "vhd" else max(image.min_disk, flavor.disk),
        "disk_format": image.disk_format,
        "container_format": image.container_format,
    }
    for key in INHERITABLE_KEYS:
        if values[key] is not None:
            kept[IMAGE_PREFIX + key] = str(values[key])
    kept.setdefault(IMAGE_PREFIX + "base_image_ref", image.id)
    kept["owner_user_name"] = user_name
    kept["owner_project_name"] = project_name
    return kept


@dataclass(frozen=True)
class SnapshotPlan:
    """The Glance image a createImage makes, before its data is uploaded."""

    name: str
    visibility: str
    min_ram: int
    min_disk: int
    disk_format: str
    container_format: str
    properties: dict[str, str]


def snapshot_plan(
    sysmeta: dict[str, str],
    name: str,
    *,
    server_id: str,
    server_project: str,
    caller_project: str | None,
    caller_user: str | None,
    metadata: dict[str, Any],
) -> SnapshotPlan:
    """``create_image(..., 'snapshot')`` read from the instance's kept metadata, then what
    the libvirt driver sets at upload (``_create_snapshot_metadata``)."""
    top: dict[str, str] = {}
    properties: dict[str, str] = {}
    for key, value in sysmeta.items():
        bare = key[len(IMAGE_PREFIX) :] if key.startswith(IMAGE_PREFIX) else key
        if bare in SKIP_KEYS:
            continue
        if bare in INHERITABLE_KEYS:
            top[bare] = value
        else:
            properties[bare] = value
    extra: dict[str, str] = {
        "instance_uuid": server_id,
        "user_id": str(caller_user),
        "image_type": "snapshot",
    }
    extra.update({str(k): str(v) for k, v in metadata.items()})
    visibility = "private"
    if caller_project != server_project:
        visibility = "shared"
        extra["instance_owner"] = server_project
    for key in list(properties):
        if key in NON_INHERITABLE or key.startswith(NON_INHERITABLE_NAMESPACES):
            del properties[key]
    properties.update(extra)
    # Set by the libvirt driver when it uploads (virt/libvirt/driver.py).
    properties.update(
        {"image_location": "snapshot", "image_state": "available", "owner_id": server_project}
    )
    for key in ("kernel_id", "ramdisk_id"):
        if properties.get(key) in (None, "", "None"):
            properties.pop(key, None)
    return SnapshotPlan(
        name=name,
        visibility=visibility,
        min_ram=int(top.get("min_ram") or 0),
        min_disk=int(top.get("min_disk") or 0),
        disk_format=top.get("disk_format") or "raw",
        container_format=top.get("container_format") or "bare",
        properties=properties,
    )
