"""The packaged shared-images-guide lab, as its students see it in the panel."""

from __future__ import annotations

import re

from tests.panel.conftest import Panel


def test_guide_lab_numeric_tenants_invitation_and_a_later_accept(panel: Panel) -> None:
    panel.emulator.reset("shared-images-guide")
    page = panel.login("consumer1")
    assert page.locator("#project-id").input_value() == "930251"
    counts = {
        tab: page.locator(f"#tab-{tab} .count").inner_text()
        for tab in ("mine", "shared", "invitations", "rejected")
    }
    assert counts == {"mine": "0", "shared": "1", "invitations": "1", "rejected": "0"}
    page.click("#tab-invitations")
    page.click("text=web-server-snapshot")
    assert page.locator("#my-status").inner_text() == "pending"
    assert "image_type" in page.locator("#properties").inner_text()
    assert page.locator("#attr-owner").inner_text() == "930114"

    # consumer3 rejected the imported image; Glance lets it change its mind.
    page.select_option("select[name=username]", "consumer3")
    page.click("text=Switch")
    page.click("#tab-rejected")
    row = page.locator("#image-table tbody tr", has_text="imported-centos")
    row.locator("button", has_text="Accept").click()
    page.wait_for_url(re.compile(r".*tab=shared$"))
    assert page.locator("#image-table", has_text="imported-centos").count() == 1
    assert page.locator("#tab-rejected .count").inner_text() == "0"
    panel.emulator._refresh()
    images = {i.name for i in panel.emulator.connect("consumer3").image.images()}
    assert images == {"imported-centos"}
