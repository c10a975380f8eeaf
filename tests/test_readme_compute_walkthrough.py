"""The README's compute walkthrough ("Boot, snapshot, revoke: what stays") runs, exactly
as written, with the real ``openstack`` CLI against a live ``serve --ephemeral``, like
``test_readme_sharing_walkthrough.py`` (whose server fixture and helpers it uses); then
the server's state is checked over plain HTTP."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_readme_sharing_walkthrough import (  # noqa: F401  (server is a fixture)
    ROOT,
    SCRIPT_TIMEOUT,
    Server,
    clouds_yaml_words,
    get,
    server,
    steps,
)

pytestmark = pytest.mark.contract

TITLE = "Boot, snapshot, revoke: what stays"


def script() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"^## {re.escape(TITLE)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README has no '## {TITLE}' section"
    found = re.findall(r"^```sh\n(.*?)^```$", match.group(1), re.M | re.S)
    assert found
    return "\n".join(found)


def test_readme_compute_walkthrough_runs(server: Server, tmp_path: Path) -> None:  # noqa: F811
    workdir, home = tmp_path / "work", tmp_path / "home"
    workdir.mkdir()
    home.mkdir()
    clouds = subprocess.run(
        [sys.executable, "-m", "emulator", *clouds_yaml_words()]
        + ["--url", server.url, "--data-dir", server.data_dir],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    (workdir / "clouds.yaml").write_text(clouds)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    environment.update(
        HOME=str(home),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        OS_CLIENT_CONFIG_FILE=str(workdir / "clouds.yaml"),
        PS4="+ ",
    )
    result = subprocess.run(
        ["bash", "-x", "-euo", "pipefail", "-c", script()],
        cwd=workdir,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=SCRIPT_TIMEOUT,
    )
    trace = result.stdout
    assert result.returncode == 0, trace
    found = steps(trace)
    assigned = {}
    for step in found:
        variable = re.fullmatch(r"(IMAGE_ID|CONSUMER_PROJECT|SNAPSHOT_ID)=(\S+)", step.command)
        if variable:
            assigned[variable.group(1)] = variable.group(2)
    image_id, snapshot_id = assigned["IMAGE_ID"], assigned["SNAPSHOT_ID"]
    consumer = assigned["CONSUMER_PROJECT"]
    assert "the shared image is gone" in trace
    assert "rebuilding to the revoked image is refused" in trace

    url = server.url
    assert get(url, "consumer", f"/v2/images/{image_id}").status_code == 404
    snapshot = get(url, "consumer", f"/v2/images/{snapshot_id}").json()
    assert snapshot["owner"] == consumer and snapshot["visibility"] == "private"
    assert snapshot["status"] == "active" and snapshot["base_image_ref"] == image_id
    golden = hashlib.md5((workdir / "golden.raw").read_bytes(), usedforsecurity=False)
    assert snapshot["checksum"] == golden.hexdigest()
    assert get(url, "producer", f"/v2/images/{snapshot_id}").status_code == 404
    servers = get(url, "consumer", "/compute/v2.1/servers/detail").json()["servers"]
    by_name = {s["name"]: s for s in servers}
    assert by_name["web1"]["status"] == "ACTIVE"
    assert by_name["web1"]["image"]["id"] == image_id
    assert by_name["web2"]["status"] == "ACTIVE"
    assert by_name["web2"]["image"]["id"] == snapshot_id
