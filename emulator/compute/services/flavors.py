"""Flavor use cases: list, show, and the lookup a boot makes (``flavors.py``)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from emulator.compute.domain import flavors as rules
from emulator.compute.domain.flavors import Flavor
from emulator.compute.store import flavors as flavor_store
from emulator.core import errors
from emulator.core.config import Config
from emulator.core.unit_of_work import UnitOfWork

#: Nova's ``[api] max_limit``.
MAX_LIMIT = 1000
SORT_KEYS = {"created_at", "description", "disabled", "ephemeral_gb", "flavorid", "id",
             "is_public", "memory_mb", "name", "root_gb", "rxtx_factor", "swap",
             "updated_at", "vcpu_weight", "vcpus"}  # fmt: skip
_SORT_ATTR = {"flavorid": "id", "id": "id", "memory_mb": "ram", "root_gb": "disk",
              "ephemeral_gb": "ephemeral", "vcpus": "vcpus", "name": "name", "swap": "swap",
              "is_public": "is_public", "description": "description"}  # fmt: skip


@functools.lru_cache(maxsize=8)
def _configured(specs: tuple[str, ...]) -> tuple[Flavor, ...]:
    return tuple(rules.parse_spec(spec) for spec in specs) if specs else rules.BUILT_IN


def configured(config: Config) -> tuple[Flavor, ...]:
    """The config's flavors (parsed once), or the built-in set; ValueError if malformed."""
    return _configured(tuple(config.compute_flavors))


def all_flavors(uow: UnitOfWork) -> list[Flavor]:
    """Configured flavors, then the scenario's (a scenario flavor replaces a configured
    one of the same id)."""
    by_id = {flavor.id: flavor for flavor in configured(uow.config)}
    by_id.update({flavor.id: flavor for flavor in flavor_store.all_flavors(uow.db)})
    return list(by_id.values())


def find(uow: UnitOfWork, flavor_id: str) -> Flavor | None:
    return next((f for f in all_flavors(uow) if f.id == flavor_id), None)


def show(uow: UnitOfWork, flavor_id: str) -> Flavor:
    flavor = find(uow, flavor_id)
    if flavor is None or not rules.visible(flavor, None, uow.context.is_admin):
        raise errors.NotFound(f"Flavor {flavor_id} could not be found.")
    return flavor


@dataclass(frozen=True)
class FlavorQuery:
    is_public: str | None = None
    min_ram: str | None = None
    min_disk: str | None = None
    sort_key: str | None = None
    sort_dir: str | None = None
    limit: int = MAX_LIMIT
    marker: str | None = None


def list_flavors(uow: UnitOfWork, query: FlavorQuery) -> list[Flavor]:
    """``_get_flavors``: admins may filter on is_public; others get public flavors."""
    is_admin = uow.context.is_admin
    is_public = rules.parse_is_public(query.is_public) if is_admin else True
    min_ram = _int_filter("minRam", query.min_ram)
    min_disk = _int_filter("minDisk", query.min_disk)
    found = [
        f
        for f in all_flavors(uow)
        if rules.visible(f, is_public, is_admin)
        and (min_ram is None or f.ram >= min_ram)
        and (min_disk is None or f.disk >= min_disk)
    ]
    attr = _SORT_ATTR.get(query.sort_key or "flavorid", "id")
    found.sort(key=lambda f: (getattr(f, attr) is None, _sortable(getattr(f, attr)), f.id))
    if (query.sort_dir or "asc") == "desc":
        found.reverse()
    if query.marker is not None:
        ids = [f.id for f in found]
        if query.marker not in ids:
            raise errors.BadRequest(f"marker [{query.marker}] not found")
        found = found[ids.index(query.marker) + 1 :]
    return found[: min(query.limit, MAX_LIMIT)]


def _int_filter(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise errors.BadRequest(f"Invalid {name} filter [{value}]") from None


def for_boot(uow: UnitOfWork, flavor_ref: str) -> Flavor:
    """The flavor a create names: unknown is a 400 (``servers.py`` ``create``)."""
    flavor = find(uow, flavor_ref)
    if flavor is None or not rules.visible(flavor, None, uow.context.is_admin):
        raise errors.BadRequest(f"Flavor {flavor_ref} could not be found.")
    return flavor


def _sortable(value: object) -> object:
    return "" if value is None else value
