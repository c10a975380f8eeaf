"""``emulator.image.domain.members``: statuses, request bodies and the members API's own rules,
with the messages of glance/api/v2/image_members.py, glance/domain/__init__.py and
glance/quota/__init__.py; and the member rows in a real SQLite store."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from emulator.core import errors
from emulator.core.db import Store
from emulator.image.domain import access, members
from emulator.image.domain.members import Membership
from emulator.image.store import members as member_store

EXPECT_MEMBER = 'Expected a member in the form: {"member": "image_id"}'
EXPECT_STATUS = 'Expected a status in the form: {"status": "status"}'
BAD_STATUS = 'Incorrect request: Status must be "pending", "accepted" or "rejected".'
UNEXPECTED_TYPE = "Unexpected body type. Expected list/dict."


def test_statuses_are_glances() -> None:
    assert members.STATUSES == ("pending", "accepted", "rejected")


def test_new_membership_is_pending_with_one_timestamp() -> None:
    row = members.new_membership("img", "proj", "2030-01-02T03:04:05.000006Z")
    assert row == Membership(
        "img", "proj", "pending", "2030-01-02T03:04:05.000006Z", "2030-01-02T03:04:05.000006Z"
    )


# --- POST body (RequestDeserializer.create) -------------------------------------------------


@pytest.mark.parametrize("body", [{"member": "p1"}, {"member": "p1", "extra": 1}])
def test_create_body_gives_the_member(body: dict[str, Any]) -> None:
    assert members.parse_create_body(body) == "p1"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Member to be added not specified"),
        ({"status": "accepted"}, "Member to be added not specified"),
        ({"member": ""}, "Member can't be empty"),
        ({"member": None}, "Member can't be empty"),
        ({"member": 0}, "Member can't be empty"),
        ({"member": []}, "Member can't be empty"),
        ({"member": 0.0}, "Member can't be empty"),
        ({"member": False}, "Member can't be empty"),
        ({"member": ["p1"]}, EXPECT_MEMBER),
        ({"member": {"id": "p1"}}, EXPECT_MEMBER),
        (["p1"], EXPECT_MEMBER),
        ([], EXPECT_MEMBER),
        ("p1", UNEXPECTED_TYPE),
        (12, UNEXPECTED_TYPE),
        (None, UNEXPECTED_TYPE),
        ({"member": "x" * 256}, "Member can't be longer than 255 characters."),
    ],
)
def test_create_body_refusals(body: Any, message: str) -> None:
    with pytest.raises(errors.BadRequest) as caught:
        members.parse_create_body(body)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("value", "stored"),
    [(12, "12"), (True, "1"), (1.5, "1.5"), (2.0, "2.0"), (1e20, "1.0e+20"), (-7, "-7")],
)
def test_a_number_is_a_member_id_as_text(value: Any, stored: str) -> None:
    """Glance takes any truthy value; its database keeps a number as text (seen on a real
    Glance 33: {"member": 12} is listed as "12")."""
    assert members.parse_create_body({"member": value}) == stored


def test_create_body_takes_a_255_character_member() -> None:
    assert members.parse_create_body({"member": "x" * 255}) == "x" * 255


# --- PUT body (RequestDeserializer.update) and the status setter -----------------------------


@pytest.mark.parametrize(
    "body", [{"status": "accepted"}, {"status": "accepted", "member": "ignored", "x": [1]}]
)
def test_update_body_ignores_other_keys(body: dict[str, Any]) -> None:
    assert members.parse_update_body(body) == "accepted"


def test_update_body_does_not_judge_the_value() -> None:
    """The status is checked after the policy checks, as in Glance."""
    assert members.parse_update_body({"status": "bogus"}) == "bogus"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Status not specified"),
        ({"member": "p1"}, "Status not specified"),
        (["accepted"], EXPECT_STATUS),
        ("accepted", UNEXPECTED_TYPE),
        (None, UNEXPECTED_TYPE),
        (1.5, UNEXPECTED_TYPE),
    ],
)
def test_update_body_refusals(body: Any, message: str) -> None:
    with pytest.raises(errors.BadRequest) as caught:
        members.parse_update_body(body)
    assert caught.value.message == message


@pytest.mark.parametrize("status", ["pending", "accepted", "rejected"])
def test_valid_statuses(status: str) -> None:
    assert members.check_status(status) == status


@pytest.mark.parametrize(
    "status", ["bogus", "Accepted", "ACCEPTED", " accepted", "", None, 1, ["accepted"], {}]
)
def test_invalid_statuses(status: Any) -> None:
    with pytest.raises(errors.BadRequest) as caught:
        members.check_status(status)
    assert caught.value.message == BAD_STATUS


# --- Only shared images have members ---------------------------------------------------------

ACTIONS = ("create", "update", "delete", "index", "show")


@pytest.mark.parametrize("action", ACTIONS)
def test_shared_images_pass(action: str) -> None:
    members.check_shared("shared", action, "img")


@pytest.mark.parametrize("visibility", ["public", "community", "private"])
@pytest.mark.parametrize(
    ("action", "error", "message"),
    [
        ("create", errors.Forbidden, "Not allowed to create members for image img."),
        ("update", errors.Forbidden, "Not allowed to update members for image img."),
        ("delete", errors.Forbidden, "Not allowed to delete members for image img."),
        (
            "index",
            errors.Forbidden,
            "Not allowed to list members for image img: Only shared images have members.",
        ),
        ("show", errors.NotFound, "Only shared images have members."),
    ],
)
def test_other_visibilities_have_no_members(
    visibility: str, action: str, error: type[errors.EmulatorError], message: str
) -> None:
    with pytest.raises(error) as caught:
        members.check_shared(visibility, action, "img")
    assert type(caught.value) is error
    assert caught.value.message == message


# --- quota, storage, messages ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "quota", "refused"),
    [
        (0, 0, True),
        (0, 1, False),
        (9, 10, False),
        (10, 10, True),
        (11, 10, True),
        (0, -1, False),
        (10_000, -1, False),
        (127, 128, False),
        (128, 128, True),
    ],
)
def test_member_quota(count: int, quota: int, refused: bool) -> None:
    if not refused:
        members.check_quota(count, quota, "img")
        return
    with pytest.raises(errors.RequestEntityTooLarge) as caught:
        members.check_quota(count, quota, "img")
    assert caught.value.message == (
        "Image member limit exceeded for image img: The limit has been exceeded on the number "
        f"of allowed image members for this image. Attempted: {count + 1}, Maximum: {quota}:"
    )


@pytest.mark.parametrize("member_id", ["proj", "ünïcödé-€", "\uffff"])
def test_storable_members(member_id: str) -> None:
    members.check_storable(member_id)


@pytest.mark.parametrize("member_id", ["\U0001f600", "proj-\U00010000", "\U0010ffff"])
def test_four_byte_characters_are_refused(member_id: str) -> None:
    with pytest.raises(errors.BadRequest) as caught:
        members.check_storable(member_id)
    assert caught.value.message == "Member can't contain 4 byte unicode characters."


def test_messages() -> None:
    assert members.duplicate("m", "i").status == 409
    assert members.duplicate("m", "i").message == "Member m is duplicated for image i"
    assert members.image_not_found("i").message == "Image i not found."
    assert members.member_not_found("m", "i").message == (
        "m not found in the member list of the image i."
    )
    assert access.policy_refusal("add_member").message == (
        "You are not authorized to complete add_member action."
    )


def test_domain_module_is_pure() -> None:
    source = Path(members.__file__).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"flask", "sqlite_utils", "sqlite3", "marshmallow", "werkzeug"}
    assert "clock" not in source


# --- rows in a real store --------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path):  # noqa: ANN201
    store = Store(tmp_path / "e.db", tmp_path / "blobs")
    store.open()
    with store.session() as conn:
        conn.execute(
            "INSERT INTO images (id, status, visibility, owner, created_at, updated_at) "
            "VALUES ('img', 'queued', 'shared', 'owner', 't', 't')"
        )
        yield conn


def test_store_round_trip(db) -> None:  # noqa: ANN001
    first = members.new_membership("img", "b", "2030-01-01T00:00:00.000001Z")
    second = members.new_membership("img", "a", "2030-01-01T00:00:00.000002Z")
    member_store.insert(db, first)
    member_store.insert(db, second)
    assert member_store.get(db, "img", "b") == first
    assert member_store.get(db, "img", "zzz") is None
    assert member_store.count(db, "img") == 2
    # Insertion order, not alphabetical.
    assert [m.member_id for m in member_store.list_for_image(db, "img")] == ["b", "a"]
    assert member_store.list_for_image(db, "img", "a") == [second]
    assert member_store.list_for_image(db, "img", "nobody") == []

    first.status = "accepted"
    first.updated_at = "2030-01-01T00:00:09.000000Z"
    member_store.save_status(db, first)
    stored = member_store.get(db, "img", "b")
    assert stored is not None
    assert (stored.status, stored.created_at, stored.updated_at) == (
        "accepted",
        "2030-01-01T00:00:00.000001Z",
        "2030-01-01T00:00:09.000000Z",
    )
    assert member_store.get(db, "img", "a") == second  # untouched

    member_store.delete(db, "img", "b")
    assert member_store.get(db, "img", "b") is None
    assert member_store.count(db, "img") == 1
