"""The one image-access helper: look the image up, relate the caller to it, check, or hide.

Every image, member, data and listing path goes through here, so "who may see or do what"
is decided by ``image.domain.access`` in one way: a caller who may not see an image gets a
404 (never a 403 that would reveal it), one who sees it but may not act gets the policy's
403 (glance/api/v2/policy.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from emulator.core import errors
from emulator.core.unit_of_work import UnitOfWork
from emulator.image.domain import access, list_scope
from emulator.image.domain.images import Image
from emulator.image.store import image_queries
from emulator.image.store import images as image_store

Hide = Callable[[str], errors.NotFound]


@dataclass(frozen=True)
class ImageAccess:
    """An image and how the caller relates to it (``access.RELATIONS``)."""

    image: Image
    relation: str

    @property
    def visibility(self) -> str:
        """The visibility the rules read (an owner-less image counts as public)."""
        return access.visibility_for(self.image.owner, self.image.visibility)


def relate(
    uow: UnitOfWork, image_id: str, hide: Hide = access.hidden, whole: bool = True
) -> ImageAccess:
    """The live image and the caller's relation to it; ``hide`` (404) if there is none.
    With ``whole`` False the image has its own row only (``image_store.get``)."""
    image = image_store.get(uow.db, image_id, whole)
    if image is None:
        raise hide(image_id)
    status = image_store.member_status(uow.db, image.id, uow.context.project_id)
    return ImageAccess(image, access.relation(uow.context, image.owner, status))


def reach(
    uow: UnitOfWork,
    image_id: str,
    action: str = "get_image",
    *,
    own_membership: bool = False,
    hide: Hide = access.hidden,
    whole: bool = True,
) -> ImageAccess:
    """``relate``, then ``hide`` unless the caller gets as far as ``action``'s own check."""
    found = relate(uow, image_id, hide, whole)
    if not access.can_reach(
        action, found.relation, found.visibility, uow.config.sharing_profile, own_membership
    ):
        raise hide(image_id)
    return found


def authorize(uow: UnitOfWork, found: ImageAccess, action: str) -> None:
    """``action``'s policy on an image the caller reached: 404 or 403 as Glance answers."""
    access.enforce(
        action,
        uow.context,
        found.relation,
        found.visibility,
        found.image.id,
        uow.config.sharing_profile,
    )


def load(uow: UnitOfWork, image_id: str, action: str = "get_image") -> ImageAccess:
    """Look up, relate, check, hide: the image if the caller may do ``action`` to it."""
    found = relate(uow, image_id)
    authorize(uow, found, action)
    return found


def still_visible(uow: UnitOfWork, image: Image) -> bool:
    """Can the caller still see ``image`` (as changed, not yet re-read)?"""
    status = image_store.member_status(uow.db, image.id, uow.context.project_id)
    rel = access.relation(uow.context, image.owner, status)
    visibility = access.visibility_for(image.owner, image.visibility)
    return access.can_see(rel, visibility, uow.config.sharing_profile)


def require_role(uow: UnitOfWork, role: str, action: str) -> None:
    """A collection-level policy (``add_image``, ``get_images``): the role, else 403."""
    if not access.has_role(uow.context, role):
        raise access.policy_refusal(action)


def marker_row(uow: UnitOfWork, marker_id: str) -> dict[str, object] | None:
    """The listing marker's row (None if there is none); 403 if the caller cannot see it.

    Admins may page from a deleted image (glance/db/sqlalchemy/api.py ``_paginate_query``).
    """
    row = image_queries.marker_row(uow.db, marker_id, include_deleted=uow.context.is_admin)
    if row is None:
        return None
    status = image_store.member_status(uow.db, marker_id, uow.context.project_id)
    if not list_scope.marker_visible(
        uow.context, row["owner"], row["visibility"], status, uow.config.sharing_profile
    ):
        raise errors.Forbidden(f"Forbidding request, image {marker_id} not visible")
    return row
