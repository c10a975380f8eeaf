"""``/v2/info/*``: glance/api/v2/discovery.py ``InfoController``."""

from __future__ import annotations

from typing import Any

from emulator.core.unit_of_work import UnitOfWork
from emulator.image.services import quotas
from emulator.image.services import stores as store_service


def import_info(uow: UnitOfWork) -> dict[str, Any]:
    return {
        "import-methods": {
            "description": "Import methods available.",
            "type": "array",
            "value": list(uow.config.enabled_import_methods),
        }
    }


def stores(uow: UnitOfWork) -> dict[str, Any]:
    """Without ``enabled_backends`` Glance answers 404; tempest reads that as one store."""
    return store_service.info(uow)


def stores_detail(uow: UnitOfWork) -> dict[str, Any]:
    return store_service.detail(uow)  # 404 before the stores_info_detail policy


def usage(uow: UnitOfWork) -> dict[str, Any]:
    """glance/quota/keystone.py get_usage: ``{}`` unless unified limits are on."""
    return {"usage": quotas.usage(uow)}
