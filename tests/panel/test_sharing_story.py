"""The whole sharing story, as two students in two browsers, then checked through the API."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import openstack.exceptions
import pytest

from tests.panel.conftest import Panel, screenshot_dir

DISK = os.urandom(300_000) + b"golden disk\n"


def _create_image(page: Any, url: str, name: str) -> str:
    page.goto(url + "/images?tab=mine")
    page.fill("#create-image input[name=name]", name)
    page.select_option("#create-image select[name=visibility]", "shared")
    page.click("#create-image button[type=submit]")
    page.wait_for_url(re.compile(r".*/panel/images/[0-9a-f-]{36}$"))
    return str(page.locator("#attr-id").inner_text())


def _upload(page: Any, tmp_path: Path, data: bytes, name: str = "disk.raw") -> None:
    """Upload through the progress script: the file itself is the body, streamed."""
    source = tmp_path / name
    source.write_bytes(data)
    page.set_input_files("#upload-form input[type=file]", str(source))
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/file")) as sent:
        page.click("#upload-form button[type=submit]")
    assert sent.value.headers["content-type"] == "application/octet-stream"
    assert sent.value.headers["x-csrf-token"]
    page.locator("#attr-status", has_text="active").wait_for()
    assert "Data uploaded: the image is active." in page.locator("p.flash").first.inner_text()


def test_two_students_share_an_image(panel: Panel, tmp_path: Path) -> None:
    consumer = panel.login("consumer")
    producer = panel.login("producer")

    # The consumer copies its own project ID from the page and hands it over.
    consumer.click("button[data-copy=project-id]")
    consumer.locator("button[data-copy=project-id]", has_text="Copied").wait_for()
    handed_over = consumer.evaluate("navigator.clipboard.readText()")
    assert handed_over == panel.project_id("consumer")

    # The producer makes an image, uploads its data (with the progress script) and shares it.
    image_id = _create_image(producer, panel.url, "golden-disk")
    _upload(producer, tmp_path, DISK)
    assert producer.locator("#attr-size").inner_text() == str(len(DISK))
    producer.fill("#add-member input[name=member]", handed_over)
    producer.click("#add-member button[type=submit]")
    assert "added as a member" in panel.flash(producer)
    row = producer.locator(f"#member-table tr[data-member-id='{handed_over}']")
    assert row.locator(".member-status").inner_text() == "pending"

    # The consumer sees the invitation (and nothing yet under "shared with me").
    consumer.goto(panel.url + "/images?tab=invitations")
    assert consumer.locator("#tab-invitations .count").inner_text() == "1"
    assert consumer.locator("#tab-shared .count").inner_text() == "0"
    invitation = consumer.locator(f"tr[data-image-id='{image_id}']")
    assert invitation.locator(".image-name").inner_text() == "golden-disk"
    consumer.screenshot(path=str(screenshot_dir(tmp_path) / "panel-invitations.png"))
    invitation.locator("button", has_text="Accept").click()
    consumer.wait_for_url(re.compile(r".*tab=shared"))
    assert "is now accepted" in panel.flash(consumer)
    assert consumer.locator(f"tr[data-image-id='{image_id}']").count() == 1

    # ... downloads it and gets the producer's bytes ...
    consumer.click(f"tr[data-image-id='{image_id}'] .image-name")
    with consumer.expect_download() as download:
        consumer.click("#download")
    copy = Path(download.value.path()).read_bytes()
    assert copy == DISK

    # ... and keeps a copy of its own, as a new image in its project.
    own_id = _create_image(consumer, panel.url, "my-copy")
    _upload(consumer, tmp_path, copy, "copy.raw")

    # What the panel did is what the API shows.
    sdk_producer = panel.emulator.connect("producer")
    sdk_consumer = panel.emulator.connect("consumer")
    members = list(sdk_producer.image.members(image_id))
    assert [(m.member_id, m.status) for m in members] == [(handed_over, "accepted")]
    assert image_id in {i.id for i in sdk_consumer.image.images()}

    # The owner's view of the image, with its member, for the README.
    producer.reload()
    assert row.locator(".member-status").inner_text() == "accepted"
    producer.screenshot(path=str(screenshot_dir(tmp_path) / "panel-image-page.png"), full_page=True)

    # The producer ends the share; the image is gone for the consumer, its copy stays.
    row.locator("button", has_text="Remove").click()
    assert "no longer a member" in panel.flash(producer)
    assert producer.locator("#member-table").count() == 0
    consumer.goto(panel.url + "/images?tab=shared")
    assert consumer.locator(f"tr[data-image-id='{image_id}']").count() == 0
    consumer.goto(panel.url + f"/images/{image_id}")
    assert consumer.locator("#refusal").count() == 1
    consumer.goto(panel.url + "/images?tab=mine")
    assert consumer.locator(f"tr[data-image-id='{own_id}']").count() == 1

    assert list(sdk_producer.image.members(image_id)) == []
    with pytest.raises(openstack.exceptions.NotFoundException):
        sdk_consumer.image.get_image(image_id)
    kept = sdk_consumer.image.get_image(own_id)
    assert kept.status == "active" and kept.size == len(DISK)
    assert kept.checksum == sdk_producer.image.get_image(image_id).checksum
