"""The ``glance`` CLI (python-glanceclient), unmodified: create with data, list, download.

glanceclient first reads ``/versions``, then caches ``/v2/schemas/image``,
``/v2/schemas/metadefs/namespace`` and ``/v2/schemas/metadefs/resource_type`` under
``~/.glanceclient`` (it falls back to API v1, i.e. breaks, if all three fail) and builds
``image-create`` options from the image schema (glanceclient/shell.py ``_cache_schemas``).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # fixtures provide the objects; the conftest is never imported directly
    from tests.contract.conftest import Clients, ImageFile

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def created(clients: Clients, image_file: ImageFile) -> dict[str, str]:
    name = f"ct-glance-create-{uuid.uuid4().hex[:8]}"
    result = clients.glance(
        "producer",
        "image-create",
        "--name",
        name,
        "--disk-format",
        "raw",
        "--container-format",
        "bare",
        "--file",
        str(image_file.path),
    )
    assert "falling back to v1" not in result.stderr, result.describe()
    return result.glance_properties()


def test_image_create_uploads_the_file(
    clients: Clients, created: dict[str, str], image_file: ImageFile
) -> None:
    assert created["status"] == "active"
    assert created["size"] == str(image_file.size)
    assert created["checksum"] == image_file.md5
    assert created["os_hash_algo"] == "sha512"
    assert created["os_hash_value"] == image_file.sha512
    assert created["disk_format"] == "raw"
    assert created["container_format"] == "bare"
    assert created["visibility"] == "shared"
    assert created["owner"] == clients.project_id("producer")

    image = clients.sdk("producer").image.get_image(created["id"])
    assert (image.name, image.status, image.size) == (created["name"], "active", image_file.size)


def test_image_list_shows_the_image(clients: Clients, created: dict[str, str]) -> None:
    # The unversioned auth URL this time: discovery of /identity/v3 from /identity.
    records = clients.glance("producer", "image-list", unversioned=True).glance_records()
    assert records and set(records[0]) == {"ID", "Name"}
    assert {"ID": created["id"], "Name": created["name"]} in records
    # glanceclient asks for sort_key=name&sort_dir=asc: names come back in order.
    names = [record["Name"] for record in records]
    assert names == sorted(names)


def test_image_download_writes_the_same_bytes(
    clients: Clients, created: dict[str, str], image_file: ImageFile, tmp_path
) -> None:
    out = tmp_path / "downloaded.raw"
    # glanceclient checks os_hash_value (sha512) while writing and fails on a mismatch.
    clients.glance("producer", "image-download", "--file", str(out), created["id"])
    assert out.read_bytes() == image_file.data
