"""Ansible's openstack.cloud collection (from the ``ansible`` package) runs the lab playbook
of ``docs/ansible/`` against a live emulator; the result is checked through the API.

Ansible is not a dependency of the emulator or of its test extras: ``make ansible-venv``
puts it in ``.venv-ansible`` (with an openstacksdk the collection still works with), or
``GLANCE_EMULATOR_ANSIBLE_BIN`` names a folder holding ``ansible-playbook`` and a
``python`` with openstacksdk. Without either the test is skipped, saying so.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import openstack
import pytest
import yaml

from emulator.cli import client_config
from tests.contract.conftest import LiveServer

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "docs" / "ansible" / "prepare-lab.yml"


def ansible_bin() -> Path | None:
    folder = Path(os.environ.get("GLANCE_EMULATOR_ANSIBLE_BIN", ROOT / ".venv-ansible" / "bin"))
    return folder if (folder / "ansible-playbook").exists() else None


@pytest.mark.skipif(ansible_bin() is None, reason="no ansible-playbook: run make ansible-venv")
def test_the_lab_playbook(fresh_server: LiveServer, tmp_path: Path) -> None:
    folder = ansible_bin()
    assert folder is not None
    from emulator.app import create_app, operator_unit_of_work
    from emulator.core.config import Config

    with operator_unit_of_work(create_app(Config(data_dir=fresh_server.data_dir))) as uow:
        found = client_config.known_accounts(uow.db)
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(client_config.clouds_yaml(fresh_server.base_url, found))
    disk = tmp_path / "disk.raw"
    disk.write_bytes(os.urandom(4096))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(
        OS_CLIENT_CONFIG_FILE=str(clouds),
        HOME=str(tmp_path),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_NOCOLOR="1",
        NO_PROXY="127.0.0.1,localhost",
    )
    run = subprocess.run(
        [
            str(folder / "ansible-playbook"),
            "-i",
            "localhost,",
            "-e",
            f"ansible_python_interpreter={folder / 'python'}",
            "-e",
            f"image_file={disk}",
            str(PLAYBOOK),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "failed=0" in run.stdout

    conn = openstack.connect(
        auth_url=fresh_server.identity_v3_url,
        username="producer",
        password="producer-pass",
        project_name="producer",
        user_domain_name="Default",
        project_domain_name="Default",
        load_yaml_config=False,
        load_envvars=False,
    )
    images = {i.name: i for i in conn.image.images()}
    assert sorted(images) == ["lab-base"]
    base = images["lab-base"]
    assert (base.status, base.visibility, base.min_ram) == ("active", "shared", 256)
    assert sorted(base.tags) == ["lab", "ready"]
    assert base.properties["lab_version"] == "1"
    assert base.os_distro == "cirros"  # a first-class attribute for openstacksdk
    assert conn.image.download_image(base).content == disk.read_bytes()
    assert yaml.safe_load(PLAYBOOK.read_text())[0]["vars"]["cloud"] == "producer"
