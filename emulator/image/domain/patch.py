"""Glance's JSON-patch dialect for ``PATCH /v2/images/{id}``.

``glance/api/v2/images.py`` (RequestDeserializer.update and ImagesController._do_*):
two media types (draft 10 = v2.1, draft 4 = v2.0), ops add/remove/replace only, one-level
JSON pointers (two for ``/locations/N``), read-only and reserved roots refused with 403,
values checked against the image schema, and all changes applied before one save.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.core import errors
from emulator.image.domain import images as rules

MEDIA_TYPES = {
    "application/openstack-images-v2.0-json-patch": 4,
    "application/openstack-images-v2.1-json-patch": 10,
}
ACCEPT_PATCH = ", ".join(sorted(MEDIA_TYPES))
OPERATIONS = ("add", "remove", "replace")
PATH_DEPTH = {"locations": {"add": 2, "remove": 2, "replace": 1}}
ARRAY_ATTRIBUTES = ("tags", "locations")


@dataclass(frozen=True)
class Change:
    op: str
    path: tuple[str, ...]
    value: Any = None
    draft: int = 10


def unsupported_media_type() -> errors.UnsupportedMediaType:
    return errors.UnsupportedMediaType(
        detail=f"Image PATCH expects Content-Type one of: {ACCEPT_PATCH}",
        headers={"Accept-Patch": ACCEPT_PATCH},
    )


def draft_for(content_type: str | None) -> int:
    """The draft version for a Content-Type (parameters ignored), else 415."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in MEDIA_TYPES:
        raise unsupported_media_type()
    return MEDIA_TYPES[media]


def _operation(raw: dict[str, Any], draft: int) -> tuple[str, str]:
    if draft == 10:
        op = raw.get("op")
        available = ", ".join(OPERATIONS)
        if op is None:
            raise errors.BadRequest(
                f"Unable to find `op` in JSON Schema change. It must be one of the following: "
                f"{available}."
            )
        if op not in OPERATIONS:
            raise errors.BadRequest(
                f"Invalid operation: `{op}`. It must be one of the following: {available}."
            )
        if "path" not in raw:
            raise errors.BadRequest("Unable to find 'path' in JSON Schema change")
        return op, raw["path"]
    found = [key for key in OPERATIONS if key in raw]
    if len(found) > 1:
        raise errors.BadRequest(
            'Operation objects must contain only one member named "add", "remove", or "replace".'
        )
    if not found:
        raise errors.BadRequest(
            'Operation objects must contain exactly one member named "add", "remove", or "replace".'
        )
    return found[0], raw[found[0]]


def decode_pointer(pointer: Any) -> tuple[str, ...]:
    if not isinstance(pointer, str):
        raise errors.BadRequest(f'Pointer `{pointer}` does not start with "/".')
    if not pointer.startswith("/"):
        raise errors.BadRequest(f'Pointer `{pointer}` does not start with "/".')
    if re.search(r"/\s*?/", pointer[1:]):
        raise errors.BadRequest(f'Pointer `{pointer}` contains adjacent "/".')
    if len(pointer) > 1 and pointer.endswith("/"):
        raise errors.BadRequest(f'Pointer `{pointer}` end with "/".')
    if pointer[1:].strip() == "/":
        raise errors.BadRequest(f"Pointer `{pointer}` does not contains valid token.")
    if re.search("~[^01]", pointer) or pointer.endswith("~"):
        raise errors.BadRequest(
            f'Pointer `{pointer}` contains "~" not part of a recognized escape sequence.'
        )
    return tuple(
        part.replace("~1", "/").replace("~0", "~").strip()
        for part in pointer.lstrip("/").split("/")
    )


def parse(body: Any, draft: int, validate: Callable[[dict[str, Any]], None]) -> list[Change]:
    """Turn a request body into checked changes. ``validate`` checks a partial image."""
    if not isinstance(body, list):
        raise errors.BadRequest("Request body must be a JSON array of operation objects.")
    changes = []
    for raw in body:
        if not isinstance(raw, dict):
            raise errors.BadRequest("Operations must be JSON objects.")
        op, pointer = _operation(raw, draft)
        path = decode_pointer(pointer)
        root = path[0]
        if len(path) != PATH_DEPTH.get(root, {}).get(op, 1):
            raise errors.BadRequest(f"Invalid JSON pointer for this resource: '/{'/'.join(path)}'")
        value = None
        if op != "remove":
            if "value" not in raw:
                raise errors.BadRequest(f'Operation "{op}" requires a member named "value".')
            value = raw["value"]
        if root in rules.READ_ONLY:
            raise errors.Forbidden(f"Attribute '{root}' is read-only.")
        if rules.is_reserved(root):
            raise errors.Forbidden(f"Attribute '{root}' is reserved.")
        if op != "remove":
            if len(path) == 1:
                validate({root: value})
            elif root in ARRAY_ATTRIBUTES:
                validate({root: [value]})
        changes.append(Change(op=op, path=path, value=value, draft=draft))
    return changes


def _set_core(image: rules.Image, name: str, value: Any, tag_quota: int) -> None:
    if name in ("disk_format", "container_format") and (
        image.status not in rules.FORMAT_MUTABLE_STATUSES
    ):
        raise errors.Forbidden(f"Attribute {name} can be only replaced for a queued image.")
    if name in ("min_ram", "min_disk"):
        if value and value < 0:
            raise errors.BadRequest(
                f"Invalid value '{value}' for parameter '{name}': Cannot be a negative value"
            )
        value = int(value or 0)  # the schema lets 1.0 through as an integer
    if name == "tags":
        rules.check_quotas(image, -1, tag_quota, tags_sent=len(value))
        value = rules.unify_tags(list(value))
    setattr(image, name, value)


def apply(
    image: rules.Image,
    changes: list[Change],
    *,
    is_admin: bool,
    enforce: Callable[[str], None],
    check_visibility: Callable[[str], None],
    tag_quota: int = -1,
) -> None:
    """Apply ``changes`` in order to ``image`` (in memory; the caller saves once).

    ``enforce(action)`` raises 403 when the caller may not do a policy action. As in
    Glance (ImagesController._do_add/_do_replace/_do_remove), the policy is checked per
    change, so an empty patch needs no permission at all.
    """
    for change in changes:
        root = change.path[0]
        if root == "locations":
            _locations(change, enforce)
            continue
        if change.op == "replace" and root == "owner" and not is_admin:
            raise errors.Forbidden(detail="Owner can't be updated by non admin.")
        if change.op != "remove" and root == "visibility":
            check_visibility(change.value)
        enforce("modify_image")
        is_core = root in rules.CORE_ATTRIBUTES
        if change.op == "replace":
            if is_core:
                _set_core(image, root, change.value, tag_quota)
            elif root in image.extra_properties:
                image.extra_properties[root] = change.value
            else:
                raise errors.Conflict(detail=f"Property {root} does not exist.")
        elif change.op == "add":
            exists = is_core or root in image.extra_properties
            if exists and change.draft == 4:
                raise errors.Conflict(detail=f"Property {root} already present.")
            if is_core:
                # Glance has no owner rule on ``add`` (only on ``replace``): followed as is.
                _set_core(image, root, change.value, tag_quota)
            else:
                if len(root) > rules.MAX_PROPERTY_KEY_LENGTH:
                    raise errors.BadRequest(
                        "Custom property should not be greater than 255 characters."
                    )
                image.extra_properties[root] = change.value
        else:  # remove
            if is_core or root in rules.ENTITY_INTERNALS:
                raise errors.Forbidden(detail=f"Property {root} may not be removed.")
            if root not in image.extra_properties:
                raise errors.Conflict(detail=f"Property {root} does not exist.")
            del image.extra_properties[root]


def _locations(change: Change, enforce: Callable[[str], None]) -> None:
    """Location edits: the policy first, then the refusal every deployment without
    ``show_multiple_locations`` gives (the emulator has no store locations to show)."""
    if change.op == "replace" and not change.value:
        raise errors.Forbidden(detail="Cannot set locations to empty list.")
    if change.op == "remove":
        enforce("delete_image_location")
        raise errors.Forbidden("It's not allowed to remove locations if locations are invisible.")
    enforce("set_image_location")
    verb = "update" if change.op == "replace" else "add"
    raise errors.Forbidden(f"It's not allowed to {verb} locations if locations are invisible.")
