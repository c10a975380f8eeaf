"""Several stores (Glance's ``enabled_backends``): which exist, which may be written, and
which a request names (glance/common/utils.py ``get_stores_from_request``,
``_get_available_stores``; glance/api/v2/discovery.py ``get_stores``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.core import errors


@dataclass(frozen=True)
class Store:
    id: str
    type: str

    @property
    def read_only(self) -> bool:
        return self.type == "http"


@dataclass(frozen=True)
class Stores:
    """The configured stores, in config order; empty means Glance's single store."""

    stores: tuple[Store, ...] = ()
    default: str | None = None

    @classmethod
    def from_config(cls, backends: tuple[str, ...], default: str = "") -> Stores:
        parsed = tuple(Store(*entry.split(":", 1)) for entry in backends)
        return cls(parsed, default or (parsed[0].id if parsed else None))

    @property
    def enabled(self) -> bool:
        return bool(self.stores)

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.stores]

    def available(self) -> list[str]:
        """The stores ``all_stores`` means: every one but the read-only (http) ones."""
        return [s.id for s in self.stores if not s.read_only]

    def find(self, store_id: object) -> Store | None:
        return next((s for s in self.stores if s.id == store_id), None)

    def check(self, store_id: object, error: type[errors.EmulatorError]) -> str:
        """glance_store.get_store_from_store_identifier: the store, or ``error``."""
        if self.find(store_id) is None:
            raise error(f"Store for identifier {store_id} not found")
        return str(store_id)

    def from_request(self, body: dict[str, Any], header: str | None) -> list[str]:
        """get_stores_from_request; an unknown store is a 409 (images.py import_image)."""
        if body.get("all_stores", False):
            if "stores" in body or header is not None:
                raise errors.BadRequest(
                    "All_stores parameter can't be used with x-image-meta-store header or "
                    "stores parameter"
                )
            wanted: list[Any] = self.available()
        elif "stores" in body:
            if header is not None:
                raise errors.BadRequest(
                    "Stores parameter and x-image-meta-store header can't be both specified"
                )
            if not isinstance(body["stores"], list):
                # Glance iterates whatever it was given (a 500 for a number).
                raise errors.BadRequest("'stores' must be a list of store identifiers")
            wanted = list(body["stores"])
        else:
            wanted = [header if header is not None else self.default]
        return [self.check(store, errors.Conflict) for store in wanted]

    def info(self) -> list[dict[str, str]]:
        """GET /v2/info/stores: config order, ``default`` and ``read-only`` as strings."""
        listed = []
        for store in self.stores:
            entry = {"id": store.id}
            if store.id == self.default:
                entry["default"] = "true"
            if store.read_only:
                entry["read-only"] = "true"
            listed.append(entry)
        return listed
