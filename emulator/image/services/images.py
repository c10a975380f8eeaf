"""Image use cases: create, show, update (JSON patch), delete, tags, (de)activate."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import sqlite_utils

from emulator.core import clock, errors
from emulator.core.blobs import BlobStore
from emulator.core.config import Config
from emulator.core.context import RequestContext
from emulator.core.db import atomic
from emulator.image.documents.image_schemas import validate_image
from emulator.image.domain import access, patch
from emulator.image.domain import images as rules
from emulator.image.domain.images import Image
from emulator.image.store import images as image_store


def _validator(config: Config):  # noqa: ANN202 - a closure over the formats
    def validate(fragment: dict[str, Any]) -> None:
        validate_image(fragment, config.disk_formats, config.container_formats)

    return validate


def load(
    db: sqlite_utils.Database,
    context: RequestContext,
    config: Config,
    image_id: str,
    action: str = "get_image",
) -> tuple[Image, str]:
    """The image and the caller's relation to it, if ``action`` is allowed.

    404 when the caller cannot see the image (or it does not exist), 403 when it can see
    it but may not do ``action``.
    """
    image = image_store.get(db, image_id)
    if image is None:
        raise rules.not_found(image_id)
    rel = access.relation(
        context, image.owner, image_store.member_status(db, image.id, context.project_id)
    )
    access.enforce(
        action,
        context,
        rel,
        access.visibility_for(image.owner, image.visibility),
        image.id,
        config.sharing_profile,
    )
    return image, rel


def create(db: sqlite_utils.Database, context: RequestContext, config: Config, body: Any) -> Image:
    if not isinstance(body, dict):
        # Glance answers 500 here (it calls .pop on the list); the 400 it meant:
        raise errors.BadRequest("Request body must be a JSON object.")
    body = dict(body)
    rules.check_create_keys(body)
    validate_image(body, config.disk_formats, config.container_formats)
    base, extras = rules.split_create_body(body)
    owner = base.get("owner", context.project_id)
    if not access.has_role(context, "member"):
        raise rules.policy_forbidden("add_image")
    if not context.is_admin and owner != context.project_id:
        # glance/api/v2/policy.py add_image: positional (a webob detail), no final period.
        raise errors.Forbidden(detail=f"You are not permitted to create images owned by '{owner}'")
    visibility = base.get("visibility", rules.DEFAULT_VISIBILITY)
    rel = access.ADMIN if context.is_admin else access.OWNER
    access.enforce_visibility_change(context, rel, str(visibility))

    now = clock.to_storage(clock.now())
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
        extra_properties={k: str(v) for k, v in extras.items()},
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
    with atomic(db):
        if image_store.exists_any(db, image.id):
            # glance/db/sqlalchemy/api.py _image_update on DBDuplicateEntry
            raise errors.Conflict(f"Image ID {image.id} already exists!")
        image_store.insert(db, image)
    return image


def show(
    db: sqlite_utils.Database, context: RequestContext, config: Config, image_id: str
) -> Image:
    return load(db, context, config, image_id)[0]


def update(
    db: sqlite_utils.Database,
    context: RequestContext,
    config: Config,
    image_id: str,
    content_type: str | None,
    body: Any,
) -> Image:
    draft = patch.draft_for(content_type)
    changes = patch.parse(body, draft, _validator(config))
    with atomic(db):
        image, rel = load(db, context, config, image_id)
        if not changes:
            return image

        def enforce(action: str) -> None:
            access.enforce(
                action,
                context,
                rel,
                access.visibility_for(image.owner, image.visibility),
                image.id,
                config.sharing_profile,
            )

        patch.apply(
            image,
            changes,
            is_admin=context.is_admin,
            enforce=enforce,
            check_visibility=lambda v: access.enforce_visibility_change(context, rel, v),
            tag_quota=config.image_tag_quota,
        )
        rules.check_integer_attributes(image)
        rules.check_quotas(image, config.image_property_quota, config.image_tag_quota)
        image.updated_at = clock.to_storage(clock.now())
        image_store.save(db, image)
    return image


def delete(
    db: sqlite_utils.Database,
    context: RequestContext,
    config: Config,
    blobs: BlobStore,
    image_id: str,
) -> None:
    with atomic(db):
        try:
            image, _ = load(db, context, config, image_id, "delete_image")
        except errors.NotFound as exc:
            raise errors.NotFound(f"Failed to find image {image_id} to delete") from exc
        rules.check_deletable(image)  # an upload in flight then fails its final check (410)
        image_store.mark_deleted(db, image.id, clock.to_storage(clock.now()))
    blobs.delete(image.id)


def deactivate(
    db: sqlite_utils.Database, context: RequestContext, config: Config, image_id: str
) -> None:
    _change_activation(db, context, config, image_id, "deactivate", rules.deactivate)


def reactivate(
    db: sqlite_utils.Database, context: RequestContext, config: Config, image_id: str
) -> None:
    _change_activation(db, context, config, image_id, "reactivate", rules.reactivate)


def _change_activation(
    db: sqlite_utils.Database,
    context: RequestContext,
    config: Config,
    image_id: str,
    action: str,
    transition: Callable[[Image], bool],
) -> None:
    """glance/api/v2/image_actions.py: the policy, then the move (a no-op if already there)."""
    with atomic(db):
        image, _ = load(db, context, config, image_id, action)
        if transition(image):
            image_store.update_fields(
                db, image.id, status=image.status, updated_at=clock.to_storage(clock.now())
            )


def add_tag(
    db: sqlite_utils.Database, context: RequestContext, config: Config, image_id: str, tag: str
) -> None:
    """``PUT /v2/images/{id}/tags/{tag}``, with glance/api/v2/image_tags.py's own messages."""
    validate_image({"tags": [tag]}, config.disk_formats, config.container_formats)
    with atomic(db):
        image = _load_for_tags(db, context, config, image_id)
        if tag in image.tags:
            return
        image.tags.append(tag)
        try:
            rules.check_quotas(image, config.image_property_quota, config.image_tag_quota)
        except errors.RequestEntityTooLarge as exc:
            raise errors.RequestEntityTooLarge(
                f"Image tag limit exceeded for image {image_id}: {exc.message}:"
            ) from exc
        db.execute(
            "INSERT OR IGNORE INTO image_tags (image_id, value) VALUES (?, ?)", [image.id, tag]
        )
        image_store.update_fields(db, image.id, updated_at=clock.to_storage(clock.now()))


def delete_tag(
    db: sqlite_utils.Database, context: RequestContext, config: Config, image_id: str, tag: str
) -> None:
    with atomic(db):
        image = _load_for_tags(db, context, config, image_id)
        if tag not in image.tags:
            raise errors.NotFound()
        db.execute("DELETE FROM image_tags WHERE image_id = ? AND value = ?", [image.id, tag])
        image_store.update_fields(db, image.id, updated_at=clock.to_storage(clock.now()))


def _load_for_tags(
    db: sqlite_utils.Database, context: RequestContext, config: Config, image_id: str
) -> Image:
    # The policy refusal is webob's own Forbidden, which image_tags.py does not rewrap.
    try:
        return load(db, context, config, image_id, "modify_image")[0]
    except errors.NotFound as exc:
        raise errors.NotFound(f"Image {image_id} not found.") from exc
