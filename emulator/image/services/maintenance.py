"""Whole-state work on images for the control service: reset, export, scenario loading.

These act as the operator, not as a tenant: no access rules apply. Everything a scenario
asks of an image that a client could ask (create, upload, share) goes through the ordinary
use cases instead, with the rules and errors a client would meet.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from emulator.core.unit_of_work import UnitOfWork
from emulator.image.domain import imports
from emulator.image.domain.images import Image
from emulator.image.domain.members import Membership
from emulator.image.services import import_tasks
from emulator.image.store import images as image_store
from emulator.image.store import members as member_store
from emulator.image.store import set_aside
from emulator.image.store import tasks as task_store


def find(uow: UnitOfWork, image_id: str) -> Image | None:
    return image_store.get(uow.db, image_id)


def all_images(uow: UnitOfWork) -> list[Image]:
    """Every live image, oldest first, with its tags and properties."""
    return image_store.get_many(uow.db, image_store.live_ids(uow.db))


def all_memberships(uow: UnitOfWork) -> list[Membership]:
    return member_store.list_all(uow.db)


def has_data(uow: UnitOfWork, image: Image) -> bool:
    return image.status in ("active", "deactivated") and uow.blobs.exists(image.id)


def restore_times(uow: UnitOfWork, image_id: str, times: dict[str, str]) -> None:
    """Put back an exported image's ``created_at`` / ``updated_at``."""
    columns = {k: v for k, v in times.items() if k in ("created_at", "updated_at")}
    if columns:
        image_store.update_fields(uow.db, image_id, **columns)


def restore_member_times(
    uow: UnitOfWork, image_id: str, member_id: str, times: dict[str, str]
) -> None:
    member_store.set_times(uow.db, image_id, member_id, times)


def remove_all(uow: UnitOfWork) -> None:
    """Every image row and member, tag and property (the data files are the caller's)."""
    image_store.delete_everything(uow.db)
    task_store.delete_everything(uow.db)


# --- a reset's image data: set aside, then dropped or put back --------------------------------

SET_ASIDE_PREFIX = ".reset-"


def set_aside_data(uow: UnitOfWork) -> Path:
    """Inside the reset's transaction: move every data file into a new folder, and note the
    folder in that same transaction. If it commits, the folder is garbage (``drop_set_aside``,
    or the next start); if not, the folder holds the live data (``put_back``, or the next
    start). Uploads in flight keep their temp files; under the write lock none commits."""
    root = uow.blobs.root
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=SET_ASIDE_PREFIX, dir=root))
    set_aside.note(uow.db, folder.name, uow.now())
    for entry in uow.blobs.data_files():
        entry.rename(folder / entry.name)
    return folder


def put_back(uow: UnitOfWork, folder: Path) -> None:
    """The reset failed and rolled back: its folder's files are the live data again (over
    any file the failed load wrote under the same image id)."""
    for entry in folder.iterdir():
        os.replace(entry, uow.blobs.root / entry.name)
    folder.rmdir()


def drop_set_aside(uow: UnitOfWork, folder: Path) -> None:
    """The reset committed: the old data goes, then its note."""
    shutil.rmtree(folder, ignore_errors=True)
    with uow.atomic():
        set_aside.forget(uow.db, folder.name)
        live = {i.lower() for i in image_store.live_ids(uow.db)}
    for name in uow.blobs.staging.staged_ids():  # staged data of images the reset removed
        if name.lower() not in live:
            uow.blobs.staging.delete(name)


# --- after a crash ------------------------------------------------------------------------------


@dataclass
class Recovery:
    """What a start found left behind by a process that died, and what it did about it."""

    folders_put_back: list[str] = field(default_factory=list)
    folders_dropped: list[str] = field(default_factory=list)
    uploads_requeued: list[str] = field(default_factory=list)
    temp_files_removed: int = 0
    orphan_files_removed: list[str] = field(default_factory=list)
    images_without_data: list[str] = field(default_factory=list)
    imports_failed: list[str] = field(default_factory=list)
    stages_requeued: list[str] = field(default_factory=list)
    staged_files_removed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        said = []
        for folder in self.folders_put_back:
            said.append(f"an interrupted reset's data in {folder} was put back")
        for folder in self.folders_dropped:
            said.append(f"a finished reset's old data in {folder} was removed")
        for image_id in self.uploads_requeued:
            said.append(f"image {image_id}: upload cut short, back to queued")
        if self.temp_files_removed:
            said.append(f"{self.temp_files_removed} partial upload file(s) removed")
        for name in self.orphan_files_removed:
            said.append(f"data file {name} belonged to no image with data and was removed")
        for image_id in self.imports_failed:
            said.append(f"image {image_id}: import cut short, its task failed, back to queued")
        for image_id in self.stages_requeued:
            said.append(f"image {image_id}: stage cut short, back to queued")
        for name in self.staged_files_removed:
            said.append(f"staged data {name} belonged to no image and was removed")
        for image_id in self.images_without_data:
            said.append(f"image {image_id} is active but its data file is missing")
        return said


def recover(uow: UnitOfWork) -> Recovery:
    """Finish or roll back what a killed process left: run by the serving process at start,
    while no request is served. Image data ends as the database says it should be.

    - A reset's set-aside folder is dropped if the reset committed (noted), else put back.
    - An image left ``saving`` goes back to ``queued`` with no size, as Glance's
      ImageDataController._restore leaves an upload that failed; its partial data goes.
    - Data files of no live image with data (a load or upload that never committed, a
      delete cut short) are removed.
    """
    found = Recovery()
    root = uow.blobs.root
    noted = set_aside.noted(uow.db)
    for folder in sorted(root.glob(SET_ASIDE_PREFIX + "*")) if root.exists() else ():
        if not folder.is_dir():
            continue
        if folder.name in noted:
            shutil.rmtree(folder, ignore_errors=True)
            found.folders_dropped.append(folder.name)
        else:
            put_back(uow, folder)
            found.folders_put_back.append(folder.name)
    with uow.atomic():
        for name in noted:
            set_aside.forget(uow.db, name)
        for image_id in image_store.ids_with_status(uow.db, "saving"):
            image_store.update_fields(
                uow.db,
                image_id,
                status="queued",
                size=None,
                virtual_size=None,
                updated_at=uow.now(),
            )
            found.uploads_requeued.append(image_id)
        with_data = image_store.ids_with_data(uow.db)
    found.temp_files_removed = uow.blobs.sweep_uploads()
    for entry in uow.blobs.data_files():
        if entry.name.lower() not in with_data:
            entry.unlink(missing_ok=True)
            found.orphan_files_removed.append(entry.name)
    present = {entry.name.lower() for entry in uow.blobs.data_files()}
    found.images_without_data = sorted(with_data - present)
    _recover_imports(uow, found)
    return found


def _recover_imports(uow: UnitOfWork, found: Recovery) -> None:
    """No import runs after a restart: its task fails and its image is reverted as the
    import flow reverts it (back to ``queued``, lock dropped), so no image stays
    ``importing``. A stage cut short leaves ``uploading`` without staged data: ``queued``.
    Staged data of no live image goes; a failed glance-direct keeps its staged data, as
    Glance does (staging again answers 409 and the import can be retried)."""
    staging = uow.blobs.staging
    found.imports_failed = import_tasks.fail_unfinished(uow)
    staging.sweep_uploads()
    with uow.atomic():
        for image_id in image_store.ids_importing(uow.db):
            image = image_store.get(uow.db, image_id)
            if image is None:
                continue
            if image.status == "importing" or not staging.exists(image.id):
                image.extra_properties.pop(imports.IMPORT_TASK_KEY, None)
                image.status = "queued"
                image.updated_at = uow.now()
                image_store.save(uow.db, image)
                if image.id not in found.imports_failed:
                    found.stages_requeued.append(image.id)
        live = {i.lower() for i in image_store.live_ids(uow.db)}
    for name in staging.staged_ids():
        if name.lower() not in live:
            staging.delete(name)
            found.staged_files_removed.append(name)
