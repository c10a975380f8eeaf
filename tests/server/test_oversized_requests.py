"""Oversized heads and unread bodies: a clear 4xx, and no memory spent on them.

The server read a head of any size into memory (four 256 MB headers took the process to
3 GB), and read a body the app did not want in one piece before answering (a 401 to a
300 MB upload: 650 MB). Heads are now refused as Glance's eventlet server refused them
(``emulator/request_head.py``); the memory figures are the server process's own.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from flask import Flask

from emulator.server import ServerThread
from tests.server.raw_http import ServerProcess, exchange, status_of

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
