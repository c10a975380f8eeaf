"""Resource types and their associations with namespaces: glance/api/v2/
metadef_resource_types.py ``ResourceTypeController``."""

from __future__ import annotations

from typing import Any

from emulator.core.unit_of_work import UnitOfWork
from emulator.metadefs.domain import access, messages
from emulator.metadefs.domain.model import Association, ResourceType
from emulator.metadefs.services import validation
from emulator.metadefs.services.lookup import authorize, namespace_for_child
from emulator.metadefs.services.namespaces import association_from, link_resource_type
from emulator.metadefs.store import namespaces as store


def list_resource_types(uow: UnitOfWork) -> list[ResourceType]:
    access.enforce_collection("list_metadef_resource_types", uow.context)
    return store.resource_types(uow.db)


def list_associations(uow: UnitOfWork, namespace: str) -> list[Association]:
    ns = namespace_for_child(uow, namespace)
    authorize(uow, ns, "list_metadef_resource_types")
    assert ns.id is not None
    return store.associations(uow.db, [ns.id])[ns.id]


def associate(uow: UnitOfWork, namespace: str, body: Any) -> Association:
    body = validation.checked("resource_type", body)
    with uow.atomic():
        ns = namespace_for_child(uow, namespace)
        authorize(uow, ns, "add_metadef_resource_type_association")
        assoc = association_from(uow, body)
        link_resource_type(uow, ns, assoc)
    return assoc


def dissociate(uow: UnitOfWork, namespace: str, resource_type: str) -> None:
    """A protected namespace keeps its associations (403); an unknown one is a 404."""
    with uow.atomic():
        ns = namespace_for_child(uow, namespace)
        authorize(uow, ns, "remove_metadef_resource_type_association")
        assert ns.id is not None
        type_id = store.resource_type_id(uow.db, resource_type)
        linked = type_id is not None and any(
            a.name == resource_type for a in store.associations(uow.db, [ns.id])[ns.id]
        )
        if type_id is None or not linked:
            raise messages.association_to_delete_not_found(resource_type)
        if ns.protected:
            raise messages.protected("resource-type-association", resource_type)
        store.dissociate(uow.db, ns.id, type_id)
