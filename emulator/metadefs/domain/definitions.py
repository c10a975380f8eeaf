"""Property definitions as Glance keeps them: the attributes of its ``PropertyType`` model
(glance/api/v2/model/metadef_property_type.py), nothing else, in its order; and the
resource-type prefix a namespace show applies (``NamespaceController._prefix_property_name``).
Pure."""

from __future__ import annotations

from typing import Any

from emulator.metadefs.domain.model import Document, MetadefObject

#: ``PropertyType``'s attributes in declaration order (its JSON keeps only these).
PROPERTY_KEYS = (
    "name",
    "type",
    "title",
    "description",
    "operators",
    "default",
    "readonly",
    "minimum",
    "maximum",
    "enum",
    "pattern",
    "minLength",
    "maxLength",
    "confidential",
    "items",
    "uniqueItems",
    "minItems",
    "maxItems",
    "additionalItems",
)
_ITEM_KEYS = ("type", "enum")
#: ``PropertyType``'s integer attributes: WSME truncates a number sent for them (1.5 -> 1).
_INTEGER_KEYS = ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems")


def _as_wsme(key: str, value: Any) -> Any:
    """The value as WSME's typed attribute stores it."""
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if key in _INTEGER_KEYS and is_number:
        return int(value)
    if key == "default" and is_number:
        return str(value)  # ``default`` is typed as text: 5 comes back as "5"
    return value


def property_definition(value: Any) -> Document:
    """One property definition reduced to ``PropertyType``'s attributes (WSME drops the
    rest and the unset ones: a null is as good as absent)."""
    if not isinstance(value, dict):
        return {}
    kept: Document = {}
    for key in PROPERTY_KEYS:
        if key in value and value[key] is not None:
            kept[key] = _as_wsme(key, value[key])
    items = kept.get("items")
    if isinstance(items, dict):
        kept["items"] = {k: items[k] for k in _ITEM_KEYS if items.get(k) is not None}
    return kept


def unknown_keys(value: Any) -> list[str]:
    """Keys ``PropertyType`` does not have (WSME refuses them; Glance then answers 500)."""
    if not isinstance(value, dict):
        return []
    return [key for key in value if key not in PROPERTY_KEYS]


def property_definitions(values: Any) -> dict[str, Document]:
    if not isinstance(values, dict):
        return {}
    return {str(name): property_definition(value) for name, value in values.items()}


def prefixed(prefix: str | None, properties: dict[str, Document]) -> dict[str, Document]:
    if not prefix:
        return properties
    return {prefix + name: value for name, value in properties.items()}


def prefixed_object(prefix: str | None, obj: MetadefObject) -> MetadefObject:
    """An object as a namespace show with ``?resource_type=`` lists it."""
    if not prefix:
        return obj
    required = [prefix + name for name in obj.required] if obj.required else obj.required
    properties = prefixed(prefix, obj.properties or {}) if obj.properties is not None else None
    return MetadefObject(
        name=obj.name,
        description=obj.description,
        required=required,
        properties=properties,
        created_at=obj.created_at,
        updated_at=obj.updated_at,
    )
