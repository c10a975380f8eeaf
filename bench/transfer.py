"""A large upload and its download, timed, with the data checked."""

from __future__ import annotations

import hashlib
import http.client
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests

MiB = 1 << 20


class Body:
    """``size_mib`` MiB of varied data, generated a MiB at a time; sized, so it is sent with
    Content-Length rather than chunked."""

    def __init__(self, size_mib: int):
        self.size_mib = size_mib
        self._block = hashlib.sha512(b"bench").digest() * (MiB // 64)

    def __len__(self) -> int:
        return self.size_mib * MiB

    def __iter__(self) -> Iterator[bytearray]:
        # One buffer, its first 8 bytes stamped with the MiB's number before each yield:
        # each piece is sent (or hashed) before the next is made, and the sender copies
        # nothing, so the client's CPU goes to sending, not to building the data.
        chunk = bytearray(self._block)
        for index in range(self.size_mib):
            chunk[:8] = index.to_bytes(8, "big")
            yield chunk

    def md5(self) -> str:
        digest = hashlib.md5()
        for chunk in self:
            digest.update(chunk)
        return digest.hexdigest()


def upload(base_url: str, token: str, body: Body, md5: str) -> tuple[str, float]:
    """Create an image and upload ``body``; return its id and MiB/s. The stored size and
    checksum must be the body's."""
    headers = {"X-Auth-Token": token}
    image = requests.post(
        f"{base_url}/v2/images",
        json={"name": "bench-big", "disk_format": "raw", "container_format": "bare"},
        headers=headers,
        timeout=60,
    ).json()
    started = time.perf_counter()
    response = requests.put(
        f"{base_url}/v2/images/{image['id']}/file",
        data=body,
        headers={**headers, "Content-Type": "application/octet-stream"},
        timeout=600,
    )
    seconds = time.perf_counter() - started
    if response.status_code != 204:
        raise SystemExit(f"upload: {response.status_code} {response.text[:200]}")
    stored = requests.get(f"{base_url}/v2/images/{image['id']}", headers=headers, timeout=60)
    if (stored.json()["size"], stored.json()["checksum"]) != (len(body), md5):
        raise SystemExit(f"uploaded image is wrong: {stored.text[:300]}")
    return image["id"], len(body) / MiB / seconds


def download(base_url: str, token: str, image_id: str, expected_md5: str) -> float:
    """MiB/s of the image's download, read 1 MiB at a time into one buffer (the client keeps
    and hashes nothing, so the figure is the server's). The bytes are counted and the
    server's Content-MD5 compared with the upload's md5."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=600)
    buffer = memoryview(bytearray(MiB))
    started = time.perf_counter()
    connection.request("GET", f"/v2/images/{image_id}/file", headers={"X-Auth-Token": token})
    response = connection.getresponse()
    if response.status != 200:
        raise SystemExit(f"download: {response.status}")
    received = 0
    while count := response.readinto(buffer):
        received += count
    seconds = time.perf_counter() - started
    connection.close()
    length = int(response.headers["Content-Length"])
    md5_header = response.headers.get("Content-MD5")
    if received != length or md5_header != expected_md5:
        raise SystemExit(f"download: {received} of {length} bytes, Content-MD5 {md5_header}")
    return received / MiB / seconds


def delete(base_url: str, token: str, image_id: str) -> None:
    """Delete an image the bench made (its data would otherwise fill the temp data dir)."""
    response = requests.delete(
        f"{base_url}/v2/images/{image_id}", headers={"X-Auth-Token": token}, timeout=60
    )
    if response.status_code != 204:
        raise SystemExit(f"delete {image_id}: {response.status_code}")
