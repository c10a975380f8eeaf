"""The layers stay one-way, per service (docs/architecture.md).

Inside each service package (``emulator/image``, ``emulator/identity``, ``emulator/control``
and any added later), ``api -> services -> domain`` and ``services -> store``:

- ``domain/`` is pure: no web framework, no SQL, no schema library, no layer above it;
- ``services/`` speak no HTTP (no Flask, no werkzeug request machinery, no ``core.http``) and
  write no SQL (no ``execute`` and friends, no SQL text): that is ``store/``'s job;
- ``api/`` reaches the data through services only, never a store;
- one service reaches another through its ``services/`` only, never its store or views;
- ``core/`` knows no service.

Imports are read with ``ast`` (nothing is imported to check), so the test also catches
imports hidden inside functions and ``TYPE_CHECKING`` blocks.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import emulator

PACKAGE_ROOT = Path(emulator.__file__).resolve().parent
SERVICES = sorted(
    p.name for p in PACKAGE_ROOT.iterdir() if p.is_dir() and (p / "services").is_dir()
)
LAYERS = ("api", "services", "domain", "store")

FRAMEWORKS = ("flask", "werkzeug.exceptions", "werkzeug.wrappers", "werkzeug.datastructures")
STORAGE = ("sqlite_utils", "sqlite3")
SQL_METHODS = frozenset({"execute", "executemany", "executescript", "query", "insert_all"})
SQL_TEXT = re.compile(
    r"^\s*(SELECT\b.*\bFROM\b|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b"
    r"|DELETE\s+FROM\b|CREATE\s+(TABLE|INDEX)\b|DROP\s+(TABLE|INDEX)\b|PRAGMA\s)",
    re.IGNORECASE | re.DOTALL,
)


def modules(service: str, layer: str) -> list[Path]:
    return sorted((PACKAGE_ROOT / service / layer).rglob("*.py"))


def all_modules(layer: str) -> list[Path]:
    return [path for service in SERVICES for path in modules(service, layer)]


def _id(path: Path) -> str:
    return str(path.relative_to(PACKAGE_ROOT))


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Absolute dotted names of everything ``path`` imports, with line numbers."""
    return modules_in(path.read_text(encoding="utf-8"), path)


def modules_in(source: str, path: Path) -> list[tuple[int, str]]:
    """The imports of ``source``, resolved as if it were the file at ``path``."""
    tree = ast.parse(source, filename=str(path))
    package = ".".join(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts)
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # "from emulator.image import store" imports the module emulator.image.store
            found.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", ""))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def sql_in(source: str) -> list[str]:
    """Places where ``source`` runs SQL: calls of ``execute`` and friends, ``db["table"]``
    (sqlite-utils' table access) and string constants that read as SQL."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_METHODS
        ):
            found.append(f"{node.lineno}: .{node.func.attr}()")
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
            and isinstance(node.value, ast.Name)
            and node.value.id == "db"
        ):
            found.append(f"{node.lineno}: db[{node.slice.value!r}]")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL_TEXT.match(node.value)
        ):
            found.append(f"{node.lineno}: {node.value[:40]!r}")
    return found


def _is_under(module: str, roots: tuple[str, ...]) -> bool:
    return any(module == root or module.startswith(root + ".") for root in roots)


def _layers_of_others(service: str, layers: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(
        f"emulator.{other}.{layer}" for other in SERVICES if other != service for layer in layers
    )


def offending_imports(path: Path, banned: tuple[str, ...]) -> list[str]:
    return [
        f"{_id(path)}:{line} imports {module}"
        for line, module in imported_modules(path)
        if _is_under(module, banned)
    ]


def _service_of(path: Path) -> str:
    return path.relative_to(PACKAGE_ROOT).parts[0]


# --- the layout itself -----------------------------------------------------------------------


def test_every_service_has_its_layers() -> None:
    assert {"image", "identity", "control"} <= set(SERVICES)
    for service in ("image", "identity"):
        for layer in LAYERS:
            assert modules(service, layer), f"emulator/{service}/{layer}/ is empty"


# --- domain ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", all_modules("domain"), ids=_id)
def test_domain_is_pure(path: Path) -> None:
    service = _service_of(path)
    banned = (
        *FRAMEWORKS,
        "werkzeug",
        *STORAGE,
        "marshmallow",
        "emulator.app",
        "emulator.core.http",
        "emulator.core.db",
        "emulator.core.unit_of_work",
        *(f"emulator.{service}.{layer}" for layer in ("api", "services", "store")),
        *_layers_of_others(service, ("api", "services", "store")),
    )
    assert offending_imports(path, banned) == []
    assert sql_in(path.read_text()) == []


# --- services --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", all_modules("services"), ids=_id)
def test_services_speak_no_http(path: Path) -> None:
    service = _service_of(path)
    banned = (
        *FRAMEWORKS,
        "emulator.app",
        "emulator.core.http",
        f"emulator.{service}.api",
        *_layers_of_others(service, ("api", "store")),
    )
    assert offending_imports(path, banned) == []


@pytest.mark.parametrize("path", all_modules("services"), ids=_id)
def test_services_write_no_sql(path: Path) -> None:
    assert offending_imports(path, ("sqlite3",)) == []
    assert sql_in(path.read_text()) == []


# --- api and store ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", all_modules("api"), ids=_id)
def test_views_reach_data_through_services(path: Path) -> None:
    service = _service_of(path)
    banned = (*STORAGE, f"emulator.{service}.store", *_layers_of_others(service, ("store",)))
    assert offending_imports(path, banned) == []
    assert sql_in(path.read_text()) == []


@pytest.mark.parametrize("path", all_modules("store"), ids=_id)
def test_stores_serve_no_http_and_call_no_service(path: Path) -> None:
    service = _service_of(path)
    banned = (
        *FRAMEWORKS,
        "emulator.core.http",
        f"emulator.{service}.api",
        f"emulator.{service}.services",
        *_layers_of_others(service, LAYERS),
    )
    assert offending_imports(path, banned) == []


@pytest.mark.parametrize("path", sorted((PACKAGE_ROOT / "core").rglob("*.py")), ids=_id)
def test_core_knows_no_service(path: Path) -> None:
    banned = ("emulator.app", "emulator.cli", *(f"emulator.{s}" for s in SERVICES))
    assert offending_imports(path, banned) == []


# --- the checkers themselves must be able to fail --------------------------------------------

PROBE = PACKAGE_ROOT / "image" / "domain" / "_probe.py"


@pytest.mark.parametrize(
    "source",
    [
        "import flask\n",
        "import flask.json as j\n",
        "from flask import Flask\n",
        "import sqlite3\n",
        "from sqlite_utils import Database\n",
        "def f():\n    import marshmallow\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sqlite_utils\n",
        "import importlib\nimportlib.import_module('flask')\n",
        "__import__('sqlite3')\n",
        "import os, sqlite3\n",
    ],
)
def test_checker_catches_banned_imports(source: str) -> None:
    modules = [m for _, m in modules_in(source, PROBE)]
    assert any(_is_under(m, ("flask", "sqlite3", "sqlite_utils", "marshmallow")) for m in modules)


@pytest.mark.parametrize(
    ("source", "layer"),
    [
        ("from ..store import images\n", "emulator.image.store"),
        ("from .. import services\n", "emulator.image.services"),
        ("from emulator.core.http import errors\n", "emulator.core.http"),
        ("import emulator.core.db\n", "emulator.core.db"),
        ("from emulator.image import api\n", "emulator.image.api"),
        ("from emulator.identity.store import accounts\n", "emulator.identity.store"),
    ],
)
def test_checker_catches_higher_layers(source: str, layer: str) -> None:
    modules = [m for _, m in modules_in(source, PROBE)]
    assert any(_is_under(m, (layer,)) for m in modules), modules


@pytest.mark.parametrize(
    "source",
    [
        "db.execute('SELECT 1')\n",
        "uow.db.conn.executemany(sql, rows)\n",
        "db['images'].insert(row)\n",
        "QUERY = 'DELETE FROM tokens WHERE user_id = ?'\n",
        "x = '''\n  select id from images'''\n",
    ],
)
def test_checker_catches_sql(source: str) -> None:
    assert sql_in(source)


def test_checker_allows_plain_code() -> None:
    source = (
        "from emulator.core import errors\nfrom . import images\n"
        "from emulator.core.context import RequestContext\n"
        "import re\nfrom dataclasses import dataclass\nresult = items.select(1)\n"
        "message = 'Select a project first.'\n"
    )
    modules = [m for _, m in modules_in(source, PROBE)]
    assert "emulator.image.domain.images" in modules
    assert "emulator.core.context" in modules
    assert not any(_is_under(m, ("flask", "sqlite3", "emulator.image.store")) for m in modules)
    assert sql_in(source) == []
