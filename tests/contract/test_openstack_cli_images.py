"""The ``openstack`` CLI (python-openstackclient), unmodified: the image life cycle (issue 2).

Each CLI call costs a Python start-up, so the set-up that is not under test is done with the
SDK, and outcomes are checked through the SDK as a second channel.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from openstack import exceptions

if TYPE_CHECKING:  # fixtures provide the objects; the conftest is never imported directly
    from tests.contract.conftest import Clients, ImageFile

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def created(clients: Clients, image_file: ImageFile) -> dict:
    """``openstack image create --file``: one CLI-made image shared by the read-only tests."""
    name = f"ct-osc-create-{uuid.uuid4().hex[:8]}"
    return clients.openstack_json(
        "producer",
        "image",
        "create",
        "--file",
        str(image_file.path),
        "--disk-format",
        "raw",
        "--container-format",
        "bare",
        name,
    )


def test_create_uploads_the_file(
    clients: Clients, producer, created: dict, image_file: ImageFile
) -> None:
    assert created["status"] == "active"
    assert created["size"] == image_file.size
    assert created["checksum"] == image_file.md5
    assert created["disk_format"] == "raw"
    assert created["container_format"] == "bare"
    assert created["visibility"] == "shared"

    image = producer.image.get_image(created["id"])
    assert image.name == created["name"]
    assert image.owner == clients.project_id("producer")
    assert image.hash_algo == "sha512"
    assert image.hash_value == image_file.sha512


def test_list_long_shows_the_image(clients: Clients, created: dict, image_file: ImageFile) -> None:
    # The unversioned auth URL: keystoneauth discovers /identity/v3 from /identity first.
    rows = clients.openstack_json(
        "producer", "image", "list", "--long", "--name", created["name"], unversioned=True
    )
    assert [row["ID"] for row in rows] == [created["id"]]
    row = rows[0]
    assert row["Name"] == created["name"]
    assert row["Disk Format"] == "raw"
    assert row["Container Format"] == "bare"
    assert row["Size"] == image_file.size
    assert row["Checksum"] == image_file.md5
    assert row["Status"] == "active"
    assert row["Visibility"] == "shared"
    assert row["Protected"] is False
    assert row["Project"] == clients.project_id("producer")


def test_show_by_id(clients: Clients, created: dict, image_file: ImageFile) -> None:
    shown = clients.openstack_json("producer", "image", "show", created["id"])
    assert shown["id"] == created["id"]
    assert shown["name"] == created["name"]
    assert shown["status"] == "active"
    assert shown["checksum"] == image_file.md5
    assert shown["owner"] == clients.project_id("producer")
    assert shown["file"] == f"/v2/images/{created['id']}/file"
    assert shown["schema"] == "/v2/schemas/image"
    properties = shown["properties"]
    assert properties["os_hash_algo"] == "sha512"
    assert properties["os_hash_value"] == image_file.sha512


def test_save_writes_the_same_bytes(
    clients: Clients, created: dict, image_file: ImageFile, tmp_path
) -> None:
    out = tmp_path / "saved.raw"
    clients.openstack("producer", "image", "save", "--file", str(out), created["id"])
    assert out.read_bytes() == image_file.data


def test_set_property_and_name(clients: Clients, producer, unique_name: str) -> None:
    image = producer.image.create_image(
        unique_name, disk_format="raw", container_format="bare", allow_duplicates=True
    )
    new_name = f"{unique_name}-renamed"

    result = clients.openstack(
        "producer",
        "image",
        "set",
        "--property",
        "contract_key=contract-value",
        "--name",
        new_name,
        image.id,
    )
    assert result.stdout == ""

    shown = producer.image.get_image(image.id)
    assert shown.name == new_name
    assert shown.properties["contract_key"] == "contract-value"


def test_delete(clients: Clients, producer, unique_name: str) -> None:
    image = producer.image.create_image(
        unique_name, disk_format="raw", container_format="bare", allow_duplicates=True
    )

    clients.openstack("producer", "image", "delete", image.id)

    with pytest.raises(exceptions.NotFoundException):
        producer.image.get_image(image.id)


def test_outsider_cannot_delete(clients: Clients, producer, unique_name: str) -> None:
    image = producer.image.create_image(
        unique_name, disk_format="raw", container_format="bare", allow_duplicates=True
    )

    # Not visible to the outsider: OSC's lookup by id gets 404 and by name finds nothing.
    # OSC reports any ResourceNotFound in ``image delete`` with this odd message, against
    # real Glance too (openstackclient/image/v2/image.py DeleteImage.take_action).
    result = clients.openstack("outsider", "image", "delete", image.id, expect="failure")
    assert "Multi Backend support not enabled." in result.stderr, result.describe()

    assert producer.image.get_image(image.id).status == "queued"
