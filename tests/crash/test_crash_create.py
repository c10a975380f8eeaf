"""Kill the server while clients create images with properties and tags (an image's row,
its properties and its tags are one INSERT each, in one transaction), start it again, and
find every image either whole or absent: all its properties and tags or none of it, every
create answered 201 there, and an id whose create was cut free to use again."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from tests.crash.test_crash_recovery import RAW, Server, servers, start

__all__ = ["servers"]  # the fixture, used by name

CLIENTS = 4
PER_ROUND = 150  # creates per client and round at most: the listing stays a few pages


def _body(image_id: str, n: int) -> dict[str, Any]:
    return {
        "id": image_id,
        "name": f"c-{n}",
        **RAW,
        "tags": [f"t{n}", "fixed"],
        "p1": str(n),
        "p2": str(n),
        "p3": str(n),
    }


def _all_images(server: Server, token: str) -> dict[str, dict[str, Any]]:
    headers, found, marker = {"X-Auth-Token": token}, {}, ""
    while True:
        page = requests.get(
            f"{server.url}/v2/images?limit=200{marker}", headers=headers, timeout=10
        ).json()["images"]
        found.update((image["id"], image) for image in page)
        if len(page) < 200:
            return found
        marker = f"&marker={page[-1]['id']}"


def _assert_whole(image: dict[str, Any]) -> None:
    n = image["name"].removeprefix("c-")
    assert image["status"] == "queued", image
    assert (image["p1"], image["p2"], image["p3"]) == (n, n, n), image
    assert sorted(image["tags"]) == sorted([f"t{n}", "fixed"]), image


def test_creates_killed_at_any_point_leave_each_image_whole_or_absent(
    servers: list[Server], tmp_path: Path
) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "server.log"
    server = start(servers, data_dir, log)
    answered: set[str] = set()  # ids a create was answered 201 for
    tried: set[str] = set()
    for round_number, kill_after in enumerate((0.2, 0.45, 0.7)):
        token = server.token("producer")

        def create(
            client: int, server: Server = server, token: str = token, base: int = round_number
        ) -> None:
            for k in range(PER_ROUND):
                image_id, n = str(uuid.uuid4()), (base * CLIENTS + client) * 1000 + k
                tried.add(image_id)
                try:
                    answer = requests.post(
                        f"{server.url}/v2/images",
                        json=_body(image_id, n),
                        headers={"X-Auth-Token": token},
                        timeout=5,
                    )
                except requests.RequestException:
                    return
                if answer.status_code == 201:
                    answered.add(image_id)

        clients = [threading.Thread(target=create, args=(c,), daemon=True) for c in range(CLIENTS)]
        for client in clients:
            client.start()
        time.sleep(kill_after)
        server.kill()
        for client in clients:
            client.join(timeout=10)

        server = start(servers, data_dir, log)
        token = server.token("producer")
        images = _all_images(server, token)
        assert answered <= set(images)
        for image in images.values():
            _assert_whole(image)
        cut = tried - set(images)  # creates the kill cut before they committed
        if cut:
            image_id = sorted(cut)[0]
            again = requests.post(
                f"{server.url}/v2/images",
                json=_body(image_id, 999_999),
                headers={"X-Auth-Token": token},
                timeout=5,
            )
            assert again.status_code == 201, again.text  # no half row holds the id
            answered.add(image_id)
            tried.discard(image_id)
    assert len(answered) > CLIENTS, answered  # the kills came while creates were going on
