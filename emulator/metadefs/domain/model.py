"""The metadef entities (glance/domain/__init__.py ``MetadefNamespace`` and friends). Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Document = dict[str, Any]


@dataclass
class Namespace:
    namespace: str
    visibility: str = "private"
    protected: bool = False
    owner: str | None = None
    display_name: str | None = None
    description: str | None = None
    created_at: str = ""
    updated_at: str | None = ""
    id: int | None = None


@dataclass
class Association:
    """A resource type associated with a namespace (``metadef_namespace_resource_types``)."""

    name: str
    prefix: str | None = None
    properties_target: str | None = None
    created_at: str = ""
    updated_at: str | None = ""


@dataclass
class ResourceType:
    name: str
    created_at: str = ""
    updated_at: str | None = ""


@dataclass
class MetadefObject:
    name: str
    description: str | None = None
    required: list[str] | None = None
    properties: dict[str, Document] | None = None
    created_at: str = ""
    updated_at: str | None = ""


@dataclass
class Property:
    """A property definition: its name and its JSON-schema-like definition, stored as sent
    (``metadef_properties.json_schema``)."""

    name: str
    schema: Document = field(default_factory=dict)


@dataclass
class Tag:
    name: str
    created_at: str = ""
    updated_at: str | None = ""


@dataclass
class NamespaceDetail:
    """A namespace with what a show (or a create's answer) lists inside it."""

    namespace: Namespace
    associations: list[Association] = field(default_factory=list)
    objects: list[MetadefObject] = field(default_factory=list)
    properties: dict[str, Document] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    #: A create's answer echoes the request's objects: no timestamps or links on them.
    echoed: bool = False
