"""Who may see and do what to an image: one table, read like a spec.

Sources: ``glance/db/utils.py`` ``is_image_visible`` (who sees an image by id),
``glance/policies/image.py`` and ``glance/policies/base.py`` (new-default policies: reads need
``role:reader``, writes ``role:member``, admins may do everything), and
``glance/api/v2/policy.py`` (a caller who cannot see the image gets 404, never 403).

The ``strict`` sharing profile is the product story's rule: a member who has not accepted
has no visibility or access at all. ``glance`` (the default) is Glance's: any member row,
whatever its status, grants reading by id.
"""

from __future__ import annotations

from collections.abc import Mapping

from emulator.core import errors
from emulator.core.context import RequestContext

# The caller's relation to an image.
ADMIN = "admin"
OWNER = "owner"
MEMBER_PENDING = "member:pending"
MEMBER_ACCEPTED = "member:accepted"
MEMBER_REJECTED = "member:rejected"
OTHER = "other"
RELATIONS = (ADMIN, OWNER, MEMBER_PENDING, MEMBER_ACCEPTED, MEMBER_REJECTED, OTHER)
MEMBERS = (MEMBER_PENDING, MEMBER_ACCEPTED, MEMBER_REJECTED)


def relation(context: RequestContext, owner: str | None, member_status: str | None) -> str:
    """admin > owner > member (by its status) > other."""
    if context.is_admin:
        return ADMIN
    if owner is not None and owner == context.project_id:
        return OWNER
    if member_status is not None:
        return f"member:{member_status}"
    return OTHER


# VISIBLE[profile][visibility] = relations that can see (show by id) such an image.
VISIBLE: Mapping[str, Mapping[str, frozenset[str]]] = {
    "glance": {
        "public": frozenset(RELATIONS),
        "community": frozenset(RELATIONS),
        "shared": frozenset({ADMIN, OWNER, *MEMBERS}),
        "private": frozenset({ADMIN, OWNER}),
    },
    "strict": {
        "public": frozenset(RELATIONS),
        "community": frozenset(RELATIONS),
        "shared": frozenset({ADMIN, OWNER, MEMBER_ACCEPTED}),
        "private": frozenset({ADMIN, OWNER}),
    },
}

# Actions on an image the caller can see: (role the token needs, relations allowed).
# Admins pass every rule. "visible" means: whoever can see the image.
VISIBLE_TO_ALL = "visible"
IMAGE_ACTIONS: Mapping[str, tuple[str, frozenset[str] | str]] = {
    "get_image": ("reader", VISIBLE_TO_ALL),
    "download_image": ("member", VISIBLE_TO_ALL),
    "modify_image": ("member", frozenset({OWNER})),
    "upload_image": ("member", frozenset({OWNER})),
    "delete_image": ("member", frozenset({OWNER})),
    "deactivate": ("member", frozenset({OWNER})),
    "reactivate": ("member", frozenset({OWNER})),
    "communitize_image": ("member", frozenset({OWNER})),
    "publicize_image": ("admin", frozenset()),
    "set_image_location": ("member", frozenset({OWNER})),
    "delete_image_location": ("admin", frozenset()),
    # Members API (glance/policies/image.py): the owner manages the list; a member may read
    # and change only its own row.
    "add_member": ("member", frozenset({OWNER})),
    "delete_member": ("member", frozenset({OWNER})),
    "get_members": ("reader", frozenset({OWNER, *MEMBERS})),
    "get_member": ("reader", frozenset({OWNER, *MEMBERS})),
    "modify_member": ("member", frozenset({*MEMBERS})),
}


# In the strict profile a member that has not accepted cannot see the image at all, yet it
# must still read and answer its own invitation (GET/PUT .../members/{its own project}):
# that is how it accepts. These two actions on its own row reach it regardless.
OWN_MEMBERSHIP_ACTIONS = frozenset({"get_member", "modify_member"})


# Every members API call passes ``get_image`` (role reader) before its own rule
# (MemberAPIPolicy._enforce); an image action consults ``get_image`` only when its own rule
# fails, to choose 404 over 403 (ImageAPIPolicy._enforce, glance/api/v2/policy.py).
MEMBER_ACTIONS = frozenset(
    {"add_member", "delete_member", "get_members", "get_member", "modify_member"}
)


def visibility_for(owner: str | None, visibility: str) -> str:
    """An image nobody owns is visible to everyone (glance/db/utils.py is_image_visible),
    which is what ``public`` means here; nobody but an admin may change it either way."""
    return "public" if owner is None else visibility


def can_see(rel: str, visibility: str, profile: str = "glance") -> bool:
    return rel in VISIBLE[profile][visibility]


def can_reach(
    action: str, rel: str, visibility: str, profile: str = "glance", own_membership: bool = False
) -> bool:
    """Can the caller get as far as ``action``'s own policy check (else: 404)?

    ``own_membership``: the request names the caller's own member row.
    """
    if can_see(rel, visibility, profile):
        return True
    return (
        own_membership
        and action in OWN_MEMBERSHIP_ACTIONS
        and visibility == "shared"
        and rel in MEMBERS
    )


def effective_relation(rel: str, visibility: str) -> str:
    """A member row only counts while the image is shared.

    Glance puts the caller's project in the policy target's ``member_id`` only for a shared
    image it does not own (``glance/db/__init__.py`` ImageRepo._format_image_from_db), so
    rows left behind after a visibility change grant nothing.
    """
    if rel in MEMBERS and visibility != "shared":
        return OTHER
    return rel


def has_role(context: RequestContext, role: str) -> bool:
    if context.is_admin:
        return True
    return role in context.roles


def is_allowed(
    action: str,
    context: RequestContext,
    rel: str,
    visibility: str,
    profile: str = "glance",
    own_membership: bool = False,
) -> bool:
    """May a caller with this relation do ``action`` to an image of this visibility?"""
    if not can_reach(action, rel, visibility, profile, own_membership):
        return False
    if rel == ADMIN:
        return True
    if action in MEMBER_ACTIONS and not has_role(context, "reader"):
        return False
    role, relations = IMAGE_ACTIONS[action]
    if not has_role(context, role):
        return False
    if relations == VISIBLE_TO_ALL:
        return True
    return effective_relation(rel, visibility) in relations


def policy_refusal(action: str) -> errors.Forbidden:
    """oslo.policy's refusal as Glance words it (glance/common/exception.py Forbidden)."""
    return errors.Forbidden(f"You are not authorized to complete {action} action.")


def hidden(image_id: str) -> errors.NotFound:
    """Glance hides what a caller may not see: always this 404 (glance/db/__init__.py)."""
    return errors.NotFound(f"No image found with ID {image_id}")


def enforce(
    action: str,
    context: RequestContext,
    rel: str,
    visibility: str,
    image_id: str,
    profile: str = "glance",
    own_membership: bool = False,
) -> None:
    """404 if the caller cannot see the image, 403 if it can but may not act."""
    if not can_reach(action, rel, visibility, profile, own_membership):
        raise hidden(image_id)
    if is_allowed(action, context, rel, visibility, profile, own_membership):
        return
    if not has_role(context, "reader"):
        # Cannot even get_image: a refusal must not reveal the image exists.
        raise hidden(image_id)
    raise policy_refusal(action)


def enforce_visibility_change(context: RequestContext, rel: str, visibility: str) -> None:
    """Making an image public needs admin; community needs the owner (policies/image.py)."""
    action = {"public": "publicize_image", "community": "communitize_image"}.get(visibility)
    if action is None or rel == ADMIN:
        return
    role, relations = IMAGE_ACTIONS[action]
    if not has_role(context, role) or rel not in relations:
        raise policy_refusal(action)
