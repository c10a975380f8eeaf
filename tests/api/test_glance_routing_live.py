"""The routing edges over a real socket (cheroot in front, as ``glance-emulator serve`` runs):
the paths go out exactly as written, as tempest's image client sends them."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask

from emulator.server import ServerThread


@pytest.fixture
def server(app: Flask) -> Iterator[ServerThread]:
    with ServerThread(app) as running:
        yield running


def send(
    server: ServerThread, method: str, path: str, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_tempest_null_id_requests_are_404_and_change_nothing(
    server: ServerThread, users: Any
) -> None:
    """tempest ``ImagesNegativeTest.test_get_image_null_id`` / ``test_delete_image_null_id``."""
    headers = users.headers("producer")
    created = requests.post(f"{server.base_url}/v2/images", json={}, headers=headers, timeout=10)
    for method in ("GET", "DELETE"):
        status, _, body = send(server, method, "/v2/images/", headers)
        assert status == 404
        assert b"The resource could not be found." in body
    listed = requests.get(f"{server.base_url}/v2/images", headers=headers, timeout=10)
    assert [i["id"] for i in listed.json()["images"]] == [created.json()["id"]]


def test_healthcheck_over_the_wire(server: ServerThread) -> None:
    status, headers, body = send(server, "GET", "/healthcheck", {})
    assert (status, body) == (200, b"OK")
    assert headers["Content-Type"] == "text/plain; charset=UTF-8"
    status, headers, body = send(server, "HEAD", "/healthcheck", {})
    assert (status, body) == (204, b"")


def test_v2_redirect_over_the_wire(server: ServerThread, users: Any) -> None:
    status, headers, _ = send(server, "GET", "/v2", users.headers("producer"))
    assert status == 302
    assert headers["Location"] == server.base_url + "/v2/"


@pytest.mark.parametrize(
    ("path", "status", "expected"),
    [
        ("//v2/images", 200, b'"images"'),
        ("///v2//images?limit=1", 200, b'"images"'),
        ("//healthcheck", 200, b"OK"),
        ("//", 300, b'"versions"'),
        ("//v2/images/", 404, b"The resource could not be found."),
    ],
)
def test_a_target_starting_with_two_slashes_is_a_path(
    server: ServerThread, users: Any, path: str, status: int, expected: bytes
) -> None:
    """cheroot alone would refuse these as absolute URIs (400); Glance's servers route them,
    with the slashes merged."""
    answer, _, body = send(server, "GET", path, users.headers("producer"))
    assert answer == status
    assert expected in body


def test_single_leading_slash_touches_only_the_request_target() -> None:
    from emulator.server.request_head import single_leading_slash

    head = b"GET //v2//images HTTP/1.1\r\nReferer: //x\r\n\r\n"
    assert single_leading_slash(head) == b"GET /v2//images HTTP/1.1\r\nReferer: //x\r\n\r\n"
    assert single_leading_slash(b"\r\nGET //a HTTP/1.1\r\n\r\n") == b"\r\nGET /a HTTP/1.1\r\n\r\n"
    for same in (
        b"GET /v2 HTTP/1.1\r\n\r\n",
        b"GET http://h//x HTTP/1.1\r\n\r\n",
        b"GET //x\r\n\r\n",
        b"GET //x",
    ):
        assert single_leading_slash(same) == same
