"""Kill the server (SIGKILL) in the middle of what it writes, start it again, and find every
image whole: its data present and matching its checksum, nothing stuck in ``saving``, no
folder or partial file left behind, and the lab either as it was or as it was asked to be.

Each server is a real ``python -m emulator serve`` process on a free loopback port, stopped
by its own PID. Kill points are spread over the operation's length, measured first.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
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

from emulator.cli import banner

START_TIMEOUT = 30.0
RAW = {"disk_format": "raw", "container_format": "bare"}


class Server:
    """``python -m emulator serve`` on a data dir; its log kept in a file."""

    def __init__(self, data_dir: Path, log: Path, *extra_args: str):
        self.log = log
        self._log_file = open(log, "a")  # noqa: SIM115 - closed in kill()/stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "emulator",
                "serve",
                "--port",
                "0",
                "--data-dir",
                str(data_dir),
                "--log-level",
                "warning",
                *extra_args,
            ],
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
        )
        self.url = self._wait_ready()
        self.port = int(self.url.rsplit(":", 1)[1])

    def _wait_ready(self) -> str:
        lines: queue.Queue[str | None] = queue.Queue()

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                lines.put(line.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        url = None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            if line.startswith("glance-emulator listening on "):
                url = line.split()[-1]
            if line == banner.READY_LINE and url:
                return url
        self.kill()
        pytest.fail(f"server did not start: {self.log.read_text()}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._log_file.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=20)
        self._log_file.close()

    def token(self, user: str) -> str:
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": user,
                            "domain": {"id": "default"},
                            "password": f"{user}-pass",
                        }
                    },
                },
                "scope": {"project": {"name": user, "domain": {"id": "default"}}},
            }
        }
        response = requests.post(f"{self.url}/identity/v3/auth/tokens", json=body, timeout=10)
        assert response.status_code == 201, response.text
        return response.headers["X-Subject-Token"]


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()


def start(servers: list[Server], data_dir: Path, log: Path) -> Server:
    server = Server(data_dir, log)
    servers.append(server)
    return server


def create_with_data(server: Server, token: str, name: str, data: bytes) -> str:
    headers = {"X-Auth-Token": token}
    created = requests.post(
        f"{server.url}/v2/images", json={"name": name, **RAW}, headers=headers, timeout=10
    )
    assert created.status_code == 201, created.text
    image_id = created.json()["id"]
    put = requests.put(
        f"{server.url}/v2/images/{image_id}/file",
        data=data,
        headers={**headers, "Content-Type": "application/octet-stream"},
        timeout=30,
    )
    assert put.status_code == 204, put.text
    return str(image_id)


def check_whole(server: Server, data_dir: Path) -> dict[str, dict[str, Any]]:
    """Every image (admin's view): none stuck, each active one's data there and matching
    its checksum; nothing left in the data folder but the data of images that have some."""
    token = server.token("admin")
    headers = {"X-Auth-Token": token}
    listed = requests.get(
        f"{server.url}/v2/images?limit=1000&visibility=all&member_status=all",
        headers=headers,
        timeout=10,
    )
    assert listed.status_code == 200, listed.text
    images = {image["id"]: image for image in listed.json()["images"]}
    for image in images.values():
        assert image["status"] in ("queued", "active", "deactivated"), image
        if image["status"] == "queued":
            assert image["size"] is None, image
            continue
        data = requests.get(f"{server.url}/v2/images/{image['id']}/file", headers=headers)
        assert data.status_code == 200, (image, data.status_code)
        assert hashlib.md5(data.content).hexdigest() == image["checksum"], image
        assert len(data.content) == image["size"]
    blob_dir = data_dir / "images"
    leftovers = sorted(p.name for p in blob_dir.iterdir() if p.name.lower() not in images)
    assert leftovers == [], leftovers
    with_data = {i for i, image in images.items() if image["status"] != "queued"}
    assert {p.name for p in blob_dir.iterdir()} == with_data
    return images


# --- an upload cut short --------------------------------------------------------------------


def test_an_upload_killed_half_way_is_queued_again_with_nothing_left(
    servers: list[Server], tmp_path: Path
) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "server.log"
    server = start(servers, data_dir, log)
    token = server.token("producer")
    created = requests.post(
        f"{server.url}/v2/images", json={"name": "big", **RAW}, headers={"X-Auth-Token": token}
    )
    image_id = created.json()["id"]
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(
        (
            f"PUT /v2/images/{image_id}/file HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"X-Auth-Token: {token}\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {64 << 20}\r\n\r\n"
        ).encode()
        + b"\0" * (4 << 20)
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        shown = requests.get(
            f"{server.url}/v2/images/{image_id}", headers={"X-Auth-Token": token}
        ).json()
        if shown["status"] == "saving":
            break
        time.sleep(0.05)
    assert shown["status"] == "saving"
    assert list((data_dir / "images").glob(".upload-*"))
    server.kill()
    sock.close()

    again = start(servers, data_dir, log)
    token = again.token("producer")
    shown = requests.get(f"{again.url}/v2/images/{image_id}", headers={"X-Auth-Token": token})
    assert shown.json()["status"] == "queued"
    assert shown.json()["size"] is None
    assert not list((data_dir / "images").glob(".upload-*"))
    assert f"image {image_id}: upload cut short, back to queued" in log.read_text()
    # And the image takes its data, as any queued image does.
    put = requests.put(
        f"{again.url}/v2/images/{image_id}/file",
        data=b"now whole",
        headers={"X-Auth-Token": token, "Content-Type": "application/octet-stream"},
    )
    assert put.status_code == 204
    check_whole(again, data_dir)


# --- reset, scenario load and export import, killed at many points ---------------------------

LAB = {
    "name": "crash-lab",
    "images": [
        {
            "name": f"lab-{n}",
            "owner": "producer",
            "visibility": "shared",
            "disk_format": "raw",
            "container_format": "bare",
            "data": {"size": 3 << 20},
        }
        for n in range(6)
    ],
    "shares": [{"image": "lab-0", "project": "consumer", "status": "accepted"}],
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A data dir with three images with data and a share, and their checksums."""
    data_dir = tmp_path_factory.mktemp("pristine") / "data"
    server = Server(data_dir, data_dir.parent / "server.log")
    try:
        token = server.token("producer")
        sums = {}
        for n in range(3):
            data = os.urandom(512 << 10)
            image_id = create_with_data(server, token, f"old-{n}", data)
            sums[image_id] = hashlib.md5(data).hexdigest()
        requests.patch(
            f"{server.url}/v2/images/{image_id}",
            data=json.dumps([{"op": "replace", "path": "/visibility", "value": "shared"}]),
            headers={
                "X-Auth-Token": token,
                "Content-Type": "application/openstack-images-v2.1-json-patch",
            },
        )
        consumer = server.token("consumer")
        project = requests.get(
            f"{server.url}/identity/v3/auth/tokens",
            headers={"X-Auth-Token": consumer, "X-Subject-Token": consumer},
        ).json()["token"]["project"]["id"]
        added = requests.post(
            f"{server.url}/v2/images/{image_id}/members",
            json={"member": project},
            headers={"X-Auth-Token": token},
        )
        assert added.status_code == 200
    finally:
        server.stop()
    return data_dir, sums


def _post_in_background(url: str, token: str, body: Any) -> threading.Thread:
    def send() -> None:
        try:
            requests.post(url, json=body, headers={"X-Auth-Token": token}, timeout=60)
        except requests.RequestException:
            pass  # the server was killed under it: that is the point

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def _export(pristine: tuple[Path, dict[str, str]], tmp_path: Path) -> dict[str, Any]:
    data_dir = tmp_path / "export-source"
    shutil.copytree(pristine[0], data_dir)
    server = Server(data_dir, tmp_path / "export.log")
    try:
        token = server.token("admin")
        exported = requests.get(
            f"{server.url}/_emulator/export", headers={"X-Auth-Token": token}, timeout=30
        )
        assert exported.status_code == 200
        document: dict[str, Any] = exported.json()
    finally:
        server.stop()
    # Ids of its own for every image, so that old and new states are told apart.
    for image in document["images"]:
        image.pop("id")
        image["name"] = f"imported-{image['name']}"
    document["shares"] = []
    return document


OPERATIONS = ("reset", "scenario", "import")


@pytest.mark.parametrize("operation", OPERATIONS)
def test_killed_maintenance_leaves_the_old_lab_or_the_new_one(
    servers: list[Server],
    tmp_path: Path,
    pristine: tuple[Path, dict[str, str]],
    operation: str,
) -> None:
    source, old_sums = pristine
    path = "/_emulator/reset" if operation != "scenario" else "/_emulator/scenario"
    body = {"document": _export(pristine, tmp_path) if operation == "import" else LAB}
    new_names = {image.get("name") for image in body["document"]["images"]}

    # How long the operation takes here, to spread the kill points over it.
    timing_dir = tmp_path / "timing"
    shutil.copytree(source, timing_dir)
    server = start(servers, timing_dir, tmp_path / "timing.log")
    began = time.monotonic()
    done = requests.post(
        server.url + path, json=body, headers={"X-Auth-Token": server.token("admin")}
    )
    duration = time.monotonic() - began
    assert done.status_code == 200, done.text
    server.kill()

    outcomes = []
    for step in range(8):
        data_dir = tmp_path / f"run-{step}"
        shutil.copytree(source, data_dir)
        log = tmp_path / f"run-{step}.log"
        server = start(servers, data_dir, log)
        token = server.token("admin")
        sender = _post_in_background(server.url + path, token, body)
        if step < 7:
            time.sleep(duration * step / 6)  # from at once to past the measured end
        else:
            sender.join(timeout=120)  # the last one finishes: the kill finds it committed
        server.kill()

        again = start(servers, data_dir, log)
        images = check_whole(again, data_dir)
        assert not list((data_dir / "images").glob(".reset-*"))
        names = {image["name"] for image in images.values()}
        old_there = set(old_sums) <= set(images)
        new_there = new_names <= names
        if operation == "scenario":
            # A load adds to the lab: the old images stay, the new ones come all or none.
            assert old_there
            assert new_there or not (new_names & names)
        else:
            assert old_there != new_there, (sorted(names), step)
            if old_there:
                assert all(images[i]["checksum"] == s for i, s in old_sums.items())
        outcomes.append("new" if new_there else "old")
        again.kill()
    # The last run was killed only once its answer came: the new lab, after a restart.
    assert outcomes[-1] == "new", outcomes


def test_member_changes_killed_at_any_point_leave_a_consistent_lab(
    servers: list[Server], tmp_path: Path, pristine: tuple[Path, dict[str, str]]
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(pristine[0], data_dir)
    log = tmp_path / "server.log"
    server = start(servers, data_dir, log)
    token = server.token("producer")
    image_id = create_with_data(server, token, "shared-one", b"shared data")
    requests.patch(
        f"{server.url}/v2/images/{image_id}",
        data=json.dumps([{"op": "replace", "path": "/visibility", "value": "shared"}]),
        headers={
            "X-Auth-Token": token,
            "Content-Type": "application/openstack-images-v2.1-json-patch",
        },
    )
    stop = threading.Event()

    def churn() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            member = f"project-{n % 7}"
            try:
                requests.post(
                    f"{server.url}/v2/images/{image_id}/members",
                    json={"member": member},
                    headers={"X-Auth-Token": token},
                    timeout=5,
                )
                requests.delete(
                    f"{server.url}/v2/images/{image_id}/members/{member}",
                    headers={"X-Auth-Token": token},
                    timeout=5,
                )
            except requests.RequestException:
                return

    workers = [threading.Thread(target=churn, daemon=True) for _ in range(4)]
    for worker in workers:
        worker.start()
    time.sleep(1.0)
    server.kill()
    stop.set()
    for worker in workers:
        worker.join(timeout=10)

    again = start(servers, data_dir, log)
    check_whole(again, data_dir)
    members = requests.get(
        f"{again.url}/v2/images/{image_id}/members",
        headers={"X-Auth-Token": again.token("producer")},
    )
    assert members.status_code == 200
    assert all(row["status"] == "pending" for row in members.json()["members"])
