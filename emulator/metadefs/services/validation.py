"""Request bodies checked as Glance's ``RequestDeserializer``s check them: read-only keys
first (403), then the JSON schema the emulator serves at ``/v2/schemas/metadefs/...`` (400
``Provided object does not match schema '<name>': <reason>``)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import jsonschema
from jsonschema import exceptions as jsonschema_exceptions

from emulator.core import errors
from emulator.image.documents import metadef_schemas
from emulator.image.documents.schema_model import VALIDATOR_CLASS
from emulator.metadefs.domain import definitions, messages

#: ``_disallowed_properties`` of each deserializer.
READ_ONLY = {
    "namespace": ("self", "schema", "created_at", "updated_at"),
    "object": ("self", "schema", "created_at", "updated_at"),
    "property": ("created_at", "updated_at"),
    "tag": ("created_at", "updated_at"),
    "tags": ("created_at", "updated_at"),
    "resource_type": ("created_at", "updated_at"),
}


def _tags_list_schema() -> dict[str, Any]:
    """``metadef_tags.get_schema_for_list``: what a bulk tag create must look like."""
    return {
        "name": "tags",
        "properties": {
            "tags": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}},
                    "required": ["name"],
                    "additionalProperties": False,
                },
            }
        },
        "additionalProperties": False,
    }


def _property_schema(require_name: bool) -> dict[str, Any]:
    schema = metadef_schemas.metadef_property_schema()
    if not require_name:
        schema["required"] = [k for k in schema["required"] if k != "name"]
    return schema


_SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "namespace": metadef_schemas.metadef_namespace_schema,
    "object": metadef_schemas.metadef_object_schema,
    "property": functools.partial(_property_schema, True),
    "object_property": functools.partial(_property_schema, False),
    "tag": metadef_schemas.metadef_tag_schema,
    "tags": _tags_list_schema,
    "resource_type": metadef_schemas.metadef_resource_type_schema,
}


@functools.cache
def _validator(kind: str) -> jsonschema.protocols.Validator:
    schema = _SCHEMAS[kind]()
    VALIDATOR_CLASS.check_schema(schema)
    return VALIDATOR_CLASS(schema)


def check_read_only(kind: str, body: dict[str, Any]) -> None:
    for key in READ_ONLY.get(kind, ()):
        if key in body:
            raise messages.read_only(key)


def validate(kind: str, body: Any) -> dict[str, Any]:
    """``body`` if it matches ``kind``'s schema, else Glance's 400 (first line of
    jsonschema's ``best_match``, as for images)."""
    # The name Glance's Schema object carries (the resource type schema is the association's).
    name = {"object_property": "property", "resource_type": "resource_type_association"}.get(
        kind, kind
    )
    if not isinstance(body, dict):
        raise errors.BadRequest(
            f"Provided object does not match schema '{name}': the body is not a JSON object"
        )
    error = jsonschema_exceptions.best_match(_validator(kind).iter_errors(body))
    if error is not None:
        reason = str(error).splitlines()[0]
        raise errors.BadRequest(f"Provided object does not match schema '{name}': {reason}")
    return body


def checked(kind: str, body: Any) -> dict[str, Any]:
    """Read-only keys, then the schema."""
    if isinstance(body, dict):
        check_read_only(kind, body)
    return validate(kind, body)


def validate_each(kind: str, bodies: Iterable[Any]) -> None:
    for body in bodies:
        validate(kind, body)


def refuse_unknown_property_keys(body: dict[str, Any]) -> None:
    """WSME refuses keys a property definition does not have (Glance then fails with a 500);
    the request is at fault, so: 400."""
    nested = [body.get("properties") or {}]
    nested += [o.get("properties") or {} for o in body.get("objects") or [] if isinstance(o, dict)]
    for group in nested:
        for name, value in group.items():
            unknown = definitions.unknown_keys(value)
            if unknown:
                raise errors.BadRequest(
                    f"Unknown attribute for property {name}: {', '.join(sorted(unknown))}"
                )
