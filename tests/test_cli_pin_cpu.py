"""``serve --pin-cpu``: each server process's threads kept on one CPU (``server/process.py``),
checked from outside as a user would: the kernel's own record of which CPUs each thread of
the served process may run on (``/proc/PID/task/*/status``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.test_cli_ci import Served, clean_env, cli, serve, servers  # noqa: F401 (the fixture)
from tests.test_cli_workers import WORKERS, fresh_get, workers_seen

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity"), reason="no CPU affinity on this system"
)

OURS = sorted(os.sched_getaffinity(0))


def thread_cpus(pid: int) -> list[set[int]]:
    """The CPUs each thread of ``pid`` may run on."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found.append(os.sched_getaffinity(int(task.name)))
        except ProcessLookupError:  # that thread ended meanwhile
            pass
    return found


def the_one_cpu(pid: int) -> int:
    """The CPU every thread of ``pid`` is kept on (fails if they are not all on one)."""
    seen = {frozenset(cpus) for cpus in thread_cpus(pid)}
    assert len(seen) == 1 and len(next(iter(seen))) == 1, seen
    return next(iter(next(iter(seen))))


def test_one_process_serves_on_one_cpu(servers: list[Served]) -> None:  # noqa: F811
    served = serve(servers, "--pin-cpu", "--port", "0", "--ephemeral", "--json")
    ready = served.json_line()
    # Load it enough for the pool to start threads after the pin: they are kept too.
    with requests.Session() as session:
        for _ in range(50):
            assert session.get(ready["url"] + "/versions", timeout=10).status_code == 200
    cpu = the_one_cpu(ready["pid"])
    assert cpu == OURS[0]
    assert f"--pin-cpu: process {ready['pid']} serves on CPU {cpu}" in served.stop()


def test_without_the_flag_the_kernel_places_the_threads(servers: list[Served]) -> None:  # noqa: F811
    ready = serve(servers, "--port", "0", "--ephemeral", "--json").json_line()
    assert requests.get(ready["url"] + "/versions", timeout=10).status_code == 200
    assert all(sorted(cpus) == OURS for cpus in thread_cpus(ready["pid"]))


def test_each_worker_on_a_cpu_of_its_own(servers: list[Served]) -> None:  # noqa: F811
    served = serve(
        servers, "--workers", str(WORKERS), "--pin-cpu", "--port", "0", "--ephemeral", "--json"
    )
    ready = served.json_line()
    pids = workers_seen(ready["url"])
    cpus = [the_one_cpu(pid) for pid in sorted(pids)]
    # Counting round the CPUs the server may use: distinct while there are enough.
    assert sorted(cpus) == sorted(OURS[i % len(OURS)] for i in range(WORKERS))
    # The parent only looks after them: the kernel still places it.
    assert all(sorted(c) == OURS for c in thread_cpus(ready["pid"]))
    assert fresh_get(ready["url"] + "/_emulator/health").json()["workers"] == WORKERS


def test_from_the_config_file_and_the_environment(
    tmp_path: Path,
    servers: list[Served],  # noqa: F811
) -> None:
    config = tmp_path / "emulator.toml"
    config.write_text("[server]\npin_cpu = true\nport = 0\n")
    ready = serve(servers, "--config", str(config), "--ephemeral", "--json").json_line()
    assert the_one_cpu(ready["pid"]) == OURS[0]
    env = clean_env(GLANCE_EMULATOR_PIN_CPU="yes")
    ready = serve(servers, "--port", "0", "--ephemeral", "--json", env=env).json_line()
    assert the_one_cpu(ready["pid"]) == OURS[0]


def test_a_pin_cpu_that_is_not_true_or_false_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "emulator.toml"
    config.write_text("[server]\npin_cpu = 1\n")
    result = cli("serve", "--config", str(config), "--ephemeral")
    assert result.returncode == 2 and "pin_cpu must be true or false, not 1" in result.stderr
    result = cli("serve", "--ephemeral", env=clean_env(GLANCE_EMULATOR_PIN_CPU="sometimes"))
    assert result.returncode == 2 and "GLANCE_EMULATOR_PIN_CPU must be true or false" in (
        result.stderr
    )


@pytest.mark.parametrize("index", [0, 1, len(OURS), 2 * len(OURS) + 1])
def test_the_cpu_is_counted_round_those_allowed(index: int) -> None:
    """In a process of its own: pinning the test run itself would slow what follows."""
    code = (
        "import os, threading\n"
        "from emulator.server.process import keep_on_one_cpu\n"
        "started = threading.Event(); done = threading.Event()\n"
        "early = threading.Thread(target=lambda: (started.set(), done.wait()))\n"
        "early.start(); started.wait()\n"
        f"cpu = keep_on_one_cpu({index})\n"
        "later = []\n"
        "t = threading.Thread(target=lambda: later.append(os.sched_getaffinity(0)))\n"
        "t.start(); t.join()\n"
        "print(cpu, sorted(os.sched_getaffinity(0)), sorted(os.sched_getaffinity(early.native_id)),"
        " sorted(later[0]))\n"
        "done.set()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    cpu = OURS[index % len(OURS)]
    assert result.stdout.split(None, 1) == [str(cpu), f"[{cpu}] [{cpu}] [{cpu}]\n"]
