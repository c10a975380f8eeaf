"""The building blocks of Glance's schema documents (``glance/schema.py``): Schema,
PermissiveSchema, CollectionSchema and DictCollectionSchema, and a cache that hands out
copies. Pure: no Flask."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import jsonschema

Document = dict[str, Any]

UUID_PATTERN = (
    "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
)
PROPERTY_KEYS_URL = "https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html"

# Glance validates with ``jsonschema.validate(obj, schema)`` and its schemas carry no
# ``$schema``, so jsonschema picks its newest draft (2020-12 on jsonschema 4.x). The draft
# matters: from draft 6 on, 1.0 counts as an "integer" (draft 4 rejects it).
VALIDATOR_CLASS = jsonschema.Draft202012Validator


@dataclass
class _Schema:
    """One ``glance.schema.Schema`` (or ``PermissiveSchema`` when ``permissive``)."""

    name: str
    properties: Document
    links: list[dict[str, str]] | None = None
    required: list[str] | None = None
    definitions: Document | None = None
    permissive: bool = False

    def raw(self, *, with_definitions: bool = True) -> Document:
        raw: Document = {
            "name": self.name,
            "properties": self.properties,
            # PermissiveSchema.raw overwrites the value, so the key keeps its place.
            "additionalProperties": {"type": "string"} if self.permissive else False,
        }
        if self.definitions and with_definitions:
            raw["definitions"] = self.definitions
        if self.required:
            raw["required"] = self.required
        if self.links:
            raw["links"] = self.links
        return raw

    def minimal(self, *, with_definitions: bool = True) -> Document:
        minimal: Document = {"name": self.name, "properties": self.properties}
        if self.definitions and with_definitions:
            minimal["definitions"] = self.definitions
        if self.required:
            minimal["required"] = self.required
        return minimal


_PAGE_LINKS = [
    {"rel": "first", "href": "{first}"},
    {"rel": "next", "href": "{next}"},
    {"rel": "describedby", "href": "{schema}"},
]


def _collection_raw(name: str, item: _Schema, *, keyed: bool = False) -> Document:
    """``CollectionSchema.raw`` (an array of items) or, when ``keyed``,
    ``DictCollectionSchema.raw`` (an object of items). Item definitions move to the top."""
    items = item.raw(with_definitions=False)
    container: Document = (
        {"type": "object", "additionalProperties": items}
        if keyed
        else {"type": "array", "items": items}
    )
    raw: Document = {
        "name": name,
        "properties": {
            name: container,
            "first": {"type": "string"},
            "next": {"type": "string"},
            "schema": {"type": "string"},
        },
        "links": copy.deepcopy(_PAGE_LINKS),
    }
    if item.definitions:
        raw["definitions"] = item.definitions
    return raw


def _collection_minimal(name: str, item: _Schema) -> Document:
    """``CollectionSchema.minimal``: no paging properties, only a ``describedby`` link."""
    minimal: Document = {
        "name": name,
        "properties": {
            name: {"type": "array", "items": item.minimal(with_definitions=False)},
            "schema": {"type": "string"},
        },
        "links": [{"rel": "describedby", "href": "{schema}"}],
    }
    if item.definitions:
        minimal["definitions"] = item.definitions
    return minimal


# --- public API: cached documents, handed out as copies ------------------------------------


def _copied(build: Callable[..., Document]) -> Callable[..., Document]:
    cached = functools.cache(build)

    @functools.wraps(build)
    def wrapper(*args: Iterable[str]) -> Document:
        return copy.deepcopy(cached(*(tuple(arg) for arg in args)))

    return wrapper
