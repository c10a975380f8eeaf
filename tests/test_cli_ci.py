"""What CI pipelines lean on, run as a pipeline runs it: ``serve --port 0 --ready-file``,
``wait``, ``clouds-yaml --url`` from the URL alone, ``--json``, ``--pid-file``,
``GLANCE_EMULATOR_*`` variables, and the clear refusals (port taken, data dir in use).
Servers are our own subprocesses, stopped by their handle."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest
import requests
import yaml
from openstack.config import loader

from emulator.cli import ci
from emulator.cli.main import build_parser

START_TIMEOUT = 30.0


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", ci.ENV_PREFIX))}
    env.update(extra)
    return env


class Served:
    def __init__(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env or clean_env(),
            cwd=cwd,
        )

    def json_line(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, self.stop()
        found: dict[str, Any] = json.loads(line)
        return found

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # our own child, by its handle
        _out, err = self.process.communicate(timeout=20)
        return str(err)


@pytest.fixture
def servers() -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for served in started:
        served.stop()


def serve(servers: list[Served], *args: str, **kwargs: Any) -> Served:
    served = Served(*args, **kwargs)
    servers.append(served)
    return served


def wait_for_file(path: Path) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)
    found: dict[str, Any] = json.loads(path.read_text())
    return found


@pytest.mark.contract
def test_a_ci_pipeline_from_the_url_alone(tmp_path: Path, servers: list[Served]) -> None:
    ready_file, pid_file = tmp_path / "ready.json", tmp_path / "emulator.pid"
    served = serve(
        servers,
        *("--port", "0", "--ephemeral", "--scenario", "sharing-101"),
        *("--ready-file", str(ready_file), "--pid-file", str(pid_file)),
    )
    ready = wait_for_file(ready_file)
    url = ready["url"]
    assert ready["auth_url"] == url + "/identity/v3" and ready["port"] > 0
    assert ready["pid"] == served.process.pid == int(pid_file.read_text())
    assert Path(ready["data_dir"]).is_dir() and ready["ephemeral"] is True

    waited = cli("wait", url, "--timeout", "30")
    assert waited.returncode == 0, waited.stderr
    # Another directory: nothing local to read, the server tells who exists.
    clouds = cli("clouds-yaml", "--url", url)
    assert clouds.returncode == 0, clouds.stderr
    clouds_file = tmp_path / "clouds.yaml"
    clouds_file.write_text(clouds.stdout)
    assert sorted(yaml.safe_load(clouds.stdout)["clouds"]) == [
        "admin",
        "consumer",
        "outsider",
        "producer",
    ]

    def connect(user: str) -> Any:
        config = loader.OpenStackConfig(config_files=[str(clouds_file)], load_envvars=False)
        return openstack.connection.Connection(config=config.get_one(cloud=user))

    producer, consumer = connect("producer"), connect("consumer")
    image = producer.image.create_image(
        "ci-shared", disk_format="raw", container_format="bare", data=b"ci", visibility="shared"
    )
    producer.image.add_member(image, member_id=consumer.current_project_id)
    consumer.image.update_member(consumer.current_project_id, image, status="accepted")
    assert "ci-shared" in [i.name for i in consumer.image.images()]
    assert consumer.image.download_image(image).content == b"ci"

    served.stop()
    assert served.process.returncode == 0
    assert not ready_file.exists() and not pid_file.exists()
    assert not Path(ready["data_dir"]).exists()


def test_json_line_instead_of_the_banner(servers: list[Served]) -> None:
    served = serve(servers, "--port", "0", "--ephemeral", "--json")
    ready = served.json_line()
    health = requests.get(ready["url"] + "/_emulator/health", timeout=10)
    assert health.json()["status"] == "ok"


def test_every_option_from_the_environment(tmp_path: Path, servers: list[Served]) -> None:
    env = clean_env(
        GLANCE_EMULATOR_PORT="0",
        GLANCE_EMULATOR_DATA_DIR=str(tmp_path / "from-env"),
        GLANCE_EMULATOR_JSON="yes",
        GLANCE_EMULATOR_SHARING_PROFILE="strict",
        GLANCE_EMULATOR_IMAGE_TAG_QUOTA="3",
    )
    ready = serve(servers, env=env).json_line()
    assert ready["data_dir"] == str((tmp_path / "from-env").resolve())
    assert requests.get(ready["url"] + "/_emulator/health", timeout=10).json()[
        "sharing_profile"
    ] == ("strict")
    # A flag beats its variable.
    flagged = serve(servers, "--sharing-profile", "glance", "--ephemeral", env=env).json_line()
    health = requests.get(flagged["url"] + "/_emulator/health", timeout=10).json()
    assert health["sharing_profile"] == "glance" and flagged["ephemeral"] is True


def test_every_serve_option_has_a_variable() -> None:
    parser = build_parser()
    serve = parser._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    names = {name for name, _ in ci.env_options(serve)}
    flags = {a.dest for a in serve._actions if a.option_strings and a.dest != "help"}
    assert names == {ci.env_name(dest) for dest in flags}
    assert {"GLANCE_EMULATOR_PORT", "GLANCE_EMULATOR_INSPECT_IMAGE_FORMAT"} <= names


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("GLANCE_EMULATOR_PORT", "abc", "GLANCE_EMULATOR_PORT: not an integer: 'abc'"),
        ("GLANCE_EMULATOR_EPHEMERAL", "maybe", "GLANCE_EMULATOR_EPHEMERAL must be true or"),
        ("GLANCE_EMULATOR_SHARING_PROFILE", "loose", "must be one of glance, strict"),
    ],
)
def test_a_bad_variable_is_a_usage_error(variable: str, value: str, message: str) -> None:
    result = cli("serve", env=clean_env(**{variable: value}))
    assert result.returncode == 2
    assert message in result.stderr


def test_wait_gives_up_with_a_message() -> None:
    result = cli("wait", "http://127.0.0.1:9", "--timeout", "0.5")
    assert result.returncode == 1
    assert "http://127.0.0.1:9 did not answer within 0.5 s" in result.stderr


def test_a_taken_port_suggests_port_0(servers: list[Served]) -> None:
    ready = serve(servers, "--port", "0", "--ephemeral", "--json").json_line()
    result = cli("serve", "--port", str(ready["port"]), "--ephemeral")
    assert result.returncode == 1
    assert "Address already in use" in result.stderr and "--port 0" in result.stderr


def test_two_servers_cannot_share_a_data_dir(tmp_path: Path, servers: list[Served]) -> None:
    first = serve(servers, "--port", "0", "--data-dir", str(tmp_path), "--json")
    first.json_line()
    result = cli("serve", "--port", "0", "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert f"another glance-emulator (pid {first.process.pid}) serves {tmp_path}" in (result.stderr)


def test_clouds_yaml_from_a_url_keeps_unknown_passwords_as_placeholders(
    tmp_path: Path, servers: list[Served]
) -> None:
    lab = tmp_path / "lab.yaml"
    lab.write_text(
        "name: lab\nprojects: [{name: team}]\n"
        "users: [{name: alice, password: s3cret, project: team}]\n"
    )
    ready = serve(servers, "--port", "0", "--ephemeral", "--json", "--scenario", str(lab))
    url = ready.json_line()["url"]
    clouds = yaml.safe_load(cli("clouds-yaml", "--url", url).stdout)["clouds"]
    assert clouds["alice"]["auth"]["password"] == "<password>"
    assert clouds["producer"]["auth"]["password"] == "producer-pass"
    env = cli("env", "alice", "--url", url)
    assert "export OS_PASSWORD='<password>'" in env.stdout
    unknown = cli("env", "bob", "--url", url)
    assert unknown.returncode == 1 and "known: admin, alice" in unknown.stderr


def test_reset_goes_back_to_the_start_scenario_and_says_so(
    tmp_path: Path, servers: list[Served]
) -> None:
    (tmp_path / "lab.yaml").write_text(
        "name: my-lab\nprojects: [{name: team}]\n"
        "users: [{name: alice, password: alice-pass, project: team}]\n"
        "images: [{name: lab-image, owner: team, disk_format: raw, container_format: bare,\n"
        "          data: {file: disk.raw}}]\n"
    )
    (tmp_path / "disk.raw").write_bytes(b"lab data")
    # A relative scenario path, from the server's own working directory.
    served = serve(
        servers, "--port", "0", "--ephemeral", "--json", "--scenario", "lab.yaml", cwd=tmp_path
    )
    url = served.json_line()["url"]
    requests.post(url + "/_emulator/reset", json={"scenario": "classroom"}, timeout=30)

    again = cli("reset", "--url", url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("scenario: my-lab\n")
    accounts = requests.get(url + "/_emulator/accounts", timeout=10).json()["accounts"]
    assert "alice" in {a["user"] for a in accounts}

    demo = cli("reset", "--url", url, "--demo")
    assert demo.stdout.startswith("scenario: demo\n")
    accounts = requests.get(url + "/_emulator/accounts", timeout=10).json()["accounts"]
    assert {a["user"] for a in accounts} == {"admin", "consumer", "outsider", "producer"}

    over_http = requests.post(url + "/_emulator/reset", timeout=30)
    assert over_http.json()["scenario"] == "my-lab"
    assert list(over_http.json()["images"]) == ["lab-image"]


def test_no_command_lists_the_commands() -> None:
    result = cli()
    assert result.returncode == 2
    for command in ("serve", "reset", "clouds-yaml", "requests", "faults", "wait"):
        assert f"\n    {command}" in result.stderr
    assert "give a command, e.g. 'glance-emulator serve'" in result.stderr


def test_serve_puts_the_start_scenario_rules_in_force(
    tmp_path: Path, servers: list[Served]
) -> None:
    lab = tmp_path / "flaky.yaml"
    lab.write_text(
        "name: flaky\nfaults:\n"
        "  - {name: slow-versions, latency_ms: 1, path: /versions}\n"
        "  - {status: 503, path: /identity/v3}\n"
    )
    url = serve(servers, "--port", "0", "--ephemeral", "--json", "--scenario", str(lab))
    base = url.json_line()["url"]
    assert requests.get(base + "/identity/v3", timeout=10).status_code == 503
    listed = json.loads(cli("faults", "list", "--url", base).stdout)
    assert [r["name"] for r in listed] == ["slow-versions", None]
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nfaults: [{cut: sideways}]\n")
    result = cli("serve", "--port", "0", "--ephemeral", "--scenario", str(bad))
    assert result.returncode == 1 and "faults.0: cut must be one of" in result.stderr
