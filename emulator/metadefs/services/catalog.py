"""The built-in catalog a fresh data dir starts with (``emulator/metadefs/catalog/*.json``,
our own wording of a few namespaces a real deployment loads with ``glance-manage
db_load_metadefs``), and the whole-catalog work of reset, scenarios and export."""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

from emulator.core import clock, errors
from emulator.core.context import admin_context
from emulator.core.unit_of_work import UnitOfWork
from emulator.metadefs.domain.model import NamespaceDetail
from emulator.metadefs.services import validation
from emulator.metadefs.services.namespaces import add_namespace
from emulator.metadefs.store import contents
from emulator.metadefs.store import namespaces as store

#: Who owns the built-in namespaces (``glance-manage db_load_metadefs`` writes ``admin``).
CATALOG_OWNER = "admin"


def builtin_namespaces() -> list[dict[str, Any]]:
    """The catalog's namespace documents, in file-name order (read and checked against the
    namespace schema once per process: every reset loads them)."""
    return copy.deepcopy(_checked_builtin())


@functools.cache
def _checked_builtin() -> list[dict[str, Any]]:
    found = _read_builtin()
    for body in found:
        validation.validate("namespace", body)
        validation.refuse_unknown_property_keys(body)
    return found


def _read_builtin() -> list[dict[str, Any]]:
    folder = resources.files("emulator.metadefs.catalog")
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            found.append(json.loads(entry.read_text(encoding="utf-8")))
    return found


def load_namespace(
    uow: UnitOfWork,
    body: dict[str, Any],
    *,
    seeded: bool = False,
    replace: bool = False,
    checked: bool = False,
) -> NamespaceDetail:
    """One namespace document (the API's create body, plus optional times), as the operator,
    with the API's schema and name rules. ``replace``: a namespace of that name goes first
    (a scenario's namespace overrides a built-in one, and an export loads back on top of
    the catalog a reset brought)."""
    times = {k: _timestamp(k, body[k]) for k in ("created_at", "updated_at") if k in body}
    request = {k: v for k, v in body.items() if k not in ("created_at", "updated_at")}
    if not checked:
        validation.validate("namespace", request)
        validation.refuse_unknown_property_keys(request)
    # An exported namespace without updated_at was loaded from a catalog: keep it so.
    seeded = seeded or ("updated_at" in times and times["updated_at"] is None)
    if replace and isinstance(request.get("namespace"), str):
        existing = store.get(uow.db, request["namespace"])
        if existing is not None and existing.id is not None:
            store.delete(uow.db, existing.id)
    detail = add_namespace(uow.acting_as(admin_context()), request, seeded=seeded)
    if times:
        ns = detail.namespace
        ns.created_at = times.get("created_at") or ns.created_at
        ns.updated_at = times.get("updated_at", ns.updated_at)
        store.save(uow.db, ns)
        store.set_created_at(uow.db, ns.namespace, ns.created_at)
    return detail


def _timestamp(key: str, value: Any) -> str | None:
    """An exported time, in the store's form; ``updated_at`` may be null (a catalog row)."""
    if value is None and key == "updated_at":
        return None
    if isinstance(value, str):
        try:
            return clock.to_storage(clock.parse_timestamp(value))
        except (ValueError, OverflowError):
            pass
    raise errors.BadRequest(f"{key} must be an ISO 8601 timestamp, not {value!r:.60}")


def load_builtin(uow: UnitOfWork) -> None:
    with uow.atomic():
        for body in builtin_namespaces():
            load_namespace(uow, {"owner": CATALOG_OWNER, **body}, seeded=True, checked=True)
        store.note_catalog_loaded(uow.db, uow.now())


def ensure_loaded(uow: UnitOfWork) -> None:
    """At start: a data dir that never had the catalog gets it, once."""
    with uow.atomic():
        if not store.catalog_loaded(uow.db):
            load_builtin(uow)


def remove_all(uow: UnitOfWork) -> None:
    store.delete_everything(uow.db)


def export(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every namespace as a document ``load_namespace`` takes back, oldest first."""
    found = []
    for ns in store.all_namespaces(uow.db):
        assert ns.id is not None
        doc: dict[str, Any] = {"namespace": ns.namespace}
        for key in ("display_name", "description", "owner"):
            if getattr(ns, key) is not None:
                doc[key] = getattr(ns, key)
        doc["visibility"] = ns.visibility
        doc["protected"] = ns.protected
        links = store.associations(uow.db, [ns.id])[ns.id]
        if links:
            doc["resource_type_associations"] = [
                {
                    "name": a.name,
                    **({"prefix": a.prefix} if a.prefix is not None else {}),
                    **(
                        {"properties_target": a.properties_target}
                        if a.properties_target is not None
                        else {}
                    ),
                }
                for a in links
            ]
        props = contents.properties(uow.db, ns.id)
        if props:
            doc["properties"] = {p.name: p.schema for p in props}
        objs = contents.objects(uow.db, ns.id)
        if objs:
            doc["objects"] = [
                {
                    "name": o.name,
                    **({"description": o.description} if o.description is not None else {}),
                    **({"required": o.required} if o.required is not None else {}),
                    **({"properties": o.properties} if o.properties is not None else {}),
                }
                for o in objs
            ]
        tags = contents.tags(uow.db, ns.id, sort_dir="asc")
        if tags:
            doc["tags"] = [{"name": t.name} for t in tags]
        doc["created_at"] = ns.created_at
        doc["updated_at"] = ns.updated_at
        found.append(doc)
    return found
