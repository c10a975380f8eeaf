"""The trainer's view: every share across projects, a confirmed reset to a lab scenario,
and the request log (read from whatever the app registers as ``emulator.request_log``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.control import per_process
from tests.panel.conftest import Panel

LOG = "emulator.request_log"


class FakeRequestLog:
    """Stands in for the request log (built elsewhere): the contract the page reads."""

    def __init__(self) -> None:
        self.asked: list[tuple[int, str | None]] = []

    def entries(self, limit: int = 200, user: str | None = None) -> list[dict[str, Any]]:
        self.asked.append((limit, user))
        rows = [
            {
                "time": 1796263201.5,  # the log may give seconds since the epoch
                "request_id": "req-2",
                "user_id": "u2",
                "user_name": "consumer",
                "project_id": "p2",
                "method": "PUT",
                "path": "/v2/images/abc/members/p2",
                "query": "",
                "status": 200,
                "duration_ms": 3.2,
                "bytes": 120,
                "fault": None,
            },
            {
                "time": "2026-12-03T02:00:00Z",
                "request_id": "req-1",
                "user_id": "u1",
                "user_name": "producer",
                "project_id": "p1",
                "method": "GET",
                "path": "/v2/images/<script>x</script>",
                "query": "member_status=pending",
                "status": 404,
                "duration_ms": 1.5,
                "bytes": 80,
                "fault": None,
            },
        ]
        return [r for r in rows if user in (None, r["user_name"], r["user_id"])][:limit]


@pytest.fixture
def fake_log(panel: Panel) -> Iterator[FakeRequestLog]:
    extensions = panel.emulator.app.extensions
    before = extensions.get(LOG)
    extensions[LOG] = fake = FakeRequestLog()
    yield fake
    if before is None:
        extensions.pop(LOG, None)
    else:
        extensions[LOG] = before


def test_trainer_sees_every_share_and_resets_to_a_lab(panel: Panel) -> None:
    panel.emulator.reset("sharing-101")
    page = panel.login("admin")
    page.click("text=Trainer")
    table = page.locator("#shares-table")
    assert "golden-base" in table.inner_text()
    consumer = panel.project_id("consumer")
    statuses = sorted(
        table.locator(f"tr:has(code:text('{consumer}')) .member-status").all_inner_texts()
    )
    assert statuses == ["accepted", "pending"]

    page.select_option("#reset-form select[name=scenario]", "classroom")
    page.click("#reset-form button[value=reset]")
    assert "Reset the whole lab?" in page.locator("h1").inner_text()
    assert "glance-emulator reset --url URL --scenario classroom" in page.content()
    assert "golden-base" in [i.name for i in panel.emulator.connect("admin").image.images()]
    page.click("#confirm-form button[type=submit]")
    # classroom's admin has the same password and role: its token (and session) survive.
    page.wait_for_url(re.compile(r".*/panel/trainer$"))
    assert "Reset to classroom." in panel.flash(page)
    rows = page.locator("#shares-table tbody tr")
    text = page.locator("#shares-table").inner_text()
    assert "course-image" in text and "golden-base" not in text
    assert sorted(rows.locator(".member-status").all_inner_texts()) == [
        "accepted",
        "pending",
        "rejected",
    ]
    panel.emulator._refresh()
    names = {i.name for i in panel.emulator.connect("admin").image.images()}
    assert names == {"course-image", "draft-image"}


def test_request_log_page_filters_by_user(panel: Panel, fake_log: FakeRequestLog) -> None:
    page = panel.login("admin")
    page.click("text=Request log")
    rows = page.locator("#log-table tbody tr")
    assert rows.count() == 2
    assert rows.first.locator("td").first.inner_text() == "2026-12-03T02:00:01.500Z"
    assert "/v2/images/<script>x</script>?member_status=pending" in rows.nth(1).inner_text()
    page.fill("input[name=user]", "consumer")
    page.click("text=Filter")
    assert rows.count() == 1 and "consumer" in rows.first.inner_text()
    assert fake_log.asked[-1] == (200, "consumer")


def test_request_log_unavailable_without_the_extension(panel: Panel) -> None:
    extensions = panel.emulator.app.extensions
    before = extensions.pop(LOG, None)
    try:
        page = panel.login("admin")
        page.goto(panel.url + "/trainer/log")
        assert "unavailable" in page.locator("#log-unavailable").inner_text()
    finally:
        if before is not None:
            extensions[LOG] = before


def test_request_log_page_says_why_with_several_workers(panel: Panel) -> None:
    """``serve --workers 2``: the page would show one worker's share, so it says so."""
    per_process.serve_as_one_of(panel.emulator.app, 2)
    try:
        page = panel.login("admin")
        page.goto(panel.url + "/trainer/log")
        said = page.locator("#log-unavailable").inner_text()
        assert "--workers 2" in said and "--workers 1" in said
        assert page.locator("#log-table").count() == 0
    finally:
        per_process.serve_as_one_of(panel.emulator.app, 1)


def test_request_log_page_shows_the_servers_own_log(panel: Panel) -> None:
    """The real request log (``core/request_log.py``), not a stand-in: a consumer's API
    calls show on the trainer's page, filtered by that user."""
    assert panel.emulator.app.extensions.get(LOG) is not None
    list(panel.emulator.connect("consumer").image.images())
    page = panel.login("admin")
    page.goto(panel.url + "/trainer/log?user=consumer")
    rows = page.locator("#log-table tbody tr")
    texts = rows.all_inner_texts()
    assert any("GET" in row and "/v2/images" in row and "200" in row for row in texts), texts
    assert all("consumer" in row for row in texts), texts
