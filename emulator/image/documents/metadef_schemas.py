"""Glance's metadata-definition schema documents (``glance/api/v2/metadef_*.py``
get_schema / get_collection_schema), served under ``/v2/schemas/metadefs/``.

python-glanceclient fetches the namespace and resource_type documents on every start.
Description texts are our own wording. Pure: no Flask.
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.image.documents.schema_model import (
    Document,
    _collection_raw,
    _copied,
    _Schema,
)

# --- metadefs (glance/api/v2/metadef_*.py) ---------------------------------------------------

_METADEF_TYPES = ["array", "boolean", "integer", "number", "object", "string", None]


def _positive_integer_definitions(*, string_array_min_items: bool) -> Document:
    string_array: Document = {"type": "array", "items": {"type": "string"}}
    if string_array_min_items:
        string_array["minItems"] = 1
    string_array["uniqueItems"] = True
    return {
        "positiveInteger": {"type": "integer", "minimum": 0},
        "positiveIntegerDefault0": {
            "allOf": [{"$ref": "#/definitions/positiveInteger"}, {"default": 0}]
        },
        "stringArray": string_array,
    }


def _metadef_property_properties() -> Document:
    """The shape of one property definition (``metadef_namespaces.get_schema_definitions``)."""
    return {
        "name": {"type": "string", "maxLength": 80},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "operators": {"type": "array", "items": {"type": "string"}},
        "type": {"type": "string", "enum": list(_METADEF_TYPES)},
        "required": {"$ref": "#/definitions/stringArray"},
        "minimum": {"type": "number"},
        "maximum": {"type": "number"},
        "maxLength": {"$ref": "#/definitions/positiveInteger"},
        "minLength": {"$ref": "#/definitions/positiveIntegerDefault0"},
        "pattern": {"type": "string", "format": "regex"},
        "enum": {"type": "array"},
        "readonly": {"type": "boolean"},
        "default": {},
        "items": {
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": list(_METADEF_TYPES)},
                "enum": {"type": "array"},
            },
        },
        "maxItems": {"$ref": "#/definitions/positiveInteger"},
        "minItems": {"$ref": "#/definitions/positiveIntegerDefault0"},
        "uniqueItems": {"type": "boolean", "default": False},
        "additionalItems": {"type": "boolean"},
    }


def _namespace_definitions() -> Document:
    definitions = _positive_integer_definitions(string_array_min_items=False)
    definitions["property"] = {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "required": ["title", "type"],
            "properties": _metadef_property_properties(),
        },
    }
    return definitions


def _timestamps(what: str) -> Document:
    return {
        "created_at": {
            "type": "string",
            "readOnly": True,
            "description": f"When the {what} was created",
            "format": "date-time",
        },
        "updated_at": {
            "type": "string",
            "readOnly": True,
            "description": f"When the {what} was last modified",
            "format": "date-time",
        },
    }


def _links_properties() -> Document:
    return {
        "schema": {"readOnly": True, "type": "string"},
        "self": {"readOnly": True, "type": "string"},
    }


def _named_items(**properties: Document) -> Document:
    return {"type": "array", "items": {"type": "object", "properties": properties}}


def _namespace() -> _Schema:
    properties: Document = {
        "namespace": {
            "type": "string",
            "description": "Unique name of the namespace.",
            "maxLength": 80,
        },
        "display_name": {
            "type": "string",
            "description": "Friendly name of the namespace, shown by UIs that support it.",
            "maxLength": 80,
        },
        "description": {
            "type": "string",
            "description": "Friendly description of the namespace.",
            "maxLength": 500,
        },
        "visibility": {
            "type": "string",
            "description": "Who may see the namespace.",
            "enum": ["public", "private"],
        },
        "protected": {
            "type": "boolean",
            "description": "When true, the namespace cannot be deleted.",
        },
        "owner": {"type": "string", "description": "Owner of the namespace.", "maxLength": 255},
        **_timestamps("namespace"),
        **_links_properties(),
        "resource_type_associations": _named_items(
            name={"type": "string"},
            prefix={"type": "string"},
            properties_target={"type": "string"},
        ),
        "properties": {"$ref": "#/definitions/property"},
        "objects": _named_items(
            name={"type": "string"},
            description={"type": "string"},
            required={"$ref": "#/definitions/stringArray"},
            properties={"$ref": "#/definitions/property"},
        ),
        "tags": _named_items(name={"type": "string"}),
    }
    return _Schema(
        "namespace", properties, required=["namespace"], definitions=_namespace_definitions()
    )


def _resource_type_association() -> _Schema:
    properties: Document = {
        "name": {
            "type": "string",
            "description": (
                "Name of the resource type; use Heat resource type names where possible: "
                "https://docs.openstack.org/heat/latest/template_guide/openstack.html"
            ),
            "maxLength": 80,
        },
        "prefix": {
            "type": "string",
            "description": (
                "Prefix to put before every property of the namespace when it is applied to "
                "this resource type, separator included (e.g. a colon :)."
            ),
            "maxLength": 80,
        },
        "properties_target": {
            "type": "string",
            "description": (
                "For resource types holding several sets of key/value pairs per instance "
                "(Cinder volumes have user and image metadata), the set the namespace "
                "applies to. Nova evaluates only the image properties metadata."
            ),
            "maxLength": 80,
        },
        **_timestamps("resource type association"),
    }
    return _Schema("resource_type_association", properties, required=["name"])


def _property(*, require_name: bool = True) -> _Schema:
    # PropertyType's mandatory attributes in declaration order, then 'name' for one property.
    required = ["type", "title", "name"] if require_name else ["type", "title"]
    return _Schema(
        "property",
        _metadef_property_properties(),
        required=required,
        definitions=_positive_integer_definitions(string_array_min_items=True),
    )


def _object() -> _Schema:
    properties: Document = {
        "name": {"type": "string", "maxLength": 80},
        "description": {"type": "string"},
        "required": {"$ref": "#/definitions/stringArray"},
        "properties": {"$ref": "#/definitions/property"},
        **_links_properties(),
        **_timestamps("object"),
    }
    return _Schema("object", properties, required=["name"], definitions=_namespace_definitions())


def _tag() -> _Schema:
    properties: Document = {"name": {"type": "string", "maxLength": 80}, **_timestamps("tag")}
    return _Schema("tag", properties, required=["name"])


@_copied
def metadef_namespace_schema() -> Document:
    return _namespace().raw()


@_copied
def metadef_namespaces_schema() -> Document:
    return _collection_raw("namespaces", _namespace())


@_copied
def metadef_resource_type_schema() -> Document:
    return _resource_type_association().raw()


@_copied
def metadef_resource_types_schema() -> Document:
    return _collection_raw("resource_type_associations", _resource_type_association())


@_copied
def metadef_property_schema() -> Document:
    return _property().raw()


@_copied
def metadef_properties_schema() -> Document:
    # In the collection a property's name is the dict key, so it is not required.
    return _collection_raw("properties", _property(require_name=False), keyed=True)


@_copied
def metadef_object_schema() -> Document:
    return _object().raw()


@_copied
def metadef_objects_schema() -> Document:
    return _collection_raw("objects", _object())


@_copied
def metadef_tag_schema() -> Document:
    return _tag().raw()


@_copied
def metadef_tags_schema() -> Document:
    return _collection_raw("tags", _tag())


#: ``/v2/schemas/metadefs/<name>`` -> document builder (``glance/api/v2/router.py``).
METADEF_SCHEMAS: dict[str, Callable[[], Document]] = {
    "namespace": metadef_namespace_schema,
    "namespaces": metadef_namespaces_schema,
    "resource_type": metadef_resource_type_schema,
    "resource_types": metadef_resource_types_schema,
    "property": metadef_property_schema,
    "properties": metadef_properties_schema,
    "object": metadef_object_schema,
    "objects": metadef_objects_schema,
    "tag": metadef_tag_schema,
    "tags": metadef_tags_schema,
}
