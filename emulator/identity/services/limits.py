"""Keystone's project limits for the image service's resources (``image_size_total``,
``image_stage_total``, ``image_count_total``, ``image_count_uploading``): set by a
scenario, read by the image service's unified-limits enforcement."""

from __future__ import annotations

from collections.abc import Mapping

import sqlite_utils

from emulator.identity.store import limits as store

RESOURCES = ("image_size_total", "image_stage_total", "image_count_total", "image_count_uploading")


def project_limit(db: sqlite_utils.Database, project_id: str | None, resource: str) -> int | None:
    """The project's own limit, or None (the registered default applies)."""
    return store.get(db, project_id, resource)


def project_limits(db: sqlite_utils.Database, project_id: str) -> dict[str, int]:
    return store.of_project(db, project_id)


def set_project_limits(
    db: sqlite_utils.Database, project_id: str, limits: Mapping[str, int]
) -> None:
    store.replace(db, project_id, limits)


def clear_all(db: sqlite_utils.Database) -> None:
    store.clear(db)
