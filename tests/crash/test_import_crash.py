"""Kill the server while an import runs; the next start leaves no image ``importing``.

Glance itself has no such recovery (its lock expires after an hour, the image stays
``importing``); the issue asks that a restarted emulator fails the task and reverts the
image the way the import flow reverts a failure, so the import can be tried again.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.crash.test_crash_recovery import RAW, Server

DATA = b"\x00" * (1 << 20)


class _Trickle(http.server.BaseHTTPRequestHandler):
    """Announces a megabyte, sends a little of it, then waits: an import stuck mid-way."""

    stop = threading.Event()

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", str(len(DATA)))
        self.end_headers()
        self.wfile.write(DATA[:1000])
        self.wfile.flush()
        self.stop.wait(30)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def trickle() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/slow.raw"
    finally:
        _Trickle.stop.set()
        server.shutdown()
        server.server_close()


def _wait_status(url: str, headers: dict[str, str], status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        image: dict[str, Any] = requests.get(url, headers=headers, timeout=10).json()
        if image["status"] == status:
            return image
        time.sleep(0.05)
    pytest.fail(f"image never became {status}: {image}")


def test_an_import_killed_mid_way_fails_its_task_and_requeues(tmp_path: Path, trickle: str) -> None:
    data_dir = tmp_path / "data"
    server = Server(data_dir, tmp_path / "first.log", "--allow-loopback-import")
    try:
        headers = {"X-Auth-Token": server.token("producer")}
        created = requests.post(
            f"{server.url}/v2/images", json={"name": "slow", **RAW}, headers=headers, timeout=10
        )
        image_id = created.json()["id"]
        url = f"{server.url}/v2/images/{image_id}"
        other = requests.post(
            f"{server.url}/v2/images", json={"name": "staged", **RAW}, headers=headers, timeout=10
        ).json()["id"]
        staged = requests.put(
            f"{server.url}/v2/images/{other}/stage",
            data=b"staged bytes",
            headers={**headers, "Content-Type": "application/octet-stream"},
            timeout=10,
        )
        assert staged.status_code == 204
        body = {"method": {"name": "web-download", "uri": trickle}}
        response = requests.post(f"{url}/import", json=body, headers=headers, timeout=10)
        assert response.status_code == 202
        importing = _wait_status(url, headers, "importing")
        task_id = importing["os_glance_import_task"]
    finally:
        server.kill()

    again = Server(data_dir, tmp_path / "second.log")
    try:
        admin = {"X-Auth-Token": again.token("admin")}
        headers = {"X-Auth-Token": again.token("producer")}
        image = requests.get(url.replace(server.url, again.url), headers=headers, timeout=10).json()
        assert image["status"] == "queued"
        assert "os_glance_import_task" not in image
        assert image["os_glance_importing_to_stores"] == ""
        task = requests.get(f"{again.url}/v2/tasks/{task_id}", headers=admin, timeout=10)
        assert task.json()["status"] == "failure"
        listed = requests.get(f"{again.url}/v2/images", headers=headers, timeout=10).json()
        statuses = {i["name"]: i["status"] for i in listed["images"]}
        assert statuses["staged"] == "uploading"  # a finished stage keeps its data
        assert not list((data_dir / "staging").glob(".upload-*"))
        assert not list((data_dir / "images").glob(".upload-*"))
    finally:
        again.stop()
