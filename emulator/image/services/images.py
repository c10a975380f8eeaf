"""Image use cases: create, show, update (JSON patch), delete, tags, (de)activate."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from emulator.core import errors
from emulator.core.unit_of_work import UnitOfWork
from emulator.image.documents.image_schemas import validate_image
from emulator.image.domain import access as rules_access
from emulator.image.domain import images as rules
from emulator.image.domain import patch
from emulator.image.domain.images import Image
from emulator.image.services import access, cache, quotas
from emulator.image.store import images as image_store


def _validator(uow: UnitOfWork) -> Callable[[dict[str, Any]], None]:
    def validate(fragment: dict[str, Any]) -> None:
        validate_image(fragment, uow.config.disk_formats, uow.config.container_formats)

    return validate


def create(uow: UnitOfWork, body: Any) -> Image:
    context, config = uow.context, uow.config
    if not isinstance(body, dict):
        # Glance answers 500 here (it calls .pop on the list); the 400 it meant:
        raise errors.BadRequest("Request body must be a JSON object.")
    body = dict(body)
    rules.check_create_keys(body)
    validate_image(body, config.disk_formats, config.container_formats)
    base, extras = rules.split_create_body(body)
    owner = base.get("owner", context.project_id)
    access.require_role(uow, "member", "add_image")
    if not context.is_admin and owner != context.project_id:
        # glance/api/v2/policy.py add_image: positional (a webob detail), no final period.
        raise errors.Forbidden(detail=f"You are not permitted to create images owned by '{owner}'")
    quotas.enforce_image_count_total(uow)  # images.py create, after the add_image policy
    visibility = base.get("visibility", rules.DEFAULT_VISIBILITY)
    rel = rules_access.ADMIN if context.is_admin else rules_access.OWNER
    rules_access.enforce_visibility_change(context, rel, str(visibility))

    now = uow.now()
    image_id = str(base.get("id") or uuid.uuid4())
    image = Image(
        id=image_id,
        owner=owner,  # type: ignore[arg-type]
        created_at=now,
        updated_at=now,
        name=base.get("name"),  # type: ignore[arg-type]
        visibility=str(visibility),
        protected=bool(base.get("protected", False)),
        os_hidden=bool(base.get("os_hidden", False)),
        container_format=base.get("container_format"),  # type: ignore[arg-type]
        disk_format=base.get("disk_format"),  # type: ignore[arg-type]
        min_ram=int(base.get("min_ram") or 0),  # type: ignore[call-overload]
        min_disk=int(base.get("min_disk") or 0),  # type: ignore[call-overload]
        tags=rules.unify_tags(list(base.get("tags") or [])),  # type: ignore[call-overload]
        # Validated against the image schema: strings, or null where it allows null.
        extra_properties={k: None if v is None else str(v) for k, v in extras.items()},
    )
    for name in ("min_ram", "min_disk"):
        if getattr(image, name) < 0:
            raise errors.BadRequest(
                f"Invalid value '{getattr(image, name)}' for parameter '{name}': "
                "Cannot be a negative value"
            )
    tags_sent = len(base.get("tags") or [])  # type: ignore[arg-type]
    rules.check_integer_attributes(image)
    rules.check_quotas(image, config.image_property_quota, config.image_tag_quota, tags_sent)
    with uow.atomic():
        if image_store.exists_any(uow.db, image.id):
            # glance/db/sqlalchemy/api.py _image_update on DBDuplicateEntry
            raise errors.Conflict(f"Image ID {image.id} already exists!")
        image_store.insert(uow.db, image)
    return image


def show(uow: UnitOfWork, image_id: str) -> Image:
    return access.load(uow, image_id).image


def update(uow: UnitOfWork, image_id: str, draft: int, body: Any) -> Image:
    """``PATCH``: ``draft`` is the JSON-patch dialect the media type named (``patch``)."""
    config = uow.config
    changes = patch.parse(body, draft, _validator(uow))
    with uow.atomic():
        found = access.load(uow, image_id)
        image = found.image
        if not changes:
            return image
        before = image.copy()
        patch.apply(
            image,
            changes,
            is_admin=uow.context.is_admin,
            enforce=lambda action: access.authorize(uow, found, action),
            check_visibility=lambda v: rules_access.enforce_visibility_change(
                uow.context, found.relation, v
            ),
            tag_quota=config.image_tag_quota,
        )
        rules.check_integer_attributes(image)
        rules.check_quotas(image, config.image_property_quota, config.image_tag_quota)
        image.updated_at = uow.now()
        image_store.save(uow.db, image, before=before)
    if not access.still_visible(uow, image):
        # An owner that gave the image away (``add /owner``: Glance checks the owner rule
        # on ``replace`` only) has it saved, then Glance re-reads it as the caller
        # (db/sqlalchemy/api.py ``_image_update`` -> ``_image_get``) and answers 403.
        raise errors.Forbidden(f"Forbidding request, image {image.id} not visible")
    return image


def delete(uow: UnitOfWork, image_id: str) -> None:
    with uow.atomic():
        try:
            image = access.load(uow, image_id, "delete_image").image
        except errors.NotFound as exc:
            raise errors.NotFound(f"Failed to find image {image_id} to delete") from exc
        rules.check_deletable(image)  # an upload in flight then fails its final check (410)
        image_store.mark_deleted(uow.db, image.id, uow.now())
        cache.forget(uow, image.id)
    uow.blobs.delete(image.id)
    uow.blobs.staging.delete(image.id)  # images.py delete: staged data goes too


def deactivate(uow: UnitOfWork, image_id: str) -> None:
    _change_activation(uow, image_id, "deactivate", rules.deactivate)


def reactivate(uow: UnitOfWork, image_id: str) -> None:
    _change_activation(uow, image_id, "reactivate", rules.reactivate)


def _change_activation(
    uow: UnitOfWork, image_id: str, action: str, transition: Callable[[Image], bool]
) -> None:
    """glance/api/v2/image_actions.py: the policy, then the move (a no-op if already there)."""
    with uow.atomic():
        image = access.load(uow, image_id, action).image
        if transition(image):
            image_store.update_fields(uow.db, image.id, status=image.status, updated_at=uow.now())


def add_tag(uow: UnitOfWork, image_id: str, tag: str) -> None:
    """``PUT /v2/images/{id}/tags/{tag}``, with glance/api/v2/image_tags.py's own messages."""
    config = uow.config
    validate_image({"tags": [tag]}, config.disk_formats, config.container_formats)
    with uow.atomic():
        image = _load_for_tags(uow, image_id)
        if tag in image.tags:
            return
        image.tags.append(tag)
        try:
            rules.check_quotas(image, config.image_property_quota, config.image_tag_quota)
        except errors.RequestEntityTooLarge as exc:
            raise errors.RequestEntityTooLarge(
                f"Image tag limit exceeded for image {image_id}: {exc.message}:"
            ) from exc
        image_store.add_tag(uow.db, image.id, tag, uow.now())


def delete_tag(uow: UnitOfWork, image_id: str, tag: str) -> None:
    with uow.atomic():
        image = _load_for_tags(uow, image_id)
        if tag not in image.tags:
            raise errors.NotFound()
        image_store.delete_tag(uow.db, image.id, tag, uow.now())


def _load_for_tags(uow: UnitOfWork, image_id: str) -> Image:
    # The policy refusal is webob's own Forbidden, which image_tags.py does not rewrap.
    try:
        return access.load(uow, image_id, "modify_image").image
    except errors.NotFound as exc:
        raise errors.NotFound(f"Image {image_id} not found.") from exc


def count(uow: UnitOfWork) -> int:
    """How many live images the data dir holds (the control API's health document)."""
    return image_store.count_live(uow.db)
