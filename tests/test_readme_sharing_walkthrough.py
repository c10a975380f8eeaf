"""The README's sharing walkthrough runs, exactly as written, against a live server.

The ``sh`` blocks of "## Share an image, step by step" are joined into one bash script
(``-euo pipefail``, traced with ``-x``) and run with the real ``openstack`` CLI against
``python -m emulator serve --port 0 --ephemeral``, using the clouds.yaml that the README's
own ``glance-emulator clouds-yaml`` line writes. The trace ties each command's output to the
command, so the test checks what each step showed, then checks the server's state with
plain HTTP. If a step of the README stops working, or stops showing what its prose says,
this fails.
"""

from __future__ import annotations

import hashlib
import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from emulator.cli import banner
from emulator.cli.main import build_parser

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parent.parent
TITLE = "Share an image, step by step"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
SCRIPT_TIMEOUT = 240.0
TRACE = re.compile(r"^\++ (.*)$")


def walkthrough() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"^## {re.escape(TITLE)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README has no '## {TITLE}' section"
    return match.group(1)


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", walkthrough(), re.M | re.S)


def script() -> str:
    found = blocks("sh")
    assert found, "the walkthrough has no sh block"
    return "\n".join(found)


def clouds_yaml_words() -> list[str]:
    """The README's ``glance-emulator clouds-yaml ...`` line, as argv (without the redirect)."""
    for block in blocks("console"):
        for line in block.splitlines():
            command = line.removeprefix("$ ").split(" #", 1)[0]
            if command.startswith("glance-emulator clouds-yaml"):
                words, _, target = command.partition(">")
                assert target.strip() == "clouds.yaml", line
                return shlex.split(words)[1:]
    pytest.fail("the walkthrough does not show `glance-emulator clouds-yaml > clouds.yaml`")


@dataclass
class Server:
    proc: subprocess.Popen[str]
    url: str
    data_dir: str
    project_ids: dict[str, str]


def _read_banner(proc: subprocess.Popen[str]) -> list[str]:
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if line == banner.READY_LINE:
            return seen
    proc.kill()
    _, err = proc.communicate(timeout=STOP_TIMEOUT)
    pytest.fail(f"no complete banner (exit {proc.returncode}): {seen!r}\n{err}")


@pytest.fixture
def server() -> Iterator[Server]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--port", "0", "--ephemeral"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _read_banner(proc)
        text = "\n".join(lines)
        url = re.search(r"^glance-emulator listening on (http://127\.0\.0\.1:\d+)$", text, re.M)
        data_dir = re.search(r"^  data dir:\s+(.+?)\s{3}\(", text, re.M)
        assert url and data_dir, text
        project_ids = {
            words[0]: words[3]
            for words in (line.split() for line in lines)
            if len(words) >= 5 and words[1] == f"{words[0]}-pass"
        }
        yield Server(proc, url.group(1), data_dir.group(1), project_ids)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # by its own PID only
            try:
                proc.communicate(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()


def token(url: str, user: str) -> str:
    response = requests.post(
        f"{url}/identity/v3/auth/tokens",
        timeout=10,
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": user,
                            "domain": {"name": "Default"},
                            "password": f"{user}-pass",
                        }
                    },
                },
                "scope": {"project": {"name": user, "domain": {"name": "Default"}}},
            }
        },
    )
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


def get(url: str, user: str, path: str) -> requests.Response:
    return requests.get(f"{url}{path}", headers={"X-Auth-Token": token(url, user)}, timeout=10)


@dataclass
class Step:
    command: str
    output: list[str]


def steps(trace: str) -> list[Step]:
    """Split ``bash -x`` output (stderr merged into stdout) into commands and their output."""
    found: list[Step] = []
    for line in trace.splitlines():
        traced = TRACE.match(line)
        if traced:
            found.append(Step(traced.group(1), []))
        elif found:
            found[-1].output.append(line)
    return found


def output_of(found: list[Step], side: str, action: str) -> list[list[str]]:
    """Output of each ``openstack --os-cloud <side> image <action> ...`` the script ran."""
    prefix = f"openstack --os-cloud {side} {action}"
    outputs = [step.output for step in found if step.command.startswith(prefix)]
    assert outputs, f"the walkthrough never ran `{prefix} ...`"
    return outputs


def table_rows(output: list[str]) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in output
        if line.startswith("|")
    ]


def test_readme_walkthrough_parses() -> None:
    args = build_parser().parse_args(clouds_yaml_words())
    assert args.command == "clouds-yaml"
    setup = "\n".join(blocks("console"))
    assert "glance-emulator serve" in setup
    assert "OS_CLIENT_CONFIG_FILE" in setup
    commands = re.findall(r"openstack --os-cloud (producer|consumer) (\S+ \S+)", script())
    assert {side for side, _ in commands} == {"producer", "consumer"}


def test_readme_sharing_walkthrough_runs(server: Server, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    home = tmp_path / "home"
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
    environment = {name: value for name, value in os.environ.items() if not name.startswith("OS_")}
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
        variable = re.fullmatch(r"(IMAGE_ID|CONSUMER_PROJECT)=(\S+)", step.command)
        if variable:
            assigned[variable.group(1)] = variable.group(2)
    image_id, consumer = assigned["IMAGE_ID"], assigned["CONSUMER_PROJECT"]
    # The consumer's token names the project the banner shows.
    assert consumer == server.project_ids["consumer"]

    # Step 3: the offer is a pending member.
    (offer,) = output_of(found, "producer", "image add project")
    offer_fields = dict(row[:2] for row in table_rows(offer))
    assert offer_fields["member_id"] == consumer
    assert offer_fields["status"] == "pending"
    # Step 4: the consumer sees it among the pending offers.
    (pending,) = output_of(found, "consumer", "image list --shared --member-status pending")
    assert image_id in [row[0] for row in table_rows(pending)], pending
    # Step 5: after accepting, it is in the consumer's default list.
    plain_lists = [
        step.output for step in found if step.command == "openstack --os-cloud consumer image list"
    ]
    assert plain_lists and image_id in [row[0] for row in table_rows(plain_lists[-1])], trace
    # Step 7: the producer sees the consumer's row, accepted.
    (members,) = output_of(found, "producer", "image member list")
    assert [image_id, consumer, "accepted"] in table_rows(members), members
    # Step 8: after removal the consumer gets 404 ...
    (after,) = output_of(found, "consumer", f"image show {image_id}")
    assert f"No Image found for {image_id}" in "\n".join(after), after

    # State afterwards, through the API: the share is gone, the image and the copy are not.
    image = get(server.url, "producer", f"/v2/images/{image_id}")
    assert image.status_code == 200
    assert image.json()["visibility"] == "shared"
    members_now = get(server.url, "producer", f"/v2/images/{image_id}/members")
    assert members_now.status_code == 200 and members_now.json()["members"] == []
    assert get(server.url, "consumer", f"/v2/images/{image_id}").status_code == 404
    saved = re.search(r"image save --file (\S+)", script())
    assert saved, "the walkthrough does not save the image"
    copy = (workdir / saved.group(1)).read_bytes()
    assert len(copy) == image.json()["size"] > 0
    assert hashlib.md5(copy).hexdigest() == image.json()["checksum"]
