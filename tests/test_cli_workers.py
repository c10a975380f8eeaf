"""``serve --workers N``: several server processes on one port and one data dir, driven as a
user runs them (the CLI as a subprocess, real HTTP clients). Which worker answered is told
by ``/_emulator/health``'s ``pid``; workers are killed by the pids the server reports."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest
import requests

from tests.test_cli_ci import Served, clean_env, cli, serve, servers  # noqa: F401 (the fixture)

pytestmark = pytest.mark.contract

WORKERS = 2


def fresh_get(url: str, **kwargs: Any) -> requests.Response:
    """On a connection of its own, so the kernel may hand it to any worker."""
    headers = {"Connection": "close", **kwargs.pop("headers", {})}
    return requests.get(url, headers=headers, timeout=10, **kwargs)


def workers_seen(url: str, tries: int = 300) -> set[int]:
    """The pids that answer fresh connections, once every worker has answered one."""
    seen: set[int] = set()
    for _ in range(tries):
        body = fresh_get(f"{url}/_emulator/health").json()
        assert body["workers"] == WORKERS
        seen.add(body["pid"])
        if len(seen) == WORKERS:
            break
    return seen


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has not been reaped yet by its parent: it is gone all the same.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rpartition(")")[2].split()[0] != "Z"


def wait_until(check: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def served(servers: list[Served]) -> Iterator[tuple[Served, dict[str, Any]]]:  # noqa: F811
    server = serve(servers, "--workers", str(WORKERS), "--port", "0", "--ephemeral", "--json")
    yield server, server.json_line()


def connect(url: str, user: str) -> Any:
    return openstack.connect(
        auth_url=f"{url}/identity/v3",
        username=user,
        password=f"{user}-pass",
        project_name=user,
        user_domain_name="Default",
        project_domain_name="Default",
        identity_api_version="3",
        image_api_version="2",
    )


def test_workers_serve_one_port_over_one_data_dir(served: tuple[Served, dict[str, Any]]) -> None:
    server, ready = served
    url = ready["url"]
    pids = workers_seen(url)
    assert len(pids) == WORKERS and ready["pid"] == server.process.pid not in pids
    producer = connect(url, "producer")
    data = os.urandom(3 << 20)
    image = producer.image.create_image(
        name="shared-disk", data=data, disk_format="raw", container_format="bare"
    )
    token = producer.session.get_token()
    # Whichever worker a fresh connection lands on sees the same image and the same bytes.
    answered: set[int] = set()
    for _ in range(12):
        shown = fresh_get(f"{url}/v2/images/{image.id}", headers={"X-Auth-Token": token})
        assert shown.status_code == 200 and shown.json()["status"] == "active"
        assert shown.json()["os_hash_value"] == hashlib.sha512(data).hexdigest()
        got = fresh_get(f"{url}/v2/images/{image.id}/file", headers={"X-Auth-Token": token})
        assert got.status_code == 200 and got.content == data
        answered.add(fresh_get(f"{url}/_emulator/health").json()["pid"])
    assert answered <= pids
    # A token made by one worker is good at every other, and so is a change.
    producer.image.update_image(image, min_ram=512)
    for _ in range(12):
        shown = fresh_get(f"{url}/v2/images/{image.id}", headers={"X-Auth-Token": token})
        assert shown.json()["min_ram"] == 512


def test_a_killed_worker_is_replaced_after_recovery(
    served: tuple[Served, dict[str, Any]],
) -> None:
    server, ready = served
    url = ready["url"]
    producer = connect(url, "producer")
    kept = producer.image.create_image(
        name="kept", data=b"k" * 65536, disk_format="raw", container_format="bare"
    )
    cut = producer.image.create_image(name="cut", disk_format="raw", container_format="bare")
    token = producer.session.get_token()
    # One keep-alive connection: learn which worker has it, then upload on it slowly.
    session = requests.Session()
    victim = session.get(f"{url}/_emulator/health", timeout=10).json()["pid"]
    started = threading.Event()

    def body() -> Iterator[bytes]:
        yield b"x" * 65536
        started.set()
        time.sleep(30)  # the worker is killed meanwhile
        yield b"never sent"

    def upload() -> None:
        try:
            session.put(
                f"{url}/v2/images/{cut.id}/file",
                data=body(),
                headers={"X-Auth-Token": token, "Content-Type": "application/octet-stream"},
                timeout=60,
            )
        except requests.RequestException:
            pass  # the connection dies with the worker

    uploader = threading.Thread(target=upload, daemon=True)
    uploader.start()
    assert started.wait(10)
    wait_until(lambda: producer.image.get_image(cut.id).status == "saving")
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: not alive(victim))
    # All workers are replaced, after the upload cut short went back to queued.
    new_pids: set[int] = set()

    def replaced() -> bool:
        try:
            new_pids.clear()
            new_pids.update(workers_seen(url, tries=50))
        except requests.RequestException:
            return False  # between the old workers and the new
        return len(new_pids) == WORKERS and victim not in new_pids

    wait_until(replaced)
    assert server.process.poll() is None
    producer = connect(url, "producer")
    assert producer.image.get_image(cut.id).status == "queued"
    assert producer.image.get_image(cut.id).size is None
    token = producer.session.get_token()
    again = requests.put(
        f"{url}/v2/images/{cut.id}/file",
        data=b"again",
        headers={"X-Auth-Token": token, "Content-Type": "application/octet-stream"},
        timeout=10,
    )
    assert again.status_code == 204 and producer.image.get_image(cut.id).status == "active"
    got = fresh_get(f"{url}/v2/images/{kept.id}/file", headers={"X-Auth-Token": token})
    assert got.content == b"k" * 65536
    session.close()
    log = server.stop()
    assert f"worker {victim} was killed by signal 9" in log
    assert f"image {cut.id}: upload cut short, back to queued" in log


def test_the_request_log_and_fault_rules_are_refused(
    served: tuple[Served, dict[str, Any]], tmp_path: Path
) -> None:
    _server, ready = served
    url = ready["url"]
    for method in ("GET", "DELETE"):
        refused = requests.request(method, f"{url}/_emulator/requests", timeout=10)
        assert refused.status_code == 409
        assert "--workers 1" in refused.json()["error"]["message"]
    rule = requests.post(f"{url}/_emulator/faults", json={"status": 503}, timeout=10)
    assert rule.status_code == 409 and "Fault rules" in rule.json()["error"]["message"]
    assert requests.get(f"{url}/_emulator/faults", timeout=10).json()["faults"] == []
    before = requests.get(f"{url}/_emulator/export", timeout=30).json()
    flaky = {"name": "flaky", "faults": [{"status": 503}], "demo_accounts": False}
    reset = requests.post(f"{url}/_emulator/reset", json={"document": flaky}, timeout=30)
    assert reset.status_code == 409
    assert requests.get(f"{url}/_emulator/export", timeout=30).json() == before
    lab = tmp_path / "flaky.yaml"
    lab.write_text("name: flaky\nfaults:\n  - {status: 503, path: /versions}\n")
    result = cli("serve", "--workers", "2", "--port", "0", "--ephemeral", "--scenario", str(lab))
    assert result.returncode == 1 and "Fault rules are kept by each server process" in (
        result.stderr
    )


def test_stopping_the_server_stops_every_worker(
    served: tuple[Served, dict[str, Any]],
) -> None:
    server, ready = served
    pids = workers_seen(ready["url"])
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    wait_until(lambda: not any(alive(pid) for pid in pids))
    with pytest.raises(requests.ConnectionError):
        fresh_get(ready["url"] + "/versions")


def test_workers_stop_with_a_killed_parent(
    servers: list[Served],  # noqa: F811
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    first = serve(servers, "--workers", "2", "--port", "0", "--data-dir", str(data_dir), "--json")
    ready = first.json_line()
    pids = workers_seen(ready["url"])
    first.process.kill()  # our own child, by its handle
    first.process.wait(timeout=10)
    # Their stdin closes with the parent: they stop, and the data dir is free again.
    wait_until(lambda: not any(alive(pid) for pid in pids))
    again = serve(servers, "--port", "0", "--data-dir", str(data_dir), "--json")
    assert requests.get(again.json_line()["url"] + "/versions", timeout=10).status_code == 200


@pytest.mark.parametrize("value", ["0", "65"])
def test_a_worker_count_out_of_range_is_a_usage_error(value: str) -> None:
    result = cli("serve", "--workers", value, "--ephemeral")
    assert result.returncode == 2 and "workers must be at" in result.stderr


def test_workers_from_the_config_file(tmp_path: Path, servers: list[Served]) -> None:  # noqa: F811
    config = tmp_path / "emulator.toml"
    config.write_text("[server]\nworkers = 2\nport = 0\n")
    ready = serve(servers, "--config", str(config), "--ephemeral", "--json").json_line()
    assert fresh_get(ready["url"] + "/_emulator/health").json()["workers"] == 2


def _group_server(*args: str) -> subprocess.Popen[str]:
    """A server in a process group of its own, as a terminal's foreground job is."""
    return subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--workers", "2", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
        start_new_session=True,
    )


@pytest.mark.parametrize("when", ["serving", "starting"])
def test_ctrl_c_to_the_whole_group_stops_it_cleanly(when: str) -> None:
    """A terminal's Ctrl+C sends SIGINT to every process of the job: the parent and each
    worker. The parent stops the workers; none of that is taken for a crash."""
    process = _group_server("--ephemeral", "--json")
    try:
        pids: set[int] = set()
        if when == "serving":
            assert process.stdout is not None
            pids = workers_seen(json.loads(process.stdout.readline())["url"])
        else:
            time.sleep(0.3)  # the parent builds its app, or starts the workers
        os.killpg(process.pid, signal.SIGINT)  # the group we made, by its id
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "Traceback" not in err and "killed by signal" not in err and "before it" not in err
    assert not any(alive(pid) for pid in pids)
    if when == "starting":
        assert out == ""  # not announced: it was stopped before it served
