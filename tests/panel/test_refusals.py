"""Bad input through the panel gets the API's own refusal and changes nothing; hostile
strings are shown as text, never run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.panel.conftest import Panel

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def _shared_image(panel: Panel, name: str = "offered") -> Any:
    return panel.emulator.connect("producer").image.create_image(
        name=name, disk_format="raw", container_format="bare", visibility="shared"
    )


def _add_member(page: Any, member: str) -> None:
    page.fill("#add-member input[name=member]", member)
    page.click("#add-member button[type=submit]")
    page.wait_for_load_state()


def test_bad_member_ids_and_duplicates_are_refused_in_the_apis_words(panel: Panel) -> None:
    image = _shared_image(panel)
    page = panel.login("producer")
    page.goto(panel.url + f"/images/{image.id}")
    _add_member(page, "9" * 300)  # refused by length (COVERAGE.md: MySQL would 500)
    assert "Member can't be longer than 255 characters." in panel.flash(page)
    consumer = panel.project_id("consumer")
    _add_member(page, consumer)
    _add_member(page, consumer)
    assert "409 Conflict" in panel.flash(page)
    assert f"Member {consumer} is duplicated for image {image.id}" in panel.flash(page)
    members = list(panel.emulator.connect("producer").image.members(image.id))
    assert [(m.member_id, m.status) for m in members] == [(consumer, "pending")]


def test_a_project_id_nobody_has_is_added_as_glance_adds_it(panel: Panel) -> None:
    # Glance never asks Keystone whether a member exists (a real Glance 33 answers 200 to
    # {"member": "999999-no-such-project"}); the panel says so instead of refusing.
    image = _shared_image(panel)
    page = panel.login("producer")
    page.goto(panel.url + f"/images/{image.id}")
    _add_member(page, "999999-no-such-project")
    assert "Glance does not check that a project has this ID" in panel.flash(page)
    row = page.locator("#member-table tr[data-member-id='999999-no-such-project']")
    assert row.locator(".member-status").inner_text() == "pending"


def test_accepting_an_offer_withdrawn_meanwhile(panel: Panel) -> None:
    image = _shared_image(panel)
    producer = panel.emulator.connect("producer")
    consumer_project = panel.project_id("consumer")
    producer.image.add_member(image.id, member_id=consumer_project)
    page = panel.login("consumer")
    page.goto(panel.url + "/images?tab=invitations")
    row = page.locator(f"tr[data-image-id='{image.id}']")
    assert row.count() == 1
    producer.image.remove_member(consumer_project, image.id)  # while the page is open
    row.locator("button", has_text="Accept").click()
    page.wait_for_url(re.compile(r".*tab=invitations"))
    assert "404 Not Found" in panel.flash(page)
    assert page.locator(f"tr[data-image-id='{image.id}']").count() == 0
    assert list(producer.image.members(image.id)) == []


def test_hostile_names_properties_and_tags_are_inert(panel: Panel) -> None:
    producer = panel.emulator.connect("producer")
    image = producer.image.create_image(
        name=HOSTILE,
        disk_format="raw",
        container_format="bare",
        visibility="shared",
        tags=[HOSTILE[:200]],
        note=HOSTILE,
    )
    page = panel.login("producer")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(panel.url + "/images?tab=mine")
    assert page.locator(f"tr[data-image-id='{image.id}'] .image-name").inner_text() == HOSTILE
    page.click(f"tr[data-image-id='{image.id}'] .image-name")
    assert page.locator("#image-title").inner_text() == HOSTILE
    assert HOSTILE in page.locator("#properties").inner_text()
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []


def test_upload_without_javascript_and_refused_upload(panel: Panel, tmp_path: Path) -> None:
    image = _shared_image(panel, "plain-form")
    page = panel.login("producer", javascript=False)
    page.goto(panel.url + f"/images/{image.id}")
    source = tmp_path / "disk.raw"
    source.write_bytes(b"x" * 70_000)
    page.set_input_files("#upload-form input[type=file]", str(source))
    page.click("#upload-form button[type=submit]")
    assert "Data uploaded" in panel.flash(page)
    assert page.locator("#attr-size").inner_text() == "70000"
    producer = panel.emulator.connect("producer")
    assert producer.image.get_image(image.id).status == "active"

    # A second upload is the API's 409, and the data stays as it was.
    answer = page.context.request.post(
        panel.url + f"/images/{image.id}/file",
        data=b"y" * 10,
        headers={
            "Content-Type": "application/octet-stream",
            "X-CSRF-Token": page.locator("input[name=csrf_token]").first.input_value(),
        },
    )
    assert answer.status == 204
    page.reload()
    assert "409 Conflict" in panel.flash(page)
    assert producer.image.get_image(image.id).size == 70_000


def test_pages_of_images_one_may_not_see_say_so(panel: Panel) -> None:
    image = panel.emulator.connect("producer").image.create_image(
        name="private-one", disk_format="raw", container_format="bare", visibility="private"
    )
    page = panel.login("outsider")
    answer = page.goto(panel.url + f"/images/{image.id}")
    assert answer is not None and answer.status == 404
    assert page.locator("#refusal").inner_text() == f"No image found with ID {image.id}"
    page.goto(panel.url + "/trainer")
    assert "for administrators only" in page.locator("#refusal").inner_text()
