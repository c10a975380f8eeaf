"""Compute's window on the image service (Nova's ``nova/image/glance.py``): every image
read or write goes through the image *services*, as the caller, so Glance's own rules
(visibility, membership, the sharing profile) decide what a project may boot."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from emulator.compute.domain.image_rules import ImageFacts, SnapshotPlan
from emulator.core import errors
from emulator.core.blobs import BlobStore
from emulator.core.unit_of_work import UnitOfWork
from emulator.image.services import image_data, images


def facts(uow: UnitOfWork, image_id: str, not_found: str) -> ImageFacts:
    """The image as the caller sees it; ``not_found`` (Nova's 400) if it cannot."""
    try:
        image = images.show(uow, image_id)
    except errors.NotFound as exc:
        raise errors.BadRequest(not_found) from exc
    except (errors.Forbidden, errors.Unauthorized) as exc:
        raise errors.BadRequest(f"Not authorized for image {image_id}.") from exc
    return ImageFacts(
        id=image.id,
        status=image.status,
        disk_format=image.disk_format,
        container_format=image.container_format,
        min_ram=image.min_ram,
        min_disk=image.min_disk,
        size=image.size,
        properties=dict(image.extra_properties),
    )


def unacceptable_reason(uow: UnitOfWork, image: ImageFacts) -> str | None:
    """What the compute host's check of the downloaded data says (``virt/images.py``
    ``do_image_deep_inspection``), or None if the data may boot."""
    ami = image.disk_format in ("ami", "aki", "ari")
    if not ami and image.disk_format not in _INSPECTABLE:
        return "Image not in a supported format"
    found = image_data.stored_format(uow, image.id)
    if found is None:
        return None
    if not found.safe:
        return "Image does not pass safety check"
    mismatch = "Image content does not match disk_format"
    if not ami and found.name != image.disk_format:
        if not (image.disk_format == "raw" and found.name == "gpt"):
            return mismatch
    # ``fetch_to_raw`` then asks qemu-img, whose name must equal the format the inspection
    # settled on (ISO and AMI as raw). qemu calls VHD "vpc", so Nova refuses every VHD, and
    # an AMI that holds a qcow2 or a VMDK.
    expected = "raw" if image.disk_format in ("iso", "ami", "aki", "ari") else image.disk_format
    if _QEMU_NAMES.get(found.name, found.name) != expected:
        return mismatch
    return None


#: oslo.utils ``format_inspector.ALL_FORMATS``.
_INSPECTABLE = ("raw", "qcow2", "vhd", "vhdx", "vmdk", "vdi", "qed", "iso", "gpt", "luks")
#: What ``qemu-img info`` reports where its name differs from the inspector's.
_QEMU_NAMES = {"vhd": "vpc", "gpt": "raw", "iso": "raw"}


def disks(uow: UnitOfWork) -> BlobStore:
    """Each server's root disk: a copy of its image's data taken at boot, so a snapshot
    has real bytes even once the image is revoked or deleted."""
    return BlobStore(Path(uow.config.data_dir) / "server-disks")


def copy_to_disk(uow: UnitOfWork, image_id: str, server_id: str) -> None:
    """Download the image (as the caller) into the server's disk; no data, no disk."""
    download = image_data.download(uow, image_id)
    try:
        if not download.has_data:
            return
        store = disks(uow)
        pending = store.begin()
        try:
            for chunk in download.chunks():
                pending.write(chunk)
            store.keep(pending, server_id)
        except BaseException:
            pending.discard()
            raise
    finally:
        download.close()


def _disk_chunks(store: BlobStore, server_id: str) -> Iterator[bytes]:
    handle = store.open(server_id)
    if handle is None:
        return
    with handle:
        while chunk := handle.read(1 << 20):
            yield chunk


def create_snapshot(uow: UnitOfWork, plan: SnapshotPlan, server_id: str) -> str:
    """Nova's snapshot: the image record as the caller (Glance makes the caller's project
    its owner), then the disk's bytes uploaded through Glance (queued -> saving ->
    active, checksums computed as for any upload). Returns the new image id."""
    body = {
        "name": plan.name,
        "visibility": plan.visibility,
        "disk_format": plan.disk_format,
        "container_format": plan.container_format,
        "min_ram": plan.min_ram,
        "min_disk": plan.min_disk,
        **plan.properties,
    }
    image = images.create(uow, body)
    store = disks(uow)
    if store.exists(server_id):
        chunks: Iterable[bytes] = _disk_chunks(store, server_id)
        image_data.upload(uow, image.id, chunks, store.path(server_id).stat().st_size)
    return image.id


def delete_disk(uow: UnitOfWork, server_id: str) -> None:
    disks(uow).delete(server_id)
