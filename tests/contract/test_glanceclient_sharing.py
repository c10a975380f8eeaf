"""The ``glance`` CLI, unmodified: member-create / member-update / member-list / member-delete.

glanceclient builds a warlock model from ``GET /v2/schemas/member`` on every member call
(glanceclient/v2/image_members.py), so the member schema is part of this contract. The set-up
that is not under test is done with the SDK, and outcomes are checked through the SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from openstack import exceptions

if TYPE_CHECKING:  # fixtures provide the objects; the conftest is never imported directly
    from tests.contract.conftest import Clients, ImageFile

pytestmark = pytest.mark.contract

MEMBER_COLUMNS = {"Image ID", "Member ID", "Status"}


def status_of(conn, image, member: str) -> str:
    return conn.image.get_member(member, image.id).status


def test_member_create(clients: Clients, producer, shared_image, project: dict[str, str]) -> None:
    result = clients.glance("producer", "member-create", shared_image.id, project["consumer"])

    records = result.glance_records()
    assert records == [
        {"Image ID": shared_image.id, "Member ID": project["consumer"], "Status": "pending"}
    ], result.describe()
    assert status_of(producer, shared_image, project["consumer"]) == "pending"


def test_member_list_by_owner(
    clients: Clients, producer, pending_share, project: dict[str, str]
) -> None:
    producer.image.add_member(pending_share.id, member_id=project["outsider"])

    result = clients.glance("producer", "member-list", "--image-id", pending_share.id)

    records = result.glance_records()
    assert records and set(records[0]) == MEMBER_COLUMNS, result.describe()
    assert sorted(r["Member ID"] for r in records) == sorted(
        [project["consumer"], project["outsider"]]
    )
    assert {r["Status"] for r in records} == {"pending"}


def test_image_list_shared_pending_as_member(clients: Clients, consumer, pending_share) -> None:
    result = clients.glance(
        "consumer", "image-list", "--visibility", "shared", "--member-status", "pending"
    )
    assert pending_share.id in [r["ID"] for r in result.glance_records()], result.describe()
    assert pending_share.id not in [i.id for i in consumer.image.images()]


def test_member_update_accepts_and_the_image_is_listed(
    clients: Clients, consumer, pending_share, project: dict[str, str]
) -> None:
    result = clients.glance(
        "consumer", "member-update", pending_share.id, project["consumer"], "accepted"
    )

    assert result.glance_records() == [
        {"Image ID": pending_share.id, "Member ID": project["consumer"], "Status": "accepted"}
    ], result.describe()
    assert status_of(consumer, pending_share, project["consumer"]) == "accepted"
    assert [i.id for i in consumer.image.images(name=pending_share.name)] == [pending_share.id]


def test_member_downloads_the_image(
    clients: Clients,
    consumer,
    pending_share,
    project: dict[str, str],
    image_file: ImageFile,
    tmp_path,
) -> None:
    consumer.image.update_member(project["consumer"], pending_share.id, status="accepted")
    out = tmp_path / "consumer.raw"

    clients.glance("consumer", "image-download", "--file", str(out), pending_share.id)

    assert out.read_bytes() == image_file.data


def test_member_delete(
    clients: Clients, producer, consumer, pending_share, project: dict[str, str]
) -> None:
    clients.glance("producer", "member-delete", pending_share.id, project["consumer"])

    assert list(producer.image.members(pending_share.id)) == []
    with pytest.raises(exceptions.NotFoundException):
        consumer.image.get_image(pending_share.id)


# -- refusals ---------------------------------------------------------------------------------


def test_owner_cannot_update_the_member_status(
    clients: Clients, consumer, pending_share, project: dict[str, str]
) -> None:
    result = clients.glance(
        "producer",
        "member-update",
        pending_share.id,
        project["consumer"],
        "accepted",
        expect="failure",
    )
    assert "403" in result.stderr, result.describe()
    assert status_of(consumer, pending_share, project["consumer"]) == "pending"


def test_outsider_member_list_is_not_found(
    clients: Clients, producer, pending_share, project: dict[str, str]
) -> None:
    result = clients.glance(
        "outsider", "member-list", "--image-id", pending_share.id, expect="failure"
    )
    assert "404" in result.stderr, result.describe()
    assert [m.member_id for m in producer.image.members(pending_share.id)] == [project["consumer"]]


def test_member_create_on_a_private_image_is_forbidden(
    clients: Clients, producer, unique_name: str, project: dict[str, str]
) -> None:
    private = producer.image.create_image(
        unique_name,
        disk_format="raw",
        container_format="bare",
        allow_duplicates=True,
        visibility="private",
    )
    result = clients.glance(
        "producer", "member-create", private.id, project["consumer"], expect="failure"
    )
    # glance/api/v2/image_members.py create re-raises "Only shared images have members."
    # with its own message.
    assert f"HTTP 403 Forbidden: Not allowed to create members for image {private.id}." in (
        result.stderr
    ), result.describe()
