"""``GET /v2/images``: which images a caller may list (and page from).

Pure rules: ``scope_for`` is ``_select_images_query`` plus the visibility post-filter, as a
table; ``in_scope`` is the same rule in Python, for tests and readers (the store writes it in
SQL).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from emulator.core.context import RequestContext
from emulator.image.domain import access

# --- who sees what in a list ---------------------------------------------------------------
#
# glance/db/sqlalchemy/api.py _select_images_query, then _image_get_all's visibility filter.
#
#   part of the union       | regular caller in project P                  | admin
#   ------------------------+----------------------------------------------+----------------
#   public and community    | visibility in (public, community)            | every image,
#   owned                   | owner == P, any visibility                   | no union
#   shared with me          | visibility == shared and P has a member row  |
#                           | whose status is member_status (any: 'all')   |
#   then, for everyone:
#     visibility=X (X != all) -> only visibility X
#     visibility=all          -> nothing more (others' community images included)
#     no visibility           -> drop community images not owned by P
#
# A caller without a project (Glance's context.owner None) gets no "owned" part, its
# "shared with me" part is every shared image having any member row (Glance drops both the
# member and the status test then), and no community image without visibility=X.
#
# Sharing profile "strict" (emulator option, not Glance): a member sees a shared image only
# once it has accepted it. The "shared with me" part then only ever yields accepted shares:
# member_status=accepted or all gives the accepted ones, pending and rejected give none.

ANY_MEMBER = "*"  # the "shared with me" part of a project-less caller


@dataclass(frozen=True)
class Scope:
    everything: bool
    public_and_community: bool
    owner: str | None
    #: Project whose member rows count, ANY_MEMBER, or None for no "shared with me" part.
    member: str | None
    #: Member statuses that count; None means any status.
    member_statuses: tuple[str, ...] | None
    #: Post-filter: only this visibility (None: no such filter).
    only_visibility: str | None
    #: Post-filter when no visibility was asked: community images must be owned by this
    #: project; with ``drop_community`` and no owner, community images are all dropped.
    drop_community: bool
    community_owner: str | None


def scope_for(
    context: RequestContext, visibility: str | None, member_status: str, profile: str
) -> Scope:
    regular = not context.is_admin
    project = context.project_id
    member: str | None = None
    if regular:
        member = project if project is not None else ANY_MEMBER
    # Glance tests the status only alongside the member (so never for a project-less caller).
    statuses: tuple[str, ...] | None = (
        None if member_status == "all" or project is None else (member_status,)
    )
    if profile == "strict":
        statuses = tuple(s for s in (statuses or ("accepted",)) if s == "accepted")
    if statuses == ():
        member = None
    return Scope(
        everything=not regular,
        public_and_community=regular,
        owner=project if regular else None,
        member=member,
        member_statuses=statuses,
        only_visibility=visibility if visibility not in (None, "all") else None,
        drop_community=visibility is None,
        community_owner=project if visibility is None else None,
    )


def in_scope(scope: Scope, owner: str | None, visibility: str, members: Mapping[str, str]) -> bool:
    """Would an image (its owner, visibility and member rows {project: status}) be listed?

    The same rule the store writes in SQL, for tests and readers.
    """

    def member_counts(project: str, status: str) -> bool:
        if scope.member not in (ANY_MEMBER, project):
            return False
        return scope.member_statuses is None or status in scope.member_statuses

    drawn = scope.everything or (
        (scope.public_and_community and visibility in ("public", "community"))
        or (scope.owner is not None and owner == scope.owner)
        or (
            scope.member is not None
            and visibility == "shared"
            and any(member_counts(p, s) for p, s in members.items())
        )
    )
    if not drawn:
        return False
    if scope.only_visibility is not None:
        return visibility == scope.only_visibility
    if scope.drop_community and visibility == "community":
        return scope.community_owner is not None and owner == scope.community_owner
    return True


def marker_visible(
    context: RequestContext,
    owner: str | None,
    visibility: str,
    member_status: str | None,
    profile: str,
) -> bool:
    """glance/db/utils.py is_image_visible (members in any status), with our profiles."""
    if owner is None:
        return True  # "No owner == image visible"
    rel = access.relation(context, owner, member_status)
    return access.can_see(rel, visibility, profile)
