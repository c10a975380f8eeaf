"""Image data over a real socket: cheroot on a free port, requests streaming both ways."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask

from emulator.server import ServerThread

CHUNK = 1 << 20
CHUNKS = 20  # 20 MiB


def generated(chunks: int = CHUNKS) -> Iterator[bytes]:
    """Deterministic, varied data without holding it all: each MiB differs from the last."""
    block = hashlib.sha512(b"seed").digest() * (CHUNK // 64)
    for index in range(chunks):
        yield index.to_bytes(8, "big") + block[8:]


class Sized:
    """A streamed body that knows its length, so requests sends Content-Length, not chunks."""

    def __init__(self, chunks: int = CHUNKS):
        self.chunks = chunks

    def __len__(self) -> int:
        return self.chunks * CHUNK

    def __iter__(self) -> Iterator[bytes]:
        return generated(self.chunks)


def expected_hashes() -> tuple[str, str, int]:
    md5, sha = hashlib.md5(), hashlib.sha512()
    size = 0
    for chunk in generated():
        md5.update(chunk)
        sha.update(chunk)
        size += len(chunk)
    return md5.hexdigest(), sha.hexdigest(), size


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    with ServerThread(app) as server:
        yield server.base_url


@pytest.fixture
def session(users: Any) -> Iterator[requests.Session]:
    with requests.Session() as http:
        http.headers.update(users.headers("producer"))
        yield http


def create_image(http: requests.Session, base_url: str) -> str:
    response = http.post(
        f"{base_url}/v2/images",
        json={"name": "big", "disk_format": "raw", "container_format": "bare"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.mark.parametrize("sized", [False, True], ids=["chunked", "content-length"])
def test_upload_and_download_20_mib_round_trip(
    base_url: str, session: requests.Session, sized: bool
) -> None:
    md5, sha, size = expected_hashes()
    image_id = create_image(session, base_url)
    body = Sized() if sized else generated()
    response = session.put(
        f"{base_url}/v2/images/{image_id}/file",
        data=body,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 204, response.text
    sent = response.request.headers
    assert ("Content-Length" in sent, "Transfer-Encoding" in sent) == (sized, not sized)

    image = session.get(f"{base_url}/v2/images/{image_id}").json()
    assert (image["status"], image["size"], image["virtual_size"]) == ("active", size, size)
    assert (image["checksum"], image["os_hash_value"]) == (md5, sha)

    with session.get(f"{base_url}/v2/images/{image_id}/file", stream=True) as download:
        assert download.status_code == 200
        assert download.headers["Content-Length"] == str(size)
        assert download.headers["Content-MD5"] == md5
        got_md5, got = hashlib.md5(), 0
        for chunk in download.iter_content(CHUNK):
            got_md5.update(chunk)
            got += len(chunk)
    assert (got, got_md5.hexdigest()) == (size, md5)


def test_range_over_the_wire(base_url: str, session: requests.Session) -> None:
    image_id = create_image(session, base_url)
    data = b"".join(generated(2))
    response = session.put(
        f"{base_url}/v2/images/{image_id}/file",
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 204
    response = session.get(
        f"{base_url}/v2/images/{image_id}/file", headers={"Range": f"bytes={CHUNK - 5}-{CHUNK + 4}"}
    )
    assert response.status_code == 206
    assert response.content == data[CHUNK - 5 : CHUNK + 5]
    assert response.headers["Content-Range"] == f"bytes {CHUNK - 5}-{CHUNK + 4}/{len(data)}"
    # The server stopped at Content-Length: the kept-alive connection still speaks HTTP.
    again = session.get(f"{base_url}/v2/images/{image_id}")
    assert (again.status_code, again.json()["size"]) == (200, len(data))


def test_refused_upload_over_the_wire_leaves_the_image_queued(
    base_url: str, session: requests.Session
) -> None:
    image_id = create_image(session, base_url)
    response = session.put(
        f"{base_url}/v2/images/{image_id}/file",
        data=generated(2),
        headers={"Content-Type": "application/octet-stream", "x-openstack-image-size": "10"},
    )
    assert response.status_code == 400
    assert "Size exceeds: expected 10 bytes" in response.json()["message"]
    image: dict[str, Any] = session.get(f"{base_url}/v2/images/{image_id}").json()
    assert (image["status"], image["size"], image["checksum"]) == ("queued", None, None)
