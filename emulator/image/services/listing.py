"""``GET /v2/images``: glance/api/v2/images.py ImagesController.index, as one use case.

Order of checks, as in Glance: the 400s of the deserializer and the controller, then the
``get_images`` policy (403), then the 400s of the DB layer's filters, then the marker
(unknown: 400; not visible to the caller: 403), then the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from emulator.core import errors
from emulator.core.unit_of_work import UnitOfWork
from emulator.image.domain import list_query, list_scope
from emulator.image.domain.images import Image
from emulator.image.services import access
from emulator.image.store import image_queries
from emulator.image.store import images as image_store


@dataclass
class Page:
    images: list[Image] = field(default_factory=list)
    #: The marker of the next page; None when the store did not fill this one.
    next_marker: str | None = None


def list_images(uow: UnitOfWork, pairs: Sequence[tuple[str, str]]) -> Page:
    """The page the query string ``pairs`` (every key and value, in order) asks for."""
    config = uow.config
    request = list_query.read_request(pairs, config.limit_param_default, config.api_limit_max)
    access.require_role(uow, "reader", "get_images")
    query = list_query.to_query(request)
    scope = list_scope.scope_for(
        uow.context, query.visibility, query.member_status, config.sharing_profile
    )
    with image_queries.snapshot(uow.db):
        marker = None if query.marker is None else _marker(uow, query.marker)
        ids = image_queries.select_ids(uow.db, query, scope, marker)
        images = image_store.get_many(uow.db, ids)
    page = Page(images=images)
    # Glance links a next page whenever the DB filled this one, so the last page may be empty.
    if images and len(ids) == query.limit:
        page.next_marker = images[-1].id
    return page


def _marker(uow: UnitOfWork, marker_id: str) -> dict[str, object]:
    list_query.check_marker_length(marker_id)
    row = access.marker_row(uow, marker_id)
    if row is None:
        # ImageNotFound from _image_get; the controller turns every NotFound into a 400.
        raise errors.BadRequest(f"No image found with ID {marker_id}")
    return row
