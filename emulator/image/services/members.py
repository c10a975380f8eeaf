"""Image member use cases, one per action of glance/api/v2/image_members.py's controller.

Each follows the controller's order of checks, because the order decides which error a
client sees: the image lookup (404 "Image ... not found." when missing or not visible), then
"Only shared images have members.", then the member policies (``MemberAPIPolicy``: the
``get_image`` check, 404 without ``role:reader``; then the action's rule, 403), then the
member row (404), then the request's own values (quota 413, duplicate 409, status 400).
"""

from __future__ import annotations

from typing import Any

from emulator.core import errors
from emulator.core.unit_of_work import UnitOfWork
from emulator.image.domain import access as rules_access
from emulator.image.domain import members as rules
from emulator.image.domain.members import Membership
from emulator.image.services import access
from emulator.image.services.access import ImageAccess
from emulator.image.store import members as member_store


def _lookup_image(
    uow: UnitOfWork, image_id: str, action: str, member_id: str | None = None
) -> ImageAccess:
    """The image and the caller's relation to it; 404 if the caller cannot see it.

    ``member_id`` is the member row the request names: in the strict profile a member that
    has not accepted reaches only its own row (``access.OWN_MEMBERSHIP_ACTIONS``).
    """
    own = member_id is not None and member_id == uow.context.project_id
    # Member actions read the image's id, owner and visibility only: its row is enough.
    return access.reach(
        uow, image_id, action, own_membership=own, hide=rules.image_not_found, whole=False
    )


def _authorize(
    uow: UnitOfWork, found: ImageAccess, action: str, member_id: str | None = None
) -> None:
    """MemberAPIPolicy._enforce: ``get_image`` first (webob's bare 404), then ``action``."""
    context = uow.context
    if not rules_access.has_role(context, "reader"):
        raise errors.NotFound()
    own = member_id is not None and member_id == context.project_id
    if not rules_access.is_allowed(
        action, context, found.relation, found.visibility, uow.config.sharing_profile, own
    ):
        raise rules_access.policy_refusal(action)


def _lookup_member(uow: UnitOfWork, found: ImageAccess, member_id: str) -> Membership:
    """A row the caller may see: admins and the owner see every row, a member only its own
    (the DB filter in glance/db/sqlalchemy/api.py ``_image_member_find``)."""
    image_id = found.image.id
    if found.relation not in (rules_access.ADMIN, rules_access.OWNER) and (
        member_id != uow.context.project_id
    ):
        raise rules.member_not_found(member_id, image_id)
    membership = member_store.get(uow.db, image_id, member_id)
    if membership is None:
        raise rules.member_not_found(member_id, image_id)
    return membership


def create(uow: UnitOfWork, image_id: str, body: Any) -> Membership:
    """``POST /v2/images/{id}/members``: a new (or re-added) member starts ``pending``."""
    member_id = rules.parse_create_body(body)
    with uow.atomic():
        found = _lookup_image(uow, image_id, "add_member")
        rules.check_shared(found.image.visibility, "create", image_id)
        _authorize(uow, found, "add_member")
        # glance/quota counts before the repo looks for a duplicate.
        count = member_store.count(uow.db, found.image.id)
        rules.check_quota(count, uow.config.image_member_quota, image_id)
        if member_store.get(uow.db, found.image.id, member_id) is not None:
            raise rules.duplicate(member_id, image_id)
        rules.check_storable(member_id)
        membership = rules.new_membership(found.image.id, member_id, uow.now())
        member_store.insert(uow.db, membership)
    return membership


def index(uow: UnitOfWork, image_id: str) -> list[Membership]:
    """``GET /v2/images/{id}/members``: every row for admins and the owner, else one's own."""
    found = _lookup_image(uow, image_id, "get_members")
    rules.check_shared(found.image.visibility, "index", image_id)
    _authorize(uow, found, "get_members")
    if found.relation in (rules_access.ADMIN, rules_access.OWNER):
        return member_store.list_for_image(uow.db, found.image.id)
    return member_store.list_for_image(uow.db, found.image.id, uow.context.project_id)


def show(uow: UnitOfWork, image_id: str, member_id: str) -> Membership:
    """``GET /v2/images/{id}/members/{member}``: every refusal is a 404 here (no leaks)."""
    found = _lookup_image(uow, image_id, "get_member", member_id)
    rules.check_shared(found.image.visibility, "show", image_id)
    try:
        _authorize(uow, found, "get_member", member_id)
    except errors.Forbidden as exc:
        raise errors.NotFound(exc.message) from exc
    return _lookup_member(uow, found, member_id)


def update(uow: UnitOfWork, image_id: str, member_id: str, body: Any) -> Membership:
    """``PUT /v2/images/{id}/members/{member}``: only the member itself (or an admin)."""
    raw_status = rules.parse_update_body(body)
    with uow.atomic():
        found = _lookup_image(uow, image_id, "modify_member", member_id)
        rules.check_shared(found.image.visibility, "update", image_id)
        _authorize(uow, found, "get_member", member_id)
        membership = _lookup_member(uow, found, member_id)
        _authorize(uow, found, "modify_member", member_id)
        membership.status = rules.check_status(raw_status)
        membership.updated_at = uow.now()
        member_store.save_status(uow.db, membership)
    return membership


def delete(uow: UnitOfWork, image_id: str, member_id: str) -> None:
    """``DELETE /v2/images/{id}/members/{member}``: only the owner (or an admin)."""
    with uow.atomic():
        found = _lookup_image(uow, image_id, "delete_member")
        rules.check_shared(found.image.visibility, "delete", image_id)
        _authorize(uow, found, "get_member")
        _lookup_member(uow, found, member_id)
        _authorize(uow, found, "delete_member")
        member_store.delete(uow.db, found.image.id, member_id)
