"""Request bodies and query strings, validated as Nova validates them.

The schemas restate ``nova/api/openstack/compute/schemas/servers.py`` (create, update,
rebuild, createImage, reboot) and ``nova/api/validation/parameter_types.py`` for the
microversions served; refusals carry ``nova/api/validation/validators.py``'s words:
``Invalid input for field/attribute <name>. Value: <value>. <jsonschema message>``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import ipaddress
import uuid
from typing import Any

import jsonschema

from emulator.compute.domain.microversions import Version
from emulator.core import errors

_FORMATS = jsonschema.FormatChecker(formats=())


class InvalidName(Exception):
    pass


NAME_REASON = (
    "An invalid 'name' value was provided. The name must be: printable characters. "
    "Can not start or end with whitespace."
)


@_FORMATS.checks("name", raises=InvalidName)
def _is_name(value: object) -> bool:
    if not isinstance(value, str):
        raise InvalidName()
    if value and (value[0].isspace() or value[-1].isspace()):
        raise InvalidName()
    if not all(ch.isprintable() or ch == " " for ch in value):
        raise InvalidName()
    return True


@_FORMATS.checks("uuid")
def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@_FORMATS.checks("ipv4")
def _is_ipv4(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


@_FORMATS.checks("ipv6")
def _is_ipv6(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


@_FORMATS.checks("base64")
def _is_base64(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


NAME = {"type": "string", "format": "name", "minLength": 1, "maxLength": 255}
BOOLEAN = {
    "type": ["boolean", "string"],
    "enum": [True, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes",
             False, "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no"],
}  # fmt: skip
POSITIVE_INTEGER = {"type": ["integer", "string"], "pattern": "^[0-9]*$", "minimum": 1,
                    "minLength": 1}  # fmt: skip
METADATA = {
    "type": "object",
    "patternProperties": {"^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string", "maxLength": 255}},
    "additionalProperties": False,
}
DESCRIPTION = {"type": ["string", "null"], "minLength": 0, "maxLength": 255,
               "pattern": r"^[^\x00-\x1f\x7f]*$"}  # fmt: skip
TAG = {"type": "string", "pattern": "^[^,/]*$", "minLength": 1, "maxLength": 60}
IP_ADDRESS = {"type": "string", "oneOf": [{"format": "ipv4"}, {"format": "ipv6"}]}
DISK_CONFIG = {"type": "string", "enum": ["AUTO", "MANUAL"]}
IMAGE_ID = {"type": "string", "format": "uuid"}

_BDM_V2 = {
    "type": "object",
    "properties": {
        "virtual_name": {"type": "string", "maxLength": 255},
        "volume_id": {"type": "string", "format": "uuid"},
        "snapshot_id": IMAGE_ID,
        "volume_size": {
            "type": ["integer", "string"],
            "pattern": "^[0-9]+$",
            "minimum": 1,
            "maximum": 2147483647,
        },  # fmt: skip
        "device_name": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": "^[a-zA-Z0-9._/-]*$",
        },  # fmt: skip
        "delete_on_termination": BOOLEAN,
        "no_device": {},
        "connection_info": {"type": "string", "maxLength": 16777215},
        "source_type": {"type": "string", "enum": ["volume", "image", "snapshot", "blank"]},
        "uuid": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": "^[a-zA-Z0-9._-]*$",
        },  # fmt: skip
        "image_id": IMAGE_ID,
        "destination_type": {"type": "string", "enum": ["local", "volume"]},
        "guest_format": {"type": "string", "maxLength": 255},
        "device_type": {"type": "string", "maxLength": 255},
        "disk_bus": {"type": "string", "maxLength": 255},
        "boot_index": {"type": ["integer", "string", "null"], "pattern": "^-?[0-9]+$"},
    },
    "additionalProperties": False,
}

_NETWORK_ITEM = {
    "type": "object",
    "properties": {
        "fixed_ip": IP_ADDRESS,
        "port": {"type": ["string", "null"], "format": "uuid"},
        "uuid": {"type": "string"},
    },
    "additionalProperties": False,
}

CREATE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "server": {
            "type": "object",
            "properties": {
                "name": NAME,
                "imageRef": {
                    "oneOf": [
                        {"type": "string", "format": "uuid"},
                        {"type": "string", "maxLength": 0},
                    ]
                },  # fmt: skip
                "flavorRef": {"type": ["string", "integer"], "minLength": 1},
                "adminPass": {"type": "string"},
                "metadata": METADATA,
                "networks": {"type": "array", "items": _NETWORK_ITEM},
                "OS-DCF:diskConfig": DISK_CONFIG,
                "accessIPv4": {"type": "string", "format": "ipv4"},
                "accessIPv6": {"type": "string", "format": "ipv6"},
                "personality": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "path": {"type": "string"},
                            "contents": {"type": "string", "format": "base64"},
                        },
                        "additionalProperties": False,
                    },
                },  # fmt: skip
                "availability_zone": NAME,
                "block_device_mapping": {"type": "array"},
                "block_device_mapping_v2": {"type": "array", "items": _BDM_V2},
                "config_drive": BOOLEAN,
                "key_name": NAME,
                "min_count": POSITIVE_INTEGER,
                "max_count": POSITIVE_INTEGER,
                "return_reservation_id": BOOLEAN,
                "security_groups": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"name": NAME},
                        "additionalProperties": False,
                    },  # fmt: skip
                },
                "user_data": {"type": "string", "format": "base64", "maxLength": 65535},
            },
            "required": ["name", "flavorRef"],
            "additionalProperties": False,
        },
        "os:scheduler_hints": {"type": "object", "additionalProperties": True},
        "OS-SCH-HNT:scheduler_hints": {"type": "object", "additionalProperties": True},
    },
    "required": ["server"],
    "additionalProperties": False,
}


def _create_schema(version: Version) -> dict[str, Any]:
    """create -> create_v219 -> v232/v233 -> v237 -> v242 -> v252 -> v257."""
    schema = copy.deepcopy(CREATE)
    server = schema["properties"]["server"]
    props = server["properties"]
    if version.at_least("2.19"):
        props["description"] = DESCRIPTION
    if version.at_least("2.32"):
        props["block_device_mapping_v2"]["items"]["properties"]["tag"] = TAG
        props["networks"]["items"]["properties"]["tag"] = TAG
    if version.at_least("2.37"):
        server["required"].append("networks")
        item: dict[str, Any] = copy.deepcopy(_NETWORK_ITEM)
        item["properties"]["uuid"] = {"type": "string", "format": "uuid"}
        if version.at_least("2.42"):
            item["properties"]["tag"] = TAG
        props["networks"] = {
            "oneOf": [
                {"type": "array", "items": item},
                {"type": "string", "enum": ["none", "auto"]},
            ]  # fmt: skip
        }
    if version.at_least("2.52"):
        props["tags"] = {"type": "array", "items": TAG, "maxItems": 50}
    if version.at_least("2.57"):
        props.pop("personality")
    return schema


def _update_schema(version: Version) -> dict[str, Any]:
    props: dict[str, Any] = {"name": NAME, "OS-DCF:diskConfig": DISK_CONFIG,
                             "accessIPv4": {"type": "string", "format": "ipv4"},
                             "accessIPv6": {"type": "string", "format": "ipv6"}}  # fmt: skip
    if version.at_least("2.19"):
        props["description"] = DESCRIPTION
    return {
        "type": "object",
        "properties": {
            "server": {"type": "object", "properties": props, "additionalProperties": False}
        },  # fmt: skip
        "required": ["server"],
        "additionalProperties": False,
    }


def _rebuild_schema(version: Version) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": NAME, "imageRef": IMAGE_ID, "adminPass": {"type": "string"},
        "metadata": METADATA, "preserve_ephemeral": BOOLEAN, "OS-DCF:diskConfig": DISK_CONFIG,
        "accessIPv4": {"type": "string", "format": "ipv4"},
        "accessIPv6": {"type": "string", "format": "ipv6"},
        "personality": {"type": "array"},
    }  # fmt: skip
    if version.at_least("2.19"):
        props["description"] = DESCRIPTION
    if version.at_least("2.54"):
        props["key_name"] = {"anyOf": [NAME, {"type": "null"}]}
    if version.at_least("2.57"):
        props.pop("personality")
        props["user_data"] = {"type": ["string", "null"], "format": "base64",
                              "maxLength": 65535}  # fmt: skip
    return {
        "type": "object",
        "properties": {
            "rebuild": {
                "type": "object",
                "properties": props,
                "required": ["imageRef"],
                "additionalProperties": False,
            }
        },  # fmt: skip
        "required": ["rebuild"],
        "additionalProperties": False,
    }


CREATE_IMAGE = {
    "type": "object",
    "properties": {
        "createImage": {
            "type": "object",
            "properties": {"name": NAME, "metadata": {"type": "object"}},
            "required": ["name"],
            "additionalProperties": False,
        }
    },
    "required": ["createImage"],
    "additionalProperties": False,
}
REBOOT = {
    "type": "object",
    "properties": {
        "reboot": {
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": ["HARD", "Hard", "hard", "SOFT", "Soft", "soft"]}
            },  # fmt: skip
            "required": ["type"],
            "additionalProperties": False,
        }
    },
    "required": ["reboot"],
    "additionalProperties": False,
}


def validate(schema: dict[str, Any], body: Any) -> None:
    """Nova's ``_SchemaValidator.validate``: the first error, worded as Nova words it."""
    _check(jsonschema.Draft4Validator(schema, format_checker=_FORMATS), body)


@functools.cache
def _versioned(kind: str, version: Version) -> jsonschema.Draft4Validator:
    """Each schema is built once per microversion, not per request."""
    builders = {"create": _create_schema, "update": _update_schema, "rebuild": _rebuild_schema}
    return jsonschema.Draft4Validator(builders[kind](version), format_checker=_FORMATS)


def _check(validator: jsonschema.Draft4Validator, body: Any) -> None:
    # Nova calls ``validator.validate``, which raises the first error found (not the
    # "best match" the module-level ``jsonschema.validate`` picks).
    error = next(iter(validator.iter_errors(body)), None)
    if error is None:
        return
    if isinstance(error.cause, InvalidName):
        raise errors.BadRequest(NAME_REASON)
    if error.path:
        raise errors.BadRequest(
            f"Invalid input for field/attribute {error.path.pop()}. "
            f"Value: {error.instance}. {error.message}"
        )
    raise errors.BadRequest(error.message)


def validate_create(body: Any, version: Version) -> None:
    _check(_versioned("create", version), body)


def validate_update(body: Any, version: Version) -> None:
    _check(_versioned("update", version), body)


def validate_rebuild(body: Any, version: Version) -> None:
    _check(_versioned("rebuild", version), body)
