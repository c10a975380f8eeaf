"""Rows of ``compute_flavors``: the flavors scenarios declare (built-in and configured
flavors come from the config and are not stored). Writes are called inside ``atomic``."""

from __future__ import annotations

import sqlite_utils

from emulator.compute.domain.flavors import Flavor

_SELECT = (
    "SELECT id, name, ram, disk, vcpus, ephemeral, swap, is_public, description "
    "FROM compute_flavors"
)


def all_flavors(db: sqlite_utils.Database) -> list[Flavor]:
    rows = db.execute(_SELECT + " ORDER BY id")
    return [
        Flavor(
            id=row[0],
            name=row[1],
            ram=row[2],
            disk=row[3],
            vcpus=row[4],
            ephemeral=row[5],
            swap=row[6],
            is_public=bool(row[7]),
            description=row[8],
        )  # fmt: skip
        for row in rows
    ]


def upsert(db: sqlite_utils.Database, flavor: Flavor) -> None:
    db.execute(
        "INSERT OR REPLACE INTO compute_flavors "
        "(id, name, ram, disk, vcpus, ephemeral, swap, is_public, description) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            flavor.id,
            flavor.name,
            flavor.ram,
            flavor.disk,
            flavor.vcpus,
            flavor.ephemeral,
            flavor.swap,
            int(flavor.is_public),
            flavor.description,
        ],  # fmt: skip
    )


def delete_all(db: sqlite_utils.Database) -> None:
    db.execute("DELETE FROM compute_flavors")
