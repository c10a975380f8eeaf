"""Finding a namespace the way each Glance route does, and checking its policies."""

from __future__ import annotations

from emulator.core import errors
from emulator.core.unit_of_work import UnitOfWork
from emulator.metadefs.domain import access, messages
from emulator.metadefs.domain.model import Namespace
from emulator.metadefs.store import namespaces as store


def namespace_for_child(uow: UnitOfWork, name: str) -> Namespace:
    """The child routes' and update/delete's lookup: a missing or invisible namespace is
    ``Namespace <name> not found`` (404)."""
    ns = store.get(uow.db, name)
    if ns is None or not access.can_see(uow.context, ns.owner, ns.visibility):
        raise messages.namespace_hidden(name)
    return ns


def namespace_for_object(uow: UnitOfWork, name: str) -> Namespace:
    """The object routes' lookup: missing is the DB layer's 404, invisible the routes' own."""
    ns = store.get(uow.db, name)
    if ns is None:
        raise messages.namespace_not_found(name)
    if not access.can_see(uow.context, ns.owner, ns.visibility):
        raise messages.namespace_hidden(name)
    return ns


def namespace_for_show(uow: UnitOfWork, name: str) -> Namespace:
    """``NamespaceController.show``: missing is the DB layer's 404, invisible a bare 404."""
    ns = store.get(uow.db, name)
    if ns is None:
        raise messages.namespace_not_found(name)
    if not access.can_see(uow.context, ns.owner, ns.visibility):
        raise errors.NotFound()
    authorize(uow, ns, "get_metadef_namespace")
    return ns


def authorize(uow: UnitOfWork, ns: Namespace, action: str) -> None:
    access.enforce(action, uow.context, ns.owner, ns.visibility)
