"""The image cache API (glance/api/v2/cached_images.py), off unless ``image_cache_enabled``.

Glance keeps a second copy of image data on each API node; the emulator's store is local,
so the cache here is bookkeeping only: which images a download or ``PUT /v2/cache/{id}``
cached, their hits and access times, and the queue. Every call is admin only
(``cache_list``, ``cache_image``, ``cache_delete``... = role admin); the order of checks
(image lookup, policy 403, cache-off 404) is Glance's.
"""

from __future__ import annotations

from typing import Any

from emulator.core import clock, errors
from emulator.core.unit_of_work import UnitOfWork
from emulator.image.domain import access as access_rules
from emulator.image.services import access
from emulator.image.store import cache as cache_store
from emulator.image.store import images as image_store

CACHE_OFF = "Caching via API is not supported at this site."
CLEAR_TARGETS = ("", "cache", "queue")


def _epoch(uow: UnitOfWork) -> float:
    """The cache driver's times: seconds since the epoch, as floats."""
    return clock.from_storage(uow.now()).timestamp()


def _enforce(uow: UnitOfWork, action: str) -> None:
    """CacheController._enforce: the policy (403 naming it, as a real Glance 33 answers),
    then the cache-off 404."""
    if not uow.context.is_admin:
        raise access_rules.policy_refusal(action)
    if not uow.config.image_cache_enabled:
        raise errors.NotFound(CACHE_OFF)


def state(uow: UnitOfWork) -> dict[str, Any]:
    _enforce(uow, "cache_list")
    return {
        "cached_images": cache_store.cached(uow.db),
        "queued_images": cache_store.queued(uow.db),
    }


def queue_image(uow: UnitOfWork, image_id: str) -> bool:
    """PUT /v2/cache/{id}: True if the caller should now fetch it (the cache worker)."""
    try:
        image = access.load(uow, image_id).image
    except errors.NotFound as exc:
        raise errors.NotFound(f"Image {image_id} not found.") from exc
    _enforce(uow, "cache_image")
    if image.status != "active":
        raise errors.BadRequest("Only images with status active can be targeted for queueing")
    with uow.atomic():
        cache_store.queue(uow.db, image.id, uow.now())
    return True


def fetch_queued(uow: UnitOfWork, image_id: str) -> None:
    """The cache worker: cache a queued image that still has data; drop it otherwise."""
    with uow.atomic():
        image = image_store.get(uow.db, image_id)
        if image is None or image.status != "active" or image.size is None:
            cache_store.remove(uow.db, image_id)
            return
        if cache_store.is_queued(uow.db, image_id):
            cache_store.add(uow.db, image.id, image.size, image.checksum, _epoch(uow))


def delete_entry(uow: UnitOfWork, image_id: str) -> None:
    """DELETE /v2/cache/{id}: from the cache and the queue."""
    if not uow.config.image_cache_enabled:
        _enforce(
            uow, "cache_delete"
        )  # Glance fails on its missing cache here (a 500); the 403/404 it meant
    image = image_store.get(uow.db, image_id)
    if image is None and not (
        cache_store.is_cached(uow.db, image_id) or cache_store.is_queued(uow.db, image_id)
    ):
        raise errors.NotFound(f"Image {image_id} not found.")
    _enforce(uow, "cache_delete")
    with uow.atomic():
        cache_store.remove(uow.db, image_id)


def clear(uow: UnitOfWork, target: str | None) -> None:
    """DELETE /v2/cache with ``x-image-cache-clear-target``."""
    _enforce(uow, "cache_delete")
    wanted = (target or "").lower()
    if wanted not in CLEAR_TARGETS:
        raise errors.BadRequest(
            "If provided 'x-image-cache-clear-target' must be 'cache', 'queue' or empty string."
        )
    with uow.atomic():
        if wanted in ("", "cache"):
            cache_store.clear_cached(uow.db)
        if wanted in ("", "queue"):
            cache_store.clear_queue(uow.db)


def clean(uow: UnitOfWork) -> None:
    """POST /v2/cache/clean: nothing is ever stalled or invalid here."""
    _enforce(uow, "cache_clean")


def prune(uow: UnitOfWork) -> dict[str, int]:
    """POST /v2/cache/prune: no copy is kept, so the cache is never over its size."""
    _enforce(uow, "cache_prune")
    return {"total_files_pruned": 0, "total_bytes_pruned": 0}


def record_download(uow: UnitOfWork, image_id: str, size: int, checksum: str | None) -> None:
    """The cache middleware on a whole-image download: a hit, or a newly cached image."""
    if not uow.config.image_cache_enabled:
        return
    now = _epoch(uow)
    with uow.atomic():
        if cache_store.is_cached(uow.db, image_id):
            cache_store.hit(uow.db, image_id, now)
        else:
            cache_store.add(uow.db, image_id, size, checksum, now)


def forget(uow: UnitOfWork, image_id: str) -> None:
    """An image deleted: out of the cache (the cache middleware on DELETE)."""
    if uow.config.image_cache_enabled:
        cache_store.remove(uow.db, image_id)
