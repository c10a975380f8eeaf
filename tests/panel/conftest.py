"""Browser tests: the panel in a real headless Chromium (Debian's), driven by Playwright.

One emulator and one browser per test session; each test gets the emulator reset to the
demo accounts and fresh browser contexts (one per student), so tests share no cookies.
On a failure, every page still open is saved as a screenshot under ``.panel-failures/``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.pytest_plugin import Emulator

CHROMIUM = Path("/usr/bin/chromium")
FAILURES = Path(__file__).resolve().parents[2] / ".panel-failures"
DOCS = Path(__file__).resolve().parents[2] / "docs"


def screenshot_dir(tmp_path: Path) -> Path:
    """Where the README's screenshots go: docs/ under `make screenshots`
    (GLANCE_EMULATOR_SCREENSHOTS=1), else the test's temp dir, so that `make test` leaves
    the work tree as it found it (the ids in them differ on every run)."""
    return DOCS if os.environ.get("GLANCE_EMULATOR_SCREENSHOTS") == "1" else tmp_path


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    data_dir = Path(tempfile.mkdtemp(prefix="glance-emulator-panel-"))
    running = Emulator(data_dir)
    try:
        yield running
    finally:
        running.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


class Panel:
    """The emulator's panel as seen by browser contexts opened for this test."""

    def __init__(self, emulator: Emulator, browser: Any):
        self.emulator = emulator
        self.browser = browser
        self.url = emulator.base_url + "/panel"
        self.contexts: list[Any] = []

    def new_page(self, javascript: bool = True) -> Any:
        context = self.browser.new_context(
            java_script_enabled=javascript,
            accept_downloads=True,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(15_000)
        context.grant_permissions(
            ["clipboard-read", "clipboard-write"], origin=self.emulator.base_url
        )
        self.contexts.append(context)
        return context.new_page()

    def login(self, user: str, password: str | None = None, javascript: bool = True) -> Any:
        page = self.new_page(javascript)
        page.goto(self.url + "/login")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", password or f"{user}-pass")
        page.click("form.card button[type=submit]")
        page.wait_for_url(re.compile(r".*/panel/images.*"))
        return page

    def project_id(self, user: str) -> str:
        return self.emulator.users[user].project_id

    def flash(self, page: Any) -> str:
        return str(page.locator("p.flash").first.inner_text())

    def screenshot_all(self, name: str) -> None:
        FAILURES.mkdir(exist_ok=True)
        for n, context in enumerate(self.contexts):
            for m, page in enumerate(context.pages):
                try:
                    page.screenshot(path=str(FAILURES / f"{name}-{n}-{m}.png"), full_page=True)
                except Exception:  # noqa: BLE001 - a closed page has nothing to show
                    pass


@pytest.fixture
def panel(emulator: Emulator, browser: Any, request: pytest.FixtureRequest) -> Iterator[Panel]:
    emulator.reset()
    opened = Panel(emulator, browser)
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        opened.screenshot_all(re.sub(r"[^\w.-]", "_", request.node.name))
    for context in opened.contexts:
        context.close()
