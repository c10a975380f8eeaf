"""Glance's words for metadef failures (glance/common/exception.py ``Metadef*``,
glance/api/v2/metadef_*.py). Pure."""

from __future__ import annotations

from emulator.core import errors


def namespace_hidden(name: str) -> errors.NotFound:
    """What every child route says for a namespace that is missing or not visible."""
    return errors.NotFound(f"Namespace {name} not found")


def namespace_not_found(name: str) -> errors.NotFound:
    return errors.NotFound(f"Metadata definition namespace={name} was not found.")


def duplicate_namespace(name: str) -> errors.Conflict:
    return errors.Conflict(f"The metadata definition namespace={name} already exists.")


def duplicate_namespace_rename(name: str) -> errors.Conflict:
    return errors.Conflict(
        "Invalid update. It would result in a duplicate metadata definition namespace "
        f"with the same name of {name}"
    )


def protected(kind: str, name: str) -> errors.Forbidden:
    """``ProtectedMetadef*Delete``: ``kind`` is namespace, object, property, tag or
    resource-type-association."""
    return errors.Forbidden(
        f"Metadata definition {kind} {name} is protected and cannot be deleted."
    )


def duplicate_object(name: str, namespace: str) -> errors.Conflict:
    return errors.Conflict(
        f"A metadata definition object with name={name} already exists in namespace={namespace}."
    )


def object_not_found(name: str, namespace: str) -> errors.NotFound:
    return errors.NotFound(
        f"The metadata definition object with name={name} was not found in namespace={namespace}."
    )


def duplicate_property(name: str, namespace: str) -> errors.Conflict:
    return errors.Conflict(
        f"A metadata definition property with name={name} already exists in namespace={namespace}."
    )


def property_not_found(name: str, namespace: str) -> errors.NotFound:
    return errors.NotFound(
        f"The metadata definition property with name={name} was not found in namespace={namespace}."
    )


def duplicate_tag(name: str, namespace: str) -> errors.Conflict:
    return errors.Conflict(
        f"A metadata tag with name={name} already exists in namespace={namespace}. "
        "(Please note that metadata tag names are case insensitive)."
    )


def tag_not_found(name: str, namespace: str) -> errors.NotFound:
    return errors.NotFound(
        f"The metadata definition tag with name={name} was not found in namespace={namespace}."
    )


def duplicate_association(resource_type: str, namespace: str) -> errors.Conflict:
    return errors.Conflict(
        "The metadata definition resource-type association of "
        f"resource-type={resource_type} to namespace={namespace} already exists."
    )


def association_not_found(resource_type: str, namespace: str) -> errors.NotFound:
    return errors.NotFound(
        "The metadata definition resource-type association of "
        f"resource-type={resource_type} to namespace={namespace}, was not found."
    )


def resource_type_not_found(name: str) -> errors.NotFound:
    return errors.NotFound(
        f"The metadata definition resource-type with name={name}, was not found."
    )


def association_to_delete_not_found(resource_type: str) -> errors.NotFound:
    return errors.NotFound(f"Failed to find resource type {resource_type} to delete")


def prefix_mismatch(name: str, prefix: str | None) -> errors.NotFound:
    return errors.NotFound(
        f"Property {name} does not start with the expected resource type association "
        f"prefix of '{prefix}'."
    )


def read_only(key: str) -> errors.Forbidden:
    return errors.Forbidden(f"Attribute '{key}' is read-only.")
