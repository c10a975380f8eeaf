"""Request paths over a real socket: decoded in full before routing, as Glance's servers do.

cheroot leaves ``%2F`` encoded in ``PATH_INFO``; eventlet and uWSGI (Glance's servers) do
not, so there ``PUT .../tags/%2F`` is ``.../tags//`` and reaches no route (issue 16).
"""

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


def send(server: ServerThread, method: str, path: str, headers: dict[str, str]) -> int:
    host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request(method, path, headers=headers)  # the path goes out as written
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def tags(server: ServerThread, users: Any, image_id: str) -> list[str]:
    shown = requests.get(
        f"{server.base_url}/v2/images/{image_id}", headers=users.headers("producer"), timeout=10
    )
    return list(shown.json()["tags"])


@pytest.mark.parametrize("tag", ["%2F", "a%2Fb", "%2f"])
def test_an_encoded_slash_in_a_tag_reaches_no_route(
    server: ServerThread, users: Any, tag: str
) -> None:
    headers = users.headers("producer")
    created = requests.post(f"{server.base_url}/v2/images", json={}, headers=headers, timeout=10)
    image_id = created.json()["id"]
    assert send(server, "PUT", f"/v2/images/{image_id}/tags/{tag}", headers) == 404
    assert send(server, "DELETE", f"/v2/images/{image_id}/tags/{tag}", headers) == 404
    assert tags(server, users, image_id) == []


def test_an_encoded_percent_stays_a_percent(server: ServerThread, users: Any) -> None:
    """``%252F`` is the text ``%2F``: decoded once, never twice."""
    headers = users.headers("producer")
    created = requests.post(f"{server.base_url}/v2/images", json={}, headers=headers, timeout=10)
    image_id = created.json()["id"]
    assert send(server, "PUT", f"/v2/images/{image_id}/tags/%252F", headers) == 204
    assert send(server, "PUT", f"/v2/images/{image_id}/tags/caf%C3%A9", headers) == 204
    assert tags(server, users, image_id) == ["%2F", "café"]


def test_an_encoded_slash_in_an_image_id_is_a_404(server: ServerThread, users: Any) -> None:
    headers = users.headers("producer")
    assert send(server, "GET", "/v2/images/abc%2Fdef", headers) == 404
