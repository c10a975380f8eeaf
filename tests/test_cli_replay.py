"""``glance-emulator replay``: a sharing flow recorded on one live server (``serve
--record-bodies``), replayed against others over HTTP, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator.app import create_app
from emulator.core.config import Config
from emulator.server import ServerThread
from tests.keystone_bodies import password_login, project_scope
from tests.test_cli_tools import Server

PASSWORDS = ["--password", "producer=producer-pass", "--password", "consumer=consumer-pass"]


def login(url: str, user: str) -> tuple[str, str]:
    """(token, project id), logged in as a client does."""
    answer = _login(url, user, f"{user}-pass")
    assert answer.status_code == 201, answer.text
    return answer.headers["X-Subject-Token"], answer.json()["token"]["project"]["id"]


def _login(url: str, user: str, password: str) -> requests.Response:
    return requests.post(
        f"{url}/identity/v3/auth/tokens",
        json=password_login(user, password, project_scope(user)),
        timeout=10,
    )


def sharing_flow(url: str) -> str:
    """A mistyped password, then create, upload, share, look before accepting, accept,
    list, download: the image's id."""
    assert _login(url, "consumer", "mistyped").status_code == 401
    producer, _ = login(url, "producer")
    consumer, consumer_project = login(url, "consumer")
    as_producer = {"X-Auth-Token": producer}
    as_consumer = {"X-Auth-Token": consumer}
    created = requests.post(
        f"{url}/v2/images",
        json={"name": "shared-disk", "disk_format": "raw", "container_format": "bare"},
        headers=as_producer,
        timeout=10,
    )
    assert created.status_code == 201
    image = created.json()["id"]
    uploaded = requests.put(
        f"{url}/v2/images/{image}/file",
        data=b"0123456789" * 100,
        headers={**as_producer, "Content-Type": "application/octet-stream"},
        timeout=10,
    )
    assert uploaded.status_code == 204
    member = requests.post(
        f"{url}/v2/images/{image}/members",
        json={"member": consumer_project},
        headers=as_producer,
        timeout=10,
    )
    assert member.status_code == 200
    # Glance lets a pending member show the image by id; the strict profile does not.
    assert requests.get(f"{url}/v2/images/{image}", headers=as_consumer, timeout=10).ok
    accepted = requests.put(
        f"{url}/v2/images/{image}/members/{consumer_project}",
        json={"status": "accepted"},
        headers=as_consumer,
        timeout=10,
    )
    assert accepted.status_code == 200
    listed = requests.get(
        f"{url}/v2/images?member_status=accepted", headers=as_consumer, timeout=10
    )
    assert [i["id"] for i in listed.json()["images"]] == [image]
    data = requests.get(f"{url}/v2/images/{image}/file", headers=as_consumer, timeout=10)
    assert data.content == b"0123456789" * 100
    return image


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The flow, recorded on a server started as a user starts one, bodies on."""
    server = Server("--port", "0", "--ephemeral", "--record-bodies")
    try:
        image = sharing_flow(server.url)
        answer = requests.get(f"{server.url}/_emulator/requests?format=ndjson", timeout=10)
        assert answer.status_code == 200
        path = tmp_path_factory.mktemp("recording") / "flow.ndjson"
        path.write_text(answer.text, encoding="utf-8")
        yield {"path": path, "image": image, "text": answer.text, "url": server.url}
    finally:
        status, err = server.stop()
        assert status == 0, err


def run_replay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator", "replay", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def other(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[ServerThread]:
    profile = getattr(request, "param", "glance")
    config = Config(data_dir=tmp_path / "other", sharing_profile=profile)
    with ServerThread(create_app(config), threads=4) as running:
        yield running


def test_the_recording_has_bodies_and_no_secrets(recording: dict[str, Any]) -> None:
    entries = [json.loads(line) for line in recording["text"].splitlines()]
    assert "producer-pass" not in recording["text"]
    assert "consumer-pass" not in recording["text"]
    assert "mistyped" not in recording["text"]
    logins = [e for e in entries if e["path"] == "/identity/v3/auth/tokens" and e["status"] == 201]
    assert len(logins) == 2
    for entry in logins:
        user = entry["request_body"]["auth"]["identity"]["password"]["user"]
        assert user["password"] == "***"
        assert entry["response_body"]["token"]["user"]["name"] == user["name"]
    created = next(e for e in entries if e["method"] == "POST" and e["path"] == "/v2/images")
    assert created["request_body"]["name"] == "shared-disk"
    assert created["response_body"]["id"] == recording["image"]
    upload = next(e for e in entries if e["method"] == "PUT" and e["path"].endswith("/file"))
    assert upload["request_body"] is None and upload["response_body"] is None
    assert upload["request_headers"]["content-length"] == "1000"
    assert all("x-auth-token" not in e["request_headers"] for e in entries)


def test_a_replay_against_a_like_server_finds_no_difference(
    recording: dict[str, Any], other: ServerThread, tmp_path: Path
) -> None:
    report_path = tmp_path / "report.json"
    result = run_replay(
        str(recording["path"]),
        "--url",
        other.base_url,
        *PASSWORDS,
        "--compare",
        "values",
        "--report",
        str(report_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10 same, 0 different, 0 skipped" in result.stdout
    report = json.loads(report_path.read_text())
    assert [r["outcome"] for r in report["requests"]] == ["same"] * 10
    # The image made on the other side stands for the recorded one in later requests.
    new_image = report["ids"][recording["image"]]
    assert new_image != recording["image"]
    sent = [r["sent"] for r in report["requests"]]
    assert f"{other.base_url}/v2/images/{new_image}/file" in sent
    assert all(recording["image"] not in url for url in sent)


@pytest.mark.parametrize("other", ["strict"], indirect=True)
def test_a_server_that_answers_otherwise_is_reported_and_exits_1(
    recording: dict[str, Any], other: ServerThread
) -> None:
    result = run_replay(str(recording["path"]), "--url", other.base_url, *PASSWORDS)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "9 same, 1 different, 0 skipped" in result.stdout
    different = [line for line in result.stdout.splitlines() if "DIFFERENT" in line]
    assert len(different) == 1
    assert different[0].split()[1:6] == [
        "GET",
        f"/v2/images/{recording['image']}",
        "200",
        "->",
        "404",
    ]
    assert "    status: 200 recorded, 404 replayed" in result.stdout


def test_without_passwords_the_logins_are_skipped_and_that_fails(
    recording: dict[str, Any], other: ServerThread
) -> None:
    result = run_replay(str(recording["path"]), "--url", other.base_url, "--quiet")
    assert result.returncode == 1
    assert "no --password for user producer" in result.stdout
    assert "1 same, 0 different, 9 skipped" in result.stdout
    allowed = run_replay(str(recording["path"]), "--url", other.base_url, "--allow-skips")
    assert allowed.returncode == 0


def test_a_recording_without_bodies_is_refused(tmp_path: Path, other: ServerThread) -> None:
    requests.get(other.base_url + "/versions", timeout=10)
    plain = requests.get(other.base_url + "/_emulator/requests?format=ndjson", timeout=10).text
    path = tmp_path / "plain.ndjson"
    path.write_text(plain)
    result = run_replay(str(path), "--url", other.base_url)
    assert result.returncode == 2
    assert "--record-bodies" in result.stderr


@pytest.mark.parametrize(
    ("argv", "environ", "toml", "expected"),
    [
        ([], {}, "", False),
        (["--record-bodies"], {}, "", True),
        ([], {"GLANCE_EMULATOR_REQUEST_LOG_BODIES": "1"}, "", True),
        ([], {}, "request_log_bodies = true\n", True),
        ([], {"GLANCE_EMULATOR_REQUEST_LOG_BODIES": "no"}, "request_log_bodies = true\n", False),
    ],
)
def test_record_bodies_from_flag_variable_or_config_file(
    tmp_path: Path, argv: list[str], environ: dict[str, str], toml: str, expected: bool
) -> None:
    from emulator.cli import ci
    from emulator.cli.main import build_parser, settings_from_args

    config_file = tmp_path / "settings.toml"
    config_file.write_text(toml)
    parser = build_parser()
    args = parser.parse_args(["serve", "--config", str(config_file), *argv])
    ci.apply_environment(args, args.serve_parser, environ)
    settings = settings_from_args(args, ephemeral_dir=tmp_path / "data")
    assert settings.config.request_log_bodies is expected


def test_the_recording_can_be_fetched_from_the_server_that_made_it(
    recording: dict[str, Any], other: ServerThread
) -> None:
    result = run_replay(recording["url"], "--url", other.base_url, *PASSWORDS, "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"replayed 10 requests against {other.base_url}: 10 same, 0 different, 0 skipped, 0 ignored"
    ]
    gone = run_replay("http://127.0.0.1:9/", "--url", other.base_url)
    assert gone.returncode == 2 and "cannot reach" in gone.stderr
