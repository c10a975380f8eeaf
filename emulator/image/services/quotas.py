"""Unified limits: enforcement points and ``/v2/info/usage`` (glance/quota/keystone.py).

Nothing is enforced unless ``use_keystone_limits`` is on, as in Glance. Sizes are counted
in whole MiB (``bytes // MiB``), as Glance counts them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.core.unit_of_work import UnitOfWork
from emulator.identity.services import limits as identity_limits
from emulator.image.domain import limits
from emulator.image.store import images as image_store


def _usage_of(uow: UnitOfWork, owner: str | None) -> dict[str, Callable[[], int]]:
    db = uow.db
    return {
        limits.IMAGE_SIZE_TOTAL: lambda: image_store.storage_usage(db, owner) // limits.MIB,
        limits.IMAGE_STAGE_TOTAL: lambda: image_store.staging_usage(db, owner) // limits.MIB,
        limits.IMAGE_COUNT_TOTAL: lambda: image_store.image_count(db, owner),
        limits.IMAGE_COUNT_UPLOADING: lambda: image_store.uploading_count(db, owner),
    }


def _enforce(uow: UnitOfWork, name: str, delta: int, owner: str | None = None) -> None:
    if not uow.config.use_keystone_limits:
        return
    project = owner if owner is not None else uow.context.project_id
    usage = _usage_of(uow, project)[name]()
    limits.check(project, name, _limit(uow, project, name), usage, delta)


def _limit(uow: UnitOfWork, project: str | None, name: str) -> int:
    """The project's own limit (a scenario's), else the registered one (the config)."""
    own = identity_limits.project_limit(uow.db, project, name)
    limit: int = getattr(uow.config, name) if own is None else own
    return limit


def enforce_image_size_total(uow: UnitOfWork, delta: int = 0, owner: str | None = None) -> None:
    _enforce(uow, limits.IMAGE_SIZE_TOTAL, delta, owner)


def enforce_image_staging_total(uow: UnitOfWork, delta: int = 0, owner: str | None = None) -> None:
    _enforce(uow, limits.IMAGE_STAGE_TOTAL, delta, owner)


def enforce_image_count_total(uow: UnitOfWork) -> None:
    _enforce(uow, limits.IMAGE_COUNT_TOTAL, 1)


def enforce_image_count_uploading(uow: UnitOfWork, owner: str | None = None) -> None:
    _enforce(uow, limits.IMAGE_COUNT_UPLOADING, 0, owner)


def usage(uow: UnitOfWork) -> dict[str, Any]:
    """get_usage: ``{}`` without unified limits; else limit and usage of each resource."""
    if not uow.config.use_keystone_limits:
        return {}
    found = _usage_of(uow, uow.context.project_id)
    return {
        name: {"limit": _limit(uow, uow.context.project_id, name), "usage": found[name]()}
        for name in limits.RESOURCES
    }
