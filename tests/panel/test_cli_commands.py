"""The openstack commands the panel shows next to its actions are real: run as shown (with
OS_CLOUD naming the user, as the panel's footer says) by the unmodified CLI, they do what
the panel's buttons do."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.panel.conftest import Panel


def _run(panel: Panel, user: str, command: str, home: Path) -> str:
    words = shlex.split(command)
    assert words[0] == "openstack", command
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(
        HOME=str(home),
        OS_CLIENT_CONFIG_FILE=str(panel.emulator.clouds_yaml),
        OS_CLOUD=user,
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    binary = Path(sys.executable).parent / "openstack"
    done = subprocess.run(
        [str(binary), *words[1:]], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, (command, done.stderr)
    return done.stdout


@pytest.mark.contract
def test_shown_commands_work_with_the_openstack_cli(panel: Panel, tmp_path: Path) -> None:
    panel.emulator._refresh()  # clouds.yaml for this session's users
    producer_sdk = panel.emulator.connect("producer")
    image = producer_sdk.image.create_image(
        name="cli-check", disk_format="raw", container_format="bare", visibility="shared"
    )
    consumer_project = panel.project_id("consumer")

    producer = panel.login("producer")
    producer.goto(panel.url + f"/images/{image.id}")
    add = producer.locator("#add-member .cli code").inner_text()
    _run(panel, "producer", add.replace("PROJECT_ID", consumer_project), tmp_path)
    producer.reload()
    row = producer.locator(f"#member-table tr[data-member-id='{consumer_project}']")
    assert row.locator(".member-status").inner_text() == "pending"

    consumer = panel.login("consumer")
    consumer.goto(panel.url + "/images?tab=invitations")
    listed = _run(panel, "consumer", consumer.locator("p.cli code").first.inner_text(), tmp_path)
    assert image.id in listed
    consumer.goto(panel.url + f"/images/{image.id}")
    accept = consumer.locator("#my-membership .cli code").first.inner_text()
    assert "--accept" in accept
    _run(panel, "consumer", accept, tmp_path)
    assert [m.status for m in producer_sdk.image.members(image.id)] == ["accepted"]

    producer.reload()
    remove = row.locator("code.cli").inner_text()
    _run(panel, "producer", remove, tmp_path)
    assert list(producer_sdk.image.members(image.id)) == []
