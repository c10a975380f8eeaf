"""The JSON documents of metadef entities, as WSME serialises Glance's models
(glance/api/v2/model/metadef_*.py): attributes in declaration order, unset ones left out,
times at second precision."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from emulator.core.clock import isotime
from emulator.metadefs.domain.model import (
    Association,
    MetadefObject,
    Namespace,
    NamespaceDetail,
    Property,
    ResourceType,
    Tag,
)

Document = dict[str, Any]
NAMESPACE_SCHEMA = "/v2/schemas/metadefs/namespace"
OBJECT_SCHEMA = "/v2/schemas/metadefs/object"


def _set(doc: Document, key: str, value: Any) -> None:
    if value is not None:
        doc[key] = value


def _times(doc: Document, created_at: str | None, updated_at: str | None) -> None:
    """Rows the catalog loader wrote have no ``updated_at``: WSME leaves it out."""
    if created_at is not None:
        doc["created_at"] = isotime(created_at)
    if updated_at is not None:
        doc["updated_at"] = isotime(updated_at)


def namespace_href(name: str) -> str:
    # Glance formats the name in unquoted ('/v2/metadefs/namespaces/%s').
    return f"/v2/metadefs/namespaces/{name}"


def namespace_document(ns: Namespace, detail: NamespaceDetail | None = None) -> Document:
    doc: Document = {"namespace": ns.namespace}
    _set(doc, "display_name", ns.display_name)
    _set(doc, "description", ns.description)
    doc["visibility"] = ns.visibility
    doc["protected"] = ns.protected
    _set(doc, "owner", ns.owner)
    doc["created_at"] = isotime(ns.created_at)
    _times(doc, None, ns.updated_at)
    if detail is not None:
        if detail.associations:
            doc["resource_type_associations"] = [
                association_document(a, with_times=not detail.echoed) for a in detail.associations
            ]
        if detail.properties:
            doc["properties"] = detail.properties
        if detail.objects:
            doc["objects"] = [
                object_document(ns.namespace, o, with_links=not detail.echoed)
                for o in detail.objects
            ]
        if detail.tags:
            doc["tags"] = [{"name": name} for name in detail.tags]
    doc["self"] = namespace_href(ns.namespace)
    doc["schema"] = NAMESPACE_SCHEMA
    return doc


def association_document(assoc: Association, *, with_times: bool = True) -> Document:
    doc: Document = {"name": assoc.name}
    _set(doc, "prefix", assoc.prefix)
    _set(doc, "properties_target", assoc.properties_target)
    if with_times:
        _times(doc, assoc.created_at, assoc.updated_at)
    return doc


def resource_type_document(rt: ResourceType) -> Document:
    doc: Document = {"name": rt.name}
    _times(doc, rt.created_at, rt.updated_at)
    return doc


def object_document(namespace: str, obj: MetadefObject, *, with_links: bool = True) -> Document:
    doc: Document = {"name": obj.name}
    _set(doc, "required", obj.required)
    _set(doc, "description", obj.description)
    _set(doc, "properties", obj.properties)
    if with_links:
        _times(doc, obj.created_at, obj.updated_at)
        doc["self"] = f"/v2/metadefs/namespaces/{namespace}/objects/{obj.name}"
        doc["schema"] = OBJECT_SCHEMA
    return doc


def property_document(prop: Property) -> Document:
    return dict(prop.schema)


def tag_document(tag: Tag) -> Document:
    doc: Document = {"name": tag.name}
    _times(doc, tag.created_at, tag.updated_at)
    return doc


def location(path: str) -> str:
    """A Location header value: the path as webob would send it (quoted)."""
    return quote(path, safe="/:")
