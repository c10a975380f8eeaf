"""The metadef policy table and visibility rule (glance/policies/metadef.py new defaults,
glance/api/v2/policy.py MetadefAPIPolicy, metadef_api/namespace.py _is_namespace_visible):
every action, for every kind of caller and namespace, allowed or refused as Glance does."""

from __future__ import annotations

import pytest

from emulator.core import errors
from emulator.core.context import RequestContext
from emulator.metadefs.domain import access

ADMIN = RequestContext("p-admin", roles=frozenset({"admin", "member", "reader"}))
READER = RequestContext("p-mine", roles=frozenset({"member", "reader"}))
NO_READER = RequestContext("p-mine", roles=frozenset({"member"}))
NAMESPACES = {
    "own private": ("p-mine", "private"),
    "other private": ("p-other", "private"),
    "other public": ("p-other", "public"),
}
WRITES = sorted(a for a, rule in access.POLICIES.items() if rule == "admin")
READS = sorted(a for a, rule in access.POLICIES.items() if rule == "reader_or_public")


def test_every_policy_of_glances_metadef_file_is_in_the_table() -> None:
    assert len(access.POLICIES) == 26
    assert access.POLICIES["get_metadef_namespaces"] == "project_reader"
    assert "add_metadef_tags" in WRITES and "delete_metadef_tags" in WRITES


@pytest.mark.parametrize("action", sorted(access.POLICIES))
@pytest.mark.parametrize("target", sorted(NAMESPACES))
def test_admin_may_do_everything(action: str, target: str) -> None:
    access.enforce(action, ADMIN, *NAMESPACES[target])


@pytest.mark.parametrize("action", WRITES)
@pytest.mark.parametrize("target", sorted(NAMESPACES))
def test_writes_are_403_where_readable_else_404(action: str, target: str) -> None:
    owner, visibility = NAMESPACES[target]
    expected = errors.NotFound if target == "other private" else errors.Forbidden
    with pytest.raises(expected) as raised:
        access.enforce(action, READER, owner, visibility)
    if expected is errors.Forbidden:
        assert raised.value.message == f"You are not authorized to complete {action} action."


@pytest.mark.parametrize("action", READS)
@pytest.mark.parametrize("target", sorted(NAMESPACES))
def test_reads_need_own_or_public(action: str, target: str) -> None:
    owner, visibility = NAMESPACES[target]
    if target == "other private":
        with pytest.raises(errors.NotFound):
            access.enforce(action, READER, owner, visibility)
    else:
        access.enforce(action, READER, owner, visibility)


@pytest.mark.parametrize("action", READS)
def test_without_the_reader_role_nothing_is_readable(action: str) -> None:
    with pytest.raises(errors.NotFound):
        access.enforce(action, NO_READER, "p-other", "public")


def test_listing_needs_the_reader_role_in_ones_project() -> None:
    access.enforce_collection("get_metadef_namespaces", READER)
    with pytest.raises(errors.NotFound):  # not even get_metadef_namespace holds: a 404
        access.enforce_collection("get_metadef_namespaces", NO_READER)


@pytest.mark.parametrize(
    ("context", "owner", "visibility", "seen"),
    [
        (ADMIN, "p-other", "private", True),
        (READER, None, "private", True),  # an owner-less namespace is everyone's
        (READER, "p-other", "public", True),
        (READER, "p-mine", "private", True),
        (READER, "p-other", "private", False),
        (RequestContext(None, roles=frozenset({"reader"})), "p-other", "private", False),
    ],
)
def test_visibility(
    context: RequestContext, owner: str | None, visibility: str, seen: bool
) -> None:
    assert access.can_see(context, owner, visibility) is seen
