"""The served JSON-schema documents have Glance's structure, and validate_image behaves like
``glance.schema.Schema.validate`` on the image schema."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from emulator.core.config import Config
from emulator.core.errors import BadRequest
from emulator.image.documents import image_schemas as glance_json
from emulator.image.documents import metadef_schemas as metadef_json

DISK = Config().disk_formats
CONTAINER = Config().container_formats
UUID_PATTERN = (
    "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
)

# glance/api/v2/images.py get_base_properties, in Glance's order.
IMAGE_BASE_PROPERTIES = [
    "id", "name", "status", "visibility", "protected", "os_hidden", "checksum",
    "os_hash_algo", "os_hash_value", "owner", "size", "virtual_size", "container_format",
    "disk_format", "created_at", "updated_at", "tags", "direct_url", "min_ram", "min_disk",
    "self", "file", "stores", "schema", "locations",
]  # fmt: skip
# etc/schema-image.json, in file order.
IMAGE_CUSTOM_PROPERTIES = [
    "kernel_id", "ramdisk_id", "instance_uuid", "architecture", "os_distro", "os_version",
    "description", "cinder_encryption_key_id", "cinder_encryption_key_deletion_policy",
]  # fmt: skip
IMAGE_READ_ONLY = {
    "status", "checksum", "os_hash_algo", "os_hash_value", "size", "virtual_size",
    "created_at", "updated_at", "direct_url", "self", "file", "stores", "schema",
}  # fmt: skip
IMAGE_LINKS = [
    {"rel": "self", "href": "{self}"},
    {"rel": "enclosure", "href": "{file}"},
    {"rel": "describedby", "href": "{schema}"},
]
PAGE_LINKS = [
    {"rel": "first", "href": "{first}"},
    {"rel": "next", "href": "{next}"},
    {"rel": "describedby", "href": "{schema}"},
]
MEMBER_PROPERTIES = ["member_id", "image_id", "created_at", "updated_at", "status", "schema"]
TASK_PROPERTIES = [
    "id", "type", "status", "input", "result", "owner", "message", "image_id", "request_id",
    "user_id", "expires_at", "created_at", "updated_at", "self", "schema",
]  # fmt: skip
METADEF_PROPERTY_KEYS = [
    "name", "title", "description", "operators", "type", "required", "minimum", "maximum",
    "maxLength", "minLength", "pattern", "enum", "readonly", "default", "items", "maxItems",
    "minItems", "uniqueItems", "additionalItems",
]  # fmt: skip


@pytest.fixture(scope="module")
def image() -> dict[str, Any]:
    return glance_json.image_schema(DISK, CONTAINER)


# --- image ------------------------------------------------------------------------------------


def test_image_schema_top_level(image: dict[str, Any]) -> None:
    assert list(image) == ["name", "properties", "additionalProperties", "links"]
    assert image["name"] == "image"
    assert image["additionalProperties"] == {"type": "string"}
    assert image["links"] == IMAGE_LINKS


def test_image_schema_properties_base_then_custom(image: dict[str, Any]) -> None:
    assert list(image["properties"]) == IMAGE_BASE_PROPERTIES + IMAGE_CUSTOM_PROPERTIES


def test_image_schema_read_only_flags(image: dict[str, Any]) -> None:
    flagged = {k for k, v in image["properties"].items() if v.get("readOnly")}
    assert flagged == IMAGE_READ_ONLY


def test_image_custom_properties_are_flagged_not_base(image: dict[str, Any]) -> None:
    props = image["properties"]
    assert all(props[k]["is_base"] is False for k in IMAGE_CUSTOM_PROPERTIES)
    assert not any("is_base" in props[k] for k in IMAGE_BASE_PROPERTIES)


@pytest.mark.parametrize(
    ("prop", "expected"),
    [
        ("id", {"type": "string", "pattern": UUID_PATTERN}),
        ("name", {"type": ["null", "string"], "maxLength": 255}),
        ("owner", {"type": ["null", "string"], "maxLength": 255}),
        ("checksum", {"type": ["null", "string"], "maxLength": 32, "readOnly": True}),
        ("os_hash_algo", {"type": ["null", "string"], "maxLength": 64, "readOnly": True}),
        ("os_hash_value", {"type": ["null", "string"], "maxLength": 128, "readOnly": True}),
        ("size", {"type": ["null", "integer"], "readOnly": True}),
        ("virtual_size", {"type": ["null", "integer"], "readOnly": True}),
        ("protected", {"type": "boolean"}),
        ("os_hidden", {"type": "boolean"}),
        ("min_ram", {"type": "integer"}),
        ("min_disk", {"type": "integer"}),
        ("created_at", {"type": "string", "readOnly": True}),
        ("stores", {"type": "string", "readOnly": True}),
        ("tags", {"type": "array", "items": {"type": "string", "maxLength": 255}}),
        (
            "visibility",
            {"type": "string", "enum": ["community", "public", "private", "shared"]},
        ),
        (
            "status",
            {
                "type": "string",
                "readOnly": True,
                "enum": [
                    "queued", "saving", "active", "killed", "deleted", "uploading",
                    "importing", "pending_delete", "deactivated",
                ],
            },
        ),
        ("disk_format", {"type": ["null", "string"], "enum": [None, *DISK]}),
        ("container_format", {"type": ["null", "string"], "enum": [None, *CONTAINER]}),
        ("kernel_id", {"type": ["null", "string"], "pattern": UUID_PATTERN, "is_base": False}),
        ("ramdisk_id", {"type": ["null", "string"], "pattern": UUID_PATTERN, "is_base": False}),
        ("os_distro", {"type": "string", "is_base": False}),
        (
            "cinder_encryption_key_deletion_policy",
            {"type": "string", "enum": ["on_image_deletion", "do_not_delete"], "is_base": False},
        ),
    ],
)  # fmt: skip
def test_image_property_structure(image: dict[str, Any], prop: str, expected: dict) -> None:
    spec = {k: v for k, v in image["properties"][prop].items() if k != "description"}
    assert spec == expected
    assert isinstance(image["properties"][prop]["description"], str)


def test_image_locations_structure(image: dict[str, Any]) -> None:
    locations = image["properties"]["locations"]
    assert locations["type"] == "array"
    item = locations["items"]
    assert item["type"] == "object"
    assert item["required"] == ["url", "metadata"]
    assert item["properties"]["url"] == {"type": "string", "maxLength": 255}
    assert item["properties"]["metadata"] == {"type": "object"}
    validation = item["properties"]["validation_data"]
    assert validation["writeOnly"] is True
    assert validation["additionalProperties"] is False
    assert validation["required"] == ["os_hash_algo", "os_hash_value"]
    assert list(validation["properties"]) == ["checksum", "os_hash_algo", "os_hash_value"]


def test_image_schema_follows_configured_formats() -> None:
    schema = glance_json.image_schema(["raw", "qcow2"], ("bare",))
    assert schema["properties"]["disk_format"]["enum"] == [None, "raw", "qcow2"]
    assert schema["properties"]["container_format"]["enum"] == [None, "bare"]


def test_documents_are_copies() -> None:
    first = glance_json.image_schema(DISK, CONTAINER)
    first["properties"].clear()
    glance_json.member_schema()["properties"].clear()
    assert glance_json.image_schema(DISK, CONTAINER)["properties"]
    assert glance_json.member_schema()["properties"]


def test_images_collection_schema(image: dict[str, Any]) -> None:
    images = glance_json.images_schema(DISK, CONTAINER)
    assert list(images) == ["name", "properties", "links"]
    assert images["name"] == "images"
    assert images["properties"] == {
        "images": {"type": "array", "items": image},
        "first": {"type": "string"},
        "next": {"type": "string"},
        "schema": {"type": "string"},
    }
    assert images["links"] == PAGE_LINKS


# --- members and tasks (served minimal) -------------------------------------------------------


def test_member_schema_is_minimal() -> None:
    member = glance_json.member_schema()
    assert list(member) == ["name", "properties"]
    assert member["name"] == "member"
    assert list(member["properties"]) == MEMBER_PROPERTIES
    assert member["properties"]["status"]["enum"] == ["pending", "accepted", "rejected"]
    assert member["properties"]["image_id"]["pattern"] == UUID_PATTERN
    assert member["properties"]["schema"] == {"readOnly": True, "type": "string"}


def test_members_collection_schema() -> None:
    members = glance_json.members_schema()
    assert members == {
        "name": "members",
        "properties": {
            "members": {"type": "array", "items": glance_json.member_schema()},
            "schema": {"type": "string"},
        },
        "links": [{"rel": "describedby", "href": "{schema}"}],
    }


def test_task_schema_is_minimal() -> None:
    task = glance_json.task_schema()
    assert list(task) == ["name", "properties"]
    assert task["name"] == "task"
    assert list(task["properties"]) == TASK_PROPERTIES
    props = task["properties"]
    assert props["type"]["enum"] == ["import", "api_image_import", "location_import"]
    assert props["status"]["enum"] == ["pending", "processing", "success", "failure"]
    assert props["input"]["type"] == props["result"]["type"] == ["null", "object"]
    assert props["expires_at"]["type"] == ["null", "string"]
    assert props["id"]["pattern"] == UUID_PATTERN


def test_tasks_collection_hides_input_result_message() -> None:
    tasks = glance_json.tasks_schema()
    assert list(tasks) == ["name", "properties", "links"]
    assert list(tasks["properties"]) == ["tasks", "schema"]
    item = tasks["properties"]["tasks"]["items"]
    assert item["name"] == "task"
    assert list(item["properties"]) == [
        p for p in TASK_PROPERTIES if p not in ("input", "result", "message")
    ]
    assert tasks["links"] == [{"rel": "describedby", "href": "{schema}"}]


# --- metadefs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "name", "properties", "required", "definitions"),
    [
        (
            "namespace",
            "namespace",
            [
                "namespace", "display_name", "description", "visibility", "protected",
                "owner", "created_at", "updated_at", "schema", "self",
                "resource_type_associations", "properties", "objects", "tags",
            ],
            ["namespace"],
            ["positiveInteger", "positiveIntegerDefault0", "stringArray", "property"],
        ),
        (
            "resource_type",
            "resource_type_association",
            ["name", "prefix", "properties_target", "created_at", "updated_at"],
            ["name"],
            None,
        ),
        (
            "property",
            "property",
            METADEF_PROPERTY_KEYS,
            ["type", "title", "name"],
            ["positiveInteger", "positiveIntegerDefault0", "stringArray"],
        ),
        (
            "object",
            "object",
            [
                "name", "description", "required", "properties", "schema", "self",
                "created_at", "updated_at",
            ],
            ["name"],
            ["positiveInteger", "positiveIntegerDefault0", "stringArray", "property"],
        ),
        ("tag", "tag", ["name", "created_at", "updated_at"], ["name"], None),
    ],
)  # fmt: skip
def test_metadef_item_schemas(
    url_name: str, name: str, properties: list, required: list, definitions: list | None
) -> None:
    schema = metadef_json.METADEF_SCHEMAS[url_name]()
    assert schema["name"] == name
    assert list(schema["properties"]) == properties
    assert schema["additionalProperties"] is False
    assert schema["required"] == required
    assert "links" not in schema
    if definitions is None:
        assert "definitions" not in schema
    else:
        assert list(schema["definitions"]) == definitions


@pytest.mark.parametrize(
    ("url_name", "item_url_name", "collection"),
    [
        ("namespaces", "namespace", "namespaces"),
        ("resource_types", "resource_type", "resource_type_associations"),
        ("objects", "object", "objects"),
        ("tags", "tag", "tags"),
    ],
)
def test_metadef_collection_schemas(url_name: str, item_url_name: str, collection: str) -> None:
    schema = metadef_json.METADEF_SCHEMAS[url_name]()
    item = metadef_json.METADEF_SCHEMAS[item_url_name]()
    definitions = item.pop("definitions", None)
    assert schema["name"] == collection
    assert list(schema["properties"]) == [collection, "first", "next", "schema"]
    # CollectionSchema.raw moves the item's definitions to the top level.
    assert schema["properties"][collection] == {"type": "array", "items": item}
    assert schema["links"] == PAGE_LINKS
    assert schema.get("definitions") == definitions


def test_metadef_properties_is_a_dict_collection_without_required_name() -> None:
    schema = metadef_json.METADEF_SCHEMAS["properties"]()
    assert schema["name"] == "properties"
    container = schema["properties"]["properties"]
    assert container["type"] == "object"
    assert container["additionalProperties"]["required"] == ["type", "title"]
    assert list(schema["definitions"]) == [
        "positiveInteger",
        "positiveIntegerDefault0",
        "stringArray",
    ]
    assert schema["definitions"]["stringArray"]["minItems"] == 1


def test_metadef_namespace_property_definition() -> None:
    definitions = metadef_json.metadef_namespace_schema()["definitions"]
    assert "minItems" not in definitions["stringArray"]
    property_item = definitions["property"]["additionalProperties"]
    assert property_item["required"] == ["title", "type"]
    assert list(property_item["properties"]) == METADEF_PROPERTY_KEYS
    assert property_item["properties"]["type"]["enum"] == [
        "array", "boolean", "integer", "number", "object", "string", None,
    ]  # fmt: skip


def test_metadef_schema_names_match_glance_routes() -> None:
    assert sorted(metadef_json.METADEF_SCHEMAS) == sorted(
        ["namespace", "namespaces", "resource_type", "resource_types", "property",
         "properties", "object", "objects", "tag", "tags"]
    )  # fmt: skip


# --- validate_image ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "obj",
    [
        {},
        {
            "id": str(uuid.uuid4()),
            "name": "cirros",
            "visibility": "shared",
            "protected": False,
            "os_hidden": True,
            "disk_format": "qcow2",
            "container_format": "bare",
            "min_ram": 0,
            "min_disk": 1,
            "tags": ["a", "b" * 255],
            "owner": "p1",
        },
        {"name": None, "disk_format": None, "container_format": None, "owner": None},
        {"name": "x" * 255},
        {"hw_disk_bus": "scsi", "description": "free text", "os_distro": "ubuntu"},
        {"kernel_id": None, "ramdisk_id": str(uuid.uuid4()).upper()},
        {"cinder_encryption_key_deletion_policy": "do_not_delete"},
        # Glance's jsonschema.validate uses the newest draft, where 1.0 is an integer.
        {"min_ram": 1.0},
    ],
)
def test_validate_image_accepts(obj: dict[str, Any]) -> None:
    glance_json.validate_image(obj, DISK, CONTAINER)


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        (
            {"visibility": "everyone"},
            "'everyone' is not one of ['community', 'public', 'private', 'shared']",
        ),
        ({"name": "x" * 256}, f"'{'x' * 256}' is too long"),
        ({"hw_disk_bus": 1}, "1 is not of type 'string'"),
        ({"hw_disk_bus": None}, "None is not of type 'string'"),
        ({"id": "not-a-uuid"}, f"'not-a-uuid' does not match '{UUID_PATTERN}'"),
        ({"tags": ["ok", "t" * 256]}, f"'{'t' * 256}' is too long"),
        ({"tags": "solo"}, "'solo' is not of type 'array'"),
        ({"min_ram": "1"}, "'1' is not of type 'integer'"),
        ({"protected": "yes"}, "'yes' is not of type 'boolean'"),
        ({"disk_format": "zip"}, f"'zip' is not one of {[None, *DISK]}"),
        ({"kernel_id": "nope"}, f"'nope' does not match '{UUID_PATTERN}'"),
    ],
)
def test_validate_image_rejects(obj: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadRequest) as caught:
        glance_json.validate_image(obj, DISK, CONTAINER)
    assert caught.value.status == 400
    assert caught.value.message == f"Provided object does not match schema 'image': {reason}"
    assert "\n" not in caught.value.message


def test_validate_image_uses_the_given_formats() -> None:
    glance_json.validate_image({"disk_format": "raw"}, ("raw",), ("bare",))
    with pytest.raises(BadRequest, match="'qcow2' is not one of \\[None, 'raw'\\]"):
        glance_json.validate_image({"disk_format": "qcow2"}, ("raw",), ("bare",))
