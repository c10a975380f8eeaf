"""Image data use cases: ``upload`` (PUT /file) and ``download`` (GET /file).

Follows ``glance/api/v2/image_data.py`` (ImageDataController, RequestDeserializer.upload,
ResponseSerializer.download), the checks glance_store's filesystem driver makes while
writing (``glance_store/_drivers/filesystem.py`` ``add``), the size cap
(``glance/common/utils.py`` ``LimitingReader``) and the format inspection of
``glance/location.py`` ``ImageProxy.set_data``.

Data streams through a temp file while md5 and sha512 are computed, and is renamed into
place only once everything has passed: an image never shows half-written data, and memory
use does not grow with the image.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from emulator.core import errors
from emulator.core.blobs import FileChunks, PendingBlob
from emulator.core.config import Config
from emulator.core.unit_of_work import UnitOfWork
from emulator.image.domain import byte_ranges, disk_formats
from emulator.image.domain import images as rules
from emulator.image.domain.images import Image
from emulator.image.services import access, cache, quotas
from emulator.image.services import stores as store_service
from emulator.image.services.hashed_write import HashedWrite
from emulator.image.store import images as image_store

log = logging.getLogger(__name__)

#: glance_store's filesystem WRITE_CHUNKSIZE: the body is read this much at a time, which
#: also decides the "got N bytes" of a "Size exceeds" refusal.
WRITE_CHUNK_SIZE = 64 * 1024
#: Bytes hashed and written per step: large enough that handing a batch to the helper
#: threads costs little next to the hashing itself, small enough that the batch is still in
#: the cache when sha512 reads it (1 MiB measured ~40% slower, with md5 alone on a helper).
HASH_BATCH_SIZE = 256 * 1024
#: glance's ``[DEFAULT] hashing_algorithm``.
HASHING_ALGORITHM = "sha512"

DEACTIVATED = "The requested image has been deactivated. Image data download is forbidden."
GONE_DURING_UPLOAD = (
    "Image {id} could not be found after upload. The image may have been deleted during the "
    "upload, cleaning up the chunks uploaded."
)
TOO_LARGE = "The incoming image is too large: The provided image is too large."


# --- upload ---------------------------------------------------------------------------


@dataclass
class PreparedData:
    """Data already written to a temp file and hashed, waiting for the upload that takes it:
    a reset or scenario load does this slow part before it takes the write lock."""

    pending: PendingBlob
    md5: hashlib._Hash
    sha: hashlib._Hash

    def discard(self) -> None:
        self.pending.discard()


def prepare(
    uow: UnitOfWork, chunks: Iterable[bytes | bytearray], size: int | None = None
) -> PreparedData:
    """Write and hash ``chunks`` ahead of ``upload`` (which then only inspects and keeps
    them), with the same size checks; no lock is held meanwhile."""
    pending = uow.blobs.begin()
    try:
        md5, sha = write_hashed(pending, chunks, size or 0, uow.config.image_size_cap)
    except BaseException:
        pending.discard()
        raise
    return PreparedData(pending, md5, sha)


def upload(
    uow: UnitOfWork,
    image_id: str,
    chunks: Iterable[bytes | bytearray] | PreparedData,
    size: int | None = None,
    store_header: str | None = None,
) -> Image:
    """Store the image's data: queued -> saving -> active. ``chunks`` may be data already
    written by ``prepare`` (consumed here, kept or discarded).

    Any refusal after ``saving`` (too large, wrong size, content not matching disk_format,
    client gone) puts the image back to ``queued`` and keeps no data. Content refused by
    the format inspection leaves its checksums on the image, as in Glance: there the store
    hashes the data (``ImageProxy._upload_to_store``) before the format is judged, and
    ``_restore`` saves the image as it then is.
    """
    db, blobs = uow.db, uow.blobs
    quotas.enforce_image_size_total(uow, (size or 0) >> 20)  # before the image lookup
    store = store_service.upload_store(uow, store_header)  # X-Image-Meta-Store (400)
    image = _begin_saving(uow, image_id)
    pending: PendingBlob | None = None
    kept = False
    hashes_of_refused: dict[str, str] = {}
    try:
        quotas.enforce_image_count_uploading(uow)
        if isinstance(chunks, PreparedData):
            pending, md5, sha = chunks.pending, chunks.md5, chunks.sha
        else:
            pending = blobs.begin()
            md5, sha = write_hashed(pending, chunks, size or 0, uow.config.image_size_cap)
        try:
            virtual_size = inspect(image, pending, uow.config)
        except errors.UnsupportedMediaType:
            hashes_of_refused = {
                "checksum": md5.hexdigest(),
                "os_hash_algo": HASHING_ALGORITHM,
                "os_hash_value": sha.hexdigest(),
            }
            raise
        with uow.atomic():
            current = image_store.get(db, image.id)
            if current is None or current.status != "saving":
                # Deleted while the data came in (Glance: NotFound/Conflict on save -> 410).
                raise errors.Gone(GONE_DURING_UPLOAD.format(id=image.id))
            rules.set_status(current, "active")
            current.size = pending.size
            current.virtual_size = virtual_size
            current.checksum = md5.hexdigest()
            current.os_hash_algo = HASHING_ALGORITHM
            current.os_hash_value = sha.hexdigest()
            current.updated_at = uow.now()
            blobs.keep(pending, current.id)
            kept = True
            if store is not None:
                image_store.add_stores(db, current.id, [store])
                current.stores = [store]
            image_store.update_fields(
                db,
                current.id,
                status=current.status,
                size=current.size,
                virtual_size=current.virtual_size,
                checksum=current.checksum,
                os_hash_algo=current.os_hash_algo,
                os_hash_value=current.os_hash_value,
                updated_at=current.updated_at,
            )
    except BaseException:
        if kept:
            blobs.delete(image.id)
        elif pending is not None:
            pending.discard()
        _restore(uow, image.id, hashes_of_refused)
        raise
    return current


def _begin_saving(uow: UnitOfWork, image_id: str) -> Image:
    """One atomic write: who may upload (404/403), then queued -> saving (409/400)."""
    with uow.atomic():
        image = access.load(uow, image_id, "upload_image").image
        rules.set_status(image, "saving")
        image.updated_at = uow.now()
        image_store.update_fields(
            uow.db, image.id, status=image.status, updated_at=image.updated_at
        )
    return image


def write_hashed(
    pending: PendingBlob, chunks: Iterable[bytes | bytearray], expected: int, cap: int
) -> tuple[hashlib._Hash, hashlib._Hash]:
    """Append ``chunks`` while hashing; ``expected`` 0 means the size was not declared.

    Size checks run per received chunk (so refusals report Glance's byte counts); hashing
    and writing run per batch, overlapping the reading of the next (``hashed_write``).
    """
    received = 0
    batch = bytearray()
    with HashedWrite(pending, HASHING_ALGORITHM) as sink:
        for chunk in chunks:
            if not chunk:
                continue
            received += len(chunk)
            if received > cap:  # LimitingReader wraps the data before the store sees it
                raise errors.RequestEntityTooLarge(TOO_LARGE)
            if expected and received > expected:
                raise errors.BadRequest(
                    f"Size exceeds: expected {expected} bytes, got {received} bytes"
                )
            batch += chunk
            if len(batch) >= HASH_BATCH_SIZE:
                sink.add(batch)
                batch = bytearray()  # the one handed over is the helpers' now
        sink.add(batch)
    if expected and pending.size != expected:
        raise errors.BadRequest(
            f"Size mismatch: expected {expected} bytes, got {pending.size} bytes"
        )
    return sink.md5, sink.sha


def inspect(image: Image, pending: PendingBlob, config: Config) -> int | None:
    """The virtual size Glance records, or 415 if the content is refused."""
    findings: tuple[disk_formats.Finding, ...] = ()
    if image.container_format == "bare":
        findings = disk_formats.inspect(pending.read_at, pending.size)
    verdict = disk_formats.judge(
        image.disk_format,
        image.container_format,
        findings,
        pending.size,
        require_match=config.inspect_image_format,
    )
    if not verdict.accepted and not config.upload_safety_checks:
        if verdict.reason == disk_formats.SAFETY_CHECKS_FAILED:
            return None  # stored unchecked, as Glance before 2024.2 stored uploads
    if not verdict.accepted:  # InvalidImageData -> HTTPUnsupportedMediaType(detail=...)
        raise errors.UnsupportedMediaType(detail=verdict.reason)
    return verdict.virtual_size


def _restore(uow: UnitOfWork, image_id: str, hashes: dict[str, str] | None = None) -> None:
    """Back to ``queued`` (clearing size) unless gone: ImageDataController._restore.
    ``hashes``: checksums Glance would have set on the image before the refusal."""
    try:
        with uow.atomic():
            current = image_store.get(uow.db, image_id)
            if current is None or current.status != "saving":
                return
            rules.set_status(current, "queued")
            image_store.update_fields(
                uow.db,
                image_id,
                status=current.status,
                size=None,
                virtual_size=None,
                updated_at=uow.now(),
                **(hashes or {}),
            )
    except Exception:  # Glance logs and carries on: the original error is what the client gets
        log.exception("Unable to restore image %s", image_id)


# --- download -------------------------------------------------------------------------


@dataclass
class Download:
    """What ``GET /file`` sends: no data, the whole image, or a slice of it."""

    image: Image
    #: The bytes asked for; None for the whole image.
    part: byte_ranges.Slice | None = None
    handle: BinaryIO | None = None

    @property
    def has_data(self) -> bool:
        return self.handle is not None

    @property
    def length(self) -> int:
        if self.part is not None:
            return self.part.length
        return self.image.size or 0

    def chunks(self, spans: bool = False) -> Iterable[bytes]:
        """The bytes to send; ``spans``: as a file span for a server that sends files
        itself (``core/blobs.FileSpan``)."""
        if self.handle is None:
            return ()
        offset = self.part.offset if self.part is not None else 0
        return FileChunks(self.handle, offset, self.length, spans=spans)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def download(
    uow: UnitOfWork,
    image_id: str,
    wanted_range: str | None = None,
    wanted_content_range: str | None = None,
) -> Download:
    """The image's data, or the part that ``wanted_range`` (a ``Range`` value, or a legacy
    ``Content-Range`` one) names; a Download without data if there is none (Glance: 204)."""
    found = access.reach(uow, image_id)
    # Checked before the download policy (ImageDataController.download).
    if found.image.status == "deactivated" and not uow.context.is_admin:
        raise errors.Forbidden(DEACTIVATED)
    access.authorize(uow, found, "download_image")
    image = found.image
    byte_ranges.refuse_multiple(wanted_range)
    handle = None
    if image.status in ("active", "deactivated") and image.size is not None:
        handle = uow.blobs.open(image.id)
    if handle is None or image.size is None:
        byte_ranges.check_syntax(wanted_range, wanted_content_range)
        return Download(image)  # no data (glance_store.NotFound -> HTTPNoContent)
    try:
        part = byte_ranges.select(wanted_range, wanted_content_range, image.size)
        if part is None:  # the cache middleware caches whole-image downloads only
            cache.record_download(uow, image.id, image.size, image.checksum)
    except BaseException:
        handle.close()
        raise
    return Download(image, part, handle)


# --- what a compute host finds in the data --------------------------------------------


@dataclass(frozen=True)
class DataFormat:
    """The format the stored bytes are in (``raw`` when nothing specific matched; several
    names joined by ``,`` when they are ambiguous: oslo's ``detect_file_format`` then
    raises ``ImageFormatError``, a mismatch for Nova), and whether its safety checks pass."""

    name: str
    safe: bool


def stored_format(uow: UnitOfWork, image_id: str) -> DataFormat | None:
    """What a compute host's format inspection finds in an image's stored data, for the
    compute slice (Nova's ``virt/images.py`` inspects what it downloads). None when the
    caller may not download the image or it has no data."""
    found = access.reach(uow, image_id)
    access.authorize(uow, found, "download_image")
    handle = uow.blobs.open(found.image.id)
    if handle is None or found.image.size is None:
        return None
    with handle:
        size = found.image.size

        def read(offset: int, length: int) -> bytes:
            if offset < 0 or offset >= size or length <= 0:
                return b""
            handle.seek(offset)
            return handle.read(min(length, size - offset))

        findings = disk_formats.inspect(read, size)
    names = sorted(finding.name for finding in findings)
    if names == ["gpt", "iso"]:
        findings = tuple(f for f in findings if f.name == "iso")
    if not findings:
        return DataFormat("raw", True)
    if len(findings) > 1:
        return DataFormat(",".join(names), True)
    chosen = findings[0]
    return DataFormat(chosen.name, chosen.complete and not chosen.failures)
