"""openstacksdk, unmodified, against a live emulator: the image life cycle (issue 2).

Expected behaviour follows Glance: glance/api/v2/images.py, image_data.py, image_actions.py,
image_tags.py and glance/domain/__init__.py (status transitions).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING

import pytest
from openstack import exceptions

if TYPE_CHECKING:  # fixtures provide the objects; the conftest is never imported directly
    from tests.contract.conftest import Clients, ImageFile

pytestmark = pytest.mark.contract


def create_with_data(conn, name: str, image_file: ImageFile, **extra):
    return conn.image.create_image(
        name,
        filename=str(image_file.path),
        disk_format="raw",
        container_format="bare",
        allow_duplicates=True,
        **extra,
    )


def create_record(conn, name: str, **extra):
    return conn.image.create_image(
        name, disk_format="raw", container_format="bare", allow_duplicates=True, **extra
    )


def test_create_with_data_gives_an_active_image_with_glance_hashes(
    clients: Clients, producer, image_file: ImageFile, unique_name: str
) -> None:
    # validate_checksum: the SDK itself compares the md5 it computed with the returned checksum.
    image = create_with_data(producer, unique_name, image_file, validate_checksum=True)

    shown = producer.image.get_image(image.id)
    assert shown.id == image.id
    assert uuid.UUID(shown.id)
    assert shown.name == unique_name
    assert shown.status == "active"
    assert shown.size == image_file.size
    assert shown.checksum == image_file.md5
    assert shown.hash_algo == "sha512"
    assert shown.hash_value == image_file.sha512
    assert shown.disk_format == "raw"
    assert shown.container_format == "bare"
    # Glance's ImageFactory default since 2.5 (glance/domain/__init__.py).
    assert shown.visibility == "shared"
    assert shown.owner == clients.project_id("producer")
    assert shown.is_protected is False
    assert shown.is_hidden is False
    assert shown.min_disk == 0 and shown.min_ram == 0
    # The SDK stores its own dotted properties on create; they come back as they went in.
    assert shown.properties["owner_specified.openstack.md5"] == image_file.md5
    assert shown.properties["owner_specified.openstack.sha256"] == image_file.sha256
    assert shown.properties["owner_specified.openstack.object"] == f"images/{unique_name}"


def test_download_returns_the_uploaded_bytes_with_content_md5(
    producer, image_file: ImageFile, unique_name: str, tmp_path
) -> None:
    image = create_with_data(producer, unique_name, image_file)

    # In memory: the SDK verifies os_hash_value (sha512) itself and raises on a mismatch.
    response = producer.image.download_image(image.id)
    assert response.content == image_file.data
    assert response.headers["Content-MD5"] == image_file.md5
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert hashlib.md5(response.content).hexdigest() == image_file.md5
    assert hashlib.sha512(response.content).hexdigest() == image_file.sha512

    # To a file, streamed in chunks.
    out = tmp_path / "downloaded.raw"
    producer.image.download_image(image.id, output=str(out), chunk_size=64 * 1024)
    assert out.read_bytes() == image_file.data


def test_list_filters_by_tag_name_visibility_and_sorts(producer, unique_name: str) -> None:
    tag, other_tag = f"{unique_name}-tag", f"{unique_name}-other"
    names = [f"{unique_name}-b", f"{unique_name}-a", f"{unique_name}-c"]
    created = {
        names[0]: create_record(producer, names[0], tags=[tag]),
        names[1]: create_record(producer, names[1], tags=[tag, other_tag]),
        names[2]: create_record(producer, names[2], tags=[tag], visibility="private"),
    }
    ids = {name: image.id for name, image in created.items()}

    def listed(**query) -> list[str]:
        return [image.name for image in producer.image.images(tag=tag, **query)]

    assert sorted(listed()) == sorted(names)
    assert listed(name=names[1]) == [names[1]]
    assert listed(sort="name:asc") == sorted(names)
    assert listed(sort="name:desc") == sorted(names, reverse=True)
    assert listed(sort_key="name", sort_dir="asc") == sorted(names)
    # Own images of every visibility are in the default list; the filter narrows them.
    assert listed(visibility="private") == [names[2]]
    assert sorted(listed(visibility="shared")) == sorted(names[:2])
    assert listed(status="queued", sort="name:asc") == sorted(names)
    # Several tags: every one must match (AND).
    both = [image.id for image in producer.image.images(tag=[tag, other_tag])]
    assert both == [ids[names[1]]]
    # Small pages: the SDK follows Glance's ``next`` links until a page comes back short.
    assert listed(limit=1, sort="name:asc") == sorted(names)
    # A name nobody uses matches nothing.
    assert listed(name=f"{unique_name}-none") == []


def test_update_changes_name_and_properties(producer, unique_name: str) -> None:
    image = create_record(producer, unique_name)
    new_name = f"{unique_name}-renamed"

    updated = producer.image.update_image(
        image.id, name=new_name, min_ram=512, os_distro="cirros", contract_key="value-1"
    )
    assert updated.name == new_name
    assert updated.min_ram == 512

    shown = producer.image.get_image(image.id)
    assert shown.name == new_name
    assert shown.min_ram == 512
    assert shown.os_distro == "cirros"
    assert shown.properties["contract_key"] == "value-1"
    assert shown.status == "queued"

    producer.image.update_image(image.id, contract_key="value-2")
    assert producer.image.get_image(image.id).properties["contract_key"] == "value-2"


def test_tags_are_added_and_removed(producer, unique_name: str) -> None:
    image = create_record(producer, unique_name)
    tag = f"{unique_name}-t"

    producer.image.add_tag(image.id, tag)
    producer.image.add_tag(image.id, tag)  # adding twice is not an error in Glance
    assert producer.image.get_image(image.id).tags == [tag]
    assert [i.id for i in producer.image.images(tag=tag)] == [image.id]

    producer.image.remove_tag(image.id, tag)
    assert producer.image.get_image(image.id).tags == []
    assert [i.id for i in producer.image.images(tag=tag)] == []


def test_deactivate_blocks_download_until_reactivated(
    producer, image_file: ImageFile, unique_name: str
) -> None:
    image = create_with_data(producer, unique_name, image_file)

    producer.image.deactivate_image(image.id)
    assert producer.image.get_image(image.id).status == "deactivated"
    # Non-admins may not download a deactivated image (glance/api/v2/image_data.py download).
    response = producer.image.get(f"/images/{image.id}/file", raise_exc=False)
    assert response.status_code == 403
    assert "The requested image has been deactivated" in response.text
    # openstacksdk does not check the status of the data GET: it hashes the 403 page and
    # fails on the checksum instead (InvalidResponse), against Glance as here.
    with pytest.raises(exceptions.SDKException):
        producer.image.download_image(image.id)

    producer.image.reactivate_image(image.id)
    assert producer.image.get_image(image.id).status == "active"
    assert producer.image.download_image(image.id).content == image_file.data


def test_protected_image_refuses_delete(producer, unique_name: str) -> None:
    image = create_record(producer, unique_name, is_protected=True)
    assert producer.image.get_image(image.id).is_protected is True

    with pytest.raises(exceptions.ForbiddenException):
        producer.image.delete_image(image.id, ignore_missing=False)
    assert producer.image.get_image(image.id).status == "queued"

    producer.image.update_image(image.id, is_protected=False)
    producer.image.delete_image(image.id, ignore_missing=False)
    with pytest.raises(exceptions.NotFoundException):
        producer.image.get_image(image.id)


def test_delete_removes_the_image(producer, image_file: ImageFile, unique_name: str) -> None:
    image = create_with_data(producer, unique_name, image_file)

    producer.image.delete_image(image.id, ignore_missing=False)

    with pytest.raises(exceptions.NotFoundException):
        producer.image.get_image(image.id)
    with pytest.raises(exceptions.NotFoundException):
        producer.image.delete_image(image.id, ignore_missing=False)
    assert [i.id for i in producer.image.images(name=unique_name)] == []


def test_unversioned_auth_url_reaches_the_same_images(
    clients: Clients, producer, unique_name: str
) -> None:
    image = create_record(producer, unique_name)
    unversioned = clients.sdk("producer", auth_url=clients.server.identity_url)

    assert unversioned.current_project_id == clients.project_id("producer")
    assert [i.id for i in unversioned.image.images(name=unique_name)] == [image.id]


def test_other_projects_do_not_see_a_shared_image_without_membership(
    clients: Clients, producer, unique_name: str
) -> None:
    image = create_record(producer, unique_name)
    outsider = clients.sdk("outsider")

    assert [i.id for i in outsider.image.images(name=unique_name)] == []
    with pytest.raises(exceptions.NotFoundException):
        outsider.image.get_image(image.id)
    with pytest.raises(exceptions.NotFoundException):
        outsider.image.update_image(image.id, name="stolen")
    assert producer.image.get_image(image.id).name == unique_name
