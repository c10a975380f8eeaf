"""The ``openstack`` CLI, unmodified: the sharing flow of glance-facts §4 and its refusals.

One CLI call per test where possible: the set-up that is not under test is done with the SDK,
and each outcome is checked through the SDK (a second channel). Expected behaviour follows
glance/api/v2/image_members.py and glance/policies/image.py; the project lookups OSC makes
first (``GET /identity/v3/projects/<id>``, then ``?name=``) are refused with 403 for
non-admins, exactly as Keystone does, and OSC then uses the id as given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from openstack import exceptions

if TYPE_CHECKING:  # fixtures provide the objects; the conftest is never imported directly
    from tests.contract.conftest import Clients, ImageFile

pytestmark = pytest.mark.contract


def status_of(conn, image, member: str) -> str:
    return conn.image.get_member(member, image.id).status


def test_image_add_project_creates_a_pending_member(
    clients: Clients, producer, shared_image, project: dict[str, str]
) -> None:
    member = clients.openstack_json(
        "producer", "image", "add", "project", shared_image.id, project["consumer"]
    )
    assert member["image_id"] == shared_image.id
    assert member["member_id"] == project["consumer"]
    assert member["status"] == "pending"

    assert status_of(producer, shared_image, project["consumer"]) == "pending"


def test_image_list_shared_pending_shows_the_offer(
    clients: Clients, consumer, pending_share
) -> None:
    rows = clients.openstack_json(
        "consumer", "image", "list", "--shared", "--member-status", "pending"
    )
    assert pending_share.id in [row["ID"] for row in rows]
    # Not in the default list until accepted (member_status defaults to accepted).
    assert pending_share.id not in [image.id for image in consumer.image.images()]


def test_accept_by_name_fails_while_pending_but_by_id_works(
    clients: Clients, consumer, pending_share, project: dict[str, str]
) -> None:
    # OSC resolves a name by listing, and a pending share is not listed (glance-facts §1.11).
    by_name = clients.openstack(
        "consumer", "image", "set", "--accept", pending_share.name, expect="failure"
    )
    assert f"No Image found for {pending_share.name}" in by_name.stderr, by_name.describe()
    assert status_of(consumer, pending_share, project["consumer"]) == "pending"

    clients.openstack("consumer", "image", "set", "--accept", pending_share.id)
    assert status_of(consumer, pending_share, project["consumer"]) == "accepted"

    rows = clients.openstack_json("consumer", "image", "list", "--name", pending_share.name)
    assert [row["ID"] for row in rows] == [pending_share.id]


def test_reject_then_pending(
    clients: Clients, consumer, pending_share, project: dict[str, str]
) -> None:
    consumer.image.update_member(project["consumer"], pending_share.id, status="accepted")

    clients.openstack("consumer", "image", "set", "--reject", pending_share.id)
    assert status_of(consumer, pending_share, project["consumer"]) == "rejected"
    assert pending_share.id not in [i.id for i in consumer.image.images(name=pending_share.name)]

    clients.openstack("consumer", "image", "set", "--pending", pending_share.id)
    assert status_of(consumer, pending_share, project["consumer"]) == "pending"


def test_member_list_owner_sees_all_member_sees_own(
    clients: Clients, producer, pending_share, project: dict[str, str]
) -> None:
    producer.image.add_member(pending_share.id, member_id=project["outsider"])

    rows = clients.openstack_json("producer", "image", "member", "list", pending_share.id)
    assert sorted((row["Image ID"], row["Member ID"], row["Status"]) for row in rows) == sorted(
        [
            (pending_share.id, project["consumer"], "pending"),
            (pending_share.id, project["outsider"], "pending"),
        ]
    )

    rows = clients.openstack_json("consumer", "image", "member", "list", pending_share.id)
    assert [row["Member ID"] for row in rows] == [project["consumer"]]


def test_member_saves_the_image(
    clients: Clients,
    consumer,
    pending_share,
    project: dict[str, str],
    image_file: ImageFile,
    tmp_path,
) -> None:
    consumer.image.update_member(project["consumer"], pending_share.id, status="accepted")
    out = tmp_path / "consumer.raw"

    clients.openstack("consumer", "image", "save", "--file", str(out), pending_share.id)

    assert out.read_bytes() == image_file.data


def test_image_remove_project_ends_the_share(
    clients: Clients, producer, consumer, pending_share, project: dict[str, str]
) -> None:
    clients.openstack(
        "producer", "image", "remove", "project", pending_share.id, project["consumer"]
    )

    assert list(producer.image.members(pending_share.id)) == []
    with pytest.raises(exceptions.NotFoundException):
        consumer.image.get_image(pending_share.id)


# -- refusals ---------------------------------------------------------------------------------


def test_owner_cannot_accept_for_the_member(
    clients: Clients, consumer, pending_share, project: dict[str, str]
) -> None:
    result = clients.openstack(
        "producer",
        "image",
        "set",
        "--accept",
        "--project",
        project["consumer"],
        pending_share.id,
        expect="failure",
    )
    assert "403" in result.stderr, result.describe()
    assert status_of(consumer, pending_share, project["consumer"]) == "pending"


def test_member_cannot_add_members(
    clients: Clients, producer, pending_share, project: dict[str, str]
) -> None:
    result = clients.openstack(
        "consumer",
        "image",
        "add",
        "project",
        pending_share.id,
        project["outsider"],
        expect="failure",
    )
    assert "403" in result.stderr, result.describe()
    assert [m.member_id for m in producer.image.members(pending_share.id)] == [project["consumer"]]


def test_outsider_cannot_see_the_members(
    clients: Clients, producer, pending_share, project: dict[str, str]
) -> None:
    result = clients.openstack(
        "outsider", "image", "member", "list", pending_share.id, expect="failure"
    )
    # The image itself is hidden: OSC's lookup finds nothing (GET by id answered 404).
    assert f"No Image found for {pending_share.id}" in result.stderr, result.describe()
    assert [m.member_id for m in producer.image.members(pending_share.id)] == [project["consumer"]]


def test_private_image_cannot_be_shared(
    clients: Clients, producer, unique_name: str, project: dict[str, str]
) -> None:
    private = producer.image.create_image(
        unique_name,
        disk_format="raw",
        container_format="bare",
        allow_duplicates=True,
        visibility="private",
    )
    result = clients.openstack(
        "producer",
        "image",
        "add",
        "project",
        private.id,
        project["consumer"],
        expect="failure",
    )
    # glance/api/v2/image_members.py create: the "Only shared images have members." Forbidden
    # is caught and re-raised with this message.
    assert f"Not allowed to create members for image {private.id}." in result.stderr, (
        result.describe()
    )
    with pytest.raises(exceptions.ForbiddenException):
        list(producer.image.members(private.id))
