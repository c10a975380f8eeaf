"""The servers ``run_tempest.py`` talks to: the emulator it starts (and stops by its PID),
the real Glance 33 + Keystone stack (started with ``make real-glance-up`` only when nothing
answers on its port; the tempest accounts are created through Keystone's v3 API), and a
loopback HTTP server for tempest's ``http_image``.
"""

from __future__ import annotations

import http.server
import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REAL_GLANCE = "http://127.0.0.1:19292"
REAL_KEYSTONE = "http://127.0.0.1:15000/v3"
REAL_ADMIN = ("admin", "admin-pass", "admin")  # user, password, project of the real stack


@dataclass(frozen=True)
class Account:
    user: str
    password: str
    project: str
    roles: tuple[str, ...]


def answers(url: str, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means something serves there
    except OSError:
        return False


@contextmanager
def emulator_server(workspace: Path, scenario: Path, extra_args: list[str]) -> Iterator[str]:
    """Start ``glance-emulator serve`` on a free port with the accounts scenario; yield its
    base URL; stop it by its PID (SIGTERM, then SIGKILL after 30 s)."""
    log_path = workspace / "emulator.log"
    command = [
        sys.executable,
        "-m",
        "emulator",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--ephemeral",
        "--scenario",
        str(scenario),
        *extra_args,
    ]
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = _wait_for_listening(process, log_path)
        print(f"emulator (pid {process.pid}) serving {url}; log: {log_path}", flush=True)
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_listening(process: subprocess.Popen[bytes], log_path: Path) -> str:
    found = re.compile(r"glance-emulator listening on (http://\S+)")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        match = found.search(log_path.read_text(encoding="utf-8", errors="replace"))
        if match:
            return match.group(1).rstrip("/")
        if process.poll() is not None:
            raise SystemExit(f"the emulator exited with {process.returncode}; see {log_path}")
        time.sleep(0.2)
    raise SystemExit(f"the emulator did not start within 60 s; see {log_path}")


def ensure_real_stack() -> None:
    if answers(REAL_GLANCE + "/healthcheck"):
        print(f"using the real stack already answering on {REAL_GLANCE}", flush=True)
        return
    print("starting the real stack: make real-glance-up", flush=True)
    subprocess.run(["make", "real-glance-up"], cwd=ROOT, check=True)


class Keystone:
    """Just enough of Keystone's v3 API to create the tempest accounts, idempotently."""

    def __init__(self, url: str, user: str, password: str, project: str):
        self.url = url
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {"name": user, "domain": {"id": "default"}, "password": password}
                    },
                },
                "scope": {"project": {"name": project, "domain": {"id": "default"}}},
            }
        }
        request = self._request("POST", "/auth/tokens", body, token=None)
        with urllib.request.urlopen(request, timeout=30) as response:
            self.token = response.headers["X-Subject-Token"]

    def _request(self, method: str, path: str, body: Any, token: str | None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("X-Auth-Token", token)
        return request

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = self._request(method, path, body, self.token)
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None

    def find_or_create(self, kind: str, name: str, fields: dict[str, Any]) -> str:
        found = self.call("GET", f"/{kind}s?name={urllib.request.quote(name)}")[f"{kind}s"]
        if found:
            return str(found[0]["id"])
        created = self.call("POST", f"/{kind}s", {kind: {"name": name, **fields}})
        return str(created[kind]["id"])

    def provision(self, accounts: list[Account]) -> None:
        for account in accounts:
            project = self.find_or_create("project", account.project, {"domain_id": "default"})
            user = self.find_or_create(
                "user",
                account.user,
                {
                    "domain_id": "default",
                    "password": account.password,
                    "default_project_id": project,
                },
            )
            for role_name in account.roles:
                role = self.find_or_create("role", role_name, {})
                self.call("PUT", f"/projects/{project}/users/{user}/roles/{role}")


@contextmanager
def http_image_server(workspace: Path) -> Iterator[tuple[str, str]]:
    """A loopback HTTP server for tempest's ``http_image`` and ``http_qcow2_image``
    (web-download imports; this machine has no route to download.cirros-cloud.net).
    Yields their URLs. The qcow2 file is made by ``qemu-img`` when it is installed, so
    that format inspection accepts it; without it the raw file stands in."""
    folder = workspace / "http"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "image.raw").write_bytes(bytes(range(256)) * 4096)  # 1 MiB of raw data
    qcow2 = "image.raw"
    if shutil.which("qemu-img"):
        (folder / "image.qcow2").unlink(missing_ok=True)
        made = subprocess.run(
            ["qemu-img", "create", "-q", "-f", "qcow2", str(folder / "image.qcow2"), "1M"],
            check=False,
        )
        qcow2 = "image.qcow2" if made.returncode == 0 else qcow2

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        yield base + "image.raw", base + qcow2
    finally:
        server.shutdown()
        server.server_close()
