"""The two sharing profiles (``Config.sharing_profile``).

``glance`` (default) is Glance's rule: any member row, whatever its status, lets the member show
and download the image by id (glance/db/utils.py ``is_image_visible``; api-ref
images-sharing-v2.inc: "When an image is shared with you, you have immediate access").
``strict``: a member that has not accepted has no visibility or access at all, except that it
can always read and answer its own invitation (GET/PUT .../members/{its project}); everything
else is as in ``glance``; in listings, only accepted shares ever appear under ``strict``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from emulator.core.config import Config

DATA = b"shared image bytes\n" * 64
PROFILES = ("glance", "strict")
STATUSES = ("pending", "accepted", "rejected")


@pytest.fixture(params=PROFILES)
def config(tmp_path: Path, request: pytest.FixtureRequest) -> Config:
    """Every test here runs once per profile; ``sharing_profile`` is in the test id."""
    return Config(data_dir=tmp_path / "data", sharing_profile=request.param)


@pytest.fixture
def profile(config: Config) -> str:
    return config.sharing_profile


def message(response: Any) -> str:
    return response.get_json()["message"].split("<br />")[0]


def members_url(image_id: str, member_id: str | None = None) -> str:
    url = f"/v2/images/{image_id}/members"
    return url if member_id is None else f"{url}/{member_id}"


def create_image(client: FlaskClient, users: Any, who: str = "producer", **body: Any) -> str:
    body = {"name": "img", "disk_format": "raw", "container_format": "bare", **body}
    response = client.post("/v2/images", json=body, headers=users.headers(who))
    assert response.status_code == 201, response.get_data(as_text=True)
    image_id: str = response.get_json()["id"]
    return image_id


def upload(client: FlaskClient, users: Any, image_id: str, who: str = "producer") -> None:
    response = client.put(
        f"/v2/images/{image_id}/file",
        data=DATA,
        headers=users.headers(who, **{"Content-Type": "application/octet-stream"}),
    )
    assert response.status_code == 204, response.get_data(as_text=True)


def set_status(
    client: FlaskClient,
    users: Any,
    image_id: str,
    status: Any,
    who: str = "consumer",
    member: str | None = None,
) -> Any:
    member = member or users.project(who)
    return client.put(
        members_url(image_id, member), json={"status": status}, headers=users.headers(who)
    )


def owner_view(client: FlaskClient, users: Any, image_id: str) -> dict[str, str]:
    response = client.get(members_url(image_id), headers=users.headers("producer"))
    assert response.status_code == 200
    return {row["member_id"]: row["status"] for row in response.get_json()["members"]}


@pytest.fixture
def shared(client: FlaskClient, users: Any) -> str:
    """An active shared image of the producer's; the consumer is a pending member."""
    image_id = create_image(client, users)
    upload(client, users, image_id)
    response = client.post(
        members_url(image_id),
        json={"member": users.project("consumer")},
        headers=users.headers("producer"),
    )
    assert response.status_code == 200
    return image_id


def consumer_access(client: FlaskClient, users: Any, image_id: str) -> dict[str, int]:
    """What the consumer gets from each read of the image and of its own membership."""
    headers = users.headers("consumer")
    own = members_url(image_id, users.project("consumer"))
    return {
        "show": client.get(f"/v2/images/{image_id}", headers=headers).status_code,
        "download": client.get(f"/v2/images/{image_id}/file", headers=headers).status_code,
        "list_members": client.get(members_url(image_id), headers=headers).status_code,
        "get_own_row": client.get(own, headers=headers).status_code,
    }


def expected_access(profile: str, status: str) -> dict[str, int]:
    sees = profile == "glance" or status == "accepted"
    code = 200 if sees else 404
    return {"show": code, "download": code, "list_members": code, "get_own_row": 200}


@pytest.mark.parametrize("status", STATUSES)
def test_member_access_by_status(
    client: FlaskClient, users: Any, shared: str, profile: str, status: str
) -> None:
    if status != "pending":
        response = set_status(client, users, shared, status)
        assert response.status_code == 200
        assert response.get_json()["status"] == status
    assert consumer_access(client, users, shared) == expected_access(profile, status)


@pytest.mark.parametrize("status", STATUSES)
def test_what_a_member_that_can_see_gets(
    client: FlaskClient, users: Any, shared: str, profile: str, status: str
) -> None:
    if status != "pending":
        assert set_status(client, users, shared, status).status_code == 200
    if expected_access(profile, status)["show"] != 200:
        return_doc = client.get(f"/v2/images/{shared}", headers=users.headers("consumer"))
        assert message(return_doc) == f"No image found with ID {shared}"
        assert "img" not in return_doc.get_data(as_text=True)
        return
    image = client.get(f"/v2/images/{shared}", headers=users.headers("consumer")).get_json()
    assert image["id"] == shared and image["owner"] == users.project("producer")
    download = client.get(f"/v2/images/{shared}/file", headers=users.headers("consumer"))
    assert download.data == DATA
    assert download.headers["Content-MD5"] == hashlib.md5(DATA).hexdigest()


def test_accepting_is_how_a_strict_member_gets_in_and_rejecting_shuts_it_out(
    client: FlaskClient, users: Any, shared: str, profile: str
) -> None:
    consumer = users.project("consumer")
    for status in ("accepted", "rejected", "pending", "accepted"):
        response = set_status(client, users, shared, status)
        assert response.status_code == 200
        assert response.get_json()["status"] == status
        assert owner_view(client, users, shared) == {consumer: status}
        assert consumer_access(client, users, shared) == expected_access(profile, status)


def test_a_member_that_cannot_see_still_reads_its_own_row(
    client: FlaskClient, users: Any, shared: str
) -> None:
    consumer = users.project("consumer")
    response = client.get(members_url(shared, consumer), headers=users.headers("consumer"))
    assert response.status_code == 200
    assert response.get_json()["member_id"] == consumer
    assert response.get_json()["status"] == "pending"


def test_bogus_status_on_its_own_row_is_400_in_both_profiles(
    client: FlaskClient, users: Any, shared: str
) -> None:
    response = set_status(client, users, shared, "bogus")
    assert response.status_code == 400
    assert message(response) == (
        'Incorrect request: Status must be "pending", "accepted" or "rejected".'
    )
    assert owner_view(client, users, shared) == {users.project("consumer"): "pending"}


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_a_member_that_has_not_accepted_reaches_nothing_else(
    client: FlaskClient, users: Any, shared: str, profile: str, status: str
) -> None:
    """Other rows, removing itself, adding others: Glance's answers, or 404 under strict."""
    consumer, outsider = users.project("consumer"), users.project("outsider")
    assert (
        client.post(
            members_url(shared), json={"member": outsider}, headers=users.headers("producer")
        ).status_code
        == 200
    )
    if status != "pending":
        assert set_status(client, users, shared, status).status_code == 200
    headers = users.headers("consumer")
    answers = {
        "get_other_row": client.get(members_url(shared, outsider), headers=headers),
        "put_other_row": client.put(
            members_url(shared, outsider), json={"status": "accepted"}, headers=headers
        ),
        "delete_own_row": client.delete(members_url(shared, consumer), headers=headers),
        "add_member": client.post(members_url(shared), json={"member": "x"}, headers=headers),
    }
    if profile == "glance":
        want = {
            "get_other_row": 404,
            "put_other_row": 404,
            "delete_own_row": 403,
            "add_member": 403,
        }
    else:
        want = dict.fromkeys(answers, 404)
    assert {name: r.status_code for name, r in answers.items()} == want
    if profile == "strict":
        for response in answers.values():
            assert message(response) == f"Image {shared} not found."
            assert outsider not in response.get_data(as_text=True)
    assert owner_view(client, users, shared) == {consumer: status, outsider: "pending"}


def test_an_accepted_member_is_treated_as_in_glance(
    client: FlaskClient, users: Any, shared: str
) -> None:
    consumer = users.project("consumer")
    assert set_status(client, users, shared, "accepted").status_code == 200
    headers = users.headers("consumer")
    response = client.delete(members_url(shared, consumer), headers=headers)
    assert response.status_code == 403
    assert message(response) == "You are not authorized to complete delete_member action."
    response = client.post(members_url(shared), json={"member": "x"}, headers=headers)
    assert response.status_code == 403
    assert message(response) == "You are not authorized to complete add_member action."
    listing = client.get(members_url(shared), headers=headers).get_json()["members"]
    assert [row["member_id"] for row in listing] == [consumer]


def test_owner_admin_and_outsider_are_unaffected(
    client: FlaskClient, users: Any, shared: str
) -> None:
    consumer = users.project("consumer")
    for who in ("producer", "admin"):
        assert client.get(f"/v2/images/{shared}", headers=users.headers(who)).status_code == 200
        assert client.get(f"/v2/images/{shared}/file", headers=users.headers(who)).data == DATA
        assert (
            client.get(members_url(shared, consumer), headers=users.headers(who)).status_code == 200
        )
    response = set_status(client, users, shared, "accepted", who="producer", member=consumer)
    assert response.status_code == 403
    assert message(response) == "You are not authorized to complete modify_member action."
    assert (
        set_status(client, users, shared, "accepted", who="admin", member=consumer).status_code
        == 200
    )
    outsider = users.headers("outsider")
    assert client.get(f"/v2/images/{shared}", headers=outsider).status_code == 404
    assert client.get(members_url(shared), headers=outsider).status_code == 404
    assert (
        client.get(members_url(shared, users.project("outsider")), headers=outsider).status_code
        == 404
    )


def test_removed_member_loses_everything_in_both_profiles(
    client: FlaskClient, users: Any, shared: str
) -> None:
    consumer = users.project("consumer")
    assert set_status(client, users, shared, "accepted").status_code == 200
    assert (
        client.delete(members_url(shared, consumer), headers=users.headers("producer")).status_code
        == 204
    )
    assert consumer_access(client, users, shared) == {
        "show": 404,
        "download": 404,
        "list_members": 404,
        "get_own_row": 404,
    }
    assert set_status(client, users, shared, "accepted").status_code == 404


@pytest.mark.parametrize("visibility", ["public", "community"])
def test_images_everyone_sees_are_the_same_in_both_profiles(
    client: FlaskClient, users: Any, visibility: str
) -> None:
    owner = {"owner": users.project("producer")} if visibility == "public" else {}
    who = "admin" if visibility == "public" else "producer"
    image_id = create_image(client, users, who=who, visibility=visibility, **owner)
    for reader in ("consumer", "outsider"):
        response = client.get(f"/v2/images/{image_id}", headers=users.headers(reader))
        assert response.status_code == 200


@pytest.mark.parametrize("status", ["pending", "accepted"])
def test_rows_left_on_a_no_longer_shared_image_grant_nothing(
    client: FlaskClient, users: Any, shared: str, status: str
) -> None:
    """Visibility moved to private: the member's own row is out of reach in both profiles."""
    if status != "pending":
        assert set_status(client, users, shared, status).status_code == 200
    response = client.patch(
        f"/v2/images/{shared}",
        json=[{"op": "replace", "path": "/visibility", "value": "private"}],
        headers=users.headers(
            "producer", **{"Content-Type": "application/openstack-images-v2.1-json-patch"}
        ),
    )
    assert response.status_code == 200
    assert consumer_access(client, users, shared) == {
        "show": 404,
        "download": 404,
        "list_members": 404,
        "get_own_row": 404,
    }
    response = set_status(client, users, shared, "accepted")
    assert response.status_code == 404
    assert message(response) == f"Image {shared} not found."


def listed_ids(client: FlaskClient, users: Any, query: str = "") -> set[str]:
    response = client.get(f"/v2/images{query}", headers=users.headers("consumer"))
    assert response.status_code == 200, response.get_data(as_text=True)
    return {image["id"] for image in response.get_json()["images"]}


@pytest.mark.parametrize("status", STATUSES)
def test_listing_follows_the_member_status(
    client: FlaskClient, users: Any, shared: str, profile: str, status: str
) -> None:
    """Default lists show accepted shares only; ``member_status`` reaches pending/rejected ones
    in ``glance`` (glance/tests/functional/v2/test_image_members.py), never in ``strict``."""
    if status != "pending":
        assert set_status(client, users, shared, status).status_code == 200
    accepted = status == "accepted"
    assert (shared in listed_ids(client, users)) is accepted
    assert (shared in listed_ids(client, users, "?visibility=shared")) is accepted
    for asked in STATUSES:
        found = shared in listed_ids(client, users, f"?member_status={asked}")
        assert found is (asked == status and (profile == "glance" or accepted)), asked
    found_all = shared in listed_ids(client, users, "?member_status=all")
    assert found_all is (profile == "glance" or accepted)
