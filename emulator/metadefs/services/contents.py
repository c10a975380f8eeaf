"""Objects, property definitions and tags inside a namespace: glance/api/v2/
metadef_objects.py, metadef_properties.py and metadef_tags.py. Every route first finds the
namespace (404 ``Namespace <ns> not found``), then checks its policy, then the item."""

from __future__ import annotations

from typing import Any

from emulator.core import errors
from emulator.core.unit_of_work import UnitOfWork
from emulator.metadefs.domain import definitions, messages
from emulator.metadefs.domain.model import MetadefObject, Namespace, Property, Tag
from emulator.metadefs.services import validation
from emulator.metadefs.services.lookup import (
    authorize,
    namespace_for_child,
    namespace_for_object,
)
from emulator.metadefs.store import contents
from emulator.metadefs.store import namespaces as ns_store


def _reach(
    uow: UnitOfWork, namespace: str, action: str, *, objects: bool = False
) -> tuple[Namespace, int]:
    """The namespace and its policy check. The object routes let a missing namespace's
    own 404 through (they catch only Forbidden around the lookup)."""
    ns = namespace_for_object(uow, namespace) if objects else namespace_for_child(uow, namespace)
    authorize(uow, ns, action)
    assert ns.id is not None
    return ns, ns.id


# --- objects -------------------------------------------------------------------------------


def _object_from(body: dict[str, Any], now: str) -> MetadefObject:
    properties = body.get("properties")
    return MetadefObject(
        name=body["name"],
        description=body.get("description"),
        required=body.get("required"),
        properties=definitions.property_definitions(properties) if properties is not None else None,
        created_at=now,
        updated_at=now,
    )


def list_objects(uow: UnitOfWork, namespace: str) -> list[MetadefObject]:
    _, ns_id = _reach(uow, namespace, "get_metadef_objects", objects=True)
    return contents.objects(uow.db, ns_id)


def create_object(uow: UnitOfWork, namespace: str, body: Any) -> MetadefObject:
    body = validation.checked("object", body)
    validation.validate_each("object_property", (body.get("properties") or {}).values())
    validation.refuse_unknown_property_keys({"objects": [body]})
    with uow.atomic():
        ns, ns_id = _reach(uow, namespace, "add_metadef_object", objects=True)
        obj = _object_from(body, uow.now())
        try:
            contents.insert_object(uow.db, ns_id, obj)
        except ns_store.Duplicate as exc:
            raise messages.duplicate_object(obj.name, ns.namespace) from exc
    return obj


def _existing_object(uow: UnitOfWork, ns_id: int, name: str) -> MetadefObject:
    obj = contents.get_object(uow.db, ns_id, name)
    if obj is None:
        raise errors.NotFound(f"Could not find metadata object {name}")
    return obj


def show_object(uow: UnitOfWork, namespace: str, name: str) -> MetadefObject:
    _, ns_id = _reach(uow, namespace, "get_metadef_object", objects=True)
    return _existing_object(uow, ns_id, name)


def update_object(uow: UnitOfWork, namespace: str, name: str, body: Any) -> MetadefObject:
    body = validation.checked("object", body)
    validation.refuse_unknown_property_keys({"objects": [body]})
    with uow.atomic():
        ns, ns_id = _reach(uow, namespace, "modify_metadef_object", objects=True)
        old = _existing_object(uow, ns_id, name)
        obj = _object_from(body, uow.now())
        try:
            contents.save_object(uow.db, ns_id, name, obj)
        except ns_store.Duplicate as exc:
            raise errors.Conflict(
                "Invalid update. It would result in a duplicate metadata definition object "
                f"with the same name={obj.name} in namespace={ns.namespace}."
            ) from exc
    # Glance answers with the object as it read it: new values, old times.
    obj.created_at, obj.updated_at = old.created_at, old.updated_at
    return obj


def delete_object(uow: UnitOfWork, namespace: str, name: str) -> None:
    with uow.atomic():
        ns, ns_id = _reach(uow, namespace, "delete_metadef_object", objects=True)
        obj = _existing_object(uow, ns_id, name)
        if ns.protected:
            raise messages.protected("object", obj.name)
        contents.delete_object(uow.db, ns_id, name)


# --- properties ------------------------------------------------------------------------------


def list_properties(uow: UnitOfWork, namespace: str) -> dict[str, dict[str, Any]]:
    _, ns_id = _reach(uow, namespace, "get_metadef_properties")
    return {p.name: p.schema for p in contents.properties(uow.db, ns_id)}


def _existing_property(uow: UnitOfWork, ns_id: int, name: str) -> Property:
    prop = contents.get_property(uow.db, ns_id, name)
    if prop is None:
        raise errors.NotFound(f"Could not find property {name}")
    return prop


def _shown(prop: Property) -> Property:
    """``_to_model``: the stored definition with the row's name."""
    schema = {"name": prop.name, **{k: v for k, v in prop.schema.items() if k != "name"}}
    return Property(prop.name, definitions.property_definition(schema))


def show_property(
    uow: UnitOfWork, namespace: str, name: str, resource_type: str | None = None
) -> Property:
    ns, ns_id = _reach(uow, namespace, "get_metadef_property")
    if resource_type:
        authorize(uow, ns, "get_metadef_resource_type")
        type_id = ns_store.resource_type_id(uow.db, resource_type)
        if type_id is None:
            raise messages.resource_type_not_found(resource_type)
        links = {a.name: a for a in ns_store.associations(uow.db, [ns_id])[ns_id]}
        if resource_type not in links:
            raise messages.association_not_found(resource_type, ns.namespace)
        prefix = links[resource_type].prefix
        if not prefix or not name.startswith(prefix):
            raise messages.prefix_mismatch(name, prefix)
        name = name[len(prefix) :]
    return _shown(_existing_property(uow, ns_id, name))


def create_property(uow: UnitOfWork, namespace: str, body: Any) -> Property:
    body = validation.checked("property", body)
    with uow.atomic():
        ns, ns_id = _reach(uow, namespace, "add_metadef_property")
        prop = Property(body["name"], definitions.property_definition(body))
        try:
            contents.insert_property(uow.db, ns_id, prop, uow.now())
        except ns_store.Duplicate as exc:
            raise messages.duplicate_property(prop.name, ns.namespace) from exc
    return _shown(prop)


def update_property(uow: UnitOfWork, namespace: str, name: str, body: Any) -> Property:
    body = validation.checked("property", body)
    with uow.atomic():
        ns, ns_id = _reach(uow, namespace, "modify_metadef_property")
        _existing_property(uow, ns_id, name)
        prop = Property(body["name"], definitions.property_definition(body))
        try:
            contents.save_property(uow.db, ns_id, name, prop, uow.now())
        except ns_store.Duplicate as exc:
            raise errors.Conflict(
                "Invalid update. It would result in a duplicate metadata definition property "
                f"with the same name={prop.name} in namespace={ns.namespace}."
            ) from exc
    return _shown(prop)


def delete_property(uow: UnitOfWork, namespace: str, name: str) -> None:
    with uow.atomic():
        ns, ns_id = _reach(uow, namespace, "remove_metadef_property")
        prop = _existing_property(uow, ns_id, name)
        if ns.protected:
            raise messages.protected("property", prop.name)
        contents.delete_property(uow.db, ns_id, name)


# --- tags ------------------------------------------------------------------------------------

TAG_SORT_KEYS = frozenset({"name", "created_at", "updated_at", "id"})


def list_tags(uow: UnitOfWork, namespace: str, params: dict[str, str]) -> list[Tag]:
    """``TagsController.index``: sort (default ``created_at`` desc), ``marker`` (a tag
    name) and ``limit``."""
    sort_dir = params.get("sort_dir", "desc")
    if sort_dir not in ("asc", "desc"):
        raise errors.BadRequest(f"Invalid sort direction: {sort_dir}")
    visibility = params.get("visibility")
    if visibility and visibility not in ("public", "private", "shared"):
        raise errors.BadRequest(f"Invalid visibility value: {visibility}")
    limit = None
    if params.get("limit"):
        try:
            limit = int(params["limit"])
        except ValueError as exc:
            raise errors.BadRequest("limit param must be an integer") from exc
        if limit < 0:
            raise errors.BadRequest("limit param must be positive")
    sort_key = params.get("sort_key", "created_at")
    if sort_key not in TAG_SORT_KEYS:
        raise errors.BadRequest(f"Invalid sort key: {sort_key}")
    ns, ns_id = _reach(uow, namespace, "get_metadef_tags")
    after = None
    if params.get("marker"):
        after = contents.tag_position(uow.db, ns_id, params["marker"], sort_key)
        if after is None:
            raise messages.tag_not_found(params["marker"], ns.namespace)
    return contents.tags(
        uow.db, ns_id, sort_dir=sort_dir, sort_key=sort_key, after=after, limit=limit
    )


def _existing_tag(uow: UnitOfWork, ns_id: int, name: str) -> Tag:
    tag = contents.get_tag(uow.db, ns_id, name)
    if tag is None:
        raise errors.NotFound(f"Could not find metadata tag {name}")
    return tag


def create_tag(uow: UnitOfWork, namespace: str, name: str) -> Tag:
    with uow.atomic():
        ns = namespace_for_child(uow, namespace)
        validation.validate("tag", {"name": name})  # after the lookup, as Glance does
        authorize(uow, ns, "add_metadef_tag")
        assert ns.id is not None
        ns_id = ns.id
        now = uow.now()
        tag = Tag(name, now, now)
        try:
            contents.insert_tag(uow.db, ns_id, tag)
        except ns_store.Duplicate as exc:
            raise messages.duplicate_tag(name, ns.namespace) from exc
    return tag


def create_tags(uow: UnitOfWork, namespace: str, body: Any, append: bool) -> list[str]:
    """Bulk create: replaces every tag of the namespace unless ``append``."""
    body = validation.checked("tags", body)
    with uow.atomic():
        ns, ns_id = _reach(uow, namespace, "add_metadef_tags")
        names = [item["name"] for item in body.get("tags") or []]
        if names and not append:
            contents.delete_all(uow.db, ns_id, "tags")
        for name in names:
            now = uow.now()
            try:
                contents.insert_tag(uow.db, ns_id, Tag(name, now, now))
            except ns_store.Duplicate as exc:
                raise messages.duplicate_tag(name, ns.namespace) from exc
    return names


def show_tag(uow: UnitOfWork, namespace: str, name: str) -> Tag:
    _, ns_id = _reach(uow, namespace, "get_metadef_tag")
    return _existing_tag(uow, ns_id, name)


def update_tag(uow: UnitOfWork, namespace: str, name: str, body: Any) -> Tag:
    body = validation.checked("tag", body)
    with uow.atomic():
        ns, ns_id = _reach(uow, namespace, "modify_metadef_tag")
        old = _existing_tag(uow, ns_id, name)
        now = uow.now()
        try:
            contents.rename_tag(uow.db, ns_id, name, body["name"], now)
        except ns_store.Duplicate as exc:
            raise messages.duplicate_tag(body["name"], ns.namespace) from exc
    return Tag(body["name"], old.created_at, old.updated_at)


def delete_tag(uow: UnitOfWork, namespace: str, name: str) -> None:
    with uow.atomic():
        ns, ns_id = _reach(uow, namespace, "delete_metadef_tag")
        tag = _existing_tag(uow, ns_id, name)
        if ns.protected:
            raise messages.protected("tag", tag.name)
        contents.delete_tag(uow.db, ns_id, name)
