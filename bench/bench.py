"""``make bench``: throughput and memory of a real server process.

Starts the emulator in a subprocess (cheroot on a free loopback port, fresh temp data dir),
then measures:

* start-up: process start to the first 200 on ``/versions``, on an empty data dir (schema
  and demo accounts made) and on an existing one;
* requests/s for ``GET /v2/images`` (25 images) and ``GET /v2/images/{id}``, ~2 s each;
* a 1 GiB upload (streamed from a generator, 1 MiB chunks, with Content-Length) and its
  download, in MiB/s, with the data checked against its md5;
* the server's peak RSS (``VmHWM``) before and after the transfers.

Exits non-zero if a check fails or the peak RSS grew by more than 64 MiB: image data must
stream, never sit in memory whole.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
MiB = 1 << 20
RSS_GROWTH_LIMIT = 64 * MiB

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


class Body:
    """``size_mib`` MiB of varied data, generated a MiB at a time; sized, so it is sent with
    Content-Length rather than chunked."""

    def __init__(self, size_mib: int):
        self.size_mib = size_mib
        self._block = hashlib.sha512(b"bench").digest() * (MiB // 64)

    def __len__(self) -> int:
        return self.size_mib * MiB

    def __iter__(self) -> Iterator[bytes]:
        for index in range(self.size_mib):
            yield index.to_bytes(8, "big") + self._block[8:]

    def md5(self) -> str:
        digest = hashlib.md5()
        for chunk in self:
            digest.update(chunk)
        return digest.hexdigest()


def producer_token(data_dir: Path) -> str:
    """Build the data dir (schema, demo accounts) and issue a token, before the server runs."""
    sys.path.insert(0, str(ROOT))
    from emulator.app import create_app
    from emulator.identity.domain.roles import expand
    from emulator.identity.services import accounts, tokens

    app = create_app(data_dir=data_dir)
    with app.extensions["emulator.store"].session() as db:
        user = accounts.find_user(db, "producer", accounts.DEFAULT_DOMAIN_ID)
        assert user is not None and user.default_project_id is not None
        roles = accounts.roles_on_project(db, user.id, user.default_project_id)
        token, _ = tokens.issue(
            db,
            user_id=user.id,
            project_id=user.default_project_id,
            roles=expand(roles),
            methods=["password"],
            ttl_seconds=3600,
        )
    return token


def memory(pid: int) -> dict[str, int]:
    """VmHWM (peak) and VmRSS (now) of a process, in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            values[name] = int(rest.split()[0]) * 1024
    return values


def start_server(data_dir: Path) -> tuple[subprocess.Popen[str], str, float]:
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


def rate(http: requests.Session, url: str, seconds: float) -> float:
    """Requests per second for GETs of ``url`` (each must answer 200)."""
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        response = http.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url}: {response.status_code} {response.text[:200]}")
        count += 1
    return count / elapsed


def create_image(http: requests.Session, base_url: str, name: str) -> str:
    response = http.post(
        f"{base_url}/v2/images",
        json={"name": name, "disk_format": "raw", "container_format": "bare"},
    )
    if response.status_code != 201:
        raise SystemExit(f"create image: {response.status_code} {response.text[:200]}")
    return str(response.json()["id"])


def mib(value: int) -> str:
    return f"{value / MiB:.1f} MiB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="image size (default 1 GiB)")
    parser.add_argument("--seconds", type=float, default=2.0, help="per request-rate run")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="glance-emulator-bench-"))
    process = None
    failures = []
    try:
        cold_dir = data_dir / "cold"
        cold, _, cold_startup = start_server(cold_dir)
        stop(cold)
        print(
            "start-up, empty data dir (schema, demo accounts): "
            f"{cold_startup * 1000:.0f} ms to the first 200 on /versions"
        )
        token = producer_token(data_dir / "warm")
        process, base_url, startup = start_server(data_dir / "warm")
        print(f"start-up, existing data dir: {startup * 1000:.0f} ms to the first 200 on /versions")
        print(f"server pid {process.pid} at {base_url}")

        http = requests.Session()
        http.headers.update({"X-Auth-Token": token, "Accept": "application/json"})
        ids = [create_image(http, base_url, f"bench-{n:02d}") for n in range(25)]
        listing = rate(http, f"{base_url}/v2/images", args.seconds)
        print(f"GET /v2/images (25 images): {listing:.0f} req/s")
        showing = rate(http, f"{base_url}/v2/images/{ids[0]}", args.seconds)
        print(f"GET /v2/images/{{id}}: {showing:.0f} req/s")

        body = Body(args.size_mib)
        expected_md5 = body.md5()
        before = memory(process.pid)
        print(
            f"server memory before transfers: peak {mib(before['VmHWM'])}, "
            f"now {mib(before['VmRSS'])}"
        )

        image_id = create_image(http, base_url, "bench-big")
        started = time.perf_counter()
        response = http.put(
            f"{base_url}/v2/images/{image_id}/file",
            data=body,
            headers={"Content-Type": "application/octet-stream"},
        )
        upload_seconds = time.perf_counter() - started
        if response.status_code != 204:
            raise SystemExit(f"upload: {response.status_code} {response.text[:200]}")
        image = http.get(f"{base_url}/v2/images/{image_id}").json()
        if (image["size"], image["checksum"]) != (len(body), expected_md5):
            failures.append(f"uploaded image is {image['size']} bytes, md5 {image['checksum']}")
        print(
            f"upload {mib(len(body))}: {len(body) / MiB / upload_seconds:.0f} MiB/s "
            f"({upload_seconds:.1f} s)"
        )

        started = time.perf_counter()
        digest, received = hashlib.md5(), 0
        with http.get(f"{base_url}/v2/images/{image_id}/file", stream=True) as download:
            if download.status_code != 200:
                raise SystemExit(f"download: {download.status_code}")
            for chunk in download.iter_content(MiB):
                digest.update(chunk)
                received += len(chunk)
        download_seconds = time.perf_counter() - started
        if (received, digest.hexdigest()) != (len(body), expected_md5):
            failures.append(f"downloaded {received} bytes, md5 {digest.hexdigest()}")
        print(
            f"download {mib(received)}: {received / MiB / download_seconds:.0f} MiB/s "
            f"({download_seconds:.1f} s, md5 checked on the client)"
        )

        after = memory(process.pid)
        growth = after["VmHWM"] - before["VmHWM"]
        print(
            f"server memory after transfers: peak {mib(after['VmHWM'])}, "
            f"now {mib(after['VmRSS'])}; peak grew by {mib(growth)} "
            f"(limit {mib(RSS_GROWTH_LIMIT)})"
        )
        if growth > RSS_GROWTH_LIMIT:
            failures.append(f"peak RSS grew by {mib(growth)}")
    finally:
        if process is not None:
            stop(process)
        shutil.rmtree(data_dir, ignore_errors=True)

    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
