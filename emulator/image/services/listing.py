"""``GET /v2/images``: glance/api/v2/images.py ImagesController.index, as one use case.

Order of checks, as in Glance: the 400s of the deserializer and the controller, then the
``get_images`` policy (403), then the 400s of the DB layer's filters, then the marker
(unknown: 400; not visible to the caller: 403), then the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from emulator.core import errors
from emulator.core.config import Config
from emulator.core.context import RequestContext
from emulator.image.domain import images as image_rules
from emulator.image.domain import listing as rules
from emulator.image.domain.images import Image
from emulator.image.store import image_queries
from emulator.image.store import images as image_store


@dataclass
class Page:
    images: list[Image] = field(default_factory=list)
    first: str = "/v2/images"
    next: str | None = None


def query_pairs(args: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every (key, value) in order; a werkzeug MultiDict keeps repeated keys."""
    if hasattr(args, "getlist"):
        return list(args.items(multi=True))  # type: ignore[call-arg]
    return list(args.items())


def list_images(
    db: sqlite_utils.Database, context: RequestContext, config: Config, args: Mapping[str, str]
) -> Page:
    pairs = query_pairs(args)
    request = rules.read_request(pairs, config.limit_param_default, config.api_limit_max)
    if not context.can_read:
        raise image_rules.policy_forbidden("get_images")
    query = rules.to_query(request)
    scope = rules.scope_for(context, query.visibility, query.member_status, config.sharing_profile)
    with image_queries.snapshot(db):
        marker = None if query.marker is None else _marker(db, context, config, query.marker)
        ids = image_queries.select_ids(db, query, scope, marker)
        images = image_store.get_many(db, ids)
    page = Page(images=images, first=rules.first_link(pairs))
    # Glance links a next page whenever the DB filled this one, so the last page may be empty.
    if images and len(ids) == query.limit:
        page.next = rules.next_link(pairs, images[-1].id)
    return page


def _marker(
    db: sqlite_utils.Database, context: RequestContext, config: Config, marker_id: str
) -> dict[str, Any]:
    rules.check_marker_length(marker_id)
    row = image_queries.marker_row(db, marker_id, include_deleted=context.is_admin)
    if row is None:
        # ImageNotFound from _image_get; the controller turns every NotFound into a 400.
        raise errors.BadRequest(f"No image found with ID {marker_id}")
    status = image_store.member_status(db, marker_id, context.project_id)
    if not rules.marker_visible(
        context, row["owner"], row["visibility"], status, config.sharing_profile
    ):
        raise errors.Forbidden(f"Forbidding request, image {marker_id} not visible")
    return row
