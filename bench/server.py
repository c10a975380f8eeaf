"""The emulator as a separate server process: start it on a data dir, read its memory, stop it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
MiB = 1 << 20

# Runs in the server process: build the app on the data dir, serve on a free port, say which.
SERVER_SCRIPT = """
import sys
from emulator.app import create_app
from emulator.server import bound_port, make_server
app = create_app(data_dir=sys.argv[1])
server = make_server(app, host="127.0.0.1", port=0)
print(bound_port(server), flush=True)
server.serve()
"""


def memory(pid: int) -> dict[str, int]:
    """VmHWM (peak) and VmRSS (now) of a process, in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            values[name] = int(rest.split()[0]) * 1024
    return values


def start(data_dir: Path) -> tuple[subprocess.Popen[str], str, float]:
    """Start a server on ``data_dir``; return it, its URL and seconds to the first 200."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER_SCRIPT, str(data_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port = process.stdout.readline().strip()
    if not port:
        raise SystemExit("server did not start")
    base_url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if requests.get(f"{base_url}/versions", timeout=5).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.005)
    return process, base_url, time.perf_counter() - started


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_workers(data_dir: Path, workers: int) -> tuple[subprocess.Popen[str], str]:
    """``glance-emulator serve --workers N`` on ``data_dir``: the process and its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--workers", str(workers), "--port", "0"]
        + ["--data-dir", str(data_dir), "--json", "--log-level", "warning"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise SystemExit("server with workers did not start")
    return process, str(json.loads(line)["url"])


def family_rss(pid: int) -> int:
    """VmRSS of a process and its children, in bytes."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return sum(memory(int(each))["VmRSS"] for each in [pid, *children])
