"""Hostile input never breaks the server: a clear 4xx in Glance's (or Keystone's) error shape,
and the store (every table row, every file, inside the data dir and around it) unchanged.

Each refusal is also checked against the API reference (``api_ref_helper``), so a status
or body that the document does not promise fails here too. Behaviour is Glance's
(glance/api/v2/images.py, image_data.py, image_members.py, glance/common/wsgi.py,
glance/db/sqlalchemy/api.py) unless a comment says otherwise.
"""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from api_ref_helper import assert_matches_documented
from flask import Flask
from flask.testing import FlaskClient
from store_snapshot import describe_difference, snapshot, unchanged

from emulator.core.config import Config
from emulator.identity.domain.roles import expand
from emulator.identity.services import accounts, tokens
from emulator.server import ServerThread

JSON_PATCH = "application/openstack-images-v2.1-json-patch"
OCTET = "application/octet-stream"
ACCEPT_PATCH = (
    "application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch"
)
MISSING = "7d3c4a3e-0a8e-4d3b-9f4e-2b1c0d9e8f7a"
DATA = b"\0" * 4096


@pytest.fixture
def config(tmp_path: Path, request: pytest.FixtureRequest) -> Config:
    """The shared fixture, with per-test overrides (``indirect=True``)."""
    return Config(data_dir=tmp_path / "data", **getattr(request, "param", {}))


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file next to the data dir that path-traversal attempts aim at."""
    target = tmp_path / "etc" / "passwd"
    target.parent.mkdir()
    target.write_text("root:x:0:0:root:/root:/bin/sh\n")
    return target


class World:
    """producer's shared image with data (consumer a pending member) and private image."""

    def __init__(self, client: FlaskClient, users: Any):
        self.client, self.users = client, users
        self.shared = self.create("producer", name="shared", visibility="shared")
        response = client.put(
            f"/v2/images/{self.shared}/file",
            data=DATA,
            headers=users.headers("producer", **{"Content-Type": OCTET}),
        )
        assert response.status_code == 204, response.get_data(as_text=True)
        response = client.post(
            f"/v2/images/{self.shared}/members",
            json={"member": users.project("consumer")},
            headers=users.headers("producer"),
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        self.private = self.create("producer", name="private", visibility="private")

    def create(self, who: str, **body: Any) -> str:
        body = {"disk_format": "raw", "container_format": "bare", **body}
        response = self.client.post("/v2/images", json=body, headers=self.users.headers(who))
        assert response.status_code == 201, response.get_data(as_text=True)
        return str(response.get_json()["id"])


@pytest.fixture
def world(client: FlaskClient, users: Any, outside: Path) -> World:
    return World(client, users)


@pytest.fixture
def calm(app: Flask, tmp_path: Path, world: World) -> Iterator[None]:
    """Everything that follows (in the test) must leave the store as the world left it."""
    with unchanged(app, tmp_path):
        yield


def glance_error(
    response: Any, status: int, method: str | None = None, template: str | None = None
) -> str:
    """Assert a Glance JSON error of ``status``; return its explanation."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    if method and template:
        assert_matches_documented(response, method, template)
    body = response.get_json()
    assert set(body) == {"message", "code", "title"}, body
    assert body["code"] == f"{status} {body['title']}"
    return str(body["message"].split("<br />")[0])


def keystone_error(response: Any, status: int, method: str, template: str) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert_matches_documented(response, method, template)
    error = response.get_json()["error"]
    assert error["code"] == status
    return str(error["message"])


# --- request bodies --------------------------------------------------------------------

# (method, URL template, path template, content type) of every Glance call with a JSON body.
JSON_BODY_CALLS = [
    ("POST", "/v2/images", "/v2/images", "application/json"),
    ("PATCH", "/v2/images/{shared}", "/v2/images/{image_id}", JSON_PATCH),
    ("POST", "/v2/images/{shared}/members", "/v2/images/{image_id}/members", "application/json"),
    (
        "PUT",
        "/v2/images/{shared}/members/{consumer}",
        "/v2/images/{image_id}/members/{member_id}",
        "application/json",
    ),
]


def _url(template: str, world: World) -> str:
    return template.format(shared=world.shared, consumer=world.users.project("consumer"))


def _who(method: str, template: str) -> str:
    return "consumer" if method == "PUT" and "members" in template else "producer"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": ',
        b"{'name': 'single quotes'}",
        b"[1, 2",
        b"\xff\xfe\x00",
        b"NaN-ish",
        b'{"a": ' * 60000 + b"1" + b"}" * 60000,
    ],
    ids=["truncated", "single-quotes", "open-array", "not-utf8", "not-json", "deeply-nested"],
)
@pytest.mark.parametrize(("method", "url", "template", "content_type"), JSON_BODY_CALLS)
def test_malformed_json_is_400(
    client: FlaskClient,
    world: World,
    calm: None,
    method: str,
    url: str,
    template: str,
    content_type: str,
    raw: bytes,
) -> None:
    response = client.open(
        _url(url, world),
        method=method,
        data=raw,
        headers=world.users.headers(_who(method, url), **{"Content-Type": content_type}),
    )
    glance_error(response, 400, method, template)


@pytest.mark.parametrize(
    ("method", "url", "template", "content_type", "body"),
    [
        *[
            ("POST", "/v2/images", "/v2/images", "application/json", b)
            for b in ("[]", "[{}]", '"name"', "42", "null", "true")
        ],
        *[
            ("PATCH", "/v2/images/{shared}", "/v2/images/{image_id}", JSON_PATCH, b)
            for b in ("{}", '{"op": "replace"}', '"x"', "[1]", '[["replace"]]', "null")
        ],
        *[
            (
                "POST",
                "/v2/images/{shared}/members",
                "/v2/images/{image_id}/members",
                "application/json",
                b,
            )
            for b in ("[]", '"consumer"', "7", "null", "{}")
        ],
        *[
            (
                "PUT",
                "/v2/images/{shared}/members/{consumer}",
                "/v2/images/{image_id}/members/{member_id}",
                "application/json",
                b,
            )
            for b in ('["accepted"]', '"accepted"', "1", "null", "{}")
        ],
    ],
)
def test_json_of_the_wrong_shape_is_400(
    client: FlaskClient,
    world: World,
    calm: None,
    method: str,
    url: str,
    template: str,
    content_type: str,
    body: str,
) -> None:
    """Glance answers 500 for a create body that is an array (it calls ``.pop`` on it);
    we answer the 400 it meant."""
    response = client.open(
        _url(url, world),
        method=method,
        data=body,
        headers=world.users.headers(_who(method, url), **{"Content-Type": content_type}),
    )
    glance_error(response, 400, method, template)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/json",
        "text/plain",
        "application/json-patch+json",
        "application/openstack-images-v2.1-json-patchX",
        "application/openstack-images-v2.2-json-patch",
    ],
)
def test_patch_needs_a_json_patch_media_type(
    client: FlaskClient, world: World, calm: None, content_type: str | None
) -> None:
    headers = world.users.headers("producer")
    if content_type:
        headers["Content-Type"] = content_type
    body = json.dumps([{"op": "replace", "path": "/name", "value": "renamed"}])
    response = client.patch(f"/v2/images/{world.private}", data=body, headers=headers)
    glance_error(response, 415, "PATCH", "/v2/images/{image_id}")
    assert response.headers["Accept-Patch"] == ACCEPT_PATCH


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/json",
        "text/plain",
        "Application/Octet-Stream",
        " application/octet-stream",
        "multipart/form-data; boundary=x",
    ],
)
def test_upload_needs_octet_stream(
    client: FlaskClient, world: World, calm: None, content_type: str | None
) -> None:
    """webob compares the media type as is: no case folding, no trimming."""
    headers = world.users.headers("producer")
    if content_type:
        headers["Content-Type"] = content_type
    response = client.put(f"/v2/images/{world.private}/file", data=DATA, headers=headers)
    glance_error(response, 415, "PUT", "/v2/images/{image_id}/file")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_create_and_member_calls_take_any_content_type(
    client: FlaskClient, world: World, content_type: str | None
) -> None:
    """Glance's JSONRequestDeserializer never looks at Content-Type."""
    headers = world.users.headers("producer")
    if content_type:
        headers["Content-Type"] = content_type
    body = json.dumps({"name": "any-type", "visibility": "shared"})
    response = client.post("/v2/images", data=body, headers=headers)
    assert response.status_code == 201
    image_id = assert_matches_documented(response, "POST", "/v2/images")["id"]
    member = json.dumps({"member": world.users.project("consumer")})
    response = client.post(f"/v2/images/{image_id}/members", data=member, headers=headers)
    assert response.status_code == 200
    assert_matches_documented(response, "POST", "/v2/images/{image_id}/members")
    consumer = world.users.headers("consumer")
    if content_type:
        consumer["Content-Type"] = content_type
    response = client.put(
        f"/v2/images/{image_id}/members/{world.users.project('consumer')}",
        data=json.dumps({"status": "accepted"}),
        headers=consumer,
    )
    assert response.status_code == 200
    body = assert_matches_documented(response, "PUT", "/v2/images/{image_id}/members/{member_id}")
    assert body["status"] == "accepted"


def _padded(limit: int) -> bytes:
    """A well-formed JSON object one byte over ``limit``."""
    head, tail = b'{"name": "padded", "description": "', b'"}'
    return head + b"x" * (limit + 1 - len(head) - len(tail)) + tail


@pytest.mark.parametrize(("method", "url", "template", "content_type"), JSON_BODY_CALLS)
def test_json_bodies_over_the_limit_are_413(
    client: FlaskClient,
    app: Flask,
    world: World,
    calm: None,
    method: str,
    url: str,
    template: str,
    content_type: str,
) -> None:
    body = _padded(app.config["EMULATOR"].max_request_body_size)
    if method == "PATCH":
        body = b"[" + body + b"]"
    response = client.open(
        _url(url, world),
        method=method,
        data=body,
        headers=world.users.headers(_who(method, url), **{"Content-Type": content_type}),
    )
    glance_error(response, 413, method, template)


def test_token_request_over_the_limit_is_413(
    client: FlaskClient, app: Flask, world: World, calm: None
) -> None:
    body = _padded(app.config["EMULATOR"].max_request_body_size)
    response = client.post(
        "/identity/v3/auth/tokens", data=body, headers={"Content-Type": "application/json"}
    )
    keystone_error(response, 413, "POST", "/identity/v3/auth/tokens")


def test_chunked_body_over_the_limit_is_413_on_a_live_server(
    app: Flask, world: World, calm: None
) -> None:
    """No Content-Length to trust: the body is cut off at the limit while it streams in."""
    limit = app.config["EMULATOR"].max_request_body_size
    body = _padded(limit)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    with ServerThread(app) as server:
        response = requests.post(
            f"{server.base_url}/v2/images",
            data=chunks(),
            timeout=30,
            headers=world.users.headers("producer", **{"Content-Type": "application/json"}),
        )
    assert response.status_code == 413, response.text[:300]
    assert_matches_documented(response, "POST", "/v2/images")


@pytest.mark.parametrize("config", [{"image_size_cap": 1024}], indirect=True)
def test_image_data_over_the_size_cap_is_413(
    client: FlaskClient, app: Flask, tmp_path: Path, users: Any
) -> None:
    response = client.post(
        "/v2/images",
        json={"name": "capped", "disk_format": "raw", "container_format": "bare"},
        headers=users.headers("producer"),
    )
    image_id = response.get_json()["id"]
    before = snapshot(app, tmp_path)
    response = client.put(
        f"/v2/images/{image_id}/file",
        data=b"\0" * 2048,
        headers=users.headers("producer", **{"Content-Type": OCTET}),
    )
    glance_error(response, 413, "PUT", "/v2/images/{image_id}/file")
    # Like Glance, the failed upload passed through 'saving' (updated_at moved); nothing else
    # may differ: no data file, no temp file, the image queued again with no size.
    after = snapshot(app, tmp_path)
    assert after["files"] == before["files"]
    image = client.get(f"/v2/images/{image_id}", headers=users.headers("producer")).get_json()
    assert (image["status"], image["size"], image["checksum"]) == ("queued", None, None)


# --- ids in paths ----------------------------------------------------------------------

# Every Glance route with an image id: (method, path template, body or None, content type).
IMAGE_ROUTES = [
    ("GET", "/v2/images/{image_id}", None, None),
    (
        "PATCH",
        "/v2/images/{image_id}",
        [{"op": "replace", "path": "/name", "value": "x"}],
        JSON_PATCH,
    ),
    ("DELETE", "/v2/images/{image_id}", None, None),
    ("GET", "/v2/images/{image_id}/file", None, None),
    ("PUT", "/v2/images/{image_id}/file", DATA, OCTET),
    ("PUT", "/v2/images/{image_id}/tags/{tag_value}", None, None),
    ("DELETE", "/v2/images/{image_id}/tags/{tag_value}", None, None),
    ("POST", "/v2/images/{image_id}/actions/deactivate", None, None),
    ("POST", "/v2/images/{image_id}/actions/reactivate", None, None),
    ("GET", "/v2/images/{image_id}/members", None, None),
    ("POST", "/v2/images/{image_id}/members", {"member": "someone"}, "application/json"),
    ("GET", "/v2/images/{image_id}/members/{member_id}", None, None),
    (
        "PUT",
        "/v2/images/{image_id}/members/{member_id}",
        {"status": "accepted"},
        "application/json",
    ),
    ("DELETE", "/v2/images/{image_id}/members/{member_id}", None, None),
]


def _send(
    client: FlaskClient,
    users: Any,
    method: str,
    path: str,
    body: Any,
    content_type: str | None,
    who: str = "producer",
) -> Any:
    headers = users.headers(who)
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body)
        headers["Content-Type"] = content_type or "application/json"
    return client.open(path, method=method, data=data, headers=headers)


UNKNOWN_IDS = [
    "not-a-uuid",
    "1",
    MISSING,
    MISSING + "0",
    MISSING.replace("-", ""),
    "x" * 300,
    "%00",
    "%C3%A9t%C3%A9",
    "'; DROP TABLE images; --",
]


@pytest.mark.parametrize(("method", "template", "body", "content_type"), IMAGE_ROUTES)
def test_ids_that_name_no_image_are_404(
    client: FlaskClient,
    world: World,
    calm: None,
    method: str,
    template: str,
    body: Any,
    content_type: str | None,
) -> None:
    """Glance looks ids up as given (over-long ones are ImageNotFound at once): 404."""
    member = world.users.project("consumer")
    for image_id in UNKNOWN_IDS:
        path = template.format(image_id=image_id, tag_value="t", member_id=member)
        response = _send(client, world.users, method, path, body, content_type)
        assert response.status_code == 404, (image_id, response.get_data(as_text=True)[:300])
        glance_error(response, 404, method, template)


TRAVERSALS = [
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%252F..%252Fetc%252Fpasswd",
    "..%5C..%5Cetc%5Cpasswd",
    "%2Fetc%2Fpasswd",
    "..",
    "%2e%2e",
    "....%2F%2F....%2F%2Fetc%2Fpasswd",
]
TRAVERSAL_TARGETS = [
    (method, template, body, content_type, slot)
    for method, template, body, content_type in IMAGE_ROUTES
    for slot in ("image_id", "tag_value", "member_id")
    if "{" + slot + "}" in template
]


@pytest.mark.parametrize(("method", "template", "body", "content_type", "slot"), TRAVERSAL_TARGETS)
def test_path_traversal_in_any_id_touches_no_file(
    app: Flask,
    client: FlaskClient,
    tmp_path: Path,
    world: World,
    outside: Path,
    method: str,
    template: str,
    body: Any,
    content_type: str | None,
    slot: str,
) -> None:
    for attack in TRAVERSALS:
        values = {
            "image_id": world.shared,
            "tag_value": "t",
            "member_id": world.users.project("consumer"),
        }
        values[slot] = attack
        before = snapshot(app, tmp_path)
        response = _send(client, world.users, method, template.format(**values), body, content_type)
        after = snapshot(app, tmp_path)
        assert after["files"] == before["files"], (attack, describe_difference(before, after))
        assert outside.read_text() == "root:x:0:0:root:/root:/bin/sh\n"
        if method == "PUT" and slot == "tag_value" and response.status_code == 204:
            # A tag is only text: ".." is as good a tag as any (Glance stores it too).
            continue
        assert 400 <= response.status_code < 500, (attack, response.get_data(as_text=True)[:300])
        glance_error(response, response.status_code)
        assert after == before, (attack, describe_difference(before, after))


@pytest.mark.parametrize("attack", TRAVERSALS[:5])
def test_path_traversal_on_a_live_server(
    app: Flask, world: World, outside: Path, calm: None, attack: str
) -> None:
    """The raw request line, as a hostile client would send it (no client-side normalising)."""
    with ServerThread(app) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        for method, path, body in (
            ("GET", f"/v2/images/{attack}/file", None),
            ("PUT", f"/v2/images/{attack}/file", DATA),
            ("DELETE", f"/v2/images/{attack}", None),
            ("GET", f"/v2/images/{world.shared}/members/{attack}", None),
        ):
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            headers = world.users.headers("producer")
            if body is not None:
                headers["Content-Type"] = OCTET
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            connection.close()
            assert 400 <= response.status < 500, (method, path, response.status, payload[:200])
    assert outside.read_text() == "root:x:0:0:root:/root:/bin/sh\n"


# --- image attributes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "n" * 256}, 400),
        ({"owner": "o" * 256}, 400),
        ({"p" * 256: "long key"}, 400),
        ({"tags": ["t" * 256]}, 400),
        ({"tags": "not-a-list"}, 400),
        ({"tags": [1]}, 400),
        ({"os_distro": 7}, 400),
        ({"os_distro": {"nested": "object"}}, 400),
        ({"os_distro": None}, 400),
        ({"id": "not-a-uuid"}, 400),
        ({"min_ram": -1}, 400),
        ({"min_disk": "ten"}, 400),
        ({"protected": "yes"}, 400),
        ({"visibility": "everyone"}, 400),
        ({"disk_format": "raw2"}, 400),
        ({"container_format": "crate"}, 400),
        *[({key: "x"}, 403) for key in ("self", "file", "schema", "direct_url", "stores")],
        *[({key: "x"}, 403) for key in ("location", "deleted", "deleted_at", "os_glance_x")],
        *[({key: 1}, 403) for key in ("size", "virtual_size")],
        # Values the image schema accepts, so the read-only rule is what refuses them.
        ({"status": "active"}, 403),
        *[({key: "x"}, 403) for key in ("checksum", "created_at", "updated_at")],
        ({"visibility": "public"}, 403),
        ({"owner": "somebody-else"}, 403),
    ],
)
def test_create_refuses_bad_attributes(
    client: FlaskClient, world: World, calm: None, body: dict, status: int
) -> None:
    response = client.post(
        "/v2/images", json={"name": "bad", **body}, headers=world.users.headers("producer")
    )
    glance_error(response, status, "POST", "/v2/images")


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ([{"op": "replace", "path": "/name", "value": "n" * 256}], 400),
        ([{"op": "add", "path": "/" + "p" * 256, "value": "x"}], 400),
        ([{"op": "replace", "path": "/tags", "value": ["t" * 256]}], 400),
        ([{"op": "add", "path": "/os_distro", "value": 1}], 400),
        ([{"op": "replace", "path": "/min_ram", "value": -5}], 400),
        ([{"op": "move", "from": "/name", "path": "/x"}], 400),
        ([{"op": "replace", "path": "/name"}], 400),
        ([{"op": "replace", "path": "name", "value": "x"}], 400),
        ([{"op": "replace", "path": "/a/b", "value": "x"}], 400),
        ([{"op": "replace", "path": "/a~2", "value": "x"}], 400),
        ([{"op": "replace", "path": 5, "value": "x"}], 400),
        *[
            ([{"op": "replace", "path": f"/{key}", "value": "x"}], 403)
            for key in (
                "status",
                "id",
                "checksum",
                "size",
                "created_at",
                "self",
                "file",
                "schema",
                "os_hash_value",
            )
        ],
        *[
            ([{"op": "add", "path": f"/{key}", "value": "x"}], 403)
            for key in ("location", "deleted", "os_glance_import_task")
        ],
        ([{"op": "remove", "path": "/name"}], 403),
        ([{"op": "replace", "path": "/owner", "value": "thief"}], 403),
        ([{"op": "replace", "path": "/visibility", "value": "public"}], 403),
        ([{"op": "replace", "path": "/does_not_exist", "value": "x"}], 409),
        ([{"op": "remove", "path": "/does_not_exist"}], 409),
        # One bad operation after good ones: nothing is saved.
        (
            [
                {"op": "replace", "path": "/name", "value": "fine"},
                {"op": "add", "path": "/os_distro", "value": "fine"},
                {"op": "replace", "path": "/status", "value": "active"},
            ],
            403,
        ),
    ],
)
def test_patch_refuses_bad_changes(
    client: FlaskClient, world: World, calm: None, changes: list, status: int
) -> None:
    response = client.patch(
        f"/v2/images/{world.private}",
        data=json.dumps(changes),
        headers=world.users.headers("producer", **{"Content-Type": JSON_PATCH}),
    )
    glance_error(response, status, "PATCH", "/v2/images/{image_id}")


def test_formats_cannot_change_once_data_is_uploaded(
    client: FlaskClient, world: World, calm: None
) -> None:
    response = client.patch(
        f"/v2/images/{world.shared}",
        data=json.dumps([{"op": "replace", "path": "/disk_format", "value": "qcow2"}]),
        headers=world.users.headers("producer", **{"Content-Type": JSON_PATCH}),
    )
    glance_error(response, 403, "PATCH", "/v2/images/{image_id}")


def test_too_many_properties_is_413(
    client: FlaskClient, app: Flask, world: World, calm: None
) -> None:
    quota = app.config["EMULATOR"].image_property_quota
    extras = {f"prop_{i}": "v" for i in range(quota + 1)}
    response = client.post(
        "/v2/images", json={"name": "props", **extras}, headers=world.users.headers("producer")
    )
    glance_error(response, 413, "POST", "/v2/images")
    changes = [{"op": "add", "path": f"/{k}", "value": v} for k, v in extras.items()]
    response = client.patch(
        f"/v2/images/{world.private}",
        data=json.dumps(changes),
        headers=world.users.headers("producer", **{"Content-Type": JSON_PATCH}),
    )
    glance_error(response, 413, "PATCH", "/v2/images/{image_id}")


def test_too_many_tags_is_413(client: FlaskClient, app: Flask, world: World) -> None:
    quota = app.config["EMULATOR"].image_tag_quota
    tags = [f"tag-{i}" for i in range(quota + 1)]
    headers = world.users.headers("producer")
    with unchanged(app, app.config["EMULATOR"].data_dir.parent):
        response = client.post("/v2/images", json={"name": "tags", "tags": tags}, headers=headers)
        glance_error(response, 413, "POST", "/v2/images")
        response = client.patch(
            f"/v2/images/{world.private}",
            data=json.dumps([{"op": "replace", "path": "/tags", "value": tags}]),
            headers={**headers, "Content-Type": JSON_PATCH},
        )
        glance_error(response, 413, "PATCH", "/v2/images/{image_id}")
    response = client.patch(
        f"/v2/images/{world.private}",
        data=json.dumps([{"op": "replace", "path": "/tags", "value": tags[:quota]}]),
        headers={**headers, "Content-Type": JSON_PATCH},
    )
    assert response.status_code == 200
    with unchanged(app, app.config["EMULATOR"].data_dir.parent):
        response = client.put(f"/v2/images/{world.private}/tags/one-too-many", headers=headers)
        glance_error(response, 413, "PUT", "/v2/images/{image_id}/tags/{tag_value}")


def test_tags_over_255_characters_are_400(client: FlaskClient, world: World, calm: None) -> None:
    response = client.put(
        f"/v2/images/{world.private}/tags/{'t' * 256}", headers=world.users.headers("producer")
    )
    glance_error(response, 400, "PUT", "/v2/images/{image_id}/tags/{tag_value}")


# --- listing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "limit=abc",
        "limit=-1",
        "limit=1.5",
        "limit=",
        "limit=0x10",
        f"marker={MISSING}",
        "marker=not-a-uuid",
        "sort_key=owner",
        "sort_key=name;DROP",
        "sort_dir=up",
        "sort_key=name&sort_dir=sideways",
        "sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc&sort_dir=asc",
        "sort=name:sideways",
        "sort=bogus",
        "sort=name&sort_key=size",
        'name=in:"unclosed',
        'name=in:a"b"',
        'name=in:"a"b',
        "name=like:foo",
        "status=gt:active",
        "id=bogus:1",
        "created_at=gt:yesterday",
        "created_at=between:2026-01-01T00:00:00Z",
        "updated_at=gte:2026-13-45T99:99:99Z",
        "size_min=big",
        "size_max=1e3",
        "visibility=everyone",
        "member_status=maybe",
        "protected=True",
        "protected=1",
        "os_hidden=yes",
        "changes-since=2026-01-01T00:00:00Z",
    ],
)
def test_bad_list_parameters_are_400(
    client: FlaskClient, world: World, calm: None, query: str
) -> None:
    response = client.get(f"/v2/images?{query}", headers=world.users.headers("producer"))
    glance_error(response, 400, "GET", "/v2/images")


def test_a_marker_the_caller_cannot_see_is_403(
    client: FlaskClient, world: World, calm: None
) -> None:
    response = client.get(
        f"/v2/images?marker={world.private}", headers=world.users.headers("consumer")
    )
    glance_error(response, 403, "GET", "/v2/images")


@pytest.mark.parametrize("limit", ["1001", "1000000", "9" * 40])
def test_too_large_limits_are_clamped_not_errors(
    client: FlaskClient, world: World, calm: None, limit: str
) -> None:
    response = client.get(f"/v2/images?limit={limit}", headers=world.users.headers("producer"))
    assert response.status_code == 200
    body = assert_matches_documented(response, "GET", "/v2/images")
    assert {image["id"] for image in body["images"]} == {world.shared, world.private}


# --- members ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["bogus", "", "ACCEPTED", " accepted", 1, None, [], {}, True])
def test_invalid_member_status_is_400(
    client: FlaskClient, world: World, calm: None, status: Any
) -> None:
    response = client.put(
        f"/v2/images/{world.shared}/members/{world.users.project('consumer')}",
        json={"status": status},
        headers=world.users.headers("consumer"),
    )
    glance_error(response, 400, "PUT", "/v2/images/{image_id}/members/{member_id}")


@pytest.mark.parametrize("member", ["", None, 0, ["x"], {"id": "x"}, "m" * 256, "emoji-\U0001f600"])
def test_invalid_member_ids_are_400(
    client: FlaskClient, world: World, calm: None, member: Any
) -> None:
    response = client.post(
        f"/v2/images/{world.shared}/members",
        json={"member": member},
        headers=world.users.headers("producer"),
    )
    glance_error(response, 400, "POST", "/v2/images/{image_id}/members")


# --- headers ---------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["abc\x01def", "tab\there", "\x7f", "é" * 10])
def test_tokens_with_odd_characters_are_401(
    client: FlaskClient, world: World, calm: None, token: str
) -> None:
    response = client.get(
        f"/v2/images/{world.shared}", headers={"X-Auth-Token": token, "Accept": "application/json"}
    )
    glance_error(response, 401, "GET", "/v2/images/{image_id}")
    assert response.headers["WWW-Authenticate"].startswith("Keystone uri=")


@pytest.mark.parametrize(
    ("header", "value", "method", "template", "status"),
    [
        ("x-openstack-image-size", "12\x01", "PUT", "/v2/images/{image_id}/file", 400),
        ("x-openstack-image-size", "1e3", "PUT", "/v2/images/{image_id}/file", 400),
        ("Content-Type", "application/octet-stream\x00", "PUT", "/v2/images/{image_id}/file", 415),
        ("Range", "bytes=\x01-\x02", "GET", "/v2/images/{image_id}/file", 416),
        ("Range", "bytes=99999-", "GET", "/v2/images/{image_id}/file", 416),
        ("Range", "bytes=0-1,4-5", "GET", "/v2/images/{image_id}/file", 400),
        ("x-openstack-request-id", "r" * 65, "GET", "/v2/images/{image_id}", 431),
    ],
)
def test_bad_header_values_are_4xx(
    client: FlaskClient,
    world: World,
    calm: None,
    header: str,
    value: str,
    method: str,
    template: str,
    status: int,
) -> None:
    image_id = world.private if method == "PUT" else world.shared
    headers = world.users.headers("producer", **{"Content-Type": OCTET})
    headers[header] = value
    response = client.open(
        template.format(image_id=image_id),
        method=method,
        data=DATA if method == "PUT" else None,
        headers=headers,
    )
    glance_error(response, status, method, template)


def test_a_negative_declared_size_is_400_and_keeps_nothing(
    client: FlaskClient, app: Flask, tmp_path: Path, world: World
) -> None:
    """Glance parses the header with int() only, so -1 gets as far as the size check."""
    before = snapshot(app, tmp_path)
    response = client.put(
        f"/v2/images/{world.private}/file",
        data=DATA,
        headers=world.users.headers(
            "producer", **{"Content-Type": OCTET, "x-openstack-image-size": "-1"}
        ),
    )
    glance_error(response, 400, "PUT", "/v2/images/{image_id}/file")
    assert snapshot(app, tmp_path)["files"] == before["files"]
    image = client.get(
        f"/v2/images/{world.private}", headers=world.users.headers("producer")
    ).get_json()
    assert (image["status"], image["size"]) == ("queued", None)


@pytest.mark.parametrize("value", ["abc\r\nX-Injected: 1", "abc\ndef"])
def test_request_ids_with_line_breaks_are_refused(
    client: FlaskClient, world: World, calm: None, value: str
) -> None:
    """The request id is echoed in a response header; a line break must not reach it.
    (Waitress unfolds or refuses such headers itself; other WSGI servers may pass them.)"""
    response = client.get(
        f"/v2/images/{world.shared}",
        headers=world.users.headers("producer"),
        environ_overrides={"HTTP_X_OPENSTACK_REQUEST_ID": value},
    )
    glance_error(response, 400, "GET", "/v2/images/{image_id}")
    assert "X-Injected" not in response.headers


@pytest.mark.parametrize("raw", [b"abc\x01def", b"abc\x00def", b"abc\x7f", b"\xff\xfe"])
def test_control_characters_in_headers_on_a_live_server(
    app: Flask, world: World, calm: None, raw: bytes
) -> None:
    """Sent byte for byte: whatever reaches the app must not make it fail."""
    with ServerThread(app) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        for name in (b"X-Auth-Token", b"x-openstack-request-id", b"Range"):
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            connection.putrequest("GET", f"/v2/images/{world.shared}/file")
            token = world.users.tokens["producer"].encode()
            if name != b"X-Auth-Token":
                connection.putheader("X-Auth-Token", token)
            connection.putheader(name.decode(), raw)
            connection.endheaders()
            response = connection.getresponse()
            response.read()
            connection.close()
            assert response.status < 500, (name, raw, response.status)


# --- tokens ----------------------------------------------------------------------------


def _issue(app: Flask, name: str, ttl_seconds: int = 3600) -> str:
    with app.extensions["emulator.store"].session() as db:
        user = accounts.find_user(db, name, accounts.DEFAULT_DOMAIN_ID)
        assert user is not None and user.default_project_id is not None
        roles = expand(accounts.roles_on_project(db, user.id, user.default_project_id))
        token, _ = tokens.issue(
            db,
            user_id=user.id,
            project_id=user.default_project_id,
            roles=roles,
            methods=["password"],
            ttl_seconds=ttl_seconds,
        )
    return token


def _revoked(app: Flask) -> str:
    token = _issue(app, "producer")
    with app.extensions["emulator.store"].session() as db:
        assert tokens.revoke(db, token)
    return token


@pytest.mark.parametrize(
    "make_token",
    [
        lambda app: _issue(app, "producer", ttl_seconds=-1),
        _revoked,
        lambda app: "",
        lambda app: "gAAAAA" + "A" * 80,
        lambda app: "x" * 5000,
        lambda app: str(uuid.uuid4()),
        lambda app: _issue(app, "producer")[:-1],
    ],
    ids=["expired", "revoked", "empty", "fernet-looking", "huge", "uuid", "truncated"],
)
@pytest.mark.parametrize(("method", "template", "body", "content_type"), IMAGE_ROUTES[:5])
def test_bad_tokens_are_401(
    app: Flask,
    client: FlaskClient,
    tmp_path: Path,
    world: World,
    make_token: Any,
    method: str,
    template: str,
    body: Any,
    content_type: str | None,
) -> None:
    token = make_token(app)
    with unchanged(app, tmp_path):
        headers = {"X-Auth-Token": token, "Accept": "application/json"}
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body)
            headers["Content-Type"] = content_type or "application/json"
        path = template.format(image_id=world.shared)
        response = client.open(path, method=method, data=data, headers=headers)
        glance_error(response, 401, method, template)
        response = client.get("/identity/v3/auth/projects", headers=headers)
        keystone_error(response, 401, "GET", "/identity/v3/auth/projects")


@pytest.mark.parametrize(
    ("who", "method", "template", "body", "content_type", "status"),
    [
        ("outsider", "GET", "/v2/images/{shared}", None, None, 404),
        ("outsider", "GET", "/v2/images/{private}", None, None, 404),
        ("consumer", "GET", "/v2/images/{private}", None, None, 404),
        (
            "outsider",
            "PATCH",
            "/v2/images/{shared}",
            [{"op": "replace", "path": "/name", "value": "x"}],
            JSON_PATCH,
            404,
        ),
        (
            "consumer",
            "PATCH",
            "/v2/images/{shared}",
            [{"op": "replace", "path": "/name", "value": "x"}],
            JSON_PATCH,
            403,
        ),
        ("consumer", "DELETE", "/v2/images/{shared}", None, None, 403),
        ("outsider", "DELETE", "/v2/images/{shared}", None, None, 404),
        ("consumer", "PUT", "/v2/images/{shared}/file", DATA, OCTET, 403),
        ("outsider", "GET", "/v2/images/{shared}/file", None, None, 404),
        ("consumer", "PUT", "/v2/images/{shared}/tags/mine", None, None, 403),
        ("consumer", "POST", "/v2/images/{shared}/actions/deactivate", None, None, 403),
        (
            "consumer",
            "POST",
            "/v2/images/{shared}/members",
            {"member": "x"},
            "application/json",
            403,
        ),
        ("outsider", "GET", "/v2/images/{shared}/members", None, None, 404),
        (
            "producer",
            "PUT",
            "/v2/images/{shared}/members/{consumer}",
            {"status": "accepted"},
            "application/json",
            403,
        ),
        ("consumer", "DELETE", "/v2/images/{shared}/members/{consumer}", None, None, 403),
    ],
)
def test_other_projects_tokens_get_404_or_403(
    client: FlaskClient,
    world: World,
    calm: None,
    who: str,
    method: str,
    template: str,
    body: Any,
    content_type: str | None,
    status: int,
) -> None:
    path = template.format(
        shared=world.shared, private=world.private, consumer=world.users.project("consumer")
    )
    documented = (
        template.replace("{shared}", "{image_id}")
        .replace("{private}", "{image_id}")
        .replace("{consumer}", "{member_id}")
        .replace("/mine", "/{tag_value}")
    )
    response = _send(client, world.users, method, path, body, content_type, who=who)
    glance_error(response, status, method, documented)


def test_other_users_tokens_cannot_be_validated_or_revoked(
    app: Flask, client: FlaskClient, world: World, calm: None
) -> None:
    victim = world.users.tokens["producer"]
    headers = {"X-Auth-Token": world.users.tokens["consumer"], "X-Subject-Token": victim}
    for method in ("GET", "DELETE"):
        response = client.open("/identity/v3/auth/tokens", method=method, headers=headers)
        keystone_error(response, 403, method, "/identity/v3/auth/tokens")
    assert (
        client.get(
            f"/v2/images/{world.shared}", headers=world.users.headers("producer")
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"[]",
        b'"auth"',
        b"null",
        b"{}",
        b'{"auth": []}',
        b'{"auth": {"identity": 1}}',
        b'{"auth": {"identity": {"methods": "password"}}}',
        b"\xff",
    ],
)
def test_malformed_token_requests_are_400(
    client: FlaskClient, world: World, calm: None, raw: bytes
) -> None:
    response = client.post(
        "/identity/v3/auth/tokens", data=raw, headers={"Content-Type": "application/json"}
    )
    keystone_error(response, 400, "POST", "/identity/v3/auth/tokens")


# --- control API -----------------------------------------------------------------------


def _scenario_with_file(path: str) -> dict:
    return {
        "document": {
            "name": "sneaky",
            "images": [
                {
                    "name": "stolen",
                    "owner": "producer",
                    "disk_format": "raw",
                    "container_format": "bare",
                    "data": {"file": path},
                }
            ],
        }
    }


@pytest.mark.parametrize("route", ["/_emulator/scenario", "/_emulator/reset"])
def test_scenarios_cannot_read_files_outside_the_data_dir(
    app: Flask, client: FlaskClient, world: World, outside: Path, calm: None, route: str
) -> None:
    data_dir = Path(app.config["EMULATOR"].data_dir)
    link = data_dir / "innocent-link"
    link.symlink_to(outside)
    try:
        for path in (
            "../etc/passwd",
            "../../etc/passwd",
            str(outside),
            "/etc/passwd",
            str(data_dir / ".." / "etc" / "passwd"),
            str(link),
            "innocent-link",
        ):
            response = client.post(
                route, json=_scenario_with_file(path), headers=world.users.headers("admin")
            )
            keystone_error(response, 400, "POST", route)
    finally:
        link.unlink()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"scenario": "../../etc/passwd"}, 400),
        ({"scenario": "sharing-101.yaml"}, 400),
        ({"scenario": ["sharing-101"]}, 400),
        ({"scenario": "sharing-101", "document": {}}, 400),
        ({"document": {"images": [{"name": "no-owner"}]}}, 400),
        ({"document": {"users": [{"name": "u", "project": "p"}]}}, 400),
        ({"document": {"images": [{"name": "x", "owner": "producer", "data": {"size": -1}}]}}, 400),
        (
            {
                "document": {
                    "images": [{"name": "x", "owner": "producer", "data": {"size": 1 << 40}}]
                }
            },
            400,
        ),
        (
            {
                "document": {
                    "images": [{"name": "x", "owner": "producer", "data": {"base64": "***"}}]
                }
            },
            400,
        ),
        ({"document": {"surprise": True}}, 400),
        ({"document": "name: yaml-in-a-string"}, 400),
        ([], 400),
    ],
)
def test_bad_scenarios_change_nothing(
    client: FlaskClient, world: World, calm: None, body: Any, status: int
) -> None:
    """Reset is all or nothing: a target that fails to load leaves the old state."""
    for route in ("/_emulator/scenario", "/_emulator/reset"):
        response = client.post(route, json=body, headers=world.users.headers("admin"))
        keystone_error(response, status, "POST", route)


@pytest.mark.parametrize("route", ["/_emulator/scenario", "/_emulator/reset"])
def test_control_api_refuses_malformed_json_and_non_admins(
    client: FlaskClient, world: World, calm: None, route: str
) -> None:
    response = client.post(
        route,
        data=b'{"scenario": ',
        headers={**world.users.headers("admin"), "Content-Type": "application/json"},
    )
    keystone_error(response, 400, "POST", route)
    response = client.post(route, json={}, headers=world.users.headers("producer"))
    keystone_error(response, 403, "POST", route)
    response = client.post(route, json={}, headers={"X-Auth-Token": "nope"})
    keystone_error(response, 401, "POST", route)
