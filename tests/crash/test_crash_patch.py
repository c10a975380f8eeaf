"""Kill the server while clients PATCH images (PATCH writes only the columns, properties
and tags it changes), start it again, and find every image as one whole PATCH left it:
name, properties and tags all from the same generation, never a mix, and none stuck."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import requests

from tests.crash.test_crash_recovery import Server, check_whole, create_with_data, servers, start

__all__ = ["servers"]  # the fixture, used by name

PATCH_TYPE = "application/openstack-images-v2.1-json-patch"
IMAGES = 4


def _generation(n: int, has_odd: bool) -> list[dict[str, Any]]:
    """One PATCH that moves an image to generation ``n``: the name, two properties, the
    tags, and a property that only odd generations have (added or removed)."""
    ops: list[dict[str, Any]] = [
        {"op": "replace", "path": "/name", "value": f"gen-{n}"},
        {"op": "add", "path": "/gen", "value": str(n)},
        {"op": "add", "path": "/twin", "value": str(n)},
        {"op": "replace", "path": "/tags", "value": [f"t{n}", "fixed"]},
    ]
    if n % 2 and not has_odd:
        ops.append({"op": "add", "path": "/odd", "value": str(n)})
    elif n % 2:
        ops.append({"op": "replace", "path": "/odd", "value": str(n)})
    elif has_odd:
        ops.append({"op": "remove", "path": "/odd"})
    return ops


def _patch(server: Server, token: str, image_id: str, ops: list[dict[str, Any]]) -> int:
    answer = requests.patch(
        f"{server.url}/v2/images/{image_id}",
        data=json.dumps(ops),
        headers={"X-Auth-Token": token, "Content-Type": PATCH_TYPE},
        timeout=5,
    )
    return answer.status_code


def _assert_one_generation(image: dict[str, Any]) -> None:
    n = int(image["gen"])
    assert image["name"] == f"gen-{n}", image
    assert image["twin"] == str(n), image
    assert sorted(image["tags"]) == sorted([f"t{n}", "fixed"]), image
    assert image.get("odd") == (str(n) if n % 2 else None), image


def test_patches_killed_at_any_point_leave_each_image_one_whole_generation(
    servers: list[Server], tmp_path: Path
) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "server.log"
    server = start(servers, data_dir, log)
    token = server.token("producer")
    ids = [create_with_data(server, token, f"img-{i}", bytes([i]) * 4096) for i in range(IMAGES)]
    for image_id in ids:
        assert _patch(server, token, image_id, _generation(0, has_odd=False)) == 200

    patched: list[int] = []  # generations a PATCH was answered 200 for
    for kill_after in (0.3, 0.7, 1.2):
        stop = threading.Event()

        def churn(
            image_id: str, token: str = token, server: Server = server, stop: Any = stop
        ) -> None:
            headers = {"X-Auth-Token": token}
            while not stop.is_set():
                try:
                    current = requests.get(
                        f"{server.url}/v2/images/{image_id}", headers=headers, timeout=5
                    ).json()
                    n = int(current["gen"]) + 1
                    if _patch(server, token, image_id, _generation(n, "odd" in current)) == 200:
                        patched.append(n)
                except (requests.RequestException, ValueError, KeyError):
                    return

        workers = [threading.Thread(target=churn, args=(i,), daemon=True) for i in ids]
        for worker in workers:
            worker.start()
        time.sleep(kill_after)
        server.kill()
        stop.set()
        for worker in workers:
            worker.join(timeout=10)

        server = start(servers, data_dir, log)
        token = server.token("producer")
        images = check_whole(server, data_dir)
        assert set(ids) <= set(images)
        for image_id in ids:
            assert images[image_id]["status"] == "active", images[image_id]
            _assert_one_generation(images[image_id])
        # Writes go on after the restart, from the generation the image was left at.
        shown = requests.get(
            f"{server.url}/v2/images/{ids[0]}", headers={"X-Auth-Token": token}, timeout=5
        ).json()
        nxt = int(shown["gen"]) + 1
        assert _patch(server, token, ids[0], _generation(nxt, "odd" in shown)) == 200
    assert len(patched) > 3 * IMAGES, patched  # the kills came while PATCHes were going on
