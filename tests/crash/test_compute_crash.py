"""Kill the server (SIGKILL) while servers are booted, snapshotted and deleted, start it
again: every server left is whole (it settles to ACTIVE and can still be snapshotted with
its data), no image is stuck in ``saving``, and the quota counts what is there."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import requests

from tests.crash.test_crash_recovery import (  # noqa: F401  (servers is a fixture)
    Server,
    check_whole,
    create_with_data,
    servers,
    start,
)

DATA = b"\x00" * (256 * 1024)
MV = {"OpenStack-API-Version": "compute 2.60"}


def _churn(
    server: Server, token: str, image_id: str, stop: threading.Event, done: list[str]
) -> None:
    headers = {"X-Auth-Token": token, **MV}
    compute = f"{server.url}/compute/v2.1"
    body = {"server": {"name": "c", "imageRef": image_id, "flavorRef": "1", "networks": "auto"}}
    while not stop.is_set():
        try:
            made = requests.post(f"{compute}/servers", json=body, headers=headers, timeout=5)
            if made.status_code != 202:
                continue
            done.append(made.json()["server"]["id"])
            server_id = made.json()["server"]["id"]
            requests.post(
                f"{compute}/servers/{server_id}/action",
                json={"createImage": {"name": "snap"}},
                headers=headers,
                timeout=5,
            )
            requests.delete(f"{compute}/servers/{server_id}", headers=headers, timeout=5)
        except requests.RequestException:
            return


def test_compute_killed_at_any_point_leaves_whole_servers(
    servers: list[Server],  # noqa: F811
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    log = tmp_path / "server.log"
    server = start(servers, data_dir, log)
    token = server.token("consumer")
    image_id = create_with_data(server, token, "golden", DATA)
    body = {"server": {"name": "kept", "imageRef": image_id, "flavorRef": "1", "networks": "none"}}
    for _ in range(2):  # servers the churn leaves alone: there is always something to check
        made = requests.post(
            f"{server.url}/compute/v2.1/servers", json=body, headers={"X-Auth-Token": token, **MV},
            timeout=10,
        )  # fmt: skip
        assert made.status_code == 202, made.text
    stop = threading.Event()
    done: list[str] = []
    workers = [
        threading.Thread(target=_churn, args=(server, token, image_id, stop, done), daemon=True)
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    time.sleep(1.5)
    server.kill()
    stop.set()
    for worker in workers:
        worker.join(timeout=10)

    again = start(servers, data_dir, log)
    assert done, "the churn never booted a server before the kill"
    check_whole(again, data_dir)
    headers: dict[str, Any] = {"X-Auth-Token": again.token("consumer"), **MV}
    compute = f"{again.url}/compute/v2.1"
    time.sleep(1.2)  # past compute_build_seconds: every server has settled
    listed = requests.get(f"{compute}/servers/detail", headers=headers, timeout=10).json()
    used = requests.get(f"{compute}/limits", headers=headers, timeout=10).json()
    assert used["limits"]["absolute"]["totalInstancesUsed"] == len(listed["servers"]) >= 2
    for each in listed["servers"]:
        assert each["status"] == "ACTIVE", each
        made = requests.post(
            f"{compute}/servers/{each['id']}/action",
            json={"createImage": {"name": "after-crash"}},
            headers=headers,
            timeout=10,
        )
        assert made.status_code == 202, made.text
        snapshot = requests.get(
            f"{again.url}/v2/images/{made.json()['image_id']}", headers=headers, timeout=10
        ).json()
        assert snapshot["status"] == "active" and snapshot["size"] == len(DATA)
