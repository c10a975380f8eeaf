"""The command line, driven as users drive it: a real process, real signals, real HTTP.

Each served process gets a free port (``--port 0``) and is always stopped by its own PID.
"""

from __future__ import annotations

import json
import queue
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulator.cli import banner
from emulator.cli import main as cli
from emulator.cli.settings import SettingsError, build, config_document, config_from_document
from emulator.core.config import Config

DEMO_USERS = ("admin", "producer", "consumer", "outsider")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0

# Every option `serve` must offer (the brief's list). If one is added, add it here and to the
# README; test_readme_quickstart.py checks the README side.
SERVE_OPTIONS = (
    "--host",
    "--allow-remote",
    "--port",
    "--workers",
    "--data-dir",
    "--ephemeral",
    "--sharing-profile",
    "--config",
    "--token-ttl",
    "--image-member-quota",
    "--image-property-quota",
    "--image-tag-quota",
    "--image-size-cap",
    "--max-request-body-size",
    "--no-inspect-image-format",
    "--no-upload-safety-checks",
    "--allow-loopback-import",
    "--stores",
    "--image-cache",
    "--public-endpoint",
    "--log-level",
    "--threads",
    "--scenario",
    "--ready-file",
    "--json",
    "--pid-file",
    "--record-bodies",
)


def run_cli(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Served:
    """A ``python -m emulator serve ...`` process, read until its banner is complete."""

    def __init__(self, *args: str, cwd: Path | None = None):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        self.banner_lines = self._read_banner()
        self.banner = "\n".join(self.banner_lines)
        self.url = self._listening_url()
        self.stderr = ""

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _read_banner(self) -> list[str]:
        lines: list[str] = []
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                pytest.fail(f"no banner within {START_TIMEOUT}s; got {lines!r}")
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                _, err = self.proc.communicate(timeout=STOP_TIMEOUT)
                pytest.fail(f"server exited early ({self.proc.returncode}): {lines!r} {err}")
            lines.append(line)
            if line == banner.READY_LINE:
                return lines

    def _listening_url(self) -> str:
        for line in self.banner_lines:
            match = re.fullmatch(
                r"glance-emulator listening on http://(?:0\.0\.0\.0|127\.0\.0\.1)(:\d+)", line
            )
            if match:
                return "http://127.0.0.1" + match.group(1)
        self.kill()
        pytest.fail(f"no listening line in {self.banner!r}")

    def banner_value(self, label: str) -> str:
        for line in self.banner_lines:
            if line.strip().startswith(label + ":"):
                return line.split(":", 1)[1].strip()
        raise AssertionError(f"{label!r} not in banner:\n{self.banner}")

    def project_ids(self) -> dict[str, str]:
        ids = {}
        for line in self.banner_lines:
            words = line.split()
            if len(words) >= 4 and words[0] in DEMO_USERS and words[1] == f"{words[0]}-pass":
                ids[words[0]] = words[3]
        return ids

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.proc.send_signal(signum)
        try:
            _, self.stderr = self.proc.communicate(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"server did not stop within {STOP_TIMEOUT}s of signal {signum}")
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=STOP_TIMEOUT)


@pytest.fixture
def served() -> Iterator[list[Served]]:
    """Collects servers a test starts; any left running are killed (by PID) afterwards."""
    started: list[Served] = []
    yield started
    for server in started:
        server.kill()


def start(served: list[Served], *args: str) -> Served:
    server = Served(*args)
    served.append(server)
    return server


def token_for(base_url: str, user: str) -> str:
    response = requests.post(
        f"{base_url}/identity/v3/auth/tokens",
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
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


# --- serving --------------------------------------------------------------------------


def test_serve_ephemeral_answers_then_stops_cleanly_on_sigterm(served: list[Served]) -> None:
    server = start(served, "--port", "0", "--ephemeral")
    data_dir = Path(server.banner_value("data dir").split("   ")[0])
    assert data_dir.is_dir() and (data_dir / "emulator.db").is_file()

    response = requests.get(f"{server.url}/versions", timeout=10)
    assert response.status_code == 200
    assert {"id": "v2.17", "status": "CURRENT"}.items() <= response.json()["versions"][2].items()
    # Glance's version documents carry no request id; Keystone's responses do.
    assert "x-openstack-request-id" not in response.headers
    identity = requests.get(f"{server.url}/identity/v3", timeout=10)
    request_id = identity.headers["x-openstack-request-id"]

    assert server.banner_value("auth URL") == f"{server.url}/identity/v3"
    panel_url = server.banner_value("web panel").split()[0]
    assert panel_url == f"{server.url}/panel/"
    assert "Log in" in requests.get(panel_url, timeout=10).text
    ids = server.project_ids()
    assert sorted(ids) == sorted(DEMO_USERS)
    assert all(re.fullmatch(r"[0-9a-f]{32}", pid) for pid in ids.values()), ids
    assert len(set(ids.values())) == 4
    command = (
        f"openstack --os-auth-url {server.url}/identity/v3 --os-identity-api-version 3 "
        "--os-username producer --os-password producer-pass --os-project-name producer "
        "--os-user-domain-name Default --os-project-domain-name Default image list"
    )
    assert command in server.banner_lines[server.banner_lines.index("Try it (as producer):") + 1]

    assert server.stop(signal.SIGTERM) == 0
    assert not data_dir.exists()
    # One access-log line per request on stderr, with the id the client was given.
    assert re.search(
        rf"GET /identity/v3 200 \d+\.\dms {re.escape(request_id)}$", server.stderr, re.M
    ), server.stderr


def test_sigint_stops_cleanly_and_keeps_the_data_dir(served: list[Served], tmp_path: Path) -> None:
    server = start(served, "--port", "0", "--data-dir", str(tmp_path / "state"))
    assert requests.get(f"{server.url}/versions", timeout=10).status_code == 200
    assert server.stop(signal.SIGINT) == 0
    assert (tmp_path / "state" / "emulator.db").is_file()
    assert "Traceback" not in server.stderr


def test_restart_on_the_same_data_dir_keeps_projects_and_images(
    served: list[Served], tmp_path: Path
) -> None:
    data_dir = tmp_path / "state"
    first = start(served, "--port", "0", "--data-dir", str(data_dir))
    ids_before = first.project_ids()
    token = token_for(first.url, "producer")
    created = requests.post(
        f"{first.url}/v2/images",
        json={"name": "kept-across-restarts", "disk_format": "raw", "container_format": "bare"},
        headers={"X-Auth-Token": token},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    image = created.json()
    assert image["owner"] == ids_before["producer"]
    assert first.stop() == 0

    second = start(served, "--port", "0", "--data-dir", str(data_dir))
    assert second.project_ids() == ids_before
    assert "(kept between runs)" in second.banner_value("data dir")
    shown = requests.get(
        f"{second.url}/v2/images/{image['id']}",
        headers={"X-Auth-Token": token_for(second.url, "producer")},
        timeout=10,
    )
    assert shown.status_code == 200
    assert {k: shown.json()[k] for k in ("id", "name", "owner", "status", "created_at")} == {
        k: image[k] for k in ("id", "name", "owner", "status", "created_at")
    }
    assert second.stop() == 0


def test_port_zero_prints_the_real_port(served: list[Served]) -> None:
    server = start(served, "--port", "0", "--ephemeral")
    port = int(server.url.rsplit(":", 1)[1])
    assert port > 0
    assert server.banner_lines[0] == f"glance-emulator listening on http://127.0.0.1:{port}"
    assert server.stop() == 0


def test_public_endpoint_is_what_the_banner_tells_clients(served: list[Served]) -> None:
    server = start(
        served, "--port", "0", "--ephemeral", "--public-endpoint", "http://images.test:8080/"
    )
    assert server.banner_value("auth URL") == "http://images.test:8080/identity/v3"
    body = requests.get(f"{server.url}/versions", timeout=10).json()
    assert body["versions"][0]["links"][0]["href"] == "http://images.test:8080/v2/"
    assert server.stop() == 0


def test_a_taken_port_is_a_clear_error_with_exit_code_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_a_host_other_than_loopback_is_refused_without_allow_remote(
    tmp_path: Path, host: str
) -> None:
    result = run_cli("serve", "--host", host, "--port", "0", "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert f"warning: host {host} is not a loopback address" in result.stderr
    for user in DEMO_USERS:
        assert f"{user} ({user}-pass)" in result.stderr
    assert "--allow-remote" in result.stderr and "Not starting" in result.stderr
    assert not (tmp_path / "d").exists()  # refused before touching anything


def test_a_host_from_the_config_file_is_checked_too(tmp_path: Path) -> None:
    config_file = tmp_path / "emulator.toml"
    config_file.write_text('[server]\nhost = "0.0.0.0"\nport = 0\n')
    result = run_cli("serve", "--config", str(config_file), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert "warning: host 0.0.0.0 is not a loopback address" in result.stderr


def test_allow_remote_serves_every_interface_after_the_warning(served: list[Served]) -> None:
    server = start(served, "--host", "0.0.0.0", "--allow-remote", "--port", "0", "--ephemeral")
    assert requests.get(f"{server.url}/versions", timeout=10).status_code == 200
    assert server.stop() == 0
    assert "warning: host 0.0.0.0 is not a loopback address" in server.stderr
    assert "admin (admin-pass)" in server.stderr and "Not starting" not in server.stderr


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.0.2.10", False),
        ("no-such-host.invalid", False),
    ],
)
def test_which_hosts_count_as_loopback(host: str, loopback: bool) -> None:
    assert cli.is_loopback(host) is loopback


def test_config_file_sets_options_and_flags_win(served: list[Served], tmp_path: Path) -> None:
    config_file = tmp_path / "emulator.toml"
    config_file.write_text(
        'sharing_profile = "strict"\ndata_dir = "from-file"\n'
        '[server]\nport = 0\nlog_level = "warning"\n'
    )
    server = start(served, "--config", str(config_file))
    assert server.banner_value("sharing profile") == "strict"
    assert server.banner_value("data dir").startswith(str(tmp_path / "from-file"))
    requests.get(f"{server.url}/versions", timeout=10)
    assert server.stop() == 0
    assert "glance_emulator.access" not in server.stderr  # warning level: no access lines

    flagged = start(
        served, "--config", str(config_file), "--sharing-profile", "glance", "--ephemeral"
    )
    assert flagged.banner_value("sharing profile") == "glance"
    assert "(ephemeral: removed on exit)" in flagged.banner_value("data dir")
    assert flagged.stop() == 0


# --- usage errors and help ------------------------------------------------------------------


def test_help_lists_every_option() -> None:
    result = run_cli("serve", "--help")
    assert result.returncode == 0
    for option in SERVE_OPTIONS:
        assert re.search(rf"^\s+{re.escape(option)}\b", result.stdout, re.M), option
    usage = result.stdout.split("\n\n", 1)[0]
    offered = set(re.findall(r"--[a-z][a-z-]*", usage))
    assert offered - {"-h", "--help"} == set(SERVE_OPTIONS)


def test_bad_sharing_profile_exits_2_with_a_message() -> None:
    result = run_cli("serve", "--sharing-profile", "lenient", "--ephemeral")
    assert result.returncode == 2
    assert "invalid choice: 'lenient'" in result.stderr
    assert "glance" in result.stderr and "strict" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--port", "70000"), "port must be at most 65535"),
        (("--port", "nine"), "not an integer: 'nine'"),
        (("--threads", "0"), "threads must be at least 1"),
        (("--token-ttl", "0"), "token_ttl_seconds must be at least 1"),
        (("--image-size-cap", "0"), "image_size_cap must be at least 1"),
        (("--public-endpoint", "images.test"), "must be an http:// or https:// URL"),
        (("--log-level", "loud"), "invalid choice: 'loud'"),
        (("--data-dir", "x", "--ephemeral"), "not allowed with argument"),
        (("--config", "/nonexistent/emulator.toml"), "config file not found"),
    ],
)
def test_bad_options_exit_2_with_a_message(args: tuple[str, ...], message: str) -> None:
    result = run_cli("serve", *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_config_file_exits_2_and_leaves_no_temp_dir(tmp_path: Path) -> None:
    config_file = tmp_path / "bad.toml"
    config_file.write_text("image_member_quota = 'ten'\n")
    before = set(Path(tempfile.gettempdir()).glob("glance-emulator-*"))
    result = run_cli("serve", "--config", str(config_file), "--ephemeral")
    assert result.returncode == 2
    assert "image_member_quota must be an integer" in result.stderr
    after = set(Path(tempfile.gettempdir()).glob("glance-emulator-*"))
    assert after <= before


def test_importing_the_cli_loads_no_web_stack() -> None:
    """Start-up and --help stay fast: Flask, cheroot, SQLite helpers and the OpenStack
    clients are imported only when `serve` starts."""
    heavy = ("flask", "werkzeug", "cheroot", "sqlite_utils", "openstack", "keystoneauth1")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, emulator.cli.main; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- settings: defaults, then file, then flags ------------------------------------------------


def test_settings_defaults_match_config() -> None:
    settings = build()
    assert settings.config == Config()
    assert (settings.server.host, settings.server.port) == ("127.0.0.1", 9292)
    assert settings.ephemeral is False


def test_settings_file_then_flags(tmp_path: Path) -> None:
    config_file = tmp_path / "sub" / "e.toml"
    config_file.parent.mkdir()
    config_file.write_text(
        'data_dir = "state"\nimage_member_quota = -1\nimage_tag_quota = 5\n'
        'disk_formats = ["raw", "qcow2"]\ninspect_image_format = false\n'
        '[server]\nhost = "::1"\nthreads = 2\nlog_level = "DEBUG"\n'
    )
    settings = build(
        config_file=config_file,
        config_overrides={"image_tag_quota": 7, "image_member_quota": None},
        server_overrides={"threads": 4, "host": None},
    )
    assert settings.config.data_dir == (tmp_path / "sub" / "state").resolve()
    assert settings.config.image_member_quota == -1  # negative = unlimited, as in Glance
    assert settings.config.image_tag_quota == 7
    assert settings.config.disk_formats == ("raw", "qcow2")
    assert settings.config.inspect_image_format is False
    assert settings.server == type(settings.server)(
        host="::1", port=9292, threads=4, log_level="debug"
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("image_quota = 3", "unknown key 'image_quota'"),
        ("[server]\nprocesses = 3", "unknown key server.processes"),
        ("[server]\nworkers = 0", "workers must be at least 1"),
        ("[server]\nworkers = 'two'", "workers must be an integer"),
        ("server = 3", "[server] must be a table"),
        ("port = 3", "unknown key 'port'"),
        ("sharing_profile = 'lenient'", "sharing_profile must be one of glance, strict"),
        ("image_tag_quota = true", "image_tag_quota must be an integer"),
        ("inspect_image_format = 'no'", "inspect_image_format must be true or false"),
        ("disk_formats = 'raw'", "disk_formats must be a list of strings"),
        ("[server]\nport = -1", "port must be at least 0"),
        ("not toml at all", "is not valid TOML"),
    ],
)
def test_settings_file_errors(tmp_path: Path, document: str, message: str) -> None:
    config_file = tmp_path / "e.toml"
    config_file.write_text(document + "\n")
    with pytest.raises(SettingsError, match=re.escape(message)):
        build(config_file=config_file)


def test_ephemeral_dir_beats_data_dir_from_file(tmp_path: Path) -> None:
    config_file = tmp_path / "e.toml"
    config_file.write_text('data_dir = "/somewhere/else"\n')
    settings = build(config_file=config_file, ephemeral_dir=tmp_path / "tmp")
    assert settings.config.data_dir == tmp_path / "tmp"
    assert settings.ephemeral is True


def test_a_config_reaches_workers_whole(tmp_path: Path) -> None:
    """``--workers`` hands each worker its Config as JSON: every field type comes back."""
    changed = Config(
        data_dir=tmp_path / "lab",
        public_endpoint="http://proxy:8080",
        sharing_profile="strict",
        image_member_quota=-1,
        disk_formats=("raw", "qcow2"),
        enabled_backends=("fast:file", "slow:file"),
        default_backend="slow",
        database_busy_timeout=2.5,
        inspect_image_format=False,
    )
    for config in (Config(), changed):
        document = json.loads(json.dumps(config_document(config)))
        assert config_from_document(document) == config
