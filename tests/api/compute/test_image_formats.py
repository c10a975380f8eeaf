"""Nova's compute-side check of the image data (``virt/images.py``
``do_image_deep_inspection``), over the cases of tempest's ``ImagesFormatTest``
(os-test-images' manifest): usable images go ACTIVE, the others ERROR with a fault; a
format mismatch always goes ERROR. The API accepts every one (202), as Nova does.

The image side runs as tempest runs it (``image_format_enforcement = False``: Glance does
not insist the data match ``disk_format``), i.e. ``inspect_image_format=False`` here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.core.config import Config
from tests.api.compute.conftest import Compute
from tests.unit.test_disk_formats import SAMPLES


@pytest.fixture
def config(tmp_path: Path, request: pytest.FixtureRequest) -> Config:
    overrides = getattr(request, "param", {})
    return Config(
        data_dir=tmp_path / "data",
        compute_build_seconds=0.0,
        inspect_image_format=False,
        **overrides,
    )


CASES = [
    # (declared disk_format, sample, status, reason)
    ("qcow2", "qcow2", "ACTIVE", None),
    ("raw", "zeros", "ACTIVE", None),
    ("raw", "gpt", "ACTIVE", None),  # raw declared, GPT found: Nova accepts it
    ("iso", "iso", "ACTIVE", None),
    ("vmdk", "vmdk", "ACTIVE", None),
    ("vmdk", "vmdk-stream", "ACTIVE", None),
    ("qcow2", "zeros", "ERROR", "Image content does not match disk_format"),
    ("qcow2", "gpt", "ERROR", "Image content does not match disk_format"),
    ("raw", "qcow2", "ERROR", "Image content does not match disk_format"),
    ("raw", "vmdk", "ERROR", "Image content does not match disk_format"),
    ("raw", "iso", "ERROR", "Image content does not match disk_format"),
    ("ploop", "zeros", "ERROR", "Image not in a supported format"),
    ("ami", "zeros", "ACTIVE", None),
    ("ami", "qcow2-backing", "ERROR", "Image does not pass safety check"),
    # fetch_to_raw: qemu-img must name the format the inspection settled on (AMI as raw,
    # VHD as "vpc", so Nova refuses VHD even when the data is one).
    ("ami", "qcow2", "ERROR", "Image content does not match disk_format"),
    ("aki", "vmdk", "ERROR", "Image content does not match disk_format"),
    ("ari", "iso", "ACTIVE", None),
    ("vhd", "vhd", "ERROR", "Image content does not match disk_format"),
    ("vhdx", "vhdx", "ACTIVE", None),
    ("vdi", "vdi", "ACTIVE", None),
]


@pytest.mark.parametrize(("disk_format", "sample", "status", "reason"), CASES)
def test_compute_judges_the_data(
    compute: Compute, disk_format: str, sample: str, status: str, reason: str | None
) -> None:
    image = compute.image(who="consumer", data=SAMPLES[sample], disk_format=disk_format)
    server_id = compute.boot(image)
    server = compute.server(server_id)
    assert server["status"] == status
    if reason is None:
        assert server["OS-EXT-STS:task_state"] is None and "fault" not in server
    else:
        assert server["fault"]["message"].endswith(f"is unacceptable: {reason}")
        assert server["fault"]["code"] == 500


@pytest.mark.parametrize("sample", ["qcow2-backing", "qcow2-data-file", "vmdk-flat"])
def test_unsafe_data_goes_error(compute: Compute, sample: str) -> None:
    """Glance inspects ``bare`` images only (and refuses these at upload); in another
    container they are stored, and Nova's own check refuses them at boot."""
    disk_format = "vmdk" if sample.startswith("vmdk") else "qcow2"
    image = compute.image(
        who="consumer", data=SAMPLES[sample], disk_format=disk_format, container_format="ovf"
    )
    server = compute.server(compute.boot(image))
    assert server["status"] == "ERROR"
    assert "Image does not pass safety check" in server["fault"]["message"]


UNSAFE = [("qcow2", "qcow2-backing"), ("qcow2", "qcow2-data-file"), ("vmdk", "vmdk-flat")]


@pytest.mark.parametrize(("disk_format", "sample"), UNSAFE)
def test_unsafe_bare_uploads_are_refused_even_without_the_format_match(
    compute: Compute, disk_format: str, sample: str
) -> None:
    """Glance 33 with ``require_image_format_match = False`` still refuses them (415)."""
    image_id = compute.image(who="consumer", data=None, disk_format=disk_format)
    response = compute.client.put(
        f"/v2/images/{image_id}/file",
        data=SAMPLES[sample],
        headers=compute.users.headers("consumer", **{"Content-Type": "application/octet-stream"}),
    )
    assert response.status_code == 415
    assert "Image failed safety checks" in response.get_json()["message"]


@pytest.mark.parametrize("config", [{"upload_safety_checks": False}], indirect=True)
@pytest.mark.parametrize(("disk_format", "sample"), [*UNSAFE, ("raw", "qed")])
def test_without_upload_safety_checks_compute_is_the_one_to_refuse(
    compute: Compute, disk_format: str, sample: str
) -> None:
    """What tempest's ``test_compute_rejects_invalid`` needs: the bytes stored as they are
    (no virtual size: nothing was judged), and Nova's own check failing the boot."""
    image_id = compute.image(who="consumer", data=SAMPLES[sample], disk_format=disk_format)
    doc = compute.client.get(
        f"/v2/images/{image_id}", headers=compute.users.headers("consumer")
    ).get_json()
    assert (doc["status"], doc["size"], doc["virtual_size"]) == (
        "active",
        len(SAMPLES[sample]),
        None,
    )
    server = compute.server(compute.boot(image_id))
    assert server["status"] == "ERROR"
    assert server["fault"]["message"].endswith("is unacceptable: Image does not pass safety check")
