"""Whole-state work on images for the control service: reset, export, scenario loading.

These act as the operator, not as a tenant: no access rules apply. Everything a scenario
asks of an image that a client could ask (create, upload, share) goes through the ordinary
use cases instead, with the rules and errors a client would meet.
"""

from __future__ import annotations

from emulator.core.unit_of_work import UnitOfWork
from emulator.image.domain.images import Image
from emulator.image.domain.members import Membership
from emulator.image.store import images as image_store
from emulator.image.store import members as member_store


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
