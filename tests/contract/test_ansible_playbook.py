"""Ansible, unmodified: the docs/ansible playbook prepares a lab with openstack.cloud.

``ansible-playbook`` comes from its own venv (``make ansible-venv``, a prerequisite of
``make test``; ``GLANCE_EMULATOR_ANSIBLE_VENV`` points elsewhere): the ``ansible`` package,
which bundles the openstack.cloud collection, and the openstacksdk its modules import. Without
it the test is skipped, or fails when ``CI`` is set. The clouds.yaml is the one
``glance-emulator clouds-yaml`` writes. The result is then read back through the API with this
venv's openstacksdk.

Expected behaviour follows Glance: glance/api/v2/image_members.py (a member is added
``pending``; adding it again is a 409, which the playbook takes as "already done") and the
image data's checksum is the MD5 of the uploaded bytes (glance/common/utils.py, as the
emulator's other contract tests check). The same playbook run against a real Glance 33 gave the
same task results, first and second run.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # fixtures provide the objects; the conftest is never imported directly
    from tests.contract.conftest import Clients, LiveServer

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "docs" / "ansible" / "prepare-lab.yml"
ANSIBLE_VENV = Path(os.environ.get("GLANCE_EMULATOR_ANSIBLE_VENV", ROOT / ".ansible-venv"))
PLAYBOOK_TIMEOUT_SECONDS = 300
LAB = "ansible-lab"
IMAGE_NAME = f"{LAB}-base"
SCRATCH_NAME = f"{LAB}-scratch"
# Tasks that change something on every run: the scratch image is made and deleted each time.
ALWAYS_CHANGED = {"Create a scratch copy to try things on", "Delete the scratch image"}


def _ansible_playbook() -> Path:
    found = ANSIBLE_VENV / "bin" / "ansible-playbook"
    if not found.exists():
        message = f"{found} is missing: `make ansible-venv` installs it (`make test` does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@dataclass
class PlayRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        return (
            f"exit status {self.returncode}\n--- stdout ---\n{self.stdout[-8000:]}\n"
            f"--- stderr ---\n{self.stderr[-4000:]}"
        )

    def report(self) -> dict[str, Any]:
        """The ``ansible.posix.json`` callback's document (it prints one JSON object)."""
        try:
            document: dict[str, Any] = json.loads(self.stdout)
        except ValueError:
            pytest.fail(f"the playbook's output is not JSON\n{self.describe()}")
        return document

    def tasks(self) -> dict[str, dict[str, Any]]:
        """Each task's result on localhost, by task name."""
        [play] = self.report()["plays"]
        return {task["task"]["name"]: task["hosts"]["localhost"] for task in play["tasks"]}


class Lab:
    """A workdir with the emulator's clouds.yaml, an image file and a way to run the play."""

    def __init__(self, server: LiveServer, workdir: Path):
        self.workdir = workdir
        self.home = workdir / "home"
        self.home.mkdir(parents=True)
        self.clouds_file = workdir / "clouds.yaml"
        written = subprocess.run(
            [
                str(Path(sys.executable).parent / "glance-emulator"),
                "clouds-yaml",
                "--url",
                server.base_url,
                "--data-dir",
                str(server.data_dir),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        self.clouds_file.write_text(written.stdout)
        self.data = os.urandom(96 * 1024)
        self.image_file = workdir / "lab-disk.raw"
        self.image_file.write_bytes(self.data)
        # An empty ansible.cfg: no configuration from the caller's folder or home is read.
        self.config = workdir / "ansible.cfg"
        self.config.write_text("")

    def _env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("OS_", "ANSIBLE_")) and k.lower() not in _PROXIES
        }
        env.update(
            HOME=str(self.home),
            OS_CLIENT_CONFIG_FILE=str(self.clouds_file),
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            PYTHONWARNINGS="ignore",
            ANSIBLE_CONFIG=str(self.config),
            ANSIBLE_LOCAL_TEMP=str(self.workdir / "ansible-local"),
            ANSIBLE_REMOTE_TEMP=str(self.workdir / "ansible-remote"),
            ANSIBLE_HOST_KEY_CHECKING="False",
            ANSIBLE_LOCALHOST_WARNING="False",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
            ANSIBLE_RETRY_FILES_ENABLED="False",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        )
        return env

    def run(self, consumer_project_id: str) -> PlayRun:
        argv = [
            str(_ansible_playbook()),
            "-i",
            "localhost,",
            str(PLAYBOOK),
            "-e",
            "cloud=producer",
            "-e",
            f"consumer_project_id={consumer_project_id}",
            "-e",
            f"lab_name={LAB}",
            "-e",
            f"image_file={self.image_file}",
        ]
        started = time.monotonic()
        try:
            done = subprocess.run(
                argv,
                env=self._env(),
                capture_output=True,
                text=True,
                timeout=PLAYBOOK_TIMEOUT_SECONDS,
                cwd=self.workdir,
            )
        except subprocess.TimeoutExpired as timeout:
            pytest.fail(f"ansible-playbook timed out\n{timeout.stdout!r}\n{timeout.stderr!r}")
        run = PlayRun(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
        if run.returncode != 0:
            pytest.fail(f"the playbook failed\n{run.describe()}")
        return run


_PROXIES = {"http_proxy", "https_proxy", "all_proxy"}


@pytest.fixture
def lab(fresh_server: LiveServer, tmp_path: Path) -> Lab:
    _ansible_playbook()  # skip (or fail on CI) before any work when Ansible is not installed
    return Lab(fresh_server, tmp_path / "lab")


def _images_named(connection, name: str) -> list[Any]:
    return [image for image in connection.image.images() if image.name == name]


def test_the_playbook_prepares_the_lab_and_a_second_run_changes_only_the_scratch_image(
    lab: Lab, fresh_clients: Clients
) -> None:
    producer = fresh_clients.sdk("producer")
    consumer_project = fresh_clients.project_id("consumer")

    first = lab.run(consumer_project)
    tasks = first.tasks()
    stats = first.report()["stats"]["localhost"]
    assert stats["failures"] == 0 and stats["unreachable"] == 0, first.describe()
    changed = {name for name, result in tasks.items() if result.get("changed")}
    # The image file is the test's own, so the play leaves it alone.
    assert changed == {
        "Create the lab image and upload its data",
        "Create a scratch copy to try things on",
        "Update the lab image (minimum RAM, tags, one more property)",
        "Offer the lab image to the consumer project",
        "Delete the scratch image",
    }, first.describe()
    assert tasks["Offer the lab image to the consumer project"]["status"] == 200

    # Through the API: one image, active, with the file's bytes and the play's settings.
    [image] = _images_named(producer, IMAGE_NAME)
    updated = tasks["Update the lab image (minimum RAM, tags, one more property)"]
    assert image.id == updated["image"]["id"]
    assert image.status == "active"
    assert image.size == len(lab.data)
    assert image.checksum == hashlib.md5(lab.data).hexdigest()
    assert image.disk_format == "raw" and image.container_format == "bare"
    assert image.visibility == "shared"
    assert image.min_ram == 512
    assert sorted(image.tags) == sorted(["lab", LAB])
    assert (image.os_distro, image.hw_disk_bus, image.os_version) == ("cirros", "virtio", "0.6")
    assert b"".join(producer.image.download_image(image, stream=True).iter_content(65536)) == (
        lab.data
    )
    [member] = list(producer.image.members(image.id))
    assert (member.member_id, member.status) == (consumer_project, "pending")
    consumer = fresh_clients.sdk("consumer")
    assert consumer.image.get_image(image.id).name == IMAGE_NAME  # a pending member may read it
    assert _images_named(producer, SCRATCH_NAME) == []

    # Again: the modules find what is there and leave it, the member POST answers 409.
    second = lab.run(consumer_project)
    again = second.tasks()
    assert {name for name, result in again.items() if result.get("changed")} == ALWAYS_CHANGED, (
        second.describe()
    )
    assert again["Offer the lab image to the consumer project"]["status"] == 409
    [same] = _images_named(producer, IMAGE_NAME)
    assert same.id == image.id and same.checksum == image.checksum
    assert same.updated_at == image.updated_at  # no PATCH went out
    assert [(m.member_id, m.status) for m in producer.image.members(image.id)] == [
        (consumer_project, "pending")
    ]
    assert _images_named(producer, SCRATCH_NAME) == []
    print(f"playbook: first run {first.seconds:.1f}s, second run {second.seconds:.1f}s")
