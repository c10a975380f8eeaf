"""The tool commands (scenarios, reset, load, export, clouds-yaml, env) and ``serve
--scenario``, run as users run them: ``python -m emulator ...`` in a subprocess, against a
data dir and against a live server (``serve --port 0 --ephemeral``, stopped with SIGTERM by
its PID). The clouds.yaml they print is used by openstacksdk, the env lines by bash.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from emulator.app import create_app, operator_unit_of_work
from emulator.cli import banner
from emulator.cli.main import build_parser
from emulator.control.services import scenario_files, state
from emulator.core.config import Config
from tests.store_snapshot import snapshot

START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
ROOT = Path(__file__).resolve().parent.parent
BAD_FIELDS = """\
name: lab
images:
  - name: golden
    owner: producer
    visibility: secret
"""
# Valid as a file, fails while loading: the image (and its data file) exist by then.
BAD_SHARE = """\
name: broken-share
images:
  - {name: kept-back, owner: producer, visibility: shared, disk_format: raw,
     container_format: bare, data: {text: "would be stored"}}
shares:
  - {image: no-such-image, project: consumer}
"""


def run_cli(*args: str, timeout: float = 60.0, **kwargs: Any) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


def ok(*args: str) -> str:
    result = run_cli(*args)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


class Server:
    """``python -m emulator serve ...``: read until the banner is complete."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.banner = self._read_banner()
        listening = [
            m
            for line in self.banner
            if (m := re.fullmatch(r"glance-emulator listening on (http://\S+)", line))
        ]
        assert listening, self.banner
        self.url = listening[0].group(1)
        data_dir = next(line for line in self.banner if line.strip().startswith("data dir:"))
        self.data_dir = Path(data_dir.split(":", 1)[1].strip().split("   ")[0])

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _read_banner(self) -> list[str]:
        lines: list[str] = []
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                err = self.proc.stderr.read() if self.proc.stderr else ""
                self.kill()
                pytest.fail(f"serve exited ({self.proc.returncode}): {lines} {err}")
            lines.append(line)
            if line == banner.READY_LINE:
                return lines
        self.kill()
        pytest.fail(f"no banner within {START_TIMEOUT}s: {lines}")

    def stop(self) -> tuple[int, str]:
        """SIGTERM by PID; (exit status, stderr)."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail("serve did not stop on SIGTERM")
        return self.proc.returncode, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=STOP_TIMEOUT)


def token(url: str, user: str, password: str | None = None, project: str | None = None) -> str:
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
                            "password": password or f"{user}-pass",
                        }
                    },
                },
                "scope": {"project": {"name": project or user, "domain": {"name": "Default"}}},
            }
        },
    )
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


def image_names(url: str, user: str, query: str = "") -> list[str]:
    response = requests.get(
        f"{url}/v2/images{query}", timeout=10, headers={"X-Auth-Token": token(url, user)}
    )
    assert response.status_code == 200, response.text
    return sorted(i["name"] for i in response.json()["images"])


def server_export(url: str, data: str = "inline") -> dict[str, Any]:
    response = requests.get(
        f"{url}/_emulator/export?data={data}",
        timeout=30,
        headers={"X-Auth-Token": token(url, "admin")},
    )
    assert response.status_code == 200, response.text
    return response.json()


def server_reset(url: str, body: dict[str, Any] | None = None) -> None:
    response = requests.post(
        f"{url}/_emulator/reset",
        json=body,
        timeout=30,
        headers={"X-Auth-Token": token(url, "admin")},
    )
    assert response.status_code == 200, response.text


def local_export(data_dir: Path) -> dict[str, Any]:
    app = create_app(Config(data_dir=data_dir))
    with operator_unit_of_work(app) as uow:
        return state.export(uow, "inline")


def local_reset(data_dir: Path, scenario: str | dict[str, Any] | None) -> None:
    app = create_app(Config(data_dir=data_dir))
    document = (
        scenario_files.read(scenario)[0]
        if isinstance(scenario, str)
        else (None if scenario is None else scenario_files.validate(scenario))
    )
    with operator_unit_of_work(app) as uow:
        state.reset(uow, document)


@pytest.fixture(scope="module")
def live() -> Iterator[dict[str, Any]]:
    """One server for the module, started with a packaged scenario. Tests reset it as they
    need; what it served right after start-up is recorded here."""
    server = Server("--port", "0", "--ephemeral", "--scenario", "sharing-101")
    try:
        yield {
            "url": server.url,
            "data_dir": server.data_dir,
            "at_start": {
                user: image_names(server.url, user) for user in ("producer", "consumer", "outsider")
            },
            "pending_at_start": image_names(
                server.url, "consumer", "?visibility=shared&member_status=pending"
            ),
        }
    finally:
        status, err = server.stop()
        assert status == 0, err
        assert not server.data_dir.exists(), "the ephemeral data dir is left behind"


# --- scenarios and the data dir ------------------------------------------------------------------


def test_scenarios_lists_the_packaged_ones_with_descriptions() -> None:
    out = ok("scenarios")
    for name, description in scenario_files.describe_packaged():
        assert f"{name}\n    {description}\n" in out
    assert out.index("classroom") < out.index("sharing-101")


def test_reset_export_reset_load_on_a_data_dir(tmp_path: Path) -> None:
    data_dir, saved = tmp_path / "data", tmp_path / "saved.json"
    out = ok("reset", "--data-dir", str(data_dir), "--scenario", "sharing-101")
    assert out.startswith("scenario: sharing-101\n")
    assert re.search(r"^  image golden-base: [0-9a-f-]{36}$", out, re.M)
    assert re.search(r"^  project producer: [0-9a-f]{32}$", out, re.M)

    assert ok("export", "--data-dir", str(data_dir), "-o", str(saved)) == ""
    exported = json.loads(saved.read_text())
    assert sorted(i["name"] for i in exported["images"]) == [
        "golden-base",
        "public-readme",
        "tools-snapshot",
    ]

    assert ok("reset", "--data-dir", str(data_dir)).startswith("scenario: demo\n")
    assert local_export(data_dir)["images"] == []

    assert ok("load", str(saved), "--data-dir", str(data_dir)).startswith("scenario: export\n")
    assert local_export(data_dir) == exported


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BAD_FIELDS, "lab.yaml: images.0.visibility (line 5): Must be one of"),
        (BAD_SHARE, "shares.0: unknown image 'no-such-image'"),
    ],
    ids=["bad field", "bad share"],
)
def test_a_bad_file_loads_nothing_into_a_data_dir(tmp_path: Path, text: str, message: str) -> None:
    data_dir = tmp_path / "data"
    local_reset(data_dir, "sharing-101")
    (tmp_path / "lab.yaml").write_text(text)
    app = create_app(Config(data_dir=data_dir))
    before = snapshot(app, tmp_path)
    result = run_cli("load", str(tmp_path / "lab.yaml"), "--data-dir", str(data_dir))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("glance-emulator: ")
    assert message in result.stderr
    assert snapshot(app, tmp_path) == before


def test_clouds_yaml_and_env_name_every_user_and_hide_unknown_passwords(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    local_reset(
        data_dir,
        {
            "projects": [{"name": "team-a"}],
            "users": [{"name": "alice", "password": "s3cret", "project": "team-a"}],
        },
    )
    url = "http://127.0.0.1:9999"
    clouds = yaml.safe_load(ok("clouds-yaml", "--url", url, "--data-dir", str(data_dir)))
    assert sorted(clouds["clouds"]) == ["admin", "alice", "consumer", "outsider", "producer"]
    producer = clouds["clouds"]["producer"]
    assert producer["auth"] == {
        "auth_url": f"{url}/identity/v3",
        "username": "producer",
        "password": "producer-pass",
        "project_name": "producer",
        "user_domain_name": "Default",
        "project_domain_name": "Default",
    }
    assert producer["identity_api_version"] == 3 and producer["region_name"] == "RegionOne"
    # Only hashes are stored: a password that is not "<name>-pass" cannot be shown.
    assert clouds["clouds"]["alice"]["auth"]["password"] == "<password>"
    assert clouds["clouds"]["alice"]["auth"]["project_name"] == "team-a"

    env = ok("env", "alice", "--url", url, "--data-dir", str(data_dir))
    assert "export OS_PASSWORD='<password>'\n" in env
    assert "export OS_PROJECT_NAME=team-a\n" in env

    unknown = run_cli("env", "nobody", "--data-dir", str(data_dir))
    assert unknown.returncode == 1
    assert unknown.stderr == (
        "glance-emulator: no user 'nobody'; known: admin, alice, consumer, outsider, producer\n"
    )


def test_clouds_yaml_without_a_data_dir_says_so(tmp_path: Path) -> None:
    result = run_cli("clouds-yaml", "--data-dir", str(tmp_path / "empty"))
    assert result.returncode == 1
    assert "no emulator data in" in result.stderr and "--data-dir" in result.stderr
    assert not (tmp_path / "empty").exists(), "asking must not create a data dir"


# --- serve --scenario ---------------------------------------------------------------------------


def test_serve_scenario_serves_the_scenario(live: dict[str, Any]) -> None:
    assert live["at_start"] == {
        "producer": ["golden-base", "public-readme", "tools-snapshot"],
        "consumer": ["golden-base", "public-readme"],
        "outsider": ["public-readme"],
    }
    assert live["pending_at_start"] == ["tools-snapshot"]


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("lab.yaml", "lab.yaml: images.0.visibility (line 5): Must be one of"),
        (
            "no-such-lab",
            "No scenario named 'no-such-lab'. Known: classroom, shared-images-guide, sharing-101 ",
        ),
    ],
)
def test_serve_with_a_bad_scenario_exits_1_with_the_message(
    tmp_path: Path, scenario: str, message: str
) -> None:
    (tmp_path / "lab.yaml").write_text(BAD_FIELDS)
    result = run_cli(
        "serve",
        "--port",
        "0",
        "--ephemeral",
        "--scenario",
        scenario,
        cwd=tmp_path,
        timeout=START_TIMEOUT,
    )
    assert result.returncode == 1, result.stdout
    assert message in result.stderr
    assert "listening on" not in result.stdout


def test_serve_scenario_keeps_a_data_dir_that_has_state(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    local_reset(data_dir, "sharing-101")
    server = Server("--port", "0", "--data-dir", str(data_dir), "--scenario", "classroom")
    try:
        assert image_names(server.url, "consumer") == ["golden-base", "public-readme"]
    finally:
        status, err = server.stop()
    assert status == 0
    assert "the data dir already has state; scenario 'classroom' not loaded" in err


def login_status(url: str, user: str, password: str | None = None) -> int:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": user,
                        "domain": {"name": "Default"},
                        "password": password or f"{user}-pass",
                    }
                },
            }
        }
    }
    return requests.post(f"{url}/identity/v3/auth/tokens", json=body, timeout=10).status_code


def test_serve_scenario_on_a_new_data_dir_is_a_reset(tmp_path: Path) -> None:
    """demo_accounts: false leaves no demo account behind, and an export taken from another
    data dir (whose demo accounts had other ids) starts a new one as it was."""
    server = Server("--port", "0", "--data-dir", str(tmp_path / "a"), "--scenario", "classroom")
    try:
        for gone in ("producer", "consumer", "outsider"):
            assert login_status(server.url, gone) == 401, gone
        assert image_names(server.url, "student1") == ["course-image"]
        exported = server_export(server.url)
    finally:
        status, err = server.stop()
    assert status == 0, err
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps(exported))
    other = tmp_path / "b"
    server = Server("--port", "0", "--data-dir", str(other), "--scenario", str(saved))
    try:
        assert server_export(server.url) == exported
        assert image_names(server.url, "student2") == []
        assert login_status(server.url, "producer") == 401
    finally:
        status, err = server.stop()
    assert status == 0, err


# --- against a running server -------------------------------------------------------------------


def test_reset_load_export_against_a_server(live: dict[str, Any], tmp_path: Path) -> None:
    url, saved = live["url"], tmp_path / "saved.json"
    out = ok("reset", "--url", url, "--demo")
    assert out.startswith("scenario: demo\n")
    assert image_names(url, "producer") == []
    # With no target, back to the scenario the server was started with.
    out = ok("reset", "--url", url)
    assert out.startswith("scenario: sharing-101\n")
    assert image_names(url, "consumer") == live["at_start"]["consumer"]
    ok("reset", "--url", url, "--demo")

    out = ok("load", "classroom", "--url", url)
    assert out.startswith("scenario: classroom\n")
    assert "  image course-image: " in out
    student = token(url, "student1")
    listed = requests.get(f"{url}/v2/images", headers={"X-Auth-Token": student}, timeout=10)
    assert [i["name"] for i in listed.json()["images"]] == ["course-image"]

    assert ok("export", "--url", url, "--data", "inline", "-o", str(saved)) == ""
    exported = json.loads(saved.read_text())
    assert exported == server_export(url)

    ok("load", "sharing-101", "--url", url)
    assert image_names(url, "consumer") == ["golden-base", "public-readme"]
    out = ok("reset", "--url", url, "--scenario", str(saved))
    assert out.startswith("scenario: export\n")
    assert server_export(url) == exported
    # The student's token from before the reset still works (same user, same project).
    again = requests.get(f"{url}/v2/images", headers={"X-Auth-Token": student}, timeout=10)
    assert again.status_code == 200


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # Read and checked by the CLI before anything is sent.
        (BAD_FIELDS, "lab.yaml: images.0.visibility (line 5): Must be one of"),
        # Refused by the server, all or nothing.
        (BAD_SHARE, "POST /_emulator/scenario: 400 shares.0: unknown image 'no-such-image'"),
    ],
    ids=["bad field", "bad share"],
)
def test_a_bad_file_loads_nothing_into_a_server(
    live: dict[str, Any], tmp_path: Path, text: str, message: str
) -> None:
    url = live["url"]
    server_reset(url, {"scenario": "sharing-101"})
    before = server_export(url)
    (tmp_path / "lab.yaml").write_text(text)
    result = run_cli("load", "lab.yaml", "--url", url, cwd=tmp_path)
    assert result.returncode == 1
    assert message in result.stderr
    assert server_export(url) == before
    if text == BAD_FIELDS:  # the README shows this very command and message
        labs = readme_section("Labs: scenarios, reset and export")
        assert "`glance-emulator load lab.yaml --url http://127.0.0.1:9292`" in labs
        assert f"```text\n{result.stderr}```" in labs


@pytest.mark.parametrize(
    ("login", "message"),
    [
        (["--password", "wrong"], "cannot log in as admin: 401"),
        (
            ["--user", "producer", "--password", "producer-pass"],
            "POST /_emulator/reset: 403 The control API needs an admin token.",
        ),
        (["--token", "not-a-token"], "POST /_emulator/reset: 401"),
    ],
    ids=["wrong password", "not an admin", "bad token"],
)
def test_reset_against_a_server_needs_an_admin(
    live: dict[str, Any], login: list[str], message: str
) -> None:
    url = live["url"]
    server_reset(url, {"scenario": "sharing-101"})
    before = server_export(url, "none")
    result = run_cli("reset", "--url", url, *login)
    assert result.returncode == 1
    assert message in result.stderr
    assert server_export(url, "none") == before


def test_a_server_that_is_not_there() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli("export", "--url", f"http://127.0.0.1:{port}")
    assert result.returncode == 1
    assert result.stderr.startswith(f"glance-emulator: cannot reach http://127.0.0.1:{port}/")


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning:openstack")
def test_clouds_yaml_works_with_openstacksdk(
    live: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openstack

    url = live["url"]
    server_reset(url, {"scenario": "sharing-101"})
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(ok("clouds-yaml", "--url", url, "--data-dir", str(live["data_dir"])))
    for name in [n for n in os.environ if n.startswith("OS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    monkeypatch.chdir(tmp_path)

    producer = openstack.connect(cloud="producer")
    consumer = openstack.connect(cloud="consumer")
    try:
        assert sorted(i.name for i in producer.image.images()) == [
            "golden-base",
            "public-readme",
            "tools-snapshot",
        ]
        assert sorted(i.name for i in consumer.image.images()) == ["golden-base", "public-readme"]
        pending = consumer.image.images(visibility="shared", member_status="pending")
        assert [i.name for i in pending] == ["tools-snapshot"]
        assert producer.current_project_id == consumer.image.find_image("golden-base").owner
    finally:
        producer.close()
        consumer.close()


def test_env_lines_work_in_bash(live: dict[str, Any]) -> None:
    url = live["url"]
    script = (
        'eval "$("$PYTHON" -m emulator env producer --url "$URL" --data-dir "$DATA")"; '
        'echo "$OS_USERNAME|$OS_PASSWORD|$OS_PROJECT_NAME|$OS_AUTH_URL|'
        '$OS_USER_DOMAIN_NAME|$OS_IDENTITY_API_VERSION"'
    )
    environment = {
        **os.environ,
        "PYTHON": sys.executable,
        "URL": url,
        "DATA": str(live["data_dir"]),
    }
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=60, env=environment
    )
    assert result.returncode == 0, result.stderr
    user, password, project, auth_url, domain, version = result.stdout.strip().split("|")
    assert (user, password, project, domain, version) == (
        "producer",
        "producer-pass",
        "producer",
        "Default",
        "3",
    )
    assert auth_url == f"{url}/identity/v3"
    # The values log in for real.
    response = requests.post(
        f"{auth_url}/auth/tokens",
        timeout=10,
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {"name": user, "domain": {"name": domain}, "password": password}
                    },
                },
                "scope": {"project": {"name": project, "domain": {"name": domain}}},
            }
        },
    )
    assert response.status_code == 201


# --- the README shows only commands that exist ---------------------------------------------------

MY_SECTIONS = ("Labs: scenarios, reset and export", "Using it from pytest", "Client configuration")


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def shown_commands() -> list[str]:
    """``glance-emulator ...`` commands in the sections' code blocks (``$ `` prompts too)
    and in inline code."""
    found = []
    for title in MY_SECTIONS:
        text = readme_section(title)
        for block in re.findall(r"^```\w*\n(.*?)^```$", text, re.M | re.S):
            for line in re.sub(r"\\\n\s*", " ", block).splitlines():
                line = line.removeprefix("$ ").strip()
                found += re.findall(r"(?:^|\$\()(glance-emulator [^)#|>]*)", line)
        found += re.findall(r"`(glance-emulator [^`]*)`", text)
    return [c.strip() for c in found]


def test_readme_commands_parse_with_the_real_parser() -> None:
    commands = shown_commands()
    named = {shlex.split(c)[1] for c in commands}
    assert {"serve", "scenarios", "reset", "load", "export", "clouds-yaml", "env"} <= named
    parser = build_parser()
    for command in commands:
        words = [w for w in shlex.split(command)[1:] if w != "--help"]
        words = [w.replace("URL", "http://127.0.0.1:9292") for w in words]
        try:
            parser.parse_args(words)
        except SystemExit:
            pytest.fail(f"README shows `{command}`, which does not parse")
