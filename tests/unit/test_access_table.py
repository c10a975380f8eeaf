"""The who-may table in ``emulator.image.domain.access``, every cell, against Glance's rules.

The expected outcome of each cell is computed here, independently of ``access``: from the
policy check strings of ``glance/policies/base.py`` and ``glance/policies/image.py`` (new
defaults), the show-by-id rule of ``glance/db/utils.py`` ``is_image_visible`` and the policy
target built by ``glance/db/__init__.py`` (``member_id`` = the caller's project for a shared
image it does not own), plus ``glance/api/v2/policy.py`` (a refusal is a 404 whenever the caller
cannot ``get_image``). See glance-facts.md §1.10 and §1.11. The ``strict`` profile changes
only who can see a shared image (accepted members), except that a member always reaches its
own member row to read and answer the invitation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from emulator.core import errors
from emulator.core.config import SHARING_PROFILES
from emulator.core.context import RequestContext
from emulator.image.domain import access

VISIBILITIES = ("public", "community", "shared", "private")
PROFILES = ("glance", "strict")
NON_ADMIN_RELATIONS = ("owner", "member:pending", "member:accepted", "member:rejected", "other")

# Token role sets: Keystone expands admin => member => reader, but a context can carry any set.
ROLE_SETS: dict[str, frozenset[str]] = {
    "admin": frozenset({"admin", "member", "reader"}),
    "member+reader": frozenset({"member", "reader"}),
    "reader": frozenset({"reader"}),
    "member-only": frozenset({"member"}),
    "no-role": frozenset(),
}


@dataclass(frozen=True)
class Target:
    """What a Glance policy check sees."""

    roles: frozenset[str]
    project_is_owner: bool  # project_id:%(project_id)s
    member_is_caller: bool  # project_id:%(member_id)s
    visibility: str

    @property
    def is_admin(self) -> bool:  # context_is_admin = role:admin
        return "admin" in self.roles


def _admin_or_project_member(t: Target) -> bool:
    return t.is_admin or ("member" in t.roles and t.project_is_owner)


def _reader_or_member_or_visible(role: str) -> Callable[[Target], bool]:
    def check(t: Target) -> bool:
        return t.is_admin or (
            role in t.roles
            and (
                t.project_is_owner
                or t.member_is_caller
                or t.visibility in ("community", "public", "shared")
            )
        )

    return check


# glance/policies/image.py, written out from the check strings.
GLANCE_POLICIES: dict[str, Callable[[Target], bool]] = {
    "get_image": _reader_or_member_or_visible("reader"),
    "download_image": _reader_or_member_or_visible("member"),
    "modify_image": _admin_or_project_member,
    "upload_image": _admin_or_project_member,
    "delete_image": _admin_or_project_member,
    "deactivate": _admin_or_project_member,
    "reactivate": _admin_or_project_member,
    "communitize_image": _admin_or_project_member,
    "publicize_image": lambda t: t.is_admin,
    "set_image_location": _admin_or_project_member,
    "delete_image_location": lambda t: t.is_admin,
    "add_member": _admin_or_project_member,
    "delete_member": _admin_or_project_member,
    "get_member": lambda t: (
        t.is_admin or ("reader" in t.roles and (t.project_is_owner or t.member_is_caller))
    ),
    "get_members": lambda t: (
        t.is_admin or ("reader" in t.roles and (t.project_is_owner or t.member_is_caller))
    ),
    "modify_member": lambda t: t.is_admin or ("member" in t.roles and t.member_is_caller),
}
MEMBER_POLICIES = ("add_member", "delete_member", "get_member", "get_members", "modify_member")
ROW_ACTIONS = ("get_member", "modify_member", "delete_member")


def visible_in_db(profile: str, rel: str, visibility: str) -> bool:
    """glance/db/utils.py is_image_visible (status=None: any member status counts)."""
    if rel in ("admin", "owner") or visibility in ("public", "community"):
        return True
    if visibility == "shared" and rel.startswith("member:"):
        return profile == "glance" or rel == "member:accepted"
    return False


def expected(
    profile: str, roles: frozenset[str], rel: str, visibility: str, action: str, own_row: bool
) -> int:
    reachable = visible_in_db(profile, rel, visibility) or (
        profile == "strict"
        and own_row
        and action in ("get_member", "modify_member")
        and visibility == "shared"
        and rel.startswith("member:")
    )
    if not reachable:
        return 404
    target = Target(
        roles=roles,
        project_is_owner=rel == "owner",
        member_is_caller=visibility == "shared" and rel != "owner",
        visibility=visibility,
    )
    can_get_image = GLANCE_POLICIES["get_image"](target)
    if action in MEMBER_POLICIES:
        # MemberAPIPolicy._enforce: get_image first, then the member rule.
        if not can_get_image:
            return 404
        return 200 if GLANCE_POLICIES[action](target) else 403
    # ImageAPIPolicy._enforce: the action's rule; on refusal, 404 if not even get_image.
    if GLANCE_POLICIES[action](target):
        return 200
    return 403 if can_get_image else 404


def _callers() -> list[tuple[str, str]]:
    cells = [("admin", "admin")]
    for role_name in ROLE_SETS:
        if role_name != "admin":
            cells.extend((role_name, rel) for rel in NON_ADMIN_RELATIONS)
    return cells


def _cells() -> list[tuple[str, str, str, str, str, bool]]:
    cells = []
    for profile in PROFILES:
        for role_name, rel in _callers():
            for visibility in VISIBILITIES:
                for action in GLANCE_POLICIES:
                    cells.append((profile, role_name, rel, visibility, action, False))
                    if action in ROW_ACTIONS:
                        cells.append((profile, role_name, rel, visibility, action, True))
    return cells


CELLS = _cells()


def _outcome(
    profile: str, roles: frozenset[str], rel: str, visibility: str, action: str, own_row: bool
) -> int:
    context = RequestContext(project_id="caller", roles=roles)
    try:
        access.enforce(action, context, rel, visibility, "img", profile, own_membership=own_row)
    except errors.NotFound:
        return 404
    except errors.Forbidden:
        return 403
    return 200


def test_table_covers_exactly_glances_actions() -> None:
    assert set(access.IMAGE_ACTIONS) == set(GLANCE_POLICIES)
    assert set(access.RELATIONS) == {"admin", *NON_ADMIN_RELATIONS}
    assert set(access.VISIBLE) == set(PROFILES) == set(SHARING_PROFILES)
    for profile in PROFILES:
        assert set(access.VISIBLE[profile]) == set(VISIBILITIES)


def test_every_outcome_occurs() -> None:
    """The table is not trivially permissive or restrictive."""
    outcomes = {expected(*cell) for cell in CELLS}
    assert outcomes == {200, 403, 404}


@pytest.mark.parametrize(
    ("profile", "role_name", "rel", "visibility", "action", "own_row"),
    CELLS,
    ids=[f"{p}-{r}-{rel}-{v}-{a}{'-own' if o else ''}" for p, r, rel, v, a, o in CELLS],
)
def test_cell(
    profile: str, role_name: str, rel: str, visibility: str, action: str, own_row: bool
) -> None:
    roles = ROLE_SETS[role_name]
    want = expected(profile, roles, rel, visibility, action, own_row)
    assert _outcome(profile, roles, rel, visibility, action, own_row) == want
    context = RequestContext(project_id="caller", roles=roles)
    allowed = access.is_allowed(action, context, rel, visibility, profile, own_membership=own_row)
    assert allowed is (want == 200)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("rel", access.RELATIONS)
def test_visible_table(profile: str, visibility: str, rel: str) -> None:
    assert access.can_see(rel, visibility, profile) is visible_in_db(profile, rel, visibility)


def test_a_refusal_never_hides_behind_403_for_an_invisible_image() -> None:
    """404, never 403, for whoever cannot see the image (glance/api/v2/policy.py)."""
    checked = 0
    for profile, role_name, rel, visibility, action, own_row in CELLS:
        if not visible_in_db(profile, rel, visibility) and not own_row:
            assert _outcome(profile, ROLE_SETS[role_name], rel, visibility, action, own_row) == 404
            checked += 1
    assert checked > 0


def test_a_token_without_reader_is_refused_member_calls_as_404() -> None:
    """Glance checks get_image (role reader) before every member rule."""
    for action in MEMBER_POLICIES:
        assert _outcome("glance", ROLE_SETS["member-only"], "owner", "shared", action, True) == 404


@pytest.mark.parametrize(
    ("roles", "owner", "member_status", "want"),
    [
        (frozenset({"admin"}), "caller", "accepted", "admin"),
        (frozenset({"member", "reader"}), "caller", "accepted", "owner"),
        (frozenset({"member", "reader"}), "someone", "pending", "member:pending"),
        (frozenset({"member", "reader"}), "someone", "accepted", "member:accepted"),
        (frozenset({"member", "reader"}), "someone", "rejected", "member:rejected"),
        (frozenset({"member", "reader"}), "someone", None, "other"),
        (frozenset({"member", "reader"}), None, None, "other"),
    ],
)
def test_relation(
    roles: frozenset[str], owner: str | None, member_status: str | None, want: str
) -> None:
    context = RequestContext(project_id="caller", roles=roles)
    assert access.relation(context, owner, member_status) == want


@pytest.mark.parametrize("role_name", ["admin", "member+reader", "reader"])
@pytest.mark.parametrize("new_visibility", VISIBILITIES)
def test_visibility_change_policy(role_name: str, new_visibility: str) -> None:
    """publicize_image is admin-only; communitize_image needs the owner with role member."""
    roles = ROLE_SETS[role_name]
    context = RequestContext(project_id="caller", roles=roles)
    rel = "admin" if role_name == "admin" else "owner"
    target = Target(roles, True, False, "shared")
    policy = {"public": "publicize_image", "community": "communitize_image"}.get(new_visibility)
    allowed = policy is None or GLANCE_POLICIES[policy](target)
    if allowed:
        access.enforce_visibility_change(context, rel, new_visibility)
    else:
        with pytest.raises(errors.Forbidden):
            access.enforce_visibility_change(context, rel, new_visibility)
