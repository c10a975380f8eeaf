"""The trainer's Faults page in a real browser, JavaScript off (plain forms): a rule added
there makes a real client's request fail, then shows as fired on the page and in the
request log, and is deleted and cleared from there."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests

from tests.keystone_bodies import password_login, project_scope
from tests.panel.conftest import Panel, screenshot_dir


def _token(panel: Panel, user: str) -> str:
    account = panel.emulator.users[user]
    answer = requests.post(
        panel.emulator.auth_url + "/auth/tokens",
        json=password_login(user, account.password, project_scope(project_id=account.project_id)),
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return answer.headers["X-Subject-Token"]


def _list_images(panel: Panel, token: str) -> requests.Response:
    return requests.get(
        panel.emulator.base_url + "/v2/images", headers={"X-Auth-Token": token}, timeout=30
    )


def _add_rule(page: Any, **fields: str) -> None:
    form = page.locator("#fault-form")
    for method in fields.pop("method", "").split():
        form.locator(f"input[name=method][value={method}]").check()
    for select in ("status", "cut"):
        if select in fields:
            form.locator(f"select[name={select}]").select_option(fields.pop(select))
    for name, value in fields.items():
        form.locator(f"input[name={name}]").fill(value)
    form.locator("button[type=submit]").click()


def test_trainer_makes_a_clients_request_fail_and_sees_it(panel: Panel, tmp_path: Path) -> None:
    token = _token(panel, "consumer")
    try:
        page = panel.login("admin", javascript=False)
        page.click("header nav >> text=Faults")
        page.wait_for_url(re.compile(r".*/panel/trainer/faults$"))
        assert "No fault rules" in page.locator("#faults-table").inner_text()
        assert "glance-emulator faults add" in page.locator("#fault-cli").inner_text()

        # A bad rule first: the API's words, the form kept as typed, nothing added.
        _add_rule(page, method="GET", path="/v2/images", user="nobody", status="503")
        assert "No user 'nobody' (by name or id)" in page.locator("#rule-refusal").inner_text()
        assert page.locator("#fault-form input[name=user]").input_value() == "nobody"
        assert panel.emulator._faults().list() == []

        page.locator("#fault-form input[name=user]").fill("consumer")
        page.locator("#fault-form input[name=count]").fill("1")
        page.locator("#fault-form input[name=name]").fill("flaky-list")
        page.locator("#fault-form button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/panel/trainer/faults$"))
        assert "Added flaky-list: status 503." in panel.flash(page)
        row = page.locator("#faults-table tr[data-rule-id=fault-1]")
        assert row.locator(".rule-status").inner_text() == "503"
        assert row.locator(".rule-remaining").inner_text() == "1"
        shown = page.locator("#rule-commands").inner_text()
        recreate = "faults add --name flaky-list --method GET --path /v2/images --user consumer"
        assert recreate in shown

        failed = _list_images(panel, token)
        assert failed.status_code == 503
        assert "503 Service Unavailable" in failed.text  # Glance's own error body
        assert _list_images(panel, token).status_code == 200  # count 1: it fired once

        page.reload()
        assert row.locator(".rule-fired").inner_text() == "1"
        assert row.locator(".rule-remaining").inner_text() == "0"
        page.screenshot(path=str(screenshot_dir(tmp_path) / "panel-faults.png"), full_page=True)

        page.click("header nav >> text=Request log")
        page.fill("input[name=user]", "consumer")
        page.click("text=Filter")
        marked = page.locator("#log-table tr.fault")
        assert marked.count() == 1
        assert "flaky-list: status 503" in marked.inner_text()
        assert "503" in marked.locator("td").nth(5).inner_text()

        page.click("header nav >> text=Faults")
        _add_rule(page, method="PUT POST", cut="upload", cut_after_bytes="1024")
        _add_rule(page, latency_ms="50", probability="0.5")
        assert page.locator("#faults-table tbody tr").count() == 3
        page.locator("#faults-table tr[data-rule-id=fault-1] button").click()
        assert "Deleted fault-1." in panel.flash(page)
        assert page.locator("#faults-table tr[data-rule-id=fault-1]").count() == 0

        page.click("#clear-form button[type=submit]")
        assert "Clear every fault rule?" in page.locator("h1").inner_text()
        assert page.locator("#rules-to-clear li").count() == 2
        page.click("#confirm-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/panel/trainer/faults$"))
        assert "Removed every fault rule (2)." in panel.flash(page)
        assert "No fault rules" in page.locator("#faults-table").inner_text()
        assert _list_images(panel, token).status_code == 200
    finally:
        panel.emulator.clear_faults()


def test_the_faults_page_is_for_trainers_only(panel: Panel) -> None:
    page = panel.login("consumer")
    assert page.locator("header nav >> text=Faults").count() == 0
    answer = page.goto(panel.url + "/trainer/faults")
    assert answer is not None and answer.status == 403
    assert "for administrators only" in page.locator("#refusal").inner_text()
