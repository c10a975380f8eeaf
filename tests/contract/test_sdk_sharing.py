"""openstacksdk, unmodified: the image sharing story of glance-facts §4, and its refusals.

Expected behaviour follows Glance: glance/api/v2/image_members.py (members only on ``shared``
images, 200 on create, 409 duplicate), glance/policies/image.py (add/delete_member: owner;
modify_member: the member itself), glance/db/utils.py (a member of any status may read the
image by id) and glance/db/sqlalchemy/api.py (listing: ``member_status`` defaults to accepted;
a member listing shows only the caller's own row).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pytest
from openstack import exceptions

if TYPE_CHECKING:  # fixtures provide the objects; the conftest is never imported directly
    from tests.contract.conftest import Clients, ImageFile

pytestmark = pytest.mark.contract


@pytest.fixture
def shared_image(producer, image_file: ImageFile, unique_name: str):
    """An active image with data, created without ``visibility``: Glance's default is shared."""
    image = producer.image.create_image(
        unique_name,
        filename=str(image_file.path),
        disk_format="raw",
        container_format="bare",
        allow_duplicates=True,
    )
    assert image.visibility == "shared"
    return image


def ids(images) -> list[str]:
    return [image.id for image in images]


def member_ids(members) -> list[str]:
    return sorted(member.member_id for member in members)


def test_add_member_creates_a_pending_membership(
    producer, shared_image, project: dict[str, str]
) -> None:
    member = producer.image.add_member(shared_image.id, member_id=project["consumer"])

    assert member.member_id == project["consumer"]
    assert member.image_id == shared_image.id
    assert member.status == "pending"
    assert member.created_at and member.updated_at
    assert member.schema == "/v2/schemas/member"

    assert member_ids(producer.image.members(shared_image.id)) == [project["consumer"]]
    fetched = producer.image.get_member(project["consumer"], shared_image.id)
    assert (fetched.member_id, fetched.status) == (project["consumer"], "pending")


def test_pending_share_is_readable_by_id_but_listed_only_on_request(
    producer, consumer, shared_image, project: dict[str, str]
) -> None:
    producer.image.add_member(shared_image.id, member_id=project["consumer"])
    name = shared_image.name

    assert shared_image.id not in ids(consumer.image.images(name=name))
    assert shared_image.id not in ids(consumer.image.images(visibility="shared"))
    pending = ids(consumer.image.images(visibility="shared", member_status="pending"))
    assert shared_image.id in pending
    assert shared_image.id in ids(consumer.image.images(member_status="all", name=name))
    assert shared_image.id not in ids(consumer.image.images(member_status="rejected", name=name))
    # By id, a pending member may already read the image (glance/db/utils.py).
    assert consumer.image.get_image(shared_image.id).name == name


def test_accept_reject_pending_move_the_image_in_and_out_of_the_default_list(
    producer, consumer, shared_image, project: dict[str, str]
) -> None:
    producer.image.add_member(shared_image.id, member_id=project["consumer"])
    name = shared_image.name

    accepted = consumer.image.update_member(project["consumer"], shared_image.id, status="accepted")
    assert accepted.status == "accepted"
    assert ids(consumer.image.images(name=name)) == [shared_image.id]
    assert shared_image.id in ids(consumer.image.images(visibility="shared"))
    assert producer.image.get_member(project["consumer"], shared_image.id).status == "accepted"

    consumer.image.update_member(project["consumer"], shared_image.id, status="rejected")
    assert ids(consumer.image.images(name=name)) == []
    assert ids(consumer.image.images(name=name, member_status="rejected")) == [shared_image.id]
    assert consumer.image.get_image(shared_image.id).id == shared_image.id

    consumer.image.update_member(project["consumer"], shared_image.id, status="pending")
    assert ids(consumer.image.images(name=name)) == []
    assert ids(consumer.image.images(name=name, member_status="pending")) == [shared_image.id]
    assert consumer.image.get_member(project["consumer"], shared_image.id).status == "pending"


def test_member_downloads_the_data_and_checksums_match(
    producer, consumer, shared_image, project: dict[str, str], image_file: ImageFile, tmp_path
) -> None:
    producer.image.add_member(shared_image.id, member_id=project["consumer"])
    consumer.image.update_member(project["consumer"], shared_image.id, status="accepted")

    shown = consumer.image.get_image(shared_image.id)
    assert shown.checksum == image_file.md5
    assert shown.hash_algo == "sha512" and shown.hash_value == image_file.sha512

    out = tmp_path / "consumer-copy.raw"
    consumer.image.download_image(shared_image.id, output=str(out))
    data = out.read_bytes()
    assert data == image_file.data
    assert hashlib.md5(data).hexdigest() == image_file.md5
    assert hashlib.sha512(data).hexdigest() == image_file.sha512


def test_pending_member_may_download_too(
    producer, consumer, shared_image, project: dict[str, str], image_file: ImageFile
) -> None:
    # api-ref images-sharing-v2.inc: pending and rejected are functionally identical to
    # accepted for access by id; the status only drives listings.
    producer.image.add_member(shared_image.id, member_id=project["consumer"])
    assert consumer.image.download_image(shared_image.id).content == image_file.data


def test_member_sees_only_its_own_membership(
    producer, consumer, outsider, shared_image, project: dict[str, str]
) -> None:
    producer.image.add_member(shared_image.id, member_id=project["consumer"])
    producer.image.add_member(shared_image.id, member_id=project["outsider"])

    assert member_ids(producer.image.members(shared_image.id)) == sorted(
        [project["consumer"], project["outsider"]]
    )
    assert member_ids(consumer.image.members(shared_image.id)) == [project["consumer"]]
    assert member_ids(outsider.image.members(shared_image.id)) == [project["outsider"]]
    with pytest.raises(exceptions.NotFoundException):
        consumer.image.get_member(project["outsider"], shared_image.id)


def test_removed_member_loses_access_and_a_re_add_starts_pending(
    producer, consumer, shared_image, project: dict[str, str]
) -> None:
    producer.image.add_member(shared_image.id, member_id=project["consumer"])
    consumer.image.update_member(project["consumer"], shared_image.id, status="accepted")

    producer.image.remove_member(project["consumer"], shared_image.id, ignore_missing=False)

    assert list(producer.image.members(shared_image.id)) == []
    with pytest.raises(exceptions.NotFoundException):
        consumer.image.get_image(shared_image.id)
    with pytest.raises(exceptions.NotFoundException):
        consumer.image.download_image(shared_image.id)
    assert ids(consumer.image.images(name=shared_image.name, member_status="all")) == []
    with pytest.raises(exceptions.NotFoundException):
        producer.image.remove_member(project["consumer"], shared_image.id, ignore_missing=False)

    again = producer.image.add_member(shared_image.id, member_id=project["consumer"])
    assert again.status == "pending"


# -- refusals ---------------------------------------------------------------------------------


def test_owner_cannot_accept_on_behalf_of_the_member(
    producer, consumer, shared_image, project: dict[str, str]
) -> None:
    producer.image.add_member(shared_image.id, member_id=project["consumer"])

    with pytest.raises(exceptions.ForbiddenException):
        producer.image.update_member(project["consumer"], shared_image.id, status="accepted")

    assert consumer.image.get_member(project["consumer"], shared_image.id).status == "pending"
    assert ids(consumer.image.images(name=shared_image.name)) == []


def test_member_cannot_add_members_nor_remove_itself(
    producer, consumer, shared_image, project: dict[str, str]
) -> None:
    producer.image.add_member(shared_image.id, member_id=project["consumer"])

    with pytest.raises(exceptions.ForbiddenException):
        consumer.image.add_member(shared_image.id, member_id=project["outsider"])
    with pytest.raises(exceptions.ForbiddenException):
        consumer.image.remove_member(project["consumer"], shared_image.id, ignore_missing=False)

    assert member_ids(producer.image.members(shared_image.id)) == [project["consumer"]]


def test_member_cannot_change_the_image(
    producer, consumer, shared_image, project: dict[str, str]
) -> None:
    producer.image.add_member(shared_image.id, member_id=project["consumer"])
    consumer.image.update_member(project["consumer"], shared_image.id, status="accepted")

    with pytest.raises(exceptions.ForbiddenException):
        consumer.image.update_image(shared_image.id, name="renamed-by-member")
    with pytest.raises(exceptions.ForbiddenException):
        consumer.image.delete_image(shared_image.id, ignore_missing=False)
    assert producer.image.get_image(shared_image.id).name == shared_image.name


def test_outsider_gets_not_found_for_everything(
    producer, outsider, shared_image, project: dict[str, str]
) -> None:
    producer.image.add_member(shared_image.id, member_id=project["consumer"])
    image_id = shared_image.id

    with pytest.raises(exceptions.NotFoundException):
        outsider.image.get_image(image_id)
    with pytest.raises(exceptions.NotFoundException):
        list(outsider.image.members(image_id))
    with pytest.raises(exceptions.NotFoundException):
        outsider.image.get_member(project["consumer"], image_id)
    with pytest.raises(exceptions.NotFoundException):
        outsider.image.add_member(image_id, member_id=project["outsider"])
    with pytest.raises(exceptions.NotFoundException):
        outsider.image.update_member(project["consumer"], image_id, status="rejected")
    with pytest.raises(exceptions.NotFoundException):
        outsider.image.remove_member(project["consumer"], image_id, ignore_missing=False)
    with pytest.raises(exceptions.NotFoundException):
        outsider.image.download_image(image_id)

    assert ids(outsider.image.images(name=shared_image.name, member_status="all")) == []
    members = list(producer.image.members(image_id))
    assert [(m.member_id, m.status) for m in members] == [(project["consumer"], "pending")]


def test_only_shared_images_have_members(
    clients: Clients, producer, unique_name: str, project: dict[str, str]
) -> None:
    admin = clients.sdk("admin")
    private = producer.image.create_image(
        f"{unique_name}-private",
        disk_format="raw",
        container_format="bare",
        allow_duplicates=True,
        visibility="private",
    )
    community = producer.image.create_image(
        f"{unique_name}-community",
        disk_format="raw",
        container_format="bare",
        allow_duplicates=True,
        visibility="community",
    )
    public = admin.image.create_image(
        f"{unique_name}-public",
        disk_format="raw",
        container_format="bare",
        allow_duplicates=True,
        visibility="public",
    )
    assert (private.visibility, community.visibility, public.visibility) == (
        "private",
        "community",
        "public",
    )

    for conn, image in ((producer, private), (producer, community), (admin, public)):
        # image_members.py create catches "Only shared images have members." and re-raises
        # with its own message; index keeps the inner message after its own.
        with pytest.raises(exceptions.ForbiddenException) as refused:
            conn.image.add_member(image.id, member_id=project["consumer"])
        assert f"Not allowed to create members for image {image.id}." in str(refused.value)
        with pytest.raises(exceptions.ForbiddenException) as refused:
            list(conn.image.members(image.id))
        assert (
            f"Not allowed to list members for image {image.id}: "
            "Only shared images have members." in str(refused.value)
        )
        # GET of a single member answers 404 instead (image_members.py show).
        with pytest.raises(exceptions.NotFoundException):
            conn.image.get_member(project["consumer"], image.id)

    # Making an image public is admin-only (publicize_image).
    with pytest.raises(exceptions.ForbiddenException):
        producer.image.update_image(private.id, visibility="public")
    assert producer.image.get_image(private.id).visibility == "private"


def test_duplicate_member_conflicts_and_bad_status_is_rejected(
    producer, consumer, shared_image, project: dict[str, str]
) -> None:
    producer.image.add_member(shared_image.id, member_id=project["consumer"])

    with pytest.raises(exceptions.ConflictException):
        producer.image.add_member(shared_image.id, member_id=project["consumer"])
    with pytest.raises(exceptions.BadRequestException):
        consumer.image.update_member(project["consumer"], shared_image.id, status="bogus")

    assert member_ids(producer.image.members(shared_image.id)) == [project["consumer"]]
    assert consumer.image.get_member(project["consumer"], shared_image.id).status == "pending"


# -- who lists what (a store of its own, so whole lists can be compared) -----------------------


def test_default_and_filtered_lists_follow_glance_rules(fresh_clients: Clients) -> None:
    """glance/db/sqlalchemy/api.py _select_images_query, as in glance-facts §1.9."""
    producer, consumer = fresh_clients.sdk("producer"), fresh_clients.sdk("consumer")
    outsider, admin = fresh_clients.sdk("outsider"), fresh_clients.sdk("admin")
    consumer_project = fresh_clients.project_id("consumer")

    def record(conn, name: str, visibility: str) -> str:
        return conn.image.create_image(
            name,
            disk_format="raw",
            container_format="bare",
            allow_duplicates=True,
            visibility=visibility,
        ).id

    made = {
        "private": record(producer, "private", "private"),
        "community": record(producer, "community", "community"),
        "shared-no-members": record(producer, "shared-no-members", "shared"),
        "shared-accepted": record(producer, "shared-accepted", "shared"),
        "shared-pending": record(producer, "shared-pending", "shared"),
        "shared-rejected": record(producer, "shared-rejected", "shared"),
        "public": record(admin, "public", "public"),
    }
    for name, status in (
        ("shared-accepted", "accepted"),
        ("shared-pending", None),
        ("shared-rejected", "rejected"),
    ):
        producer.image.add_member(made[name], member_id=consumer_project)
        if status:
            consumer.image.update_member(consumer_project, made[name], status=status)

    def names(conn, **query) -> set[str]:
        by_id = {image_id: name for name, image_id in made.items()}
        return {by_id.get(image.id, image.id) for image in conn.image.images(**query)}

    assert names(consumer) == {"public", "shared-accepted"}
    assert names(consumer, visibility="shared") == {"shared-accepted"}
    assert names(consumer, member_status="pending") == {"public", "shared-pending"}
    assert names(consumer, visibility="shared", member_status="all") == {
        "shared-accepted",
        "shared-pending",
        "shared-rejected",
    }
    assert names(consumer, visibility="community") == {"community"}
    assert names(consumer, visibility="private") == set()
    assert names(consumer, visibility="all") == {"public", "community", "shared-accepted"}

    assert names(producer) == set(made)
    assert names(outsider) == {"public"}
    # Admins see every image except other projects' community images.
    assert names(admin) == set(made) - {"community"}
