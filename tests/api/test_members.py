"""``/v2/images/{id}/members[/{member_id}]``: every endpoint, every error, Glance's words.

Behaviour from glance/api/v2/image_members.py (controller order of checks, messages,
serializer), glance/policies/image.py (who may), glance/db (a member sees only its own row;
re-adding a removed member starts it over), glance/quota (image_member_quota) and
glance/tests/functional/v2/test_image_members.py; the negative checks of glance-facts.md §4.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator.core import clock
from emulator.core.config import Config
from emulator.core.db import atomic
from emulator.identity.domain.roles import expand
from emulator.identity.services import accounts, tokens
from emulator.image.domain.members import new_membership
from emulator.image.store import members as member_store

JSON_PATCH = "application/openstack-images-v2.1-json-patch"
MEMBER_KEYS = ["member_id", "image_id", "status", "created_at", "updated_at", "schema"]
GLANCE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
MISSING_IMAGE = "3b3e2a5c-2f6e-4a54-9d1f-5f0b0c2e1a77"


@pytest.fixture
def config(tmp_path: Path, request: pytest.FixtureRequest) -> Config:
    """Overrides the shared fixture so a test can ask for other settings (indirect=True)."""
    overrides: dict[str, Any] = getattr(request, "param", {})
    return Config(data_dir=tmp_path / "data", **overrides)


class Clock:
    """Real time plus an offset the test moves forward (tokens stay valid)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.offset = dt.timedelta()
        real_now = clock.now
        monkeypatch.setattr(clock, "now", lambda: real_now() + self.offset)

    def advance(self, seconds: int) -> None:
        self.offset += dt.timedelta(seconds=seconds)


@pytest.fixture
def moving_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    yield Clock(monkeypatch)


# --- helpers ---------------------------------------------------------------------------------


def message(response: Any) -> str:
    """The explanation inside Glance's JSON error body."""
    body = response.get_json()
    assert set(body) == {"message", "code", "title"}, body
    assert body["code"] == f"{response.status_code} {body['title']}"
    return body["message"].split("<br />")[0]


def create_image(client: FlaskClient, users: Any, who: str = "producer", **body: Any) -> dict:
    body.setdefault("name", "shared-image")
    body.setdefault("disk_format", "raw")
    body.setdefault("container_format", "bare")
    response = client.post("/v2/images", json=body, headers=users.headers(who))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def members_url(image_id: str, member_id: str | None = None) -> str:
    url = f"/v2/images/{image_id}/members"
    return url if member_id is None else f"{url}/{member_id}"


def add(
    client: FlaskClient, users: Any, image_id: str, member_id: str, who: str = "producer"
) -> Any:
    return client.post(
        members_url(image_id), json={"member": member_id}, headers=users.headers(who)
    )


def set_status(
    client: FlaskClient, users: Any, image_id: str, member_id: str, status: Any, who: str
) -> Any:
    return client.put(
        members_url(image_id, member_id), json={"status": status}, headers=users.headers(who)
    )


def rows(client: FlaskClient, users: Any, image_id: str, who: str = "producer") -> list[dict]:
    response = client.get(members_url(image_id), headers=users.headers(who))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["members"]


def statuses(client: FlaskClient, users: Any, image_id: str) -> dict[str, str]:
    """The owner's view of every row: member -> status."""
    return {row["member_id"]: row["status"] for row in rows(client, users, image_id)}


@pytest.fixture
def shared(client: FlaskClient, users: Any) -> str:
    """A shared image of the producer's with the consumer as a pending member."""
    image = create_image(client, users)
    assert image["visibility"] == "shared"  # Glance's default on create
    assert add(client, users, image["id"], users.project("consumer")).status_code == 200
    return image["id"]


def reader_only_headers(app: Flask, name: str) -> dict[str, str]:
    """A token with role reader alone on the user's project (no member role)."""
    store = app.extensions["emulator.store"]
    with store.session() as db:
        user = accounts.find_user(db, name, accounts.DEFAULT_DOMAIN_ID)
        assert user is not None and user.default_project_id is not None
        token, _ = tokens.issue(
            db,
            user_id=user.id,
            project_id=user.default_project_id,
            roles=expand(["reader"]),
            methods=["password"],
            ttl_seconds=3600,
        )
    return {"X-Auth-Token": token, "Accept": "application/json"}


# --- create ----------------------------------------------------------------------------------


def test_create_answers_200_with_a_pending_member_document(client: FlaskClient, users: Any) -> None:
    image = create_image(client, users)
    consumer = users.project("consumer")
    response = add(client, users, image["id"], consumer)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    doc = response.get_json()
    assert list(doc) == MEMBER_KEYS  # _format_image_member's order
    assert doc["member_id"] == consumer
    assert doc["image_id"] == image["id"]
    assert doc["status"] == "pending"
    assert doc["schema"] == "/v2/schemas/member"
    assert GLANCE_TIME.match(doc["created_at"]) and doc["created_at"] == doc["updated_at"]
    assert rows(client, users, image["id"]) == [doc]


def test_documents_match_the_served_schemas(client: FlaskClient, users: Any, shared: str) -> None:
    headers = users.headers("producer")
    member_schema = client.get("/v2/schemas/member", headers=headers).get_json()
    members_schema = client.get("/v2/schemas/members", headers=headers).get_json()
    listing = client.get(members_url(shared), headers=headers).get_json()
    assert set(listing) == {"members", "schema"}
    assert listing["schema"] == "/v2/schemas/members"
    jsonschema.validate(listing, members_schema)
    for doc in listing["members"]:
        jsonschema.validate(doc, member_schema)
        assert set(doc) == set(member_schema["properties"])


def test_any_project_id_may_be_added(client: FlaskClient, users: Any) -> None:
    """Glance does not check that the member project exists."""
    image = create_image(client, users)
    response = add(client, users, image["id"], "not-a-known-project")
    assert response.status_code == 200
    assert response.get_json()["member_id"] == "not-a-known-project"


def test_admin_may_add_members_to_anyones_shared_image(client: FlaskClient, users: Any) -> None:
    image = create_image(client, users)
    response = add(client, users, image["id"], users.project("consumer"), who="admin")
    assert response.status_code == 200
    assert statuses(client, users, image["id"]) == {users.project("consumer"): "pending"}


def test_duplicate_member_is_409(client: FlaskClient, users: Any, shared: str) -> None:
    consumer = users.project("consumer")
    assert set_status(client, users, shared, consumer, "accepted", "consumer").status_code == 200
    response = add(client, users, shared, consumer)
    assert response.status_code == 409
    assert message(response) == f"Member {consumer} is duplicated for image {shared}"
    assert statuses(client, users, shared) == {consumer: "accepted"}  # not reset


@pytest.mark.parametrize(
    ("body", "explanation"),
    [
        ({}, "Member to be added not specified"),
        ({"members": "x"}, "Member to be added not specified"),
        ({"member": ""}, "Member can't be empty"),
        ({"member": None}, "Member can't be empty"),
        (["x"], 'Expected a member in the form: {"member": "image_id"}'),
        ({"member": ["p"]}, 'Expected a member in the form: {"member": "image_id"}'),
        ("x", "Unexpected body type. Expected list/dict."),
        ({"member": "x" * 256}, "Member can't be longer than 255 characters."),
        ({"member": "proj-\U0001f600"}, "Member can't contain 4 byte unicode characters."),
    ],
)
def test_create_body_errors(client: FlaskClient, users: Any, body: Any, explanation: str) -> None:
    image = create_image(client, users)
    response = client.post(members_url(image["id"]), json=body, headers=users.headers("producer"))
    assert response.status_code == 400
    assert message(response) == explanation
    assert rows(client, users, image["id"]) == []


def test_a_numeric_member_id_is_taken_as_text(client: FlaskClient, users: Any, shared: str) -> None:
    response = client.post(
        members_url(shared), json={"member": 42}, headers=users.headers("producer")
    )
    assert response.status_code == 200
    # Glance answers with the member it built from the request (seen on a real Glance 33),
    # and the stored text from then on.
    assert response.get_json()["member_id"] == 42
    assert "42" in statuses(client, users, shared)


@pytest.mark.parametrize(
    ("data", "explanation"),
    [
        ('{"member": ', "Malformed JSON in request body."),
        ("not json", "Malformed JSON in request body."),
        (b"\xff\xfe", "Malformed JSON in request body."),
        ("", "Body expected in request."),
    ],
)
def test_create_unparsable_bodies(
    client: FlaskClient, users: Any, data: Any, explanation: str
) -> None:
    image = create_image(client, users)
    response = client.post(
        members_url(image["id"]),
        data=data,
        headers=users.headers("producer", **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 400
    assert message(response) == explanation
    assert rows(client, users, image["id"]) == []


def test_body_is_checked_before_the_image(client: FlaskClient, users: Any) -> None:
    """The deserializer runs first (400), which reveals nothing about the image."""
    response = client.post(members_url(MISSING_IMAGE), json={}, headers=users.headers("outsider"))
    assert response.status_code == 400


def test_consumer_cannot_add_members(client: FlaskClient, users: Any, shared: str) -> None:
    before = statuses(client, users, shared)
    response = add(client, users, shared, users.project("outsider"), who="consumer")
    assert response.status_code == 403
    assert message(response) == "You are not authorized to complete add_member action."
    assert statuses(client, users, shared) == before


def test_reader_only_owner_cannot_add_members(app: Flask, client: FlaskClient, users: Any) -> None:
    image = create_image(client, users)
    response = client.post(
        members_url(image["id"]), json={"member": "p"}, headers=reader_only_headers(app, "producer")
    )
    assert response.status_code == 403
    assert message(response) == "You are not authorized to complete add_member action."
    assert rows(client, users, image["id"]) == []


# --- quota -----------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [{"image_member_quota": 10}], indirect=True)
def test_member_quota_413_on_the_eleventh(client: FlaskClient, users: Any) -> None:
    image = create_image(client, users)
    for number in range(10):
        assert add(client, users, image["id"], f"project-{number}").status_code == 200
    response = add(client, users, image["id"], "project-10")
    assert response.status_code == 413
    assert message(response) == (
        f"Image member limit exceeded for image {image['id']}: The limit has been exceeded on "
        "the number of allowed image members for this image. Attempted: 11, Maximum: 10:"
    )
    assert len(rows(client, users, image["id"])) == 10
    # The quota is counted before the duplicate check (glance/quota wraps the factory).
    assert add(client, users, image["id"], "project-0").status_code == 413
    # Room again once a member is removed.
    deleted = client.delete(
        members_url(image["id"], "project-3"), headers=users.headers("producer")
    )
    assert deleted.status_code == 204
    assert add(client, users, image["id"], "project-10").status_code == 200
    assert add(client, users, image["id"], "project-11").status_code == 413


@pytest.mark.parametrize("config", [{"image_member_quota": 0}], indirect=True)
def test_member_quota_zero_refuses_the_first(client: FlaskClient, users: Any) -> None:
    image = create_image(client, users)
    response = add(client, users, image["id"], "p")
    assert response.status_code == 413
    assert message(response).endswith("Attempted: 1, Maximum: 0:")


def seed_members(app: Flask, image_id: str, count: int) -> None:
    """Rows straight into the store: quicker than hundreds of requests."""
    with app.extensions["emulator.store"].session() as db, atomic(db):
        for number in range(count):
            member_store.insert(db, new_membership(image_id, f"seeded-{number}", "2030-01-01"))


@pytest.mark.parametrize("config", [{"image_member_quota": -1}], indirect=True)
def test_negative_member_quota_is_unlimited(app: Flask, client: FlaskClient, users: Any) -> None:
    image = create_image(client, users)
    seed_members(app, image["id"], 300)
    assert add(client, users, image["id"], "one-more").status_code == 200
    assert len(rows(client, users, image["id"])) == 301


def test_default_member_quota_is_128(app: Flask, client: FlaskClient, users: Any) -> None:
    image = create_image(client, users)
    seed_members(app, image["id"], 127)
    assert add(client, users, image["id"], "the-128th").status_code == 200
    response = add(client, users, image["id"], "one-too-many")
    assert response.status_code == 413
    assert message(response).endswith("Attempted: 129, Maximum: 128:")


# --- index -----------------------------------------------------------------------------------


def test_owner_and_admin_list_every_row_members_only_their_own(
    client: FlaskClient, users: Any, shared: str
) -> None:
    consumer, outsider = users.project("consumer"), users.project("outsider")
    assert add(client, users, shared, outsider).status_code == 200
    assert [r["member_id"] for r in rows(client, users, shared)] == [consumer, outsider]
    assert [r["member_id"] for r in rows(client, users, shared, "admin")] == [consumer, outsider]
    own = rows(client, users, shared, "consumer")
    assert [r["member_id"] for r in own] == [consumer]
    assert outsider not in str(own)
    assert [r["member_id"] for r in rows(client, users, shared, "outsider")] == [outsider]


def test_owner_lists_an_image_without_members(client: FlaskClient, users: Any) -> None:
    image = create_image(client, users)
    response = client.get(members_url(image["id"]), headers=users.headers("producer"))
    assert response.status_code == 200
    assert response.get_json() == {"members": [], "schema": "/v2/schemas/members"}


@pytest.mark.parametrize("status", ["pending", "accepted", "rejected"])
def test_a_member_in_any_status_lists_its_row(
    client: FlaskClient, users: Any, shared: str, status: str
) -> None:
    consumer = users.project("consumer")
    assert set_status(client, users, shared, consumer, status, "consumer").status_code == 200
    assert [(r["member_id"], r["status"]) for r in rows(client, users, shared, "consumer")] == [
        (consumer, status)
    ]


# --- show ------------------------------------------------------------------------------------


def test_show_member(client: FlaskClient, users: Any, shared: str) -> None:
    consumer = users.project("consumer")
    listed = rows(client, users, shared)[0]
    for who in ("producer", "consumer", "admin"):
        response = client.get(members_url(shared, consumer), headers=users.headers(who))
        assert response.status_code == 200, who
        assert response.get_json() == listed
        assert list(response.get_json()) == MEMBER_KEYS


def test_show_unknown_member_is_404(client: FlaskClient, users: Any, shared: str) -> None:
    response = client.get(members_url(shared, "nobody"), headers=users.headers("producer"))
    assert response.status_code == 404
    assert message(response) == f"nobody not found in the member list of the image {shared}."


def test_a_member_cannot_see_another_members_row(
    client: FlaskClient, users: Any, shared: str
) -> None:
    outsider = users.project("outsider")
    assert add(client, users, shared, outsider).status_code == 200
    response = client.get(members_url(shared, outsider), headers=users.headers("consumer"))
    assert response.status_code == 404
    assert message(response) == f"{outsider} not found in the member list of the image {shared}."
    assert "pending" not in response.get_data(as_text=True)


# --- update ----------------------------------------------------------------------------------


def test_member_moves_between_statuses(
    client: FlaskClient, users: Any, shared: str, moving_clock: Clock
) -> None:
    consumer = users.project("consumer")
    created = rows(client, users, shared)[0]
    for status in ("accepted", "rejected", "pending", "accepted"):
        moving_clock.advance(2)
        response = set_status(client, users, shared, consumer, status, "consumer")
        assert response.status_code == 200
        doc = response.get_json()
        assert list(doc) == MEMBER_KEYS
        assert doc["status"] == status
        assert doc["created_at"] == created["created_at"]
        assert doc["updated_at"] > created["created_at"]
        assert statuses(client, users, shared) == {consumer: status}
        shown = client.get(members_url(shared, consumer), headers=users.headers("consumer"))
        assert shown.get_json() == doc


def test_update_ignores_extra_keys(client: FlaskClient, users: Any, shared: str) -> None:
    consumer = users.project("consumer")
    response = client.put(
        members_url(shared, consumer),
        json={"status": "accepted", "member": "someone-else", "image_id": "x", "extra": [1]},
        headers=users.headers("consumer"),
    )
    assert response.status_code == 200
    assert response.get_json()["member_id"] == consumer
    assert response.get_json()["image_id"] == shared
    assert statuses(client, users, shared) == {consumer: "accepted"}


def test_owner_cannot_accept_for_the_consumer(client: FlaskClient, users: Any, shared: str) -> None:
    consumer = users.project("consumer")
    response = set_status(client, users, shared, consumer, "accepted", "producer")
    assert response.status_code == 403
    assert message(response) == "You are not authorized to complete modify_member action."
    assert statuses(client, users, shared) == {consumer: "pending"}


def test_owner_is_refused_before_the_status_is_judged(
    client: FlaskClient, users: Any, shared: str
) -> None:
    response = set_status(client, users, shared, users.project("consumer"), "bogus", "producer")
    assert response.status_code == 403


def test_admin_may_set_a_members_status(client: FlaskClient, users: Any, shared: str) -> None:
    consumer = users.project("consumer")
    response = set_status(client, users, shared, consumer, "accepted", "admin")
    assert response.status_code == 200
    assert statuses(client, users, shared) == {consumer: "accepted"}


def test_reader_only_member_cannot_change_its_status(
    app: Flask, client: FlaskClient, users: Any, shared: str
) -> None:
    consumer = users.project("consumer")
    headers = reader_only_headers(app, "consumer")
    shown = client.get(members_url(shared, consumer), headers=headers)
    assert shown.status_code == 200
    response = client.put(
        members_url(shared, consumer), json={"status": "accepted"}, headers=headers
    )
    assert response.status_code == 403
    assert message(response) == "You are not authorized to complete modify_member action."
    assert statuses(client, users, shared) == {consumer: "pending"}


@pytest.mark.parametrize("status", ["bogus", "ACCEPTED", "", None, 1, ["accepted"]])
def test_bogus_status_is_400(client: FlaskClient, users: Any, shared: str, status: Any) -> None:
    consumer = users.project("consumer")
    response = set_status(client, users, shared, consumer, status, "consumer")
    assert response.status_code == 400
    assert message(response) == (
        'Incorrect request: Status must be "pending", "accepted" or "rejected".'
    )
    assert statuses(client, users, shared) == {consumer: "pending"}


@pytest.mark.parametrize(
    ("body", "explanation"),
    [
        ({}, "Status not specified"),
        ({"member": "x"}, "Status not specified"),
        (["accepted"], 'Expected a status in the form: {"status": "status"}'),
        ("accepted", "Unexpected body type. Expected list/dict."),
    ],
)
def test_update_body_errors(
    client: FlaskClient, users: Any, shared: str, body: Any, explanation: str
) -> None:
    consumer = users.project("consumer")
    response = client.put(
        members_url(shared, consumer), json=body, headers=users.headers("consumer")
    )
    assert response.status_code == 400
    assert message(response) == explanation
    assert statuses(client, users, shared) == {consumer: "pending"}


def test_update_without_body_or_with_broken_json(
    client: FlaskClient, users: Any, shared: str
) -> None:
    url = members_url(shared, users.project("consumer"))
    response = client.put(url, headers=users.headers("consumer"))
    assert response.status_code == 400
    assert message(response) == "Body expected in request."
    response = client.put(url, data="{", headers=users.headers("consumer"))
    assert response.status_code == 400
    assert message(response) == "Malformed JSON in request body."


def test_a_member_cannot_change_another_members_row(
    client: FlaskClient, users: Any, shared: str
) -> None:
    outsider = users.project("outsider")
    assert add(client, users, shared, outsider).status_code == 200
    response = set_status(client, users, shared, outsider, "accepted", "consumer")
    assert response.status_code == 404
    assert message(response) == f"{outsider} not found in the member list of the image {shared}."
    assert statuses(client, users, shared)[outsider] == "pending"


def test_update_unknown_member_is_404(client: FlaskClient, users: Any, shared: str) -> None:
    response = set_status(client, users, shared, "nobody", "accepted", "admin")
    assert response.status_code == 404
    assert message(response) == f"nobody not found in the member list of the image {shared}."


# --- delete ----------------------------------------------------------------------------------


def test_owner_removes_a_member(client: FlaskClient, users: Any, shared: str) -> None:
    consumer = users.project("consumer")
    response = client.delete(members_url(shared, consumer), headers=users.headers("producer"))
    assert response.status_code == 204
    assert response.get_data() == b""
    assert rows(client, users, shared) == []
    # The former member no longer sees the image at all.
    assert client.get(f"/v2/images/{shared}", headers=users.headers("consumer")).status_code == 404
    again = client.delete(members_url(shared, consumer), headers=users.headers("producer"))
    assert again.status_code == 404
    assert message(again) == f"{consumer} not found in the member list of the image {shared}."


def test_admin_removes_a_member(client: FlaskClient, users: Any, shared: str) -> None:
    consumer = users.project("consumer")
    response = client.delete(members_url(shared, consumer), headers=users.headers("admin"))
    assert response.status_code == 204
    assert rows(client, users, shared) == []


def test_consumer_cannot_delete_its_membership(
    client: FlaskClient, users: Any, shared: str
) -> None:
    consumer = users.project("consumer")
    response = client.delete(members_url(shared, consumer), headers=users.headers("consumer"))
    assert response.status_code == 403
    assert message(response) == "You are not authorized to complete delete_member action."
    assert statuses(client, users, shared) == {consumer: "pending"}


def test_re_adding_a_removed_member_starts_over(
    client: FlaskClient, users: Any, shared: str, moving_clock: Clock
) -> None:
    consumer = users.project("consumer")
    first = rows(client, users, shared)[0]
    assert set_status(client, users, shared, consumer, "accepted", "consumer").status_code == 200
    assert (
        client.delete(members_url(shared, consumer), headers=users.headers("producer")).status_code
        == 204
    )
    moving_clock.advance(5)
    response = add(client, users, shared, consumer)
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["status"] == "pending"
    assert doc["created_at"] == doc["updated_at"] > first["created_at"]
    assert rows(client, users, shared) == [doc]


# --- who cannot see the image: 404, never 403, and no leaks ---------------------------------


def test_outsider_gets_404_everywhere(client: FlaskClient, users: Any, shared: str) -> None:
    consumer = users.project("consumer")
    headers = users.headers("outsider")
    image = client.get(f"/v2/images/{shared}", headers=headers)
    assert image.status_code == 404
    calls = [
        client.get(members_url(shared), headers=headers),
        client.post(members_url(shared), json={"member": "someone"}, headers=headers),
        client.get(members_url(shared, consumer), headers=headers),
        client.put(members_url(shared, consumer), json={"status": "rejected"}, headers=headers),
        client.delete(members_url(shared, consumer), headers=headers),
    ]
    for response in calls:
        assert response.status_code == 404
        assert message(response) == f"Image {shared} not found."
        assert "pending" not in response.get_data(as_text=True)
    # Nothing the outsider did left a trace.
    assert statuses(client, users, shared) == {consumer: "pending"}
    # The consumer's id never appears in an answer unless the caller put it in the URL.
    for response in calls[:2]:
        assert consumer not in response.get_data(as_text=True)


def test_outsider_cannot_see_private_image_members(client: FlaskClient, users: Any) -> None:
    image = create_image(client, users, visibility="private")
    response = client.get(members_url(image["id"]), headers=users.headers("outsider"))
    assert response.status_code == 404
    assert message(response) == f"Image {image['id']} not found."


@pytest.mark.parametrize(
    ("method", "path_suffix", "body"),
    [
        ("get", "", None),
        ("post", "", {"member": "x"}),
        ("get", "/x", None),
        ("put", "/x", {"status": "accepted"}),
        ("delete", "/x", None),
    ],
)
def test_unknown_image_is_404(
    client: FlaskClient, users: Any, method: str, path_suffix: str, body: Any
) -> None:
    kwargs: dict[str, Any] = {"headers": users.headers("admin")}
    if body is not None:
        kwargs["json"] = body
    response = getattr(client, method)(members_url(MISSING_IMAGE) + path_suffix, **kwargs)
    assert response.status_code == 404
    assert message(response) == f"Image {MISSING_IMAGE} not found."


def test_members_of_a_deleted_image_are_gone(
    app: Flask, client: FlaskClient, users: Any, shared: str
) -> None:
    consumer = users.project("consumer")
    assert set_status(client, users, shared, consumer, "accepted", "consumer").status_code == 200
    deleted = client.delete(f"/v2/images/{shared}", headers=users.headers("producer"))
    assert deleted.status_code == 204
    for who in ("producer", "consumer", "admin"):
        response = client.get(members_url(shared), headers=users.headers(who))
        assert response.status_code == 404
        assert message(response) == f"Image {shared} not found."
    with app.extensions["emulator.store"].session() as db:
        count = db.execute("SELECT COUNT(*) FROM image_members WHERE image_id = ?", [shared])
        assert count.fetchone()[0] == 0


# --- only shared images have members ---------------------------------------------------------


def _non_shared_image(client: FlaskClient, users: Any, visibility: str) -> str:
    if visibility == "public":  # publicize_image is admin-only; the producer still owns it
        image = create_image(
            client, users, who="admin", visibility="public", owner=users.project("producer")
        )
    else:
        image = create_image(client, users, visibility=visibility)
    assert image["visibility"] == visibility
    return image["id"]


@pytest.mark.parametrize("who", ["producer", "admin"])
@pytest.mark.parametrize("visibility", ["private", "public", "community"])
def test_non_shared_images_have_no_members(
    client: FlaskClient, users: Any, visibility: str, who: str
) -> None:
    image_id = _non_shared_image(client, users, visibility)
    headers = users.headers(who)
    consumer = users.project("consumer")

    response = client.post(members_url(image_id), json={"member": consumer}, headers=headers)
    assert response.status_code == 403
    assert message(response) == f"Not allowed to create members for image {image_id}."

    response = client.get(members_url(image_id), headers=headers)
    assert response.status_code == 403
    assert message(response) == (
        f"Not allowed to list members for image {image_id}: Only shared images have members."
    )

    response = client.get(members_url(image_id, consumer), headers=headers)
    assert response.status_code == 404
    assert message(response) == "Only shared images have members."

    response = client.put(
        members_url(image_id, consumer), json={"status": "accepted"}, headers=headers
    )
    assert response.status_code == 403
    assert message(response) == f"Not allowed to update members for image {image_id}."

    response = client.delete(members_url(image_id, consumer), headers=headers)
    assert response.status_code == 403
    assert message(response) == f"Not allowed to delete members for image {image_id}."


@pytest.mark.parametrize("visibility", ["public", "community"])
def test_anyone_who_sees_a_non_shared_image_gets_the_shared_only_answer(
    client: FlaskClient, users: Any, visibility: str
) -> None:
    image_id = _non_shared_image(client, users, visibility)
    response = client.post(
        members_url(image_id), json={"member": "x"}, headers=users.headers("outsider")
    )
    assert response.status_code == 403
    assert message(response) == f"Not allowed to create members for image {image_id}."


def test_visibility_change_keeps_member_rows_without_granting_access(
    client: FlaskClient, users: Any, shared: str
) -> None:
    consumer = users.project("consumer")
    assert set_status(client, users, shared, consumer, "accepted", "consumer").status_code == 200

    def patch_visibility(visibility: str) -> None:
        response = client.patch(
            f"/v2/images/{shared}",
            json=[{"op": "replace", "path": "/visibility", "value": visibility}],
            headers=users.headers("producer", **{"Content-Type": JSON_PATCH}),
        )
        assert response.status_code == 200, response.get_data(as_text=True)

    patch_visibility("private")
    assert client.get(f"/v2/images/{shared}", headers=users.headers("consumer")).status_code == 404
    response = client.get(members_url(shared), headers=users.headers("consumer"))
    assert response.status_code == 404
    assert client.get(members_url(shared), headers=users.headers("producer")).status_code == 403

    patch_visibility("community")
    # Everyone sees a community image; the old row grants no member rights on it.
    response = set_status(client, users, shared, consumer, "rejected", "consumer")
    assert response.status_code == 403
    assert message(response) == f"Not allowed to update members for image {shared}."

    patch_visibility("shared")
    assert statuses(client, users, shared) == {consumer: "accepted"}
    assert client.get(f"/v2/images/{shared}", headers=users.headers("consumer")).status_code == 200


# --- what a member can do to the image itself (§1.11) ----------------------------------------


def test_a_member_cannot_change_or_delete_the_image(
    client: FlaskClient, users: Any, shared: str
) -> None:
    consumer = users.project("consumer")
    assert set_status(client, users, shared, consumer, "accepted", "consumer").status_code == 200
    response = client.patch(
        f"/v2/images/{shared}",
        json=[{"op": "replace", "path": "/name", "value": "mine"}],
        headers=users.headers("consumer", **{"Content-Type": JSON_PATCH}),
    )
    assert response.status_code == 403
    deleted = client.delete(f"/v2/images/{shared}", headers=users.headers("consumer"))
    assert deleted.status_code == 403
    image = client.get(f"/v2/images/{shared}", headers=users.headers("producer")).get_json()
    assert image["name"] == "shared-image"


# --- routing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/x"])
def test_get_and_delete_refuse_a_body(
    client: FlaskClient, users: Any, shared: str, suffix: str
) -> None:
    methods = ["get"] if suffix == "" else ["get", "delete"]
    for method in methods:
        response = getattr(client, method)(
            members_url(shared) + suffix,
            data='{"a": 1}',
            headers=users.headers("producer"),
        )
        assert response.status_code == 400
        assert message(response) == "A body is not expected with this request."
    assert statuses(client, users, shared) == {users.project("consumer"): "pending"}


@pytest.mark.parametrize(
    ("method", "suffix", "allowed"),
    [
        ("put", "", {"GET", "POST"}),
        ("patch", "", {"GET", "POST"}),
        ("post", "/x", {"GET", "PUT", "DELETE"}),
        ("patch", "/x", {"GET", "PUT", "DELETE"}),
    ],
)
def test_other_methods_are_405(
    client: FlaskClient, users: Any, shared: str, method: str, suffix: str, allowed: set[str]
) -> None:
    response = getattr(client, method)(
        members_url(shared) + suffix, headers=users.headers("producer")
    )
    assert response.status_code == 405
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_members_need_a_token(client: FlaskClient, users: Any, shared: str) -> None:
    response = client.get(members_url(shared), headers={"Accept": "application/json"})
    assert response.status_code == 401


# --- the revocation story --------------------------------------------------------------------


def test_revocation_leaves_the_consumers_own_copy_untouched(
    client: FlaskClient, users: Any
) -> None:
    """Producer shares; the consumer accepts, downloads the data and makes its own image with
    the same bytes; the producer removes the member and deletes the image; the consumer's own
    image, record and data, is untouched."""
    consumer = users.project("consumer")
    data = b"golden image bytes\n" * 100
    octets = {"Content-Type": "application/octet-stream"}
    original = create_image(
        client,
        users,
        name="golden",
        min_disk=2,
        min_ram=256,
        os_distro="cirros",
        tags=["base"],
    )
    image_id = original["id"]
    uploaded = client.put(
        f"/v2/images/{image_id}/file", data=data, headers=users.headers("producer", **octets)
    )
    assert uploaded.status_code == 204
    assert add(client, users, image_id, consumer).status_code == 200
    assert set_status(client, users, image_id, consumer, "accepted", "consumer").status_code == 200

    seen = client.get(f"/v2/images/{image_id}", headers=users.headers("consumer"))
    assert seen.status_code == 200
    seen_doc = seen.get_json()
    assert seen_doc["status"] == "active"
    downloaded = client.get(f"/v2/images/{image_id}/file", headers=users.headers("consumer"))
    assert downloaded.status_code == 200
    assert downloaded.data == data

    copy_fields = (
        "name",
        "disk_format",
        "container_format",
        "min_disk",
        "min_ram",
        "os_distro",
        "tags",
    )
    copy = create_image(
        client, users, who="consumer", visibility="private", **{k: seen_doc[k] for k in copy_fields}
    )
    assert copy["owner"] == consumer
    assert (
        client.put(
            f"/v2/images/{copy['id']}/file",
            data=downloaded.data,
            headers=users.headers("consumer", **octets),
        ).status_code
        == 204
    )
    copy_before = client.get(f"/v2/images/{copy['id']}", headers=users.headers("consumer"))
    assert copy_before.get_json()["checksum"] == seen_doc["checksum"]
    assert copy_before.get_json()["os_hash_value"] == seen_doc["os_hash_value"]

    # Revoke, then delete.
    assert (
        client.delete(
            members_url(image_id, consumer), headers=users.headers("producer")
        ).status_code
        == 204
    )
    for url in (
        f"/v2/images/{image_id}",
        f"/v2/images/{image_id}/file",
        members_url(image_id),
        members_url(image_id, consumer),
    ):
        assert client.get(url, headers=users.headers("consumer")).status_code == 404, url
    assert set_status(client, users, image_id, consumer, "accepted", "consumer").status_code == 404
    producer = users.headers("producer")
    assert client.delete(f"/v2/images/{image_id}", headers=producer).status_code == 204
    assert client.get(f"/v2/images/{image_id}", headers=producer).status_code == 404

    # The consumer's own image: same record, same bytes, still its to manage.
    mine = client.get(f"/v2/images/{copy['id']}", headers=users.headers("consumer"))
    assert mine.status_code == 200
    assert mine.get_json() == copy_before.get_json()
    assert {k: mine.get_json()[k] for k in copy_fields} == {k: seen_doc[k] for k in copy_fields}
    again = client.get(f"/v2/images/{copy['id']}/file", headers=users.headers("consumer"))
    assert again.status_code == 200
    assert again.data == data
    renamed = client.patch(
        f"/v2/images/{copy['id']}",
        json=[{"op": "replace", "path": "/name", "value": "mine"}],
        headers=users.headers("consumer", **{"Content-Type": JSON_PATCH}),
    )
    assert renamed.status_code == 200
