"""The panel reaches data through services only (docs/architecture.md): no store, no SQL,
no API view of another service; and every template is autoescaped (no ``|safe``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_layering import PACKAGE_ROOT, _id, offending_imports, sql_in

PANEL = PACKAGE_ROOT / "panel"
BANNED = (
    "sqlite3",
    "sqlite_utils",
    "emulator.core.db",
    *(
        f"emulator.{service}.{layer}"
        for service in ("image", "identity")
        for layer in ("store", "api")
    ),
    "emulator.control.api",
    # The control API's other view modules: the Faults page calls control/services/faults.py.
    "emulator.control.faults_api",
    "emulator.control.requests_api",
    "emulator.control.accounts_api",
)


@pytest.mark.parametrize("path", sorted(PANEL.rglob("*.py")), ids=_id)
def test_panel_calls_services_only(path: Path) -> None:
    assert offending_imports(path, BANNED) == []
    assert sql_in(path.read_text()) == []


@pytest.mark.parametrize("path", sorted(PANEL.rglob("*.html")), ids=lambda p: p.name)
def test_templates_never_turn_escaping_off(path: Path) -> None:
    text = path.read_text()
    assert "|safe" not in text.replace(" ", "") and "autoescape false" not in text
