"""The image rules in ``emulator.image.domain.images``, checked against Glance's own tables.

Sources (read in Glance's source, HEAD of openstack/glance):
``glance/domain/__init__.py`` (``ImageFactory`` read-only/reserved lists and defaults,
``Image.valid_state_targets``, the ``status``/``deactivate``/``reactivate``/``delete`` rules),
``glance/api/v2/images.py`` ``RequestDeserializer`` (disallowed, read-only, reserved and base
properties, the custom-property key length) and ``glance/quota/__init__.py`` (negative quotas
mean unlimited; ``attempted > maximum`` is refused).
"""

from __future__ import annotations

import itertools

import pytest

from emulator.core import errors
from emulator.image.domain import access
from emulator.image.domain import images as rules
from emulator.image.domain.images import Image

# glance/domain/__init__.py Image.valid_state_targets, copied by hand as the expectation.
GLANCE_TRANSITIONS = {
    "queued": {"saving", "uploading", "importing", "active", "deleted"},
    "saving": {"active", "killed", "deleted", "queued"},
    "uploading": {"importing", "queued", "deleted"},
    "importing": {"active", "deleted", "queued"},
    "active": {"pending_delete", "deleted", "deactivated"},
    "killed": {"deleted"},
    "pending_delete": {"deleted", "active"},
    "deleted": set(),
    "deactivated": {"active", "deleted"},
}
ALL_STATUSES = sorted(GLANCE_TRANSITIONS)

# glance/api/v2/images.py RequestDeserializer
GLANCE_DISALLOWED = {"direct_url", "self", "file", "schema", "stores"}
GLANCE_READ_ONLY = {
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
}
GLANCE_RESERVED = {"location", "deleted", "deleted_at"}
GLANCE_BASE = {
    "checksum",
    "created_at",
    "container_format",
    "disk_format",
    "id",
    "min_disk",
    "min_ram",
    "name",
    "size",
    "virtual_size",
    "status",
    "tags",
    "owner",
    "updated_at",
    "visibility",
    "protected",
    "os_hidden",
}
# glance/domain/__init__.py ImageFactory
GLANCE_FACTORY_READ_ONLY = {
    "created_at",
    "updated_at",
    "status",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "size",
    "virtual_size",
}
GLANCE_FACTORY_RESERVED = {
    "owner",
    "locations",
    "deleted",
    "deleted_at",
    "direct_url",
    "self",
    "file",
    "schema",
}


def make_image(**overrides: object) -> Image:
    values: dict[str, object] = {
        "id": "11111111-2222-3333-4444-555555555555",
        "owner": "p1",
        "created_at": "2024-01-01T00:00:00.000000Z",
        "updated_at": "2024-01-01T00:00:00.000000Z",
    }
    values.update(overrides)
    return Image(**values)  # type: ignore[arg-type]


# --- the tables themselves -------------------------------------------------------------------


def test_transition_table_is_glances() -> None:
    assert {k: set(v) for k, v in rules.TRANSITIONS.items()} == GLANCE_TRANSITIONS
    assert set(rules.STATUSES) == set(GLANCE_TRANSITIONS)


def test_attribute_classes_are_glances() -> None:
    assert set(rules.DISALLOWED_ON_CREATE) == GLANCE_DISALLOWED
    assert set(rules.READ_ONLY) == GLANCE_READ_ONLY
    assert set(rules.RESERVED) == GLANCE_RESERVED
    assert rules.RESERVED_PREFIX == "os_glance"
    assert set(rules.CREATE_BASE_KEYS) == GLANCE_BASE
    assert set(rules.FACTORY_READ_ONLY) == GLANCE_FACTORY_READ_ONLY
    assert set(rules.FACTORY_RESERVED_EXTRA) == GLANCE_FACTORY_RESERVED
    assert set(rules.VISIBILITIES) == {"community", "public", "private", "shared"}
    assert rules.MAX_PROPERTY_KEY_LENGTH == 255


def test_new_image_defaults_are_glances() -> None:
    # glance/domain/__init__.py ImageFactory.new_image
    image = make_image()
    assert image.status == "queued"
    assert image.visibility == "shared" == rules.DEFAULT_VISIBILITY
    assert (image.min_disk, image.min_ram) == (0, 0)
    assert image.protected is False
    assert image.os_hidden is False
    assert image.tags == [] and image.extra_properties == {}
    assert image.size is None and image.virtual_size is None and image.checksum is None


@pytest.mark.parametrize(
    ("key", "reserved"),
    [
        ("location", True),
        ("deleted", True),
        ("deleted_at", True),
        ("os_glance", True),
        ("os_glance_import_task", True),
        ("os_glancefoo", True),
        ("locations", False),
        ("os_distro", False),
        ("Os_glance_x", False),
        ("x_os_glance", False),
    ],
)
def test_is_reserved(key: str, reserved: bool) -> None:
    assert rules.is_reserved(key) is reserved


# --- status transitions ----------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), list(itertools.product(ALL_STATUSES, ALL_STATUSES)))
def test_set_status_follows_the_table(source: str, target: str) -> None:
    image = make_image(
        status=source, disk_format="raw", container_format="bare", size=5, virtual_size=5
    )
    if target in GLANCE_TRANSITIONS[source]:
        rules.set_status(image, target)
        assert image.status == target
    else:
        with pytest.raises(errors.Conflict) as caught:
            rules.set_status(image, target)
        # glance/common/exception.py InvalidImageStatusTransition
        assert caught.value.message == (
            f"Image status transition from {source} to {target} is not allowed"
        )
        assert image.status == source


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (source, target)
        for source in ("queued", "uploading")
        for target in ("saving", "active", "importing")
        if target in GLANCE_TRANSITIONS[source]
    ],
)
@pytest.mark.parametrize(
    ("formats", "message"),
    [
        ({}, "Properties disk_format, container_format must be set prior to saving data."),
        ({"disk_format": "raw"}, "Property container_format must be set prior to saving data."),
        ({"container_format": "bare"}, "Property disk_format must be set prior to saving data."),
    ],
)
def test_leaving_queued_or_uploading_needs_both_formats(
    source: str, target: str, formats: dict[str, str], message: str
) -> None:
    image = make_image(status=source, **formats)
    with pytest.raises(errors.BadRequest) as caught:
        rules.set_status(image, target)
    assert caught.value.message == message
    assert image.status == source


def test_formats_are_not_needed_for_other_targets() -> None:
    image = make_image(status="queued")
    rules.set_status(image, "deleted")
    assert image.status == "deleted"


@pytest.mark.parametrize("source", ["saving", "uploading", "importing"])
def test_moving_back_to_queued_clears_sizes(source: str) -> None:
    image = make_image(status=source, size=10, virtual_size=20)
    rules.set_status(image, "queued")
    assert (image.status, image.size, image.virtual_size) == ("queued", None, None)


def test_other_moves_keep_sizes() -> None:
    image = make_image(
        status="saving", size=10, virtual_size=20, disk_format="raw", container_format="bare"
    )
    rules.set_status(image, "active")
    assert (image.size, image.virtual_size) == (10, 20)


# --- deactivate / reactivate / delete --------------------------------------------------------


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_deactivate(status: str) -> None:
    image = make_image(status=status)
    if status == "active":
        assert rules.deactivate(image) is True
        assert image.status == "deactivated"
    elif status == "deactivated":
        assert rules.deactivate(image) is False  # a no-op, no error
        assert image.status == "deactivated"
    else:
        with pytest.raises(errors.Forbidden) as caught:
            rules.deactivate(image)
        assert caught.value.message == f"Not allowed to deactivate image in status '{status}'"
        assert image.status == status


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_reactivate(status: str) -> None:
    image = make_image(status=status)
    if status == "deactivated":
        assert rules.reactivate(image) is True
        assert image.status == "active"
    elif status == "active":
        assert rules.reactivate(image) is False
        assert image.status == "active"
    else:
        with pytest.raises(errors.Forbidden) as caught:
            rules.reactivate(image)
        assert caught.value.message == f"Not allowed to reactivate image in status '{status}'"
        assert image.status == status


def test_protected_image_cannot_be_deleted() -> None:
    image = make_image(protected=True)
    with pytest.raises(errors.Forbidden) as caught:
        rules.check_deletable(image)
    # glance/common/exception.py ProtectedImageDelete
    assert caught.value.message == f"Image {image.id} is protected and cannot be deleted."


def test_unprotected_image_can_be_deleted() -> None:
    rules.check_deletable(make_image(protected=False))


# --- create body ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(GLANCE_DISALLOWED))
def test_disallowed_keys_on_create(key: str) -> None:
    with pytest.raises(errors.Forbidden) as caught:
        rules.check_create_keys({"name": "x", key: "anything"})
    assert caught.value.message == f"Attribute '{key}' is read-only."


def test_allowed_create_body_passes_the_first_check() -> None:
    rules.check_create_keys({"name": "x", "os_distro": "ubuntu", "locations": []})


def test_split_create_body_separates_base_and_extra_in_order() -> None:
    body = {
        "zeta": "1",
        "name": "n",
        "alpha": "2",
        "tags": ["t"],
        "visibility": "private",
        "os_hash_algo": "x",
    }
    base, extras = rules.split_create_body(body)
    assert base == {"name": "n", "tags": ["t"], "visibility": "private"}
    # os_hash_algo is not one of the deserializer's base keys: Glance keeps it as an extra.
    assert list(extras) == ["zeta", "alpha", "os_hash_algo"]


@pytest.mark.parametrize("key", sorted(GLANCE_FACTORY_READ_ONLY & GLANCE_BASE))
def test_read_only_base_keys_on_create(key: str) -> None:
    with pytest.raises(errors.Forbidden) as caught:
        rules.split_create_body({key: None})
    assert caught.value.message == f"Attribute '{key}' is read-only."


@pytest.mark.parametrize(
    "key", ["location", "deleted", "deleted_at", "os_glance", "os_glance_stage_host", "locations"]
)
def test_reserved_extra_keys_on_create(key: str) -> None:
    with pytest.raises(errors.Forbidden) as caught:
        rules.split_create_body({"name": "x", key: "v"})
    assert caught.value.message == f"Attribute '{key}' is reserved."


def test_custom_property_key_length() -> None:
    rules.split_create_body({"k" * 255: "v"})
    with pytest.raises(errors.BadRequest) as caught:
        rules.split_create_body({"k" * 256: "v"})
    assert caught.value.message == "Custom property should not be greater than 255 characters."


def test_key_length_is_checked_before_reserved_names() -> None:
    # images.py checks the length first, then the reserved names, key by key.
    with pytest.raises(errors.BadRequest):
        rules.split_create_body({"os_glance" + "x" * 300: "v"})


# --- quotas ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "quota", "refused"),
    [(0, 0, False), (1, 0, True), (3, 3, False), (4, 3, True), (500, -1, False)],
)
def test_property_quota(count: int, quota: int, refused: bool) -> None:
    image = make_image(extra_properties={f"k{i}": "v" for i in range(count)})
    if refused:
        with pytest.raises(errors.RequestEntityTooLarge) as caught:
            rules.check_quotas(image, quota, 128)
        assert caught.value.message == (
            "The limit has been exceeded on the number of allowed image properties. "
            f"Attempted: {count}, Maximum: {quota}"
        )
    else:
        rules.check_quotas(image, quota, 128)


@pytest.mark.parametrize(
    ("count", "quota", "refused"),
    [(0, 0, False), (1, 0, True), (2, 2, False), (3, 2, True), (500, -1, False)],
)
def test_tag_quota(count: int, quota: int, refused: bool) -> None:
    image = make_image(tags=[f"t{i}" for i in range(count)])
    if refused:
        with pytest.raises(errors.RequestEntityTooLarge) as caught:
            rules.check_quotas(image, 128, quota)
        assert caught.value.message == (
            "The limit has been exceeded on the number of allowed image tags. "
            f"Attempted: {count}, Maximum: {quota}"
        )
    else:
        rules.check_quotas(image, 128, quota)


def test_unify_tags_drops_duplicates_keeping_first_seen_order() -> None:
    assert rules.unify_tags(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]


def test_not_found_and_policy_messages() -> None:
    assert access.hidden("abc").message == "No image found with ID abc"
    assert access.hidden("abc").status == 404
    refusal = access.policy_refusal("add_image")
    assert refusal.status == 403
    assert refusal.message == "You are not authorized to complete add_image action."
