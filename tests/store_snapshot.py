"""A snapshot of everything an emulator keeps, to prove a refused request changed nothing.

``snapshot(app, root)`` holds every row of every table and the name, size and SHA-256 of
every file under ``root`` (pass a folder *above* the data dir, so a file written outside it,
say by a path-traversal bug, shows up too). The SQLite files themselves are left out of the
file list: their bytes move with WAL bookkeeping even when no row changes.

    with unchanged(app, tmp_path):
        response = client.post(...)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

_DB_SUFFIXES = ("", "-wal", "-shm", "-journal")


def _tables(app: Flask) -> dict[str, list[str]]:
    store = app.extensions["emulator.store"]
    with store.session() as db:
        names = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            ).fetchall()
        ]
        return {
            name: sorted(repr(row) for row in db.execute(f'SELECT * FROM "{name}"').fetchall())
            for name in names
        }


def _files(root: Path, skip: set[Path]) -> dict[str, tuple[int, str]]:
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.resolve() not in skip:
            data = path.read_bytes()
            found[str(path.relative_to(root))] = (len(data), hashlib.sha256(data).hexdigest())
    return found


def snapshot(app: Flask, root: Path) -> dict[str, Any]:
    db_path = Path(app.config["EMULATOR"].db_path).resolve()
    skip = {Path(f"{db_path}{suffix}") for suffix in _DB_SUFFIXES}
    return {"tables": _tables(app), "files": _files(root, skip)}


def describe_difference(before: dict[str, Any], after: dict[str, Any]) -> str:
    lines = []
    for table in sorted(set(before["tables"]) | set(after["tables"])):
        old, new = set(before["tables"].get(table, [])), set(after["tables"].get(table, []))
        for row in sorted(old - new):
            lines.append(f"- {table}: {row}")
        for row in sorted(new - old):
            lines.append(f"+ {table}: {row}")
    old_files, new_files = before["files"], after["files"]
    for name in sorted(set(old_files) | set(new_files)):
        if old_files.get(name) != new_files.get(name):
            lines.append(f"~ file {name}: {old_files.get(name)} -> {new_files.get(name)}")
    return "\n".join(lines)


@contextmanager
def unchanged(app: Flask, root: Path) -> Iterator[None]:
    """Fail if any row or file under ``root`` differs after the block."""
    before = snapshot(app, root)
    yield
    after = snapshot(app, root)
    assert after == before, "the store changed:\n" + describe_difference(before, after)
