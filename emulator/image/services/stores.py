"""Several stores: the configured stores, the discovery answers, and
``DELETE /v2/stores/{store_id}/{image_id}`` (glance/api/v2/images.py ``delete_from_store``,
glance/api/v2/discovery.py ``get_stores``/``get_stores_detail``)."""

from __future__ import annotations

from typing import Any

from emulator.core import errors
from emulator.core.unit_of_work import UnitOfWork
from emulator.image.domain import access as access_rules
from emulator.image.domain.stores import Stores
from emulator.image.services import access
from emulator.image.store import images as image_store

NO_MULTISTORE = "Multi backend is not supported at this site."
#: glance_store's filesystem WRITE_CHUNKSIZE, reported as each file store's chunk_size.
FILE_CHUNK_SIZE = 65536


def configured(uow: UnitOfWork) -> Stores:
    return Stores.from_config(uow.config.enabled_backends, uow.config.default_backend)


def info(uow: UnitOfWork) -> dict[str, Any]:
    stores = configured(uow)
    if not stores.enabled:
        raise errors.NotFound(NO_MULTISTORE)
    return {"stores": stores.info()}


def detail(uow: UnitOfWork) -> dict[str, Any]:
    """get_stores_detail: 404 first, then ``stores_info_detail`` (admin)."""
    stores = configured(uow)
    if not stores.enabled:
        raise errors.NotFound(NO_MULTISTORE)
    if not uow.context.is_admin:
        raise access_rules.policy_refusal("stores_info_detail")
    listed = []
    for basic, store in zip(stores.info(), stores.stores, strict=True):
        entry: dict[str, Any] = {**basic, "type": store.type, "weight": 0}
        if store.type == "file":
            entry["properties"] = {
                "data_dir": str(uow.blobs.root),
                "chunk_size": FILE_CHUNK_SIZE,
                "thin_provisioning": False,
            }
        else:
            entry["properties"] = {}
        listed.append(entry)
    return {"stores": listed}


def upload_store(uow: UnitOfWork, header: str | None) -> str | None:
    """image_data.py upload: the store named by ``X-Image-Meta-Store`` (else the default);
    unknown is a 400. None with one store (the header is then ignored)."""
    stores = configured(uow)
    if not stores.enabled:
        return None
    return stores.check(header if header is not None else stores.default, errors.BadRequest)


def delete_from_store(uow: UnitOfWork, store_id: str, image_id: str) -> None:
    stores = configured(uow)
    if not stores.enabled:
        raise errors.NotFound()
    if stores.find(store_id) is None:
        raise errors.Conflict(f"The selected store {store_id} is not available on this node.")
    with uow.atomic():
        try:
            found = access.reach(uow, image_id)
        except errors.NotFound as exc:
            raise errors.NotFound(f"Failed to find image {image_id}") from exc
        if not uow.context.is_admin:  # get_image_location, delete_image_location: admin
            raise access_rules.policy_refusal("get_image_location")
        image = found.image
        if image.status != "active":
            raise errors.Conflict(
                "It's not allowed to remove image data from store if image status is not 'active'"
            )
        if len(image.stores) == 1:
            raise errors.Forbidden(
                "Cannot delete image data from the only store containing it. Consider "
                "deleting the image instead."
            )
        if store_id not in image.stores:
            raise errors.NotFound(f"Image {image_id} is not stored in store {store_id}.")
        image_store.remove_store(uow.db, image.id, store_id)
        image_store.update_fields(uow.db, image.id, updated_at=uow.now())
