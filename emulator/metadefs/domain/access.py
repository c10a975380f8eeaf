"""Who may see and change metadefs, as data (glance/policies/metadef.py, new defaults;
glance/db/sqlalchemy/metadef_api/namespace.py ``_is_namespace_visible``;
glance/api/v2/policy.py ``MetadefAPIPolicy``). Pure."""

from __future__ import annotations

from emulator.core import errors
from emulator.core.context import RequestContext

#: Rules by name: ``admin`` is ``rule:metadef_admin`` (role admin); ``project_reader`` is
#: ``role:reader and project_id:%(project_id)s``; ``reader_or_public`` adds
#: ``or visibility:public`` (``ADMIN_OR_PROJECT_READER_GET_NAMESPACE``). Admin passes all.
POLICIES: dict[str, str] = {
    "get_metadef_namespaces": "project_reader",
    "get_metadef_namespace": "reader_or_public",
    "add_metadef_namespace": "admin",
    "modify_metadef_namespace": "admin",
    "delete_metadef_namespace": "admin",
    "get_metadef_objects": "reader_or_public",
    "get_metadef_object": "reader_or_public",
    "add_metadef_object": "admin",
    "modify_metadef_object": "admin",
    "delete_metadef_object": "admin",
    "list_metadef_resource_types": "reader_or_public",
    "get_metadef_resource_type": "reader_or_public",
    "add_metadef_resource_type_association": "admin",
    "remove_metadef_resource_type_association": "admin",
    "get_metadef_properties": "reader_or_public",
    "get_metadef_property": "reader_or_public",
    "add_metadef_property": "admin",
    "modify_metadef_property": "admin",
    "remove_metadef_property": "admin",
    "get_metadef_tags": "reader_or_public",
    "get_metadef_tag": "reader_or_public",
    "add_metadef_tag": "admin",
    "add_metadef_tags": "admin",
    "modify_metadef_tag": "admin",
    "delete_metadef_tag": "admin",
    "delete_metadef_tags": "admin",
}


def is_allowed(
    action: str, context: RequestContext, owner: str | None, visibility: str | None
) -> bool:
    """``action``'s rule on a target whose ``project_id`` is ``owner`` (the namespace's, or
    the caller's own for collection checks) and whose visibility is ``visibility``."""
    if context.is_admin:
        return True
    rule = POLICIES[action]
    if rule == "admin":
        return False
    if "reader" not in context.roles:
        return False
    own = owner is not None and owner == context.project_id
    if rule == "project_reader":
        return own
    return own or visibility == "public"


def enforce(
    action: str, context: RequestContext, owner: str | None, visibility: str | None
) -> None:
    """``MetadefAPIPolicy._enforce``: a refusal is a 404 (default text) when the caller may
    not even see the target, else the policy's 403."""
    if is_allowed(action, context, owner, visibility):
        return
    if action == "get_metadef_namespace" or not is_allowed(
        "get_metadef_namespace", context, owner, visibility
    ):
        raise errors.NotFound()
    raise errors.Forbidden(f"You are not authorized to complete {action} action.")


def enforce_collection(action: str, context: RequestContext) -> None:
    """A check with no namespace: the target's project is the caller's own."""
    enforce(action, context, context.project_id, None)


def can_see(context: RequestContext, owner: str | None, visibility: str) -> bool:
    """The DB layer's ``_is_namespace_visible``: admin, owner-less, public, or own."""
    if context.is_admin or owner is None or visibility == "public":
        return True
    return context.project_id is not None and context.project_id == owner
