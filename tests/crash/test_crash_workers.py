"""``serve --workers 2``: SIGKILL the worker running a reset, at points spread over the
reset's length, while the server goes on. The server recovers the data dir and starts its
workers again by itself; then every image is whole and the lab is the old one or the new
one, as after a crash of a single process (``test_crash_recovery.py``)."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.crash.test_crash_recovery import LAB, Server, check_whole, pristine, servers  # noqa: F401

WORKERS = ("--workers", "2")


def health(url: str) -> dict[str, Any]:
    answer = requests.get(f"{url}/_emulator/health", headers={"Connection": "close"}, timeout=5)
    found: dict[str, Any] = answer.json()
    return found


def wait_for_new_workers(url: str, victim: int) -> None:
    """Until fresh connections are answered by two workers, neither of them ``victim``."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            seen = {health(url)["pid"] for _ in range(40)}
        except requests.RequestException:
            seen = set()  # between the old workers and the new
        if len(seen) == 2 and victim not in seen:
            return
        time.sleep(0.1)
    pytest.fail("the workers were not started again")


def reset_on(session: requests.Session, url: str, token: str) -> threading.Thread:
    """The reset on ``session``'s connection (so its worker is known), in the background."""

    def send() -> None:
        try:
            session.post(
                f"{url}/_emulator/reset",
                json={"document": LAB},
                headers={"X-Auth-Token": token},
                timeout=60,
            )
        except requests.RequestException:
            pass  # its worker was killed under it: that is the point

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def test_a_worker_killed_in_a_reset_leaves_the_old_lab_or_the_new_one(
    servers: list[Server],  # noqa: F811
    tmp_path: Path,
    pristine: tuple[Path, dict[str, str]],  # noqa: F811
) -> None:
    source, old_sums = pristine
    new_names = {image["name"] for image in LAB["images"]}  # type: ignore[index]
    timing_dir = tmp_path / "timing"
    shutil.copytree(source, timing_dir)
    server = Server(timing_dir, tmp_path / "timing.log", *WORKERS)
    servers.append(server)
    began = time.monotonic()
    done = requests.post(
        f"{server.url}/_emulator/reset",
        json={"document": LAB},
        headers={"X-Auth-Token": server.token("admin")},
        timeout=60,
    )
    duration = time.monotonic() - began
    assert done.status_code == 200, done.text
    server.stop()

    outcomes = []
    for step in range(5):
        data_dir = tmp_path / f"run-{step}"
        shutil.copytree(source, data_dir)
        log = tmp_path / f"run-{step}.log"
        server = Server(data_dir, log, *WORKERS)
        servers.append(server)
        token = server.token("admin")
        session = requests.Session()
        victim = session.get(f"{server.url}/_emulator/health", timeout=5).json()["pid"]
        sender = reset_on(session, server.url, token)
        if step < 4:
            time.sleep(duration * step / 3)  # from at once to past the measured end
        else:
            sender.join(timeout=120)  # the last one finishes: the kill finds it committed
        os.kill(victim, signal.SIGKILL)  # a worker the server reported, by its pid
        wait_for_new_workers(server.url, victim)
        assert server.proc.poll() is None  # the server itself went on
        images = check_whole(server, data_dir)
        assert not list((data_dir / "images").glob(".reset-*"))
        names = {image["name"] for image in images.values()}
        old_there, new_there = set(old_sums) <= set(images), new_names <= names
        assert old_there != new_there, (sorted(names), step)
        outcomes.append("new" if new_there else "old")
        assert f"worker {victim} was killed by signal 9" in log.read_text()
        session.close()
        server.stop()
    # The last worker was killed only once its answer came: the new lab.
    assert outcomes[-1] == "new", outcomes
