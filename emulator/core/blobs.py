"""Image data files: one file per image, named by the image's UUID.

Ids are checked against the UUID pattern before any path is built, so no request can name a
file outside ``blob_dir`` (path traversal). Writes go to a temporary file in the same folder
and are renamed into place, so a half-written image is never visible.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_SAFE_ID = re.compile(r"^[0-9a-fA-F-]{36}$")
READ_CHUNK = 1 << 20


class PendingBlob:
    """An upload being written: appended to, read back for inspection, then kept or dropped."""

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".upload-", dir=root)
        self.path = Path(name)
        self._file: BinaryIO = os.fdopen(fd, "w+b")
        self.size = 0
        self.committed = False

    def write(self, chunk: bytes | bytearray) -> None:
        self._file.write(chunk)
        self.size += len(chunk)

    def read_at(self, offset: int, length: int) -> bytes:
        """Bytes already written (for format inspection); fewer at the end of the data."""
        self._file.flush()
        if offset < 0 or offset >= self.size or length <= 0:
            return b""
        return os.pread(self._file.fileno(), min(length, self.size - offset), offset)

    def commit(self, final_path: Path) -> None:
        self._file.close()
        os.replace(self.path, final_path)
        self.committed = True

    def discard(self) -> None:
        """Drop the data unless it was committed (so a holder may always call this)."""
        if self.committed:
            return
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)


#: The WSGI environ key by which a server says it sends :class:`FileSpan` pieces itself.
FILE_SPANS = "emulator.file_spans"


class FileSpan(bytes):
    """``size`` bytes of an open file from ``offset``, as one piece of a WSGI body, for a
    server that sends them itself, from a map of the file (``server/socket_files.py``):
    reading it into memory and writing it out again made a copy more. The bytes object
    itself is empty; ``len`` is the span's, so what counts the bytes of an answer (the
    request log) counts these."""

    file: BinaryIO
    offset: int
    size: int

    def __new__(cls, file: BinaryIO, offset: int, size: int) -> FileSpan:
        span = super().__new__(cls)
        span.file, span.offset, span.size = file, offset, size
        return span

    def __len__(self) -> int:
        return self.size


class FileChunks:
    """``length`` bytes of an open file from ``offset``, a chunk at a time, or as one
    :class:`FileSpan` when ``spans`` (the server sends files itself).

    A WSGI server calls ``close`` when the response ends, sent or not, so the file is closed
    even if iteration never started.
    """

    def __init__(
        self,
        handle: BinaryIO,
        offset: int,
        length: int,
        chunk_size: int = READ_CHUNK,
        spans: bool = False,
    ):
        self.handle, self.offset, self.length, self.chunk_size = handle, offset, length, chunk_size
        self.spans = spans

    def __iter__(self) -> Iterator[bytes]:
        if self.spans and self.length > 0:
            try:
                yield FileSpan(self.handle, self.offset, self.length)
            finally:
                self.close()
            return
        try:
            self.handle.seek(self.offset)
            remaining = self.length
            while remaining > 0:
                chunk = self.handle.read(min(self.chunk_size, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        self.handle.close()


class StagingArea:
    """Glance's ``node_staging_uri``: data staged for a later glance-direct import, and
    what a web-download fetched, one file per image id, written aside and renamed in."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, image_id: str) -> Path:
        if not _SAFE_ID.match(image_id):
            raise ValueError(f"not an image id: {image_id!r}")
        return self.root / image_id.lower()

    def exists(self, image_id: str) -> bool:
        return _SAFE_ID.match(image_id) is not None and self.path(image_id).is_file()

    def begin(self) -> PendingBlob:
        return PendingBlob(self.root)

    def keep(self, pending: PendingBlob, image_id: str) -> None:
        pending.commit(self.path(image_id))

    def open(self, image_id: str) -> BinaryIO | None:
        if not _SAFE_ID.match(image_id):
            return None
        try:
            return open(self.path(image_id), "rb")
        except (FileNotFoundError, IsADirectoryError):
            return None

    def size(self, image_id: str) -> int | None:
        try:
            return self.path(image_id).stat().st_size if _SAFE_ID.match(image_id) else None
        except FileNotFoundError:
            return None

    def delete(self, image_id: str) -> None:
        if _SAFE_ID.match(image_id):
            self.path(image_id).unlink(missing_ok=True)

    def staged_ids(self) -> list[str]:
        if not self.root.exists():
            return []
        return [e.name for e in self.root.iterdir() if e.is_file() and _SAFE_ID.match(e.name)]

    def sweep_uploads(self) -> int:
        removed = 0
        for entry in self.root.glob(".upload-*") if self.root.exists() else ():
            entry.unlink(missing_ok=True)
            removed += 1
        return removed


class BlobStore:
    def __init__(self, root: Path, staging_root: Path | None = None):
        self.root = Path(root)
        self.staging = StagingArea(staging_root or self.root.parent / "staging")

    def path(self, image_id: str) -> Path:
        if not _SAFE_ID.match(image_id):
            raise ValueError(f"not an image id: {image_id!r}")
        return self.root / image_id.lower()

    def exists(self, image_id: str) -> bool:
        return _SAFE_ID.match(image_id) is not None and self.path(image_id).is_file()

    def begin(self) -> PendingBlob:
        """A temp file for a new upload; ``keep`` or ``discard`` it when done."""
        return PendingBlob(self.root)

    def keep(self, pending: PendingBlob, image_id: str) -> None:
        """Rename a finished upload into place (atomic on one filesystem)."""
        pending.commit(self.path(image_id))

    def open(self, image_id: str) -> BinaryIO | None:
        """The image's data for reading, or None if it has none.

        An open file stays readable if the image is deleted meanwhile (POSIX), so a download
        that has started finishes.
        """
        if not _SAFE_ID.match(image_id):
            return None
        try:
            return open(self.path(image_id), "rb")  # the caller closes it (FileChunks does)
        except (FileNotFoundError, IsADirectoryError):
            return None

    def delete(self, image_id: str) -> None:
        if _SAFE_ID.match(image_id):
            self.path(image_id).unlink(missing_ok=True)

    def data_files(self) -> list[Path]:
        """The committed image data files (not uploads in flight, not folders)."""
        if not self.root.exists():
            return []
        return [e for e in self.root.iterdir() if e.is_file() and _SAFE_ID.match(e.name)]

    def sweep_uploads(self) -> int:
        """Remove temp files left by uploads a crash interrupted; returns how many."""
        removed = 0
        for entry in self.root.glob(".upload-*") if self.root.exists() else ():
            entry.unlink(missing_ok=True)
            removed += 1
        return removed
