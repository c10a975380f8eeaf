"""Glance's JSON-schema documents, as served under ``/v2/schemas/``, and the image validator.

Every structural element (schema names, property names, types, enums, patterns, lengths,
``readOnly``, ``additionalProperties``, ``links``, ``required``, ``definitions`` and key order)
follows Glance: ``glance/schema.py`` (Schema, PermissiveSchema, CollectionSchema,
DictCollectionSchema), ``glance/api/v2/images.py`` (get_base_properties, get_schema),
``etc/schema-image.json``, ``glance/api/v2/image_members.py``, ``glance/api/v2/tasks.py`` and
``glance/api/v2/metadef_*.py`` (get_schema, get_collection_schema). Description texts are our
own wording. python-glanceclient builds CLI options from these documents, so shape matters.

Documents are built once per (disk_formats, container_formats) and handed out as copies.
Pure: no Flask.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import jsonschema
from jsonschema import exceptions as jsonschema_exceptions

from emulator.core.errors import BadRequest
from emulator.image.documents.schema_model import (
    PROPERTY_KEYS_URL,
    UUID_PATTERN,
    VALIDATOR_CLASS,
    Document,
    _collection_minimal,
    _collection_raw,
    _copied,
    _Schema,
)
from emulator.image.domain.images import STATUSES

# --- images (glance/api/v2/images.py) -------------------------------------------------------


def _image_base_properties(
    disk_formats: tuple[str, ...], container_formats: tuple[str, ...]
) -> Document:
    def read_only(type_: Any, description: str, **extra: Any) -> Document:
        return {"type": type_, "readOnly": True, "description": description, **extra}

    return {
        "id": {
            "type": "string",
            "description": "Identifier of the image (a UUID)",
            "pattern": UUID_PATTERN,
        },
        "name": {
            "type": ["null", "string"],
            "description": "Human-readable name of the image",
            "maxLength": 255,
        },
        "status": read_only(
            "string",
            "Current status of the image",
            enum=list(STATUSES),
        ),
        "visibility": {
            "type": "string",
            "description": "Who may see and use the image",
            "enum": ["community", "public", "private", "shared"],
        },
        "protected": {
            "type": "boolean",
            "description": "When true, the image cannot be deleted.",
        },
        "os_hidden": {
            "type": "boolean",
            "description": "When true, the image is left out of the default image list.",
        },
        "checksum": read_only(["null", "string"], "MD5 hash of the image data.", maxLength=32),
        "os_hash_algo": read_only(
            ["null", "string"], "Algorithm used to compute os_hash_value", maxLength=64
        ),
        "os_hash_value": read_only(
            ["null", "string"],
            "Hex digest of the image data, computed with the algorithm named by os_hash_algo",
            maxLength=128,
        ),
        "owner": {
            "type": ["null", "string"],
            "description": "Project that owns the image",
            "maxLength": 255,
        },
        "size": read_only(["null", "integer"], "Size of the image data in bytes"),
        "virtual_size": read_only(["null", "integer"], "Virtual size of the image in bytes"),
        "container_format": {
            "type": ["null", "string"],
            "description": "Container format of the image",
            "enum": [None, *container_formats],
        },
        "disk_format": {
            "type": ["null", "string"],
            "description": "Disk format of the image",
            "enum": [None, *disk_formats],
        },
        # Glance leaves 'format': 'date-time' commented out on both timestamps.
        "created_at": read_only("string", "When the image was registered"),
        "updated_at": read_only("string", "When the image was last modified"),
        "tags": {
            "type": "array",
            "description": "Strings attached to the image",
            "items": {"type": "string", "maxLength": 255},
        },
        "direct_url": read_only("string", "URL of the image data in its external store"),
        "min_ram": {
            "type": "integer",
            "description": "Minimum RAM (in MB) needed to boot the image.",
        },
        "min_disk": {
            "type": "integer",
            "description": "Minimum disk space (in GB) needed to boot the image.",
        },
        "self": read_only("string", "URL of this image"),
        "file": read_only("string", "URL of the image data"),
        "stores": read_only(
            "string",
            "Store(s) holding the image data, as a comma-separated list of store ids; "
            "shown only when the operator enables multiple stores.",
        ),
        "schema": read_only("string", "URL of the image schema"),
        "locations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "url": {"type": "string", "maxLength": 255},
                    "metadata": {"type": "object"},
                    "validation_data": {
                        "description": (
                            "Values for the matching image properties; unless the image is "
                            "'queued' they must equal the values it already has."
                        ),
                        "type": "object",
                        "writeOnly": True,
                        "additionalProperties": False,
                        "properties": {
                            "checksum": {"type": "string", "minLength": 32, "maxLength": 32},
                            "os_hash_algo": {"type": "string", "maxLength": 64},
                            "os_hash_value": {"type": "string", "maxLength": 128},
                        },
                        "required": ["os_hash_algo", "os_hash_value"],
                    },
                },
                "required": ["url", "metadata"],
            },
            "description": "URLs of the image data in external stores",
        },
    }


def _image_custom_properties() -> Document:
    """The properties of Glance's default ``etc/schema-image.json`` (flat format)."""
    return {
        "kernel_id": {
            "type": ["null", "string"],
            "pattern": UUID_PATTERN,
            "description": "ID of a Glance image to boot as the kernel of an AMI-style image.",
        },
        "ramdisk_id": {
            "type": ["null", "string"],
            "pattern": UUID_PATTERN,
            "description": "ID of a Glance image to boot as the ramdisk of an AMI-style image.",
        },
        "instance_uuid": {
            "type": "string",
            "description": (
                "Records which instance the image is associated with (informational: "
                "setting it does not snapshot an instance)."
            ),
        },
        "architecture": {
            "description": f"CPU architecture of the operating system, see {PROPERTY_KEYS_URL}",
            "type": "string",
        },
        "os_distro": {
            "description": f"Common name of the operating system distribution, see "
            f"{PROPERTY_KEYS_URL}",
            "type": "string",
        },
        "os_version": {
            "description": "Operating system version, as the distributor names it.",
            "type": "string",
        },
        "description": {
            "description": "Human-readable description of the image.",
            "type": "string",
        },
        "cinder_encryption_key_id": {
            "description": (
                "Key Manager identifier of the key the Block Storage service uses to mount "
                "a volume created from this image"
            ),
            "type": "string",
        },
        "cinder_encryption_key_deletion_policy": {
            "description": (
                "When the Image service deletes the key named by 'cinder_encryption_key_id'; "
                "without this property it never does"
            ),
            "type": "string",
            "enum": ["on_image_deletion", "do_not_delete"],
        },
    }


def _merge_custom_properties(base: Document, custom: Document) -> Document:
    """``images.get_schema`` + ``Schema.merge_properties``: custom properties are flagged
    ``is_base: false``, may not redefine a base property, and come after the base ones."""
    flagged = {name: {**spec, "is_base": False} for name, spec in custom.items()}
    conflicts = sorted(k for k in base.keys() & flagged.keys() if base[k] != flagged[k])
    if conflicts:
        raise ValueError(
            f"custom properties ({', '.join(conflicts)}) conflict with base properties"
        )
    return {**base, **flagged}


def _image(disk_formats: tuple[str, ...], container_formats: tuple[str, ...]) -> _Schema:
    properties = _merge_custom_properties(
        _image_base_properties(disk_formats, container_formats), _image_custom_properties()
    )
    links = [
        {"rel": "self", "href": "{self}"},
        {"rel": "enclosure", "href": "{file}"},
        {"rel": "describedby", "href": "{schema}"},
    ]
    return _Schema("image", properties, links=links, permissive=True)


# --- members (glance/api/v2/image_members.py) and tasks (glance/api/v2/tasks.py) -----------


def _member() -> _Schema:
    return _Schema(
        "member",
        {
            "member_id": {
                "type": "string",
                "description": "Identifier of the member (a project id)",
            },
            "image_id": {
                "type": "string",
                "description": "Identifier of the image",
                "pattern": UUID_PATTERN,
            },
            "created_at": {"type": "string", "description": "When the membership was created"},
            "updated_at": {
                "type": "string",
                "description": "When the membership was last modified",
            },
            "status": {
                "type": "string",
                "description": "Status of the membership",
                "enum": ["pending", "accepted", "rejected"],
            },
            "schema": {"readOnly": True, "type": "string"},
        },
    )


def _task_properties() -> Document:
    return {
        "id": {
            "description": "Identifier of the task",
            "pattern": UUID_PATTERN,
            "type": "string",
        },
        "type": {
            "description": "Kind of work the task does",
            "enum": ["import", "api_image_import", "location_import"],
            "type": "string",
        },
        "status": {
            "description": "Current status of the task",
            "enum": ["pending", "processing", "success", "failure"],
            "type": "string",
        },
        "input": {"description": "Task parameters, a JSON object", "type": ["null", "object"]},
        "result": {"description": "Task outcome, a JSON object", "type": ["null", "object"]},
        "owner": {"description": "Identifier of the task's owner", "type": "string"},
        "message": {
            "description": "Human-readable message, given when useful (usually on failure)",
            "type": "string",
        },
        "image_id": {"description": "Image the task works on", "type": "string"},
        "request_id": {"description": "Request id that started the task", "type": "string"},
        "user_id": {"description": "User who started the task", "type": "string"},
        "expires_at": {
            "description": "When the task may be removed",
            "type": ["null", "string"],
        },
        "created_at": {"description": "When the task was created", "type": "string"},
        "updated_at": {"description": "When the task was last modified", "type": "string"},
        "self": {"readOnly": True, "type": "string"},
        "schema": {"readOnly": True, "type": "string"},
    }


def _partial_task() -> _Schema:
    """``tasks._get_partial_task_schema``: list items hide input, result and message."""
    properties = _task_properties()
    for hidden in ("input", "result", "message"):
        del properties[hidden]
    return _Schema("task", properties)


@_copied
def image_schema(disk_formats: Iterable[str], container_formats: Iterable[str]) -> Document:
    """``GET /v2/schemas/image``: the PermissiveSchema ``image``, base + default custom props."""
    return _image(tuple(disk_formats), tuple(container_formats)).raw()


@_copied
def images_schema(disk_formats: Iterable[str], container_formats: Iterable[str]) -> Document:
    """``GET /v2/schemas/images``: CollectionSchema ``images`` of the image schema."""
    return _collection_raw("images", _image(tuple(disk_formats), tuple(container_formats)))


@_copied
def member_schema() -> Document:
    """``GET /v2/schemas/member``: served minimal (no additionalProperties, no links)."""
    return _member().minimal()


@_copied
def members_schema() -> Document:
    return _collection_minimal("members", _member())


@_copied
def task_schema() -> Document:
    """``GET /v2/schemas/task``: served minimal, like the member schema."""
    return _Schema("task", _task_properties()).minimal()


@_copied
def tasks_schema() -> Document:
    return _collection_minimal("tasks", _partial_task())


# --- validation (glance/schema.py Schema.validate) ------------------------------------------


@functools.cache
def _image_validator(
    disk_formats: tuple[str, ...], container_formats: tuple[str, ...]
) -> jsonschema.protocols.Validator:
    schema = _image(disk_formats, container_formats).raw()
    VALIDATOR_CLASS.check_schema(schema)
    return VALIDATOR_CLASS(schema)


def validate_image(
    obj: dict[str, Any], disk_formats: Iterable[str], container_formats: Iterable[str]
) -> None:
    """Validate a create body or a PATCH's partial image against the image schema.

    Raises ``BadRequest`` with ``exception.InvalidObject``'s message. Like
    ``jsonschema.validate`` (which Glance calls), the reported error is ``best_match`` of all
    errors. Glance puts jsonschema's whole multi-line text in the message; we keep its first
    line (the part that names the problem) and leave out the schema dump.
    """
    validator = _image_validator(tuple(disk_formats), tuple(container_formats))
    error = jsonschema_exceptions.best_match(validator.iter_errors(obj))
    if error is not None:
        reason = str(error).splitlines()[0]
        raise BadRequest(f"Provided object does not match schema 'image': {reason}")


@functools.cache
def _task_validator() -> jsonschema.protocols.Validator:
    schema = _Schema("task", _task_properties()).raw()
    VALIDATOR_CLASS.check_schema(schema)
    return VALIDATOR_CLASS(schema)


def validate_task(obj: dict[str, Any]) -> None:
    """``POST /v2/tasks``: the body against the task schema (tasks.RequestDeserializer)."""
    error = jsonschema_exceptions.best_match(_task_validator().iter_errors(obj))
    if error is not None:
        reason = str(error).splitlines()[0]
        raise BadRequest(f"Provided object does not match schema 'task': {reason}")
