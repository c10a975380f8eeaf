"""Image data files: one file per image, named by the image's UUID.

Ids are checked against the UUID pattern before any path is built, so no request can name a
file outside ``blob_dir`` (path traversal). Writes go to a temporary file in the same folder
and are renamed into place, so a half-written image is never visible.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_SAFE_ID = re.compile(r"^[0-9a-fA-F-]{36}$")


class BlobStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, image_id: str) -> Path:
        if not _SAFE_ID.match(image_id):
            raise ValueError(f"not an image id: {image_id!r}")
        return self.root / image_id.lower()

    def exists(self, image_id: str) -> bool:
        return _SAFE_ID.match(image_id) is not None and self.path(image_id).is_file()

    def temp_file(self) -> tuple[int, Path]:
        """An open descriptor and path for a new upload, in the same filesystem."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".upload-", dir=self.root)
        return fd, Path(name)

    def commit(self, temp_path: Path, image_id: str) -> None:
        os.replace(temp_path, self.path(image_id))

    def delete(self, image_id: str) -> None:
        if _SAFE_ID.match(image_id):
            self.path(image_id).unlink(missing_ok=True)

    def clear(self) -> None:
        for entry in self.root.iterdir() if self.root.exists() else ():
            if entry.is_file():
                entry.unlink(missing_ok=True)
