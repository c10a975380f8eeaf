"""Namespace use cases: glance/api/v2/metadef_namespaces.py ``NamespaceController``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.core import errors
from emulator.core.unit_of_work import UnitOfWork
from emulator.metadefs.domain import access, definitions, messages
from emulator.metadefs.domain.model import (
    Association,
    MetadefObject,
    Namespace,
    NamespaceDetail,
    Property,
    Tag,
)
from emulator.metadefs.services import validation
from emulator.metadefs.services.lookup import authorize, namespace_for_child, namespace_for_show
from emulator.metadefs.store import contents
from emulator.metadefs.store import namespaces as store

DEFAULT_LIMIT = 25
MAX_LIMIT = 1000


@dataclass
class Page:
    namespaces: list[Namespace]
    associations: dict[int, list[Association]]
    next_marker: str | None


def _limit(raw: str | None) -> int:
    """``RequestDeserializer.index``: default 25, at most 1000, a non-negative integer."""
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError as exc:
        # Glance calls int() before its own check and answers 500; a 400 is what it meant.
        raise errors.BadRequest("limit param must be an integer") from exc
    if value < 0:
        raise errors.BadRequest("limit param must be positive")
    return min(MAX_LIMIT, value)


def list_namespaces(uow: UnitOfWork, params: dict[str, str]) -> Page:
    limit = _limit(params.get("limit"))
    sort_dir = params.get("sort_dir", "desc")
    if sort_dir not in ("asc", "desc"):
        raise errors.BadRequest(f"Invalid sort direction: {sort_dir}")
    visibility = params.get("visibility") or None
    if visibility is not None and visibility not in ("public", "private"):
        raise errors.BadRequest(f"Invalid visibility value: {visibility}")
    sort_key = params.get("sort_key", "created_at")
    if sort_key not in store.SORT_COLUMNS:
        # Glance's paginate_query raises InvalidSortKey (a 500); the request is at fault.
        raise errors.BadRequest(f"Invalid sort key: {sort_key}")
    access.enforce_collection("get_metadef_namespaces", uow.context)
    access.enforce_collection("list_metadef_resource_types", uow.context)
    marker = None
    if params.get("marker"):
        name = params["marker"]
        marker = store.get(uow.db, name)
        if marker is None:
            raise messages.namespace_not_found(name)
        if not access.can_see(uow.context, marker.owner, marker.visibility):
            raise errors.Forbidden(
                f"Forbidding request, metadata definition namespace={name} is not visible."
            )
    resource_types = params.get("resource_types")
    found = store.page(
        uow.db,
        visible_to=uow.context.project_id,
        everything=uow.context.is_admin,
        visibility=visibility,
        resource_types=resource_types.split(",") if resource_types is not None else None,
        sort_key=sort_key,
        sort_dir=sort_dir,
        marker=marker,
        limit=limit,
    )
    shown = [
        ns
        for ns in found
        if access.is_allowed("get_metadef_namespace", uow.context, ns.owner, ns.visibility)
    ]
    links = store.associations(uow.db, [ns.id for ns in shown if ns.id is not None])
    next_marker = shown[-1].namespace if shown and len(shown) == limit else None
    return Page(shown, links, next_marker)


def _new_namespace(uow: UnitOfWork, body: dict[str, Any], updated: str | None) -> Namespace:
    now = uow.now()
    return Namespace(
        namespace=body["namespace"],
        display_name=body.get("display_name"),
        description=body.get("description"),
        visibility=body.get("visibility") or "private",
        protected=bool(body.get("protected") or False),
        owner=body["owner"] if "owner" in body else uow.context.project_id,
        created_at=now,
        updated_at=updated,
    )


def create(uow: UnitOfWork, body: Any) -> NamespaceDetail:
    body = validation.checked("namespace", body)
    validation.refuse_unknown_property_keys(body)
    access.enforce_collection("add_metadef_namespace", uow.context)
    embedded = {
        "resource_type_associations": "add_metadef_resource_type_association",
        "objects": "add_metadef_object",
        "properties": "add_metadef_property",
        "tags": "add_metadef_tag",
    }
    for key, action in embedded.items():
        if body.get(key):
            access.enforce_collection(action, uow.context)
    with uow.atomic():
        return add_namespace(uow, body)


def add_namespace(
    uow: UnitOfWork, body: dict[str, Any], *, seeded: bool = False
) -> NamespaceDetail:
    """Insert a validated namespace body with everything embedded in it (also the catalog
    and scenario loaders' way in). All or nothing: the caller's transaction. ``seeded``
    rows get no ``updated_at``, as ``glance-manage db_load_metadefs`` writes none."""
    updated = None if seeded else uow.now()
    ns = _new_namespace(uow, body, updated)
    try:
        store.insert(uow.db, ns)
    except store.Duplicate as exc:
        raise messages.duplicate_namespace(ns.namespace) from exc
    assert ns.id is not None
    detail = NamespaceDetail(ns, echoed=True)
    for item in body.get("resource_type_associations") or []:
        assoc = association_from(uow, item, updated)
        link_resource_type(uow, ns, assoc)
        detail.associations.append(assoc)
    for item in body.get("objects") or []:
        obj = _object(uow, item, updated)
        try:
            contents.insert_object(uow.db, ns.id, obj)
        except store.Duplicate as exc:
            raise messages.duplicate_object(obj.name, ns.namespace) from exc
        detail.objects.append(obj)
    for item in body.get("tags") or []:
        tag = _tag(uow, item, updated)
        try:
            contents.insert_tag(uow.db, ns.id, tag)
        except store.Duplicate as exc:
            raise messages.duplicate_tag(tag.name, ns.namespace) from exc
        detail.tags.append(tag.name)
    for name, value in (body.get("properties") or {}).items():
        prop = Property(name, definitions.property_definition(value))
        try:
            contents.insert_property(uow.db, ns.id, prop, uow.now(), updated)
        except store.Duplicate as exc:
            raise messages.duplicate_property(name, ns.namespace) from exc
        detail.properties[name] = prop.schema
    return detail


def _mandatory(item: Any, key: str, what: str) -> str:
    """WSME's mandatory attribute: absent -> 400."""
    if not isinstance(item, dict) or not isinstance(item.get(key), str):
        raise errors.BadRequest(f"Mandatory field missing in {what}: {key}")
    value: str = item[key]
    return value


def association_from(uow: UnitOfWork, item: Any, updated: str | None = "") -> Association:
    now = uow.now()
    return Association(
        name=_mandatory(item, "name", "resource type association"),
        prefix=item.get("prefix"),
        properties_target=item.get("properties_target"),
        created_at=now,
        updated_at=now if updated == "" else updated,
    )


def link_resource_type(uow: UnitOfWork, ns: Namespace, assoc: Association) -> None:
    assert ns.id is not None
    type_id = store.ensure_resource_type(uow.db, assoc.name, assoc.created_at, assoc.updated_at)
    try:
        store.associate(uow.db, ns.id, type_id, assoc)
    except store.Duplicate as exc:
        raise messages.duplicate_association(assoc.name, ns.namespace) from exc


def _object(uow: UnitOfWork, item: Any, updated: str | None) -> MetadefObject:
    now = uow.now()
    return MetadefObject(
        name=_mandatory(item, "name", "object"),
        description=item.get("description"),
        required=item.get("required"),
        properties=(
            definitions.property_definitions(item["properties"])
            if item.get("properties") is not None
            else None
        ),
        created_at=now,
        updated_at=updated,
    )


def _tag(uow: UnitOfWork, item: Any, updated: str | None) -> Tag:
    return Tag(_mandatory(item, "name", "tag"), uow.now(), updated)


def show(uow: UnitOfWork, name: str, resource_type: str | None = None) -> NamespaceDetail:
    ns = namespace_for_show(uow, name)
    for action in (
        "list_metadef_resource_types",
        "get_metadef_objects",
        "get_metadef_properties",
        "get_metadef_tags",
    ):
        authorize(uow, ns, action)
    assert ns.id is not None
    detail = NamespaceDetail(
        ns,
        associations=store.associations(uow.db, [ns.id])[ns.id],
        objects=contents.objects(uow.db, ns.id),
        properties={p.name: p.schema for p in contents.properties(uow.db, ns.id)},
        tags=[tag.name for tag in contents.tags(uow.db, ns.id)],
    )
    if resource_type:
        prefix = next((a.prefix for a in detail.associations if a.name == resource_type), None)
        detail.properties = definitions.prefixed(prefix, detail.properties)
        detail.objects = [definitions.prefixed_object(prefix, o) for o in detail.objects]
    return detail


def update(uow: UnitOfWork, name: str, body: Any) -> Namespace:
    body = validation.checked("namespace", body)
    with uow.atomic():
        ns = namespace_for_child(uow, name)
        authorize(uow, ns, "modify_metadef_namespace")
        # A full replacement: what is left out goes back to create's defaults.
        ns.namespace = body["namespace"]
        ns.display_name = body.get("display_name")
        ns.description = body.get("description")
        ns.visibility = body.get("visibility") or "private"
        ns.protected = bool(body.get("protected") or False)
        ns.owner = body.get("owner") or uow.context.project_id
        before = ns.updated_at
        ns.updated_at = uow.now()
        try:
            store.save(uow.db, ns)
        except store.Duplicate as exc:
            raise messages.duplicate_namespace_rename(ns.namespace) from exc
    # Glance answers with the entity as it read it: the new values, the old updated_at.
    ns.updated_at = before
    return ns


def delete(uow: UnitOfWork, name: str) -> None:
    with uow.atomic():
        ns = namespace_for_child(uow, name)
        authorize(uow, ns, "delete_metadef_namespace")
        if ns.protected:
            raise messages.protected("namespace", ns.namespace)
        assert ns.id is not None
        store.delete(uow.db, ns.id)


def delete_contents(uow: UnitOfWork, name: str, kind: str) -> None:
    """``DELETE .../objects|properties|tags``: needs the namespace delete policy (and, for
    tags, ``delete_metadef_tags``), and a namespace that is not protected."""
    with uow.atomic():
        ns = namespace_for_child(uow, name)
        authorize(uow, ns, "delete_metadef_namespace")
        if kind == "tags":
            authorize(uow, ns, "delete_metadef_tags")
        if ns.protected:
            raise messages.protected("namespace", ns.namespace)
        assert ns.id is not None
        contents.delete_all(uow.db, ns.id, kind)
