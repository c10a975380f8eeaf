"""Glance's JSON-patch dialect (``emulator.image.domain.patch``), case by case.

Expected behaviour comes from ``glance/api/v2/images.py``: ``RequestDeserializer.update``
(media types, operation/path/value parsing, ``_validate_json_pointer``, ``_validate_path``,
``_validate_change``) and ``ImagesController._do_add/_do_replace/_do_remove`` (what each
operation does to the image), with ``glance/domain/__init__.py`` for the attribute setters and
``glance/api/v2/policy.py`` + ``glance/policies/image.py`` for the location policies.
"""

from __future__ import annotations

from typing import Any

import pytest

from emulator.core import errors
from emulator.image.domain import patch
from emulator.image.domain.images import Image

V21 = "application/openstack-images-v2.1-json-patch"
V20 = "application/openstack-images-v2.0-json-patch"
ACCEPT_PATCH = f"{V20}, {V21}"


def make_image(**overrides: Any) -> Image:
    values: dict[str, Any] = {
        "id": "11111111-2222-3333-4444-555555555555",
        "owner": "p1",
        "created_at": "2024-01-01T00:00:00.000000Z",
        "updated_at": "2024-01-01T00:00:00.000000Z",
        "name": "original",
        "extra_properties": {"os_distro": "ubuntu"},
        "tags": ["a"],
    }
    values.update(overrides)
    return Image(**values)


class Recorder:
    """A ``validate`` callback that records the partial images it is asked to check."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, fragment: dict[str, Any]) -> None:
        self.calls.append(fragment)


def parse(body: Any, draft: int = 10) -> list[patch.Change]:
    return patch.parse(body, draft, Recorder())


def bad_request(body: Any, draft: int = 10) -> str:
    with pytest.raises(errors.BadRequest) as caught:
        parse(body, draft)
    return caught.value.message


def apply(
    image: Image,
    body: list[dict[str, Any]],
    *,
    draft: int = 10,
    is_admin: bool = False,
    seen: list[str] | None = None,
) -> None:
    def check_visibility(value: str) -> None:
        if seen is not None:
            seen.append(value)

    patch.apply(
        image,
        parse(body, draft),
        is_admin=is_admin,
        enforce=owner_policy(is_admin),
        check_visibility=check_visibility,
    )


def owner_policy(is_admin: bool):  # noqa: ANN201 - a test double of the policy hook
    """The caller is the image's owner (role member): every image policy passes except the
    admin-only ones (glance/policies/image.py)."""

    def enforce(action: str) -> None:
        if action in ("delete_image_location", "publicize_image") and not is_admin:
            raise errors.Forbidden(f"You are not authorized to complete {action} action.")

    return enforce


# --- media types ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "draft"),
    [(V21, 10), (V20, 4), (f"{V21}; charset=UTF-8", 10), (f"{V20};charset=utf-8", 4)],
)
def test_media_types(content_type: str, draft: int) -> None:
    assert patch.draft_for(content_type) == draft


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "application/json",
        "application/json-patch+json",
        "text/plain",
        "application/openstack-images-v2.2-json-patch",
    ],
)
def test_other_media_types_are_415_with_accept_patch(content_type: str | None) -> None:
    with pytest.raises(errors.UnsupportedMediaType) as caught:
        patch.draft_for(content_type)
    assert caught.value.status == 415
    # images.py: ', '.join(sorted(content_types.keys()))
    assert caught.value.headers == {"Accept-Patch": ACCEPT_PATCH}
    assert patch.ACCEPT_PATCH == ACCEPT_PATCH


# --- body and operation shape ---------------------------------------------------------------


@pytest.mark.parametrize("body", [{}, {"op": "add"}, "x", 3, None])
def test_body_must_be_a_list(body: Any) -> None:
    assert bad_request(body) == "Request body must be a JSON array of operation objects."


@pytest.mark.parametrize("item", ["add", 1, None, ["op"]])
def test_each_operation_must_be_an_object(item: Any) -> None:
    assert bad_request([item]) == "Operations must be JSON objects."


def test_empty_list_is_no_change() -> None:
    assert parse([]) == []


def test_draft10_missing_op() -> None:
    assert bad_request([{"path": "/name", "value": "x"}]) == (
        "Unable to find `op` in JSON Schema change. It must be one of the following: "
        "add, remove, replace."
    )


@pytest.mark.parametrize("op", ["test", "move", "copy", "ADD", ""])
def test_draft10_unsupported_op(op: str) -> None:
    assert bad_request([{"op": op, "path": "/name", "value": "x"}]) == (
        f"Invalid operation: `{op}`. It must be one of the following: add, remove, replace."
    )


def test_draft10_missing_path() -> None:
    assert bad_request([{"op": "replace", "value": "x"}]) == (
        "Unable to find 'path' in JSON Schema change"
    )


@pytest.mark.parametrize("op", ["add", "replace"])
@pytest.mark.parametrize("draft", [10, 4])
def test_value_is_required_for_add_and_replace(op: str, draft: int) -> None:
    raw = {"op": op, "path": "/name"} if draft == 10 else {op: "/name"}
    assert bad_request([raw], draft) == f'Operation "{op}" requires a member named "value".'


def test_remove_needs_no_value() -> None:
    changes = parse([{"op": "remove", "path": "/os_distro"}])
    assert [(c.op, c.path) for c in changes] == [("remove", ("os_distro",))]


def test_draft4_needs_exactly_one_operation_member() -> None:
    assert bad_request([{"value": "x", "path": "/name"}], 4) == (
        'Operation objects must contain exactly one member named "add", "remove", or "replace".'
    )
    assert bad_request([{"add": "/name", "replace": "/name", "value": "x"}], 4) == (
        'Operation objects must contain only one member named "add", "remove", or "replace".'
    )


def test_draft4_and_draft10_parse_to_the_same_change() -> None:
    (d10,) = parse([{"op": "replace", "path": "/name", "value": "n"}], 10)
    (d4,) = parse([{"replace": "/name", "value": "n"}], 4)
    assert (d10.op, d10.path, d10.value, d10.draft) == ("replace", ("name",), "n", 10)
    assert (d4.op, d4.path, d4.value, d4.draft) == ("replace", ("name",), "n", 4)


def test_draft10_ignores_draft4_members() -> None:
    # The v2.1 dialect reads only "op"/"path".
    (change,) = parse([{"op": "add", "path": "/name", "replace": "/x", "value": "n"}])
    assert (change.op, change.path) == ("add", ("name",))


# --- JSON pointers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pointer", "message"),
    [
        ("name", 'Pointer `name` does not start with "/".'),
        ("", 'Pointer `` does not start with "/".'),
        ("/a//b", 'Pointer `/a//b` contains adjacent "/".'),
        ("/a/ /b", 'Pointer `/a/ /b` contains adjacent "/".'),
        ("/name/", 'Pointer `/name/` end with "/".'),
        ("/na~2me", 'Pointer `/na~2me` contains "~" not part of a recognized escape sequence.'),
        ("/name~", 'Pointer `/name~` contains "~" not part of a recognized escape sequence.'),
    ],
)
def test_bad_pointers(pointer: str, message: str) -> None:
    assert bad_request([{"op": "replace", "path": pointer, "value": "x"}]) == message


@pytest.mark.parametrize("pointer", [5, None, ["/name"]])
def test_non_string_pointer_is_a_400(pointer: Any) -> None:
    # Glance answers 500 (AttributeError on .startswith); the project rule is a clear 4xx.
    with pytest.raises(errors.BadRequest):
        parse([{"op": "replace", "path": pointer, "value": "x"}])


@pytest.mark.parametrize(
    ("pointer", "decoded"),
    [
        ("/a~1b", ("a/b",)),
        ("/a~0b", ("a~b",)),
        ("/a~01", ("a~1",)),
        ("/ name ", ("name",)),
        ("/locations/0", ("locations", "0")),
    ],
)
def test_pointer_decoding(pointer: str, decoded: tuple[str, ...]) -> None:
    assert patch.decode_pointer(pointer) == decoded


@pytest.mark.parametrize(
    ("op", "pointer"),
    [
        ("replace", "/name/first"),
        ("add", "/tags/0"),
        ("add", "/tags/-"),
        ("remove", "/os_distro/x"),
        ("add", "/locations"),
        ("remove", "/locations"),
        ("replace", "/locations/0"),
        ("add", "/locations/0/url"),
    ],
)
def test_path_depth(op: str, pointer: str) -> None:
    raw: dict[str, Any] = {"op": op, "path": pointer}
    if op != "remove":
        raw["value"] = "x"
    assert bad_request([raw]) == (f"Invalid JSON pointer for this resource: '{pointer}'")


def test_locations_depths_that_are_allowed() -> None:
    location = {"url": "http://example.com/x", "metadata": {}}
    changes = parse(
        [
            {"op": "add", "path": "/locations/-", "value": location},
            {"op": "remove", "path": "/locations/0"},
            {"op": "replace", "path": "/locations", "value": [location]},
        ]
    )
    assert [c.path for c in changes] == [("locations", "-"), ("locations", "0"), ("locations",)]


# --- read-only and reserved roots -----------------------------------------------------------

READ_ONLY = [
    "created_at",
    "updated_at",
    "status",
    "checksum",
    "size",
    "virtual_size",
    "direct_url",
    "self",
    "file",
    "schema",
    "id",
    "os_hash_algo",
    "os_hash_value",
]


@pytest.mark.parametrize("root", READ_ONLY)
@pytest.mark.parametrize("op", ["add", "replace", "remove"])
def test_read_only_roots(root: str, op: str) -> None:
    raw: dict[str, Any] = {"op": op, "path": f"/{root}"}
    if op != "remove":
        raw["value"] = "x"
    with pytest.raises(errors.Forbidden) as caught:
        parse([raw])
    assert caught.value.message == f"Attribute '{root}' is read-only."


@pytest.mark.parametrize(
    "root", ["location", "deleted", "deleted_at", "os_glance", "os_glance_import_task"]
)
@pytest.mark.parametrize("op", ["add", "replace", "remove"])
def test_reserved_roots(root: str, op: str) -> None:
    raw: dict[str, Any] = {"op": op, "path": f"/{root}"}
    if op != "remove":
        raw["value"] = "x"
    with pytest.raises(errors.Forbidden) as caught:
        parse([raw])
    assert caught.value.message == f"Attribute '{root}' is reserved."


def test_checks_run_in_glances_order() -> None:
    # depth, then value, then read-only (images.py update(): _validate_path, value,
    # _validate_change)
    assert bad_request([{"op": "replace", "path": "/status/x", "value": 1}]).startswith(
        "Invalid JSON pointer"
    )
    assert bad_request([{"op": "replace", "path": "/status"}]) == (
        'Operation "replace" requires a member named "value".'
    )


def test_a_bad_later_operation_refuses_the_whole_body() -> None:
    with pytest.raises(errors.Forbidden):
        parse(
            [
                {"op": "replace", "path": "/name", "value": "x"},
                {"op": "replace", "path": "/status", "value": "active"},
            ]
        )


# --- values are checked against the image schema (partial image) ---------------------------


def test_values_are_validated_as_partial_images() -> None:
    recorder = Recorder()
    location = {"url": "http://example.com/x", "metadata": {}}
    patch.parse(
        [
            {"op": "replace", "path": "/name", "value": "n"},
            {"op": "add", "path": "/os_distro", "value": "u"},
            {"op": "remove", "path": "/os_version"},
            {"op": "add", "path": "/locations/-", "value": location},
            {"op": "replace", "path": "/tags", "value": ["t"]},
        ],
        10,
        recorder,
    )
    assert recorder.calls == [
        {"name": "n"},
        {"os_distro": "u"},
        {"locations": [location]},
        {"tags": ["t"]},
    ]


def test_validation_errors_propagate() -> None:
    def refuse(fragment: dict[str, Any]) -> None:
        raise errors.BadRequest("Provided object does not match schema 'image': nope")

    with pytest.raises(errors.BadRequest) as caught:
        patch.parse([{"op": "replace", "path": "/name", "value": 1}], 10, refuse)
    assert caught.value.message.endswith("nope")


# --- applying: replace ----------------------------------------------------------------------


def test_replace_core_and_custom() -> None:
    image = make_image()
    apply(
        image,
        [
            {"op": "replace", "path": "/name", "value": "new"},
            {"op": "replace", "path": "/os_distro", "value": "debian"},
            {"op": "replace", "path": "/min_ram", "value": 512},
            {"op": "replace", "path": "/protected", "value": True},
        ],
    )
    assert (image.name, image.min_ram, image.protected) == ("new", 512, True)
    assert image.extra_properties == {"os_distro": "debian"}


def test_replace_missing_custom_property_is_409() -> None:
    image = make_image()
    with pytest.raises(errors.Conflict) as caught:
        apply(image, [{"op": "replace", "path": "/nosuch", "value": "x"}])
    assert caught.value.message == "Property nosuch does not exist."
    assert "nosuch" not in image.extra_properties


def test_replace_tags_keeps_a_set() -> None:
    image = make_image()
    apply(image, [{"op": "replace", "path": "/tags", "value": ["x", "y", "x"]}])
    assert sorted(image.tags) == ["x", "y"]


def test_operations_apply_in_order() -> None:
    image = make_image()
    apply(
        image,
        [
            {"op": "replace", "path": "/name", "value": "a"},
            {"op": "replace", "path": "/name", "value": "b"},
            {"op": "add", "path": "/k", "value": "1"},
            {"op": "remove", "path": "/k"},
        ],
    )
    assert image.name == "b"
    assert "k" not in image.extra_properties


# --- applying: add --------------------------------------------------------------------------


def test_add_new_custom_property_both_drafts() -> None:
    image = make_image()
    apply(image, [{"op": "add", "path": "/hw_disk_bus", "value": "scsi"}])
    apply(image, [{"add": "/os_version", "value": "22.04"}], draft=4)
    assert image.extra_properties == {
        "os_distro": "ubuntu",
        "hw_disk_bus": "scsi",
        "os_version": "22.04",
    }


def test_draft10_add_on_existing_property_replaces_it() -> None:
    image = make_image()
    apply(
        image,
        [
            {"op": "add", "path": "/os_distro", "value": "debian"},
            {"op": "add", "path": "/name", "value": "added"},
            {"op": "add", "path": "/visibility", "value": "private"},
        ],
    )
    assert image.extra_properties["os_distro"] == "debian"
    assert (image.name, image.visibility) == ("added", "private")


@pytest.mark.parametrize("root", ["os_distro", "name", "visibility", "tags", "min_disk"])
def test_draft4_add_on_existing_property_is_409(root: str) -> None:
    image = make_image()
    before = (image.name, dict(image.extra_properties), image.visibility)
    value: Any = ["t"] if root == "tags" else (1 if root == "min_disk" else "private")
    with pytest.raises(errors.Conflict) as caught:
        apply(image, [{"add": f"/{root}", "value": value}], draft=4)
    assert caught.value.message == f"Property {root} already present."
    assert (image.name, dict(image.extra_properties), image.visibility) == before


# --- applying: remove -----------------------------------------------------------------------


def test_remove_custom_property() -> None:
    image = make_image()
    apply(image, [{"op": "remove", "path": "/os_distro"}])
    assert image.extra_properties == {}


@pytest.mark.parametrize(
    "root",
    [
        "name",
        "visibility",
        "protected",
        "os_hidden",
        "owner",
        "container_format",
        "disk_format",
        "min_ram",
        "min_disk",
        "tags",
    ],
)
def test_remove_core_property_is_403(root: str) -> None:
    image = make_image()
    with pytest.raises(errors.Forbidden) as caught:
        apply(image, [{"op": "remove", "path": f"/{root}"}])
    assert caught.value.message == f"Property {root} may not be removed."


def test_remove_missing_custom_property_is_409() -> None:
    image = make_image()
    with pytest.raises(errors.Conflict) as caught:
        apply(image, [{"op": "remove", "path": "/nosuch"}])
    assert caught.value.message == "Property nosuch does not exist."


# --- attribute setters (glance/domain/__init__.py) ------------------------------------------


@pytest.mark.parametrize("attribute", ["disk_format", "container_format"])
@pytest.mark.parametrize("status", ["saving", "active", "deactivated", "uploading", "killed"])
@pytest.mark.parametrize("op", ["add", "replace"])
def test_formats_are_frozen_once_data_may_exist(attribute: str, status: str, op: str) -> None:
    image = make_image(status=status, disk_format="raw", container_format="bare")
    value = "qcow2" if attribute == "disk_format" else "ovf"
    with pytest.raises(errors.Forbidden) as caught:
        apply(image, [{"op": op, "path": f"/{attribute}", "value": value}])
    assert caught.value.message == (
        f"Attribute {attribute} can be only replaced for a queued image."
    )
    assert (image.disk_format, image.container_format) == ("raw", "bare")


@pytest.mark.parametrize("status", ["queued", "importing"])
def test_formats_may_change_while_queued_or_importing(status: str) -> None:
    image = make_image(status=status, disk_format="raw", container_format="bare")
    apply(
        image,
        [
            {"op": "replace", "path": "/disk_format", "value": "qcow2"},
            {"op": "replace", "path": "/container_format", "value": "ovf"},
        ],
    )
    assert (image.disk_format, image.container_format) == ("qcow2", "ovf")


@pytest.mark.parametrize("attribute", ["min_ram", "min_disk"])
def test_negative_minimums_are_400(attribute: str) -> None:
    image = make_image()
    with pytest.raises(errors.BadRequest) as caught:
        apply(image, [{"op": "replace", "path": f"/{attribute}", "value": -1}])
    assert caught.value.message == (
        f"Invalid value '-1' for parameter '{attribute}': Cannot be a negative value"
    )
    assert getattr(image, attribute) == 0


# --- owner and visibility -------------------------------------------------------------------


def test_replace_owner_by_non_admin_is_403() -> None:
    image = make_image()
    with pytest.raises(errors.Forbidden) as caught:
        apply(image, [{"op": "replace", "path": "/owner", "value": "p2"}])
    assert caught.value.message == "Owner can't be updated by non admin."
    assert image.owner == "p1"


def test_replace_owner_by_non_admin_is_403_even_to_the_same_value() -> None:
    image = make_image()
    with pytest.raises(errors.Forbidden):
        apply(image, [{"op": "replace", "path": "/owner", "value": "p1"}])


def test_admin_may_replace_owner() -> None:
    image = make_image()
    apply(image, [{"op": "replace", "path": "/owner", "value": "p2"}], is_admin=True)
    assert image.owner == "p2"


def test_add_owner_to_own_project_is_allowed() -> None:
    image = make_image()
    apply(image, [{"op": "add", "path": "/owner", "value": "p1"}])
    assert image.owner == "p1"


def test_add_owner_has_no_admin_check_in_glance() -> None:
    # images.py _do_add has no owner rule (only _do_replace does): with the default policies
    # an owner's "add /owner" goes through. This follows Glance, surprising as it is.
    image = make_image()
    apply(image, [{"op": "add", "path": "/owner", "value": "p2"}])
    assert image.owner == "p2"


def test_visibility_changes_go_through_the_visibility_check() -> None:
    image = make_image()
    seen: list[str] = []
    apply(
        image,
        [
            {"op": "replace", "path": "/visibility", "value": "community"},
            {"op": "add", "path": "/visibility", "value": "private"},
            {"op": "replace", "path": "/name", "value": "n"},
        ],
        seen=seen,
    )
    assert seen == ["community", "private"]
    assert image.visibility == "private"


def test_visibility_refusal_stops_the_change() -> None:
    image = make_image()

    def refuse(value: str) -> None:
        raise errors.Forbidden("You are not authorized to complete publicize_image action.")

    changes = parse([{"op": "replace", "path": "/visibility", "value": "public"}])
    with pytest.raises(errors.Forbidden):
        patch.apply(
            image, changes, is_admin=False, enforce=owner_policy(False), check_visibility=refuse
        )
    assert image.visibility == "shared"


# --- /locations (show_multiple_locations is off by default) ---------------------------------

LOCATION = {"url": "http://example.com/x", "metadata": {}}


def test_replace_locations_with_empty_list_is_403() -> None:
    with pytest.raises(errors.Forbidden) as caught:
        apply(make_image(), [{"op": "replace", "path": "/locations", "value": []}])
    assert caught.value.message == "Cannot set locations to empty list."


@pytest.mark.parametrize("is_admin", [False, True])
def test_replace_locations_is_403_while_locations_are_invisible(is_admin: bool) -> None:
    # set_image_location is ADMIN_OR_PROJECT_MEMBER: the owner passes the policy and reaches
    # _do_replace_locations, which refuses because show_multiple_locations is False.
    with pytest.raises(errors.Forbidden) as caught:
        apply(
            make_image(),
            [{"op": "replace", "path": "/locations", "value": [LOCATION]}],
            is_admin=is_admin,
        )
    assert caught.value.message == (
        "It's not allowed to update locations if locations are invisible."
    )


@pytest.mark.parametrize("is_admin", [False, True])
def test_add_location_is_403_while_locations_are_invisible(is_admin: bool) -> None:
    with pytest.raises(errors.Forbidden) as caught:
        apply(
            make_image(),
            [{"op": "add", "path": "/locations/-", "value": LOCATION}],
            is_admin=is_admin,
        )
    assert caught.value.message == "It's not allowed to add locations if locations are invisible."


def test_remove_location_needs_admin() -> None:
    # delete_image_location is ADMIN only (glance/policies/image.py).
    with pytest.raises(errors.Forbidden) as caught:
        apply(make_image(), [{"op": "remove", "path": "/locations/0"}])
    assert caught.value.message == (
        "You are not authorized to complete delete_image_location action."
    )


def test_remove_location_by_admin_is_403_while_locations_are_invisible() -> None:
    with pytest.raises(errors.Forbidden) as caught:
        apply(make_image(), [{"op": "remove", "path": "/locations/0"}], is_admin=True)
    assert caught.value.message == (
        "It's not allowed to remove locations if locations are invisible."
    )
