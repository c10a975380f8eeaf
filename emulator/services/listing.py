"""Placeholder for ``GET /v2/images`` (filled in by its own change)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlite_utils

from emulator.config import Config
from emulator.domain.context import RequestContext
from emulator.domain.images import Image
from emulator.store import images as image_store


@dataclass
class Page:
    images: list[Image] = field(default_factory=list)
    first: str = "/v2/images"
    next: str | None = None


def list_images(
    db: sqlite_utils.Database, context: RequestContext, config: Config, args: Mapping[str, str]
) -> Page:
    ids = [r[0] for r in db.execute(
        "SELECT id FROM images WHERE deleted = 0 AND (owner = ? OR visibility = 'public') "
        "ORDER BY created_at DESC, id DESC LIMIT 25", [context.project_id]
    )]
    return Page(images=image_store.get_many(db, ids))
