"""The image entity and its rules: statuses, transitions, attribute classes.

Tables here are read like a spec; each cites where Glance keeps the same rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from emulator.core import errors

VISIBILITIES = ("community", "public", "private", "shared")
DEFAULT_VISIBILITY = "shared"  # glance/domain/__init__.py ImageFactory.new_image

STATUSES = (
    "queued",
    "saving",
    "active",
    "killed",
    "deleted",
    "uploading",
    "importing",
    "pending_delete",
    "deactivated",
)

# glance/domain/__init__.py Image.valid_state_targets
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "queued": ("saving", "uploading", "importing", "active", "deleted"),
    "saving": ("active", "killed", "deleted", "queued"),
    "uploading": ("importing", "queued", "deleted"),
    "importing": ("active", "deleted", "queued"),
    "active": ("pending_delete", "deleted", "deactivated"),
    "killed": ("deleted",),
    "pending_delete": ("deleted", "active"),
    "deleted": (),
    "deactivated": ("active", "deleted"),
}

# Attributes of the image entity itself (``hasattr(image, name)`` in Glance's PATCH code):
# PATCH may set them but never remove them.
CORE_ATTRIBUTES = (
    "id",
    "name",
    "status",
    "visibility",
    "protected",
    "os_hidden",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "owner",
    "size",
    "virtual_size",
    "container_format",
    "disk_format",
    "min_ram",
    "min_disk",
    "created_at",
    "updated_at",
    "tags",
    "locations",
)

# Other attributes of Glance's Image object: ``remove`` of them is "may not be removed".
ENTITY_INTERNALS = ("image_id", "member", "extra_properties")

# glance/api/v2/images.py RequestDeserializer
DISALLOWED_ON_CREATE = ("direct_url", "self", "file", "schema", "stores")
READ_ONLY = (
    "created_at",
    "updated_at",
    "status",
    "checksum",
    "size",
    "virtual_size",
    "direct_url",
    "self",
    "file",
    "schema",
    "id",
    "os_hash_algo",
    "os_hash_value",
)
RESERVED = ("location", "deleted", "deleted_at")
RESERVED_PREFIX = "os_glance"
# Keys a create body maps onto the entity; everything else is an extra property.
CREATE_BASE_KEYS = (
    "checksum",
    "created_at",
    "container_format",
    "disk_format",
    "id",
    "min_disk",
    "min_ram",
    "name",
    "size",
    "virtual_size",
    "status",
    "tags",
    "owner",
    "updated_at",
    "visibility",
    "protected",
    "os_hidden",
)
# glance/domain/__init__.py ImageFactory
FACTORY_READ_ONLY = (
    "created_at",
    "updated_at",
    "status",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "size",
    "virtual_size",
)
FACTORY_RESERVED_EXTRA = (
    "owner",
    "locations",
    "deleted",
    "deleted_at",
    "direct_url",
    "self",
    "file",
    "schema",
)
# Formats may change only while no data is attached (Image.disk_format setter).
FORMAT_MUTABLE_STATUSES = ("queued", "importing")
MAX_PROPERTY_KEY_LENGTH = 255

UUID_PATTERN = re.compile(
    r"^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
)


@dataclass
class Image:
    id: str
    owner: str | None
    created_at: str
    updated_at: str
    name: str | None = None
    status: str = "queued"
    visibility: str = DEFAULT_VISIBILITY
    protected: bool = False
    os_hidden: bool = False
    checksum: str | None = None
    os_hash_algo: str | None = None
    os_hash_value: str | None = None
    size: int | None = None
    virtual_size: int | None = None
    container_format: str | None = None
    disk_format: str | None = None
    min_ram: int = 0
    min_disk: int = 0
    tags: list[str] = field(default_factory=list)
    #: Custom properties; a value is null only where the schema allows it (kernel_id...).
    extra_properties: dict[str, str | None] = field(default_factory=dict)
    #: With several stores: the stores holding the data (Glance's location stores).
    stores: list[str] = field(default_factory=list)

    def copy(self) -> Image:
        """An image equal to this one that shares no list or dict with it."""
        # Not copy.copy (six times slower: __reduce_ex__ and a reconstruction); a list
        # copies 25 of these per page.
        twin = object.__new__(Image)
        twin.__dict__.update(self.__dict__)
        twin.tags, twin.extra_properties, twin.stores = (
            list(self.tags),
            dict(self.extra_properties),
            list(self.stores),
        )
        return twin


def is_reserved(key: str) -> bool:
    return key in RESERVED or key.startswith(RESERVED_PREFIX)


def set_status(image: Image, target: str) -> None:
    """Move ``image`` to ``target`` if Glance allows it (Image.status setter)."""
    if target not in TRANSITIONS[image.status]:
        raise errors.Conflict(
            f"Image status transition from {image.status} to {target} is not allowed"
        )
    if image.status in ("queued", "uploading") and target in ("saving", "active", "importing"):
        missing = [k for k in ("disk_format", "container_format") if not getattr(image, k)]
        if missing:
            noun = "Property" if len(missing) == 1 else "Properties"
            raise errors.BadRequest(
                f"{noun} {', '.join(missing)} must be set prior to saving data."
            )
    if target == "queued":
        image.size = None
        image.virtual_size = None
    image.status = target


def unify_tags(tags: list[str]) -> list[str]:
    """Glance keeps tags as a set; we keep first-seen order for stable output."""
    return list(dict.fromkeys(tags))


def check_create_keys(body: dict[str, object]) -> None:
    """The deserializer's first pass over a create body (before schema validation)."""
    for key in DISALLOWED_ON_CREATE:
        if key in body:
            raise errors.Forbidden(f"Attribute '{key}' is read-only.")


def split_create_body(body: dict[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    """(base attributes, extra properties) with Glance's per-key checks on the extras."""
    base = {k: v for k, v in body.items() if k in CREATE_BASE_KEYS}
    extras = {k: v for k, v in body.items() if k not in CREATE_BASE_KEYS}
    for key in extras:
        if len(key) > MAX_PROPERTY_KEY_LENGTH:
            raise errors.BadRequest("Custom property should not be greater than 255 characters.")
        if is_reserved(key):
            # Raised positionally in Glance, so webob renders it as the detail.
            raise errors.Forbidden(detail=f"Attribute '{key}' is reserved.")
    for key in FACTORY_READ_ONLY:
        if key in base:
            raise errors.Forbidden(f"Attribute '{key}' is read-only.")
    for key in FACTORY_RESERVED_EXTRA:
        if key in extras:
            raise errors.Forbidden(f"Attribute '{key}' is reserved.")
    return base, extras


def check_quotas(
    image: Image, property_quota: int, tag_quota: int, tags_sent: int | None = None
) -> None:
    """glance/quota/__init__.py: negative quotas mean unlimited. Tags are counted as sent,
    before duplicates collapse (``["a", "a", "a"]`` is three)."""
    tag_count = len(image.tags) if tags_sent is None else max(tags_sent, len(image.tags))
    if 0 <= property_quota < len(image.extra_properties):
        raise errors.RequestEntityTooLarge(
            "The limit has been exceeded on the number of allowed image properties. "
            f"Attempted: {len(image.extra_properties)}, Maximum: {property_quota}"
        )
    if 0 <= tag_quota < tag_count:
        raise errors.RequestEntityTooLarge(
            "The limit has been exceeded on the number of allowed image tags. "
            f"Attempted: {tag_count}, Maximum: {tag_quota}"
        )


#: Glance keeps min_ram/min_disk in an Integer column; larger values fail in its database
#: (a 500), so they are refused here as the 400 Glance meant.
MAX_INTEGER = 2**31 - 1


def check_integer_attributes(image: Image) -> None:
    for name in ("min_ram", "min_disk"):
        value = getattr(image, name)
        if value > MAX_INTEGER:
            raise errors.BadRequest(
                f"Invalid value '{value}' for parameter '{name}': must be at most {MAX_INTEGER}"
            )


def deactivate(image: Image) -> bool:
    """Returns True if the status changed (deactivating twice is a no-op)."""
    if image.status == "deactivated":
        return False
    if image.status != "active":
        raise errors.Forbidden(f"Not allowed to deactivate image in status '{image.status}'")
    image.status = "deactivated"
    return True


def reactivate(image: Image) -> bool:
    if image.status == "active":
        return False
    if image.status != "deactivated":
        raise errors.Forbidden(f"Not allowed to reactivate image in status '{image.status}'")
    image.status = "active"
    return True


def check_deletable(image: Image) -> None:
    if image.protected:
        raise errors.Forbidden(f"Image {image.id} is protected and cannot be deleted.")
