"""Oversized heads and bodies: a clear 4xx or a stream, and no memory spent on them.

The server read a head of any size into memory (four 256 MB headers took the process to
3 GB), and read a body the app did not want in one piece before answering (a 401 to a
300 MB upload: 650 MB). Heads are now refused as Glance's eventlet server refused them
(``emulator/server/request_head.py``); the memory figures are the server process's own.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import requests
from flask import Flask

from emulator.server import ServerThread
from tests.server.raw_http import ServerProcess, connect, exchange, read_all, status_of

MiB = 1 << 20
#: Allowed growth of the server's peak memory: allocator noise, not the requests' size.
GROWTH_LIMIT_KIB = 4 * 1024
MEGABYTE_HEADER = b"GET /versions HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * MiB + b"\r\n\r\n"


def test_megabyte_headers_get_400_and_the_server_memory_stays_flat(
    server_process: ServerProcess,
) -> None:
    url = server_process.base_url
    first = exchange(url, MEGABYTE_HEADER)  # also warms up whatever the path allocates
    assert (
        first
        == b"HTTP/1.0 400 Header Line Too Long\r\nConnection: close\r\nContent-length: 0\r\n\r\n"
    )
    peak_before = server_process.memory_kib("VmHWM")

    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            answers = list(pool.map(lambda _: exchange(url, MEGABYTE_HEADER), range(8)))
            assert {status_of(answer) for answer in answers} == {400}
    # A real client sees the answer too, not a reset while it is still sending.
    response = requests.get(url + "/versions", headers={"X-Big": "a" * MiB}, timeout=10)
    assert (response.status_code, response.reason) == (400, "Header Line Too Long")

    peak_after = server_process.memory_kib("VmHWM")
    assert peak_after - peak_before < GROWTH_LIMIT_KIB, (peak_before, peak_after)
    assert requests.get(url + "/versions", timeout=10).status_code == 200


def test_an_unwanted_large_body_is_not_read_into_memory(server_process: ServerProcess) -> None:
    url = server_process.base_url
    size = 256 * MiB

    class Body:  # sized, so that it is sent with Content-Length
        def __len__(self) -> int:
            return size

        def __iter__(self):  # noqa: ANN204
            block = bytes(MiB)
            for _ in range(size // MiB):
                yield block

    peak_before = server_process.memory_kib("VmHWM")
    response = requests.put(  # no token: 401 before the app reads a byte
        url + "/v2/images/00000000-0000-0000-0000-000000000000/file",
        data=Body(),
        headers={"Content-Type": "application/octet-stream"},
        timeout=30,
    )
    assert response.status_code == 401
    peak_after = server_process.memory_kib("VmHWM")
    assert peak_after - peak_before < GROWTH_LIMIT_KIB, (peak_before, peak_after)


def login(base_url: str, user: str) -> str:
    scope = {"project": {"name": user, "domain": {"name": "Default"}}}
    password = {"user": {"name": user, "domain": {"name": "Default"}, "password": f"{user}-pass"}}
    response = requests.post(
        base_url + "/identity/v3/auth/tokens",
        json={
            "auth": {"identity": {"methods": ["password"], "password": password}, "scope": scope}
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


def test_one_huge_chunk_of_an_upload_streams_through(server_process: ServerProcess) -> None:
    """cheroot read each chunk of a chunked body whole: one 256 MiB chunk took 550 MB."""
    url = server_process.base_url
    token = login(url, "producer")
    image = requests.post(
        url + "/v2/images",
        json={"name": "one-chunk", "disk_format": "raw", "container_format": "bare"},
        headers={"X-Auth-Token": token},
        timeout=10,
    ).json()
    block, blocks = bytes(range(256)) * 4096, 64  # 64 MiB in 1 MiB blocks
    digest = hashlib.md5()
    peak_before = server_process.memory_kib("VmHWM")
    with connect(url, timeout=30) as sock:
        sock.sendall(
            f"PUT /v2/images/{image['id']}/file HTTP/1.1\r\nHost: localhost\r\n"
            f"X-Auth-Token: {token}\r\nContent-Type: application/octet-stream\r\n"
            f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            f"{len(block) * blocks:x}\r\n".encode()
        )
        for _ in range(blocks):
            sock.sendall(block)
            digest.update(block)
        sock.sendall(b"\r\n0\r\n\r\n")
        answer = read_all(sock)
    assert status_of(answer) == 204, answer[:300]
    peak_after = server_process.memory_kib("VmHWM")
    assert peak_after - peak_before < GROWTH_LIMIT_KIB, (peak_before, peak_after)
    shown = requests.get(
        f"{url}/v2/images/{image['id']}", headers={"X-Auth-Token": token}, timeout=10
    ).json()
    assert (shown["status"], shown["checksum"]) == ("active", digest.hexdigest())


def test_an_overlong_chunk_size_line_is_a_400(app: Flask, users) -> None:
    with ServerThread(app) as server:
        answer = exchange(
            server.base_url,
            b"POST /v2/images HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json"
            b"\r\nX-Auth-Token: " + users.tokens["producer"].encode() + b"\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + b"0" * 8192  # small enough to be sent whole before the server answers
            + b"2\r\n{}\r\n0\r\n\r\n",
        )
    assert status_of(answer) == 400, answer[:300]


def test_heads_just_within_the_limits_are_served(app: Flask, users) -> None:
    headers = {**users.headers("producer"), "X-Long": "v" * 16000}
    headers.update({f"X-Extra-{index}": "v" for index in range(80)})
    with ServerThread(app) as server:
        response = requests.get(server.base_url + "/v2/images", headers=headers, timeout=10)
        assert response.status_code == 200
        long_url = server.base_url + "/v2/images?name=" + "n" * 8000
        assert requests.get(long_url, headers=users.headers("producer")).status_code == 200
        too_long = requests.get(long_url + "n" * 200, headers=users.headers("producer"))
        assert (too_long.status_code, too_long.reason) == (414, "Request URI Too Long")
