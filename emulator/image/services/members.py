"""Image member use cases, one per action of glance/api/v2/image_members.py's controller.

Each follows the controller's order of checks, because the order decides which error a
client sees: the image lookup (404 "Image ... not found." when missing or not visible), then
"Only shared images have members.", then the member policies (``MemberAPIPolicy``: the
``get_image`` check, 404 without ``role:reader``; then the action's rule, 403), then the
member row (404), then the request's own values (quota 413, duplicate 409, status 400).
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from emulator.core import clock, errors
from emulator.core.config import Config
from emulator.core.context import RequestContext
from emulator.core.db import atomic
from emulator.image.domain import access
from emulator.image.domain import members as rules
from emulator.image.domain.images import Image
from emulator.image.domain.members import Membership
from emulator.image.store import images as image_store
from emulator.image.store import members as member_store


def _lookup_image(
    db: sqlite_utils.Database,
    context: RequestContext,
    config: Config,
    image_id: str,
    action: str,
    member_id: str | None = None,
) -> tuple[Image, str]:
    """The image and the caller's relation to it; 404 if the caller cannot see it.

    ``member_id`` is the member row the request names: in the strict profile a member that
    has not accepted reaches only its own row (``access.OWN_MEMBERSHIP_ACTIONS``).
    """
    image = image_store.get(db, image_id)
    if image is None:
        raise rules.image_not_found(image_id)
    rel = access.relation(
        context, image.owner, image_store.member_status(db, image.id, context.project_id)
    )
    own = member_id is not None and member_id == context.project_id
    if not access.can_reach(
        action,
        rel,
        access.visibility_for(image.owner, image.visibility),
        config.sharing_profile,
        own,
    ):
        raise rules.image_not_found(image_id)
    return image, rel


def _authorize(
    context: RequestContext,
    config: Config,
    rel: str,
    image: Image,
    action: str,
    member_id: str | None = None,
) -> None:
    """MemberAPIPolicy._enforce: ``get_image`` first (webob's bare 404), then ``action``."""
    if not access.has_role(context, "reader"):
        raise errors.NotFound()
    own = member_id is not None and member_id == context.project_id
    if not access.is_allowed(
        action,
        context,
        rel,
        access.visibility_for(image.owner, image.visibility),
        config.sharing_profile,
        own,
    ):
        raise rules.policy_forbidden(action)


def _lookup_member(
    db: sqlite_utils.Database, context: RequestContext, rel: str, image: Image, member_id: str
) -> Membership:
    """A row the caller may see: admins and the owner see every row, a member only its own
    (the DB filter in glance/db/sqlalchemy/api.py ``_image_member_find``)."""
    if rel not in (access.ADMIN, access.OWNER) and member_id != context.project_id:
        raise rules.member_not_found(member_id, image.id)
    membership = member_store.get(db, image.id, member_id)
    if membership is None:
        raise rules.member_not_found(member_id, image.id)
    return membership


def create(
    db: sqlite_utils.Database, context: RequestContext, config: Config, image_id: str, body: Any
) -> Membership:
    """``POST /v2/images/{id}/members``: a new (or re-added) member starts ``pending``."""
    member_id = rules.parse_create_body(body)
    with atomic(db):
        image, rel = _lookup_image(db, context, config, image_id, "add_member")
        rules.check_shared(image.visibility, "create", image_id)
        _authorize(context, config, rel, image, "add_member")
        # glance/quota counts before the repo looks for a duplicate.
        rules.check_quota(member_store.count(db, image.id), config.image_member_quota, image_id)
        if member_store.get(db, image.id, member_id) is not None:
            raise rules.duplicate(member_id, image_id)
        rules.check_storable(member_id)
        membership = rules.new_membership(image.id, member_id, clock.to_storage(clock.now()))
        member_store.insert(db, membership)
    return membership


def index(
    db: sqlite_utils.Database, context: RequestContext, config: Config, image_id: str
) -> list[Membership]:
    """``GET /v2/images/{id}/members``: every row for admins and the owner, else one's own."""
    image, rel = _lookup_image(db, context, config, image_id, "get_members")
    rules.check_shared(image.visibility, "index", image_id)
    _authorize(context, config, rel, image, "get_members")
    if rel in (access.ADMIN, access.OWNER):
        return member_store.list_for_image(db, image.id)
    return member_store.list_for_image(db, image.id, context.project_id)


def show(
    db: sqlite_utils.Database,
    context: RequestContext,
    config: Config,
    image_id: str,
    member_id: str,
) -> Membership:
    """``GET /v2/images/{id}/members/{member}``: every refusal is a 404 here (no leaks)."""
    image, rel = _lookup_image(db, context, config, image_id, "get_member", member_id)
    rules.check_shared(image.visibility, "show", image_id)
    try:
        _authorize(context, config, rel, image, "get_member", member_id)
    except errors.Forbidden as exc:
        raise errors.NotFound(exc.message) from exc
    return _lookup_member(db, context, rel, image, member_id)


def update(
    db: sqlite_utils.Database,
    context: RequestContext,
    config: Config,
    image_id: str,
    member_id: str,
    body: Any,
) -> Membership:
    """``PUT /v2/images/{id}/members/{member}``: only the member itself (or an admin)."""
    raw_status = rules.parse_update_body(body)
    with atomic(db):
        image, rel = _lookup_image(db, context, config, image_id, "modify_member", member_id)
        rules.check_shared(image.visibility, "update", image_id)
        _authorize(context, config, rel, image, "get_member", member_id)
        membership = _lookup_member(db, context, rel, image, member_id)
        _authorize(context, config, rel, image, "modify_member", member_id)
        membership.status = rules.check_status(raw_status)
        membership.updated_at = clock.to_storage(clock.now())
        member_store.save_status(db, membership)
    return membership


def delete(
    db: sqlite_utils.Database,
    context: RequestContext,
    config: Config,
    image_id: str,
    member_id: str,
) -> None:
    """``DELETE /v2/images/{id}/members/{member}``: only the owner (or an admin)."""
    with atomic(db):
        image, rel = _lookup_image(db, context, config, image_id, "delete_member")
        rules.check_shared(image.visibility, "delete", image_id)
        _authorize(context, config, rel, image, "get_member")
        _lookup_member(db, context, rel, image, member_id)
        _authorize(context, config, rel, image, "delete_member")
        member_store.delete(db, image.id, member_id)
