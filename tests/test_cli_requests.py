"""``glance-emulator requests [--follow]`` against a live server, run as a user runs it."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulator.app import create_app
from emulator.core.config import Config
from emulator.server import ServerThread


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerThread]:
    with ServerThread(create_app(Config(data_dir=tmp_path)), threads=4) as running:
        yield running


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_requests_prints_the_log_oldest_first(server: ServerThread) -> None:
    requests.get(server.base_url + "/versions", timeout=10)
    requests.get(server.base_url + "/v2/images", timeout=10)
    requests.get(server.base_url + "/v2/images/x", timeout=10)
    result = run_cli("requests", "--url", server.base_url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[1:4] for line in lines] == [
        ["GET", "/versions", "200"],
        ["GET", "/v2/images", "401"],
        ["GET", "/v2/images/x", "401"],
    ]
    as_json = run_cli("requests", "--url", server.base_url, "--json", "--path", "/v2/")
    assert [json.loads(line)["path"] for line in as_json.stdout.splitlines()] == [
        "/v2/images",
        "/v2/images/x",
    ]


def test_requests_follow_prints_new_requests(server: ServerThread) -> None:
    follower = subprocess.Popen(
        [sys.executable, "-m", "emulator", "requests", "--url", server.base_url, "-f"]
        + ["--interval", "0.1", "--method", "DELETE"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert follower.stdout is not None
    reader = threading.Thread(
        target=lambda: [lines.put(line) for line in follower.stdout],  # type: ignore[union-attr]
        daemon=True,
    )
    reader.start()
    try:
        time.sleep(1.0)
        for n in range(3):
            requests.delete(server.base_url + f"/v2/images/gone-{n}", timeout=10)
            requests.get(server.base_url + "/versions", timeout=10)  # filtered out
            got = lines.get(timeout=15)
            assert got.split()[1:4] == ["DELETE", f"/v2/images/gone-{n}", "401"]
        assert lines.empty()
    finally:
        follower.terminate()  # our own child, by its handle
        follower.wait(timeout=10)


def test_requests_cannot_reach(tmp_path: Path) -> None:
    result = run_cli("requests", "--url", "http://127.0.0.1:9")
    assert result.returncode == 1
    assert "cannot reach http://127.0.0.1:9" in result.stderr


def test_faults_commands(server: ServerThread) -> None:
    url = ["--url", server.base_url]
    added = run_cli("faults", "add", *url, "--status", "503", "--method", "GET")
    assert added.returncode == 0, added.stderr
    rule = json.loads(added.stdout)
    assert (rule["status"], rule["method"]) == (503, ["GET"])
    assert requests.get(server.base_url + "/versions", timeout=10).status_code == 503
    listed = json.loads(run_cli("faults", "list", *url).stdout)
    assert [r["id"] for r in listed] == [rule["id"]] and listed[0]["fired"] == 1
    assert run_cli("faults", "delete", *url, rule["id"]).returncode == 0
    missing = run_cli("faults", "delete", *url, rule["id"])
    assert missing.returncode == 1 and f"No fault rule '{rule['id']}'" in missing.stderr
    run_cli("faults", "add", *url, "--latency-ms", "1")
    assert run_cli("faults", "clear", *url).returncode == 0
    assert json.loads(run_cli("faults", "list", *url).stdout) == []
    bad = run_cli("faults", "add", *url, "--status", "299")
    assert bad.returncode == 1 and "status must be one of" in bad.stderr
    # CLI requests shows which rule answered.
    shown = run_cli("requests", *url, "--faults").stdout.splitlines()
    assert len(shown) == 1 and shown[0].endswith("fault=fault-1: status 503")
