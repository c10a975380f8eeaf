"""Logging in and out, the quick switcher, the project ID on every page, ended sessions,
and forms without this session's CSRF token."""

from __future__ import annotations

import re
from typing import Any

from emulator.core.http.request_scope import unit_of_work
from emulator.identity.services import tokens
from tests.panel.conftest import Panel


def _session_token(panel: Panel, page: Any) -> str:
    """The Keystone token the panel keeps in this browser's (signed) session cookie."""
    app = panel.emulator.app
    cookie = next(c for c in page.context.cookies() if c["name"] == "glance_emulator_panel")
    data = app.session_interface.get_signing_serializer(app).loads(cookie["value"])  # type: ignore[attr-defined]
    return str(data["token"])


def test_wrong_password_is_refused_with_keystones_words(panel: Panel) -> None:
    page = panel.new_page()
    page.goto(panel.url + "/images")
    page.wait_for_url(re.compile(r".*/panel/login\?next=/panel/images"))
    page.fill("input[name=username]", "producer")
    page.fill("input[name=password]", "wrong")
    page.click("form.card button[type=submit]")
    assert "The request you have made requires authentication." in panel.flash(page)
    assert page.locator("#project-id").count() == 0


def test_project_id_on_every_page_switcher_and_logout(panel: Panel) -> None:
    page = panel.login("producer")
    producer_project = panel.project_id("producer")
    for path in ("/images?tab=public", "/images?tab=invitations"):
        page.goto(panel.url + path)
        assert page.locator("#project-id").input_value() == producer_project
    image = panel.emulator.connect("producer").image.create_image(
        name="seen", disk_format="raw", container_format="bare"
    )
    page.goto(panel.url + f"/images/{image.id}")
    assert page.locator("#project-id").input_value() == producer_project
    assert "openstack token issue -f value -c project_id" in page.content()

    page.select_option("select[name=username]", "consumer")
    page.click("text=Switch")
    assert page.locator("#user-name").inner_text() == "consumer"
    assert page.locator("#project-id").input_value() == panel.project_id("consumer")
    token = _session_token(panel, page)

    page.click("text=Log out")
    page.wait_for_url(re.compile(r".*/panel/login"))
    assert "Logged out." in panel.flash(page)
    with panel.emulator.app.test_request_context():
        assert tokens.lookup(unit_of_work().db, token) is None  # revoked, as DELETE would
    page.goto(panel.url + "/images")
    page.wait_for_url(re.compile(r".*/panel/login.*"))


def test_revoked_token_sends_back_to_login(panel: Panel) -> None:
    page = panel.login("consumer")
    with panel.emulator.app.test_request_context():
        assert tokens.revoke(unit_of_work().db, _session_token(panel, page))
    page.goto(panel.url + "/images?tab=shared")
    page.wait_for_url(re.compile(r".*/panel/login\?next=.*"))
    assert "Your session has ended" in panel.flash(page)
    page.fill("input[name=username]", "consumer")
    page.fill("input[name=password]", "consumer-pass")
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r".*/panel/images\?tab=shared$"))


def test_forged_form_without_csrf_token_changes_nothing(panel: Panel) -> None:
    producer = panel.emulator.connect("producer")
    image = producer.image.create_image(
        name="target", disk_format="raw", container_format="bare", visibility="shared"
    )
    page = panel.login("producer")
    url = panel.url + f"/images/{image.id}/members"
    outsider = panel.project_id("outsider")
    # The browser's own cookies go along (as a forged cross-site form would bring them).
    for form in ({"member": outsider}, {"member": outsider, "csrf_token": "forged"}):
        answer = page.context.request.post(url, form=form, max_redirects=0)
        assert answer.status == 400
        assert "no valid CSRF token" in answer.text()
    assert list(producer.image.members(image.id)) == []
    answer = page.context.request.post(panel.url + "/images/" + image.id + "/delete", form={})
    assert answer.status == 400
    assert producer.image.get_image(image.id).status == "queued"
