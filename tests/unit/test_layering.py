"""The domain layer stays pure: no web framework, no SQL, no schema library (ARCHITECTURE.md).

Imports are read with ``ast`` (nothing is imported to check), so the test also catches
imports hidden inside functions and ``TYPE_CHECKING`` blocks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import emulator

PACKAGE_ROOT = Path(emulator.__file__).resolve().parent
DOMAIN = PACKAGE_ROOT / "image" / "domain"
FORBIDDEN_IN_DOMAIN = ("flask", "sqlite_utils", "sqlite3", "marshmallow")
# One-way layers: the domain may use emulator.core.errors and its own modules, never the layers
# that sit on top of it or beside it.
FORBIDDEN_EMULATOR_LAYERS = (
    "emulator.image.api",
    "emulator.image.services",
    "emulator.image.store",
    "emulator.identity",
    "emulator.core.http",
    "emulator.core.db",
    "emulator.app",
)

DOMAIN_MODULES = sorted(DOMAIN.rglob("*.py"))
# Where snippets in the checker's own tests pretend to live (never written to disk).
PROBE = DOMAIN / "_probe.py"


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
            # "from emulator import store" imports the module emulator.store
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


def _is_under(module: str, roots: tuple[str, ...]) -> bool:
    return any(module == root or module.startswith(root + ".") for root in roots)


def test_the_domain_package_has_modules() -> None:
    names = {p.name for p in DOMAIN_MODULES}
    assert {"images.py", "patch.py", "access.py"} <= names


@pytest.mark.parametrize("path", DOMAIN_MODULES, ids=lambda p: p.name)
def test_domain_imports_no_framework_or_storage(path: Path) -> None:
    offending = [
        f"{path.name}:{line} imports {module}"
        for line, module in imported_modules(path)
        if _is_under(module, FORBIDDEN_IN_DOMAIN)
    ]
    assert offending == []


@pytest.mark.parametrize("path", DOMAIN_MODULES, ids=lambda p: p.name)
def test_domain_imports_no_higher_layer(path: Path) -> None:
    offending = [
        f"{path.name}:{line} imports {module}"
        for line, module in imported_modules(path)
        if _is_under(module, FORBIDDEN_EMULATOR_LAYERS)
    ]
    assert offending == []


# The checker itself must be able to fail: each snippet is a way of importing a banned module.
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
    assert any(_is_under(m, FORBIDDEN_IN_DOMAIN) for m in modules), modules


@pytest.mark.parametrize(
    ("source", "layer"),
    [
        ("from ..store import images\n", "emulator.image.store"),
        ("from .. import services\n", "emulator.image.services"),
        ("from emulator.core.http import errors\n", "emulator.core.http"),
        ("import emulator.core.db\n", "emulator.core.db"),
        ("from emulator.image import api\n", "emulator.image.api"),
    ],
)
def test_checker_catches_higher_layers(source: str, layer: str) -> None:
    modules = [m for _, m in modules_in(source, PROBE)]
    assert any(_is_under(m, (layer,)) for m in modules), modules


def test_checker_allows_the_domains_own_imports() -> None:
    source = (
        "from emulator.core import errors\nfrom . import images\n"
        "from emulator.core.context import RequestContext\n"
        "import re\nfrom dataclasses import dataclass\n"
    )
    modules = [m for _, m in modules_in(source, PROBE)]
    assert not any(_is_under(m, FORBIDDEN_IN_DOMAIN + FORBIDDEN_EMULATOR_LAYERS) for m in modules)
    assert "emulator.image.domain.images" in modules
    assert "emulator.core.context" in modules
