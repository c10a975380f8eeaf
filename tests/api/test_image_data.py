"""``PUT`` and ``GET /v2/images/{id}/file`` through the Flask test client.

Behaviour follows glance/api/v2/image_data.py; every refusal is checked to leave the image as
it was (still ``queued``, no size, no data file, no temp file left behind).
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from emulator.app import operator_unit_of_work
from emulator.core.config import Config
from emulator.identity.domain.roles import expand
from emulator.identity.services import accounts, tokens
from emulator.image.services import image_data
from emulator.image.services import images as image_service
from emulator.image.store import images as image_store

OCTET = {"Content-Type": "application/octet-stream"}
MISSING_IMAGE = "3b3e2a5c-2f6e-4a54-9d1f-5f0b0c2e1a77"
DATA = random.Random(42).randbytes(300_000)  # spans several 64 KiB write chunks
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


@pytest.fixture
def config(tmp_path: Path, request: pytest.FixtureRequest) -> Config:
    """Overrides the shared fixture so a test can ask for other settings (indirect=True)."""
    overrides: dict[str, Any] = getattr(request, "param", {})
    return Config(data_dir=tmp_path / "data", **overrides)


# --- helpers ---------------------------------------------------------------------------


def message(response: Any) -> str:
    """The explanation inside Glance's JSON error body."""
    body = response.get_json()
    assert set(body) == {"message", "code", "title"}, body
    assert body["code"] == f"{response.status_code} {body['title']}"
    return body["message"].split("<br />")[0]


def create_image(client: FlaskClient, users: Any, who: str = "producer", **body: Any) -> str:
    body.setdefault("name", "data-image")
    body.setdefault("disk_format", "raw")
    body.setdefault("container_format", "bare")
    response = client.post("/v2/images", json=body, headers=users.headers(who))
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["id"])


def put_file(
    client: FlaskClient,
    users: Any,
    image_id: str,
    data: bytes = DATA,
    who: str = "producer",
    **headers: str,
) -> Any:
    all_headers = {**users.headers(who), **OCTET}
    all_headers.update({k.replace("_", "-"): v for k, v in headers.items()})
    return client.put(f"/v2/images/{image_id}/file", data=data, headers=all_headers)


def get_file(client: FlaskClient, headers: dict[str, str], image_id: str, **extra: str) -> Any:
    return client.get(f"/v2/images/{image_id}/file", headers={**headers, **extra})


def put_stream(
    client: FlaskClient, image_id: str, headers: dict[str, str], stream: Any, content_length: int
) -> Any:
    """A PUT whose body is ``stream`` as is, announced as ``content_length`` bytes.

    The test client measures a stream by seeking it; a real client that sends less than it
    announced cannot be built that way, so the environ is made by hand.
    """
    environ = EnvironBuilder(
        path=f"/v2/images/{image_id}/file", method="PUT", headers=headers
    ).get_environ()
    environ["wsgi.input"] = stream
    environ["CONTENT_LENGTH"] = str(content_length)
    return client.open(Request(environ))


def row(app: Flask, image_id: str) -> Any:
    with app.extensions["emulator.store"].session() as db:
        return image_store.get(db, image_id)


def blob_dir(config: Config) -> Path:
    return Path(config.blob_dir)


def assert_untouched(
    app: Flask, config: Config, image_id: str, before: Any = None, refused: bytes | None = None
) -> None:
    """Queued, no data, nothing left on disk (and, if given, no column changed at all).

    ``refused``: content the format inspection refused, whose checksums Glance leaves on
    the image (the store hashed it before the format was judged)."""
    image = row(app, image_id)
    assert image.status == "queued"
    assert (image.size, image.virtual_size) == (None, None)
    if refused is None:
        assert (image.checksum, image.os_hash_algo, image.os_hash_value) == (None, None, None)
    else:
        assert image.checksum == hashlib.md5(refused).hexdigest()
        assert image.os_hash_algo == "sha512"
        assert image.os_hash_value == hashlib.sha512(refused).hexdigest()
    assert not (blob_dir(config) / image_id).exists()
    assert list(blob_dir(config).glob(".upload-*")) == []
    if before is not None:
        assert image == before


def reader_only_headers(app: Flask, name: str) -> dict[str, str]:
    """A token with role reader alone on the user's project (no member role)."""
    with app.extensions["emulator.store"].session() as db:
        user = accounts.find_user(db, name, accounts.DEFAULT_DOMAIN_ID)
        assert user is not None and user.default_project_id is not None
        token, _ = tokens.issue(
            db,
            user_id=user.id,
            project_id=user.default_project_id,
            roles=expand(["reader"]),
            methods=["password"],
            ttl_seconds=3600,
        )
    return {"X-Auth-Token": token, "Accept": "application/json"}


def qcow2_header(virtual_size: int, backing_offset: int = 0) -> bytes:
    header = b"QFI\xfb" + struct.pack(">IQIIQ", 3, backing_offset, 0, 16, virtual_size)
    return header + bytes(4096 - len(header))


@pytest.fixture
def uploaded(client: FlaskClient, users: Any) -> str:
    image_id = create_image(client, users)
    assert put_file(client, users, image_id).status_code == 204
    return image_id


# --- upload: success -------------------------------------------------------------------


def test_upload_makes_the_image_active_with_size_and_hashes(
    app: Flask, config: Config, client: FlaskClient, users: Any
) -> None:
    image_id = create_image(client, users)
    response = put_file(client, users, image_id)
    assert response.status_code == 204
    assert response.data == b""
    doc = client.get(f"/v2/images/{image_id}", headers=users.headers("producer")).get_json()
    assert doc["status"] == "active"
    assert doc["size"] == len(DATA)
    assert doc["virtual_size"] == len(DATA)  # raw: the bytes are the disk
    assert doc["checksum"] == hashlib.md5(DATA).hexdigest()
    assert doc["os_hash_algo"] == "sha512"
    assert doc["os_hash_value"] == hashlib.sha512(DATA).hexdigest()
    assert (blob_dir(config) / image_id).read_bytes() == DATA
    assert list(blob_dir(config).glob(".upload-*")) == []


def test_upload_reads_the_virtual_size_of_a_qcow2(client: FlaskClient, users: Any) -> None:
    image_id = create_image(client, users, disk_format="qcow2")
    assert put_file(client, users, image_id, qcow2_header(5 << 30)).status_code == 204
    doc = client.get(f"/v2/images/{image_id}", headers=users.headers("producer")).get_json()
    assert (doc["size"], doc["virtual_size"]) == (4096, 5 << 30)


def test_empty_upload_is_an_empty_active_image(client: FlaskClient, users: Any) -> None:
    image_id = create_image(client, users)
    assert put_file(client, users, image_id, b"").status_code == 204
    doc = client.get(f"/v2/images/{image_id}", headers=users.headers("producer")).get_json()
    assert (doc["status"], doc["size"], doc["checksum"]) == ("active", 0, EMPTY_MD5)
    assert doc["virtual_size"] is None


def test_media_type_parameters_are_allowed(client: FlaskClient, users: Any) -> None:
    image_id = create_image(client, users)
    response = put_file(client, users, image_id, Content_Type="application/octet-stream; x=1")
    assert response.status_code == 204


def test_declared_size_that_matches_is_accepted(client: FlaskClient, users: Any) -> None:
    image_id = create_image(client, users)
    response = put_file(client, users, image_id, x_openstack_image_size=str(len(DATA)))
    assert response.status_code == 204


def test_admin_may_upload_to_anyones_image(client: FlaskClient, users: Any) -> None:
    image_id = create_image(client, users)
    assert put_file(client, users, image_id, who="admin").status_code == 204


# --- upload: refusals before any state change -------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "explanation"),
    [
        (None, "Invalid content type None"),
        ("application/json", "Invalid content type application/json"),
        ("Application/Octet-Stream", "Invalid content type Application/Octet-Stream"),
        ("application/octet-streamx", "Invalid content type application/octet-streamx"),
    ],
)
def test_upload_needs_octet_stream(
    app: Flask,
    config: Config,
    client: FlaskClient,
    users: Any,
    content_type: str | None,
    explanation: str,
) -> None:
    image_id = create_image(client, users)
    before = row(app, image_id)
    headers = users.headers("producer")
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = client.put(f"/v2/images/{image_id}/file", data=DATA, headers=headers)
    if content_type is None:
        assert "Content-Type" not in response.request.headers
    assert response.status_code == 415
    assert explanation in response.get_json()["message"]
    assert_untouched(app, config, image_id, before)


def test_415_body_is_webobs_template_with_glances_detail(client: FlaskClient, users: Any) -> None:
    image_id = create_image(client, users)
    headers = {**users.headers("producer"), "Content-Type": "application/json"}
    response = client.put(f"/v2/images/{image_id}/file", data=DATA, headers=headers)
    assert response.get_json() == {
        "message": "The request media type application/json is not supported by this server."
        "\n<br /><br />\nInvalid content type application/json",
        "code": "415 Unsupported Media Type",
        "title": "Unsupported Media Type",
    }


@pytest.mark.parametrize("value", ["abc", "", "1.5"])
def test_invalid_declared_size_is_400(
    app: Flask, config: Config, client: FlaskClient, users: Any, value: str
) -> None:
    image_id = create_image(client, users)
    before = row(app, image_id)
    response = put_file(client, users, image_id, x_openstack_image_size=value)
    assert response.status_code == 400
    assert message(response) == "Invalid or missing image size in request headers."
    assert_untouched(app, config, image_id, before)


def test_unknown_image_is_404(client: FlaskClient, users: Any) -> None:
    response = put_file(client, users, MISSING_IMAGE)
    assert response.status_code == 404
    assert message(response) == f"No image found with ID {MISSING_IMAGE}"


def test_image_the_caller_cannot_see_is_404(
    app: Flask, config: Config, client: FlaskClient, users: Any
) -> None:
    image_id = create_image(client, users, visibility="private")
    response = put_file(client, users, image_id, who="consumer")
    assert response.status_code == 404
    assert message(response) == f"No image found with ID {image_id}"
    assert_untouched(app, config, image_id)


def test_someone_elses_visible_image_is_403(
    app: Flask, config: Config, client: FlaskClient, users: Any
) -> None:
    image_id = create_image(client, users, visibility="community")
    before = row(app, image_id)
    response = put_file(client, users, image_id, who="consumer")
    assert response.status_code == 403
    assert message(response) == "You are not authorized to complete upload_image action."
    assert_untouched(app, config, image_id, before)


def test_reader_role_alone_may_not_upload(
    app: Flask, config: Config, client: FlaskClient, users: Any
) -> None:
    image_id = create_image(client, users)
    headers = {**reader_only_headers(app, "producer"), **OCTET}
    response = client.put(f"/v2/images/{image_id}/file", data=DATA, headers=headers)
    assert response.status_code == 403
    assert message(response) == "You are not authorized to complete upload_image action."
    assert_untouched(app, config, image_id)


def test_second_upload_is_409_and_keeps_the_first(
    app: Flask, config: Config, client: FlaskClient, users: Any, uploaded: str
) -> None:
    before = row(app, uploaded)
    response = put_file(client, users, uploaded, b"other data")
    assert response.status_code == 409
    assert message(response) == "Image status transition from active to saving is not allowed"
    assert row(app, uploaded) == before
    assert (blob_dir(config) / uploaded).read_bytes() == DATA


def test_upload_while_another_is_saving_is_409(app: Flask, client: FlaskClient, users: Any) -> None:
    image_id = create_image(client, users)
    with app.extensions["emulator.store"].session() as db:
        image_store.update_fields(db, image_id, status="saving")
    response = put_file(client, users, image_id)
    assert response.status_code == 409
    assert message(response) == "Image status transition from saving to saving is not allowed"
    assert row(app, image_id).status == "saving"


@pytest.mark.parametrize(
    ("body", "explanation"),
    [
        ({"container_format": "bare"}, "Property disk_format must be set prior to saving data."),
        ({"disk_format": "raw"}, "Property container_format must be set prior to saving data."),
        ({}, "Properties disk_format, container_format must be set prior to saving data."),
    ],
)
def test_formats_must_be_set_before_data(
    app: Flask,
    config: Config,
    client: FlaskClient,
    users: Any,
    body: dict[str, Any],
    explanation: str,
) -> None:
    response = client.post(
        "/v2/images", json={"name": "no-formats", **body}, headers=users.headers("producer")
    )
    image_id = response.get_json()["id"]
    before = row(app, image_id)
    response = put_file(client, users, image_id)
    assert response.status_code == 400
    assert message(response) == explanation
    assert_untouched(app, config, image_id, before)


# --- upload: refusals while the data streams --------------------------------------------


@pytest.mark.parametrize(
    ("declared", "explanation"),
    [
        (len(DATA) + 1, f"Size mismatch: expected {len(DATA) + 1} bytes, got {len(DATA)} bytes"),
        # glance_store notices on the 64 KiB chunk that crosses the declared size.
        (100, "Size exceeds: expected 100 bytes, got 65536 bytes"),
        (-5, "Size exceeds: expected -5 bytes, got 65536 bytes"),
    ],
)
def test_declared_size_mismatch_is_400_and_back_to_queued(
    app: Flask, config: Config, client: FlaskClient, users: Any, declared: int, explanation: str
) -> None:
    image_id = create_image(client, users)
    response = put_file(client, users, image_id, x_openstack_image_size=str(declared))
    assert response.status_code == 400
    assert message(response) == explanation
    assert_untouched(app, config, image_id)


@pytest.mark.parametrize("config", [{"image_size_cap": len(DATA) - 1}], indirect=True)
def test_over_the_size_cap_is_413_and_back_to_queued(
    app: Flask, config: Config, client: FlaskClient, users: Any
) -> None:
    image_id = create_image(client, users)
    response = put_file(client, users, image_id)
    assert response.status_code == 413
    assert message(response) == "The incoming image is too large: The provided image is too large."
    assert_untouched(app, config, image_id)
    # Exactly at the cap is fine.
    assert put_file(client, users, image_id, DATA[:-1]).status_code == 204


class ShortStream(io.RawIOBase):
    """Delivers ``data`` and then ends (or fails), however much was announced."""

    def __init__(self, data: bytes, fail: bool = False):
        self._data = io.BytesIO(data)
        self._fail = fail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        if not chunk and self._fail:
            raise ConnectionResetError("client went away")
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize("fail", [False, True], ids=["short-body", "connection-reset"])
def test_client_gone_mid_body_leaves_the_image_queued(
    app: Flask, config: Config, client: FlaskClient, users: Any, fail: bool
) -> None:
    image_id = create_image(client, users)
    headers = {**users.headers("producer"), **OCTET}
    response = put_stream(client, image_id, headers, ShortStream(DATA, fail), 1000000)
    assert response.status_code == 400
    assert message(response) == f"Size mismatch: expected 1000000 bytes, got {len(DATA)} bytes"
    assert_untouched(app, config, image_id)


class DeletingStream(io.RawIOBase):
    """Deletes the image (as its owner would, from another request) half-way through."""

    def __init__(self, app: Flask, image_id: str):
        self._data = io.BytesIO(DATA)
        self._app, self._image_id = app, image_id

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._data.tell() >= len(DATA) // 2 and self._image_id:
            with operator_unit_of_work(self._app) as uow:
                image_service.delete(uow, self._image_id)
            self._image_id = ""
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_image_deleted_during_upload_is_410_and_the_data_dropped(
    app: Flask, config: Config, client: FlaskClient, users: Any
) -> None:
    image_id = create_image(client, users)
    headers = {**users.headers("producer"), **OCTET}
    response = put_stream(client, image_id, headers, DeletingStream(app, image_id), len(DATA))
    assert response.status_code == 410
    assert message(response) == (
        f"Image {image_id} could not be found after upload. The image may have been deleted "
        "during the upload, cleaning up the chunks uploaded."
    )
    assert row(app, image_id) is None
    assert list(blob_dir(config).iterdir()) == []


def test_any_failure_while_streaming_restores_queued(
    app: Flask, config: Config, client: FlaskClient, users: Any
) -> None:
    image_id = create_image(client, users)

    def chunks() -> Any:
        yield DATA[:1000]
        assert row(app, image_id).status == "saving"  # set before the first byte is read
        raise RuntimeError("storage fell over")

    with operator_unit_of_work(app) as uow:
        context = tokens.context_for_token(uow.db, users.tokens["producer"])
        assert context is not None
        with pytest.raises(RuntimeError):
            image_data.upload(uow.acting_as(context), image_id, chunks())
    assert_untouched(app, config, image_id)


# --- upload: format inspection (Glance 33) -----------------------------------------------


def test_content_not_matching_disk_format_is_415_and_back_to_queued(
    app: Flask, config: Config, client: FlaskClient, users: Any
) -> None:
    image_id = create_image(client, users, disk_format="qcow2")
    response = put_file(client, users, image_id)
    assert response.status_code == 415
    assert response.get_json()["message"] == (
        "The request media type application/octet-stream is not supported by this server."
        "\n<br /><br />\nImage disk_format qcow2 does not match stream data raw"
    )
    assert_untouched(app, config, image_id, refused=DATA)
    # A later upload of the right content replaces them (Glance: a 500, its store kept the
    # refused file; see COVERAGE.md).
    good = qcow2_header(1 << 20)
    assert put_file(client, users, image_id, good).status_code == 204
    doc = client.get(f"/v2/images/{image_id}", headers=users.headers("producer")).get_json()
    assert doc["checksum"] == hashlib.md5(good).hexdigest()


def test_unsafe_qcow2_is_415(app: Flask, config: Config, client: FlaskClient, users: Any) -> None:
    image_id = create_image(client, users, disk_format="qcow2")
    unsafe = qcow2_header(1 << 30, backing_offset=512)
    response = put_file(client, users, image_id, unsafe)
    assert response.status_code == 415
    assert "Image failed safety checks" in response.get_json()["message"]
    assert_untouched(app, config, image_id, refused=unsafe)


@pytest.mark.parametrize("config", [{"inspect_image_format": False}], indirect=True)
def test_mismatch_is_accepted_when_inspection_is_off(client: FlaskClient, users: Any) -> None:
    image_id = create_image(client, users, disk_format="qcow2")
    assert put_file(client, users, image_id).status_code == 204
    doc = client.get(f"/v2/images/{image_id}", headers=users.headers("producer")).get_json()
    assert (doc["status"], doc["size"], doc["virtual_size"]) == ("active", len(DATA), None)


def test_only_bare_containers_are_inspected(client: FlaskClient, users: Any) -> None:
    image_id = create_image(client, users, disk_format="qcow2", container_format="ovf")
    assert put_file(client, users, image_id).status_code == 204
    doc = client.get(f"/v2/images/{image_id}", headers=users.headers("producer")).get_json()
    assert (doc["status"], doc["virtual_size"]) == ("active", None)


def test_uninspectable_disk_format_takes_unrecognised_data(client: FlaskClient, users: Any) -> None:
    image_id = create_image(client, users, disk_format="ami", container_format="ami")
    assert put_file(client, users, image_id).status_code == 204
    image_id = create_image(client, users, disk_format="ami")
    assert put_file(client, users, image_id).status_code == 204


# --- download -------------------------------------------------------------------------


def test_download_streams_the_data_with_glances_headers(
    client: FlaskClient, users: Any, uploaded: str
) -> None:
    response = get_file(client, users.headers("producer"), uploaded)
    assert response.status_code == 200
    assert response.data == DATA
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Length"] == str(len(DATA))
    assert response.headers["Content-MD5"] == hashlib.md5(DATA).hexdigest()  # hex, as Glance
    assert "Content-Range" not in response.headers


def test_download_closes_the_file_even_if_never_read(
    app: Flask, client: FlaskClient, users: Any, uploaded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    blobs = app.extensions["emulator.blobs"]
    opened: list[Any] = []
    real_open = blobs.open

    def tracking_open(image_id: str) -> Any:
        opened.append(real_open(image_id))
        return opened[-1]

    monkeypatch.setattr(blobs, "open", tracking_open)
    response = client.get(
        f"/v2/images/{uploaded}/file", headers=users.headers("producer"), buffered=False
    )
    assert response.status_code == 200
    assert len(opened) == 1 and not opened[0].closed
    response.close()  # what a server does when the client goes away
    assert opened[0].closed


def test_download_refuses_a_body(client: FlaskClient, users: Any, uploaded: str) -> None:
    response = client.get(
        f"/v2/images/{uploaded}/file", data=b"x", headers=users.headers("producer")
    )
    assert response.status_code == 400
    assert message(response) == "A body is not expected with this request."


def test_image_without_data_is_204(client: FlaskClient, users: Any) -> None:
    image_id = create_image(client, users)
    response = get_file(client, users.headers("producer"), image_id)
    assert response.status_code == 204
    assert response.data == b""


def test_active_image_whose_file_is_gone_is_204(
    config: Config, client: FlaskClient, users: Any, uploaded: str
) -> None:
    (blob_dir(config) / uploaded).unlink()
    assert get_file(client, users.headers("producer"), uploaded).status_code == 204


def test_download_of_unknown_or_invisible_image_is_404(
    client: FlaskClient, users: Any, uploaded: str
) -> None:
    response = get_file(client, users.headers("producer"), MISSING_IMAGE)
    assert (response.status_code, message(response)) == (
        404,
        f"No image found with ID {MISSING_IMAGE}",
    )
    response = get_file(client, users.headers("consumer"), uploaded)  # shared, not a member
    assert (response.status_code, message(response)) == (404, f"No image found with ID {uploaded}")


def test_anyone_who_sees_the_image_may_download_it(client: FlaskClient, users: Any) -> None:
    image_id = create_image(client, users, visibility="community")
    assert put_file(client, users, image_id).status_code == 204
    response = get_file(client, users.headers("outsider"), image_id)
    assert (response.status_code, response.data) == (200, DATA)


def test_reader_role_alone_may_not_download(app: Flask, client: FlaskClient, uploaded: str) -> None:
    response = get_file(client, reader_only_headers(app, "producer"), uploaded)
    assert response.status_code == 403
    assert message(response) == "You are not authorized to complete download_image action."


def test_deactivated_image_is_403_except_for_admins(
    client: FlaskClient, users: Any, uploaded: str
) -> None:
    deactivate = f"/v2/images/{uploaded}/actions/deactivate"
    assert client.post(deactivate, headers=users.headers("producer")).status_code == 204
    response = get_file(client, users.headers("producer"), uploaded)
    assert response.status_code == 403
    assert message(response) == (
        "The requested image has been deactivated. Image data download is forbidden."
    )
    response = get_file(client, users.headers("admin"), uploaded)
    assert (response.status_code, response.data) == (200, DATA)


def test_deleting_the_image_removes_its_file(
    config: Config, client: FlaskClient, users: Any, uploaded: str
) -> None:
    assert (blob_dir(config) / uploaded).is_file()
    response = client.delete(f"/v2/images/{uploaded}", headers=users.headers("producer"))
    assert response.status_code == 204
    assert not (blob_dir(config) / uploaded).exists()


# --- download: ranges -------------------------------------------------------------------

TEN = b"0123456789"


@pytest.fixture
def ten_bytes(client: FlaskClient, users: Any) -> str:
    image_id = create_image(client, users)
    assert put_file(client, users, image_id, TEN).status_code == 204
    return image_id


@pytest.mark.parametrize(
    ("header", "value", "body", "content_range"),
    [
        ("Range", "bytes=0-4", b"01234", "bytes 0-4/10"),
        ("Range", "bytes=5-", b"56789", "bytes 5-9/10"),
        ("Range", "bytes=-3", b"789", "bytes 7-9/10"),
        ("Range", "bytes=3-100", b"3456789", "bytes 3-9/10"),
        ("Range", "bytes=9-9", b"9", "bytes 9-9/10"),
        ("Range", "BYTES = 2 - 3", b"23", "bytes 2-3/10"),  # webob's lenient pattern
        # A suffix as long as the image (or longer, or zero) serves all of it.
        ("Range", "bytes=-10", TEN, "bytes 0-9/10"),
        ("Range", "bytes=-20", TEN, "bytes 0-9/10"),
        ("Range", "bytes=-0", TEN, "bytes 0-9/10"),
        # Glance still honours Content-Range sent in a request.
        ("Content-Range", "bytes 2-4/10", b"234", "bytes 2-4/10"),
        ("Content-Range", "bytes 2-4/*", b"234", "bytes 2-4/10"),
    ],
)
def test_single_range_is_206(
    client: FlaskClient,
    users: Any,
    ten_bytes: str,
    header: str,
    value: str,
    body: bytes,
    content_range: str,
) -> None:
    response = get_file(client, users.headers("producer"), ten_bytes, **{header: value})
    assert response.status_code == 206
    assert response.data == body
    assert response.headers["Content-Range"] == content_range
    assert response.headers["Content-Length"] == str(len(body))
    assert response.headers["Content-MD5"] == hashlib.md5(TEN).hexdigest()  # the whole image's


@pytest.mark.parametrize(
    ("header", "value", "explanation"),
    [
        (
            "Range",
            "bytes=10-",
            "Invalid start position in Range header. Start position MUST be in the inclusive "
            "range [0, 9].",
        ),
        ("Range", "bytes=5-2", "Invalid Range header."),
        ("Range", "items=0-1", "Invalid Range header."),
        ("Range", "bytes=-", "Invalid Range header."),
        ("Range", "", "Invalid Range header."),
        (
            "Content-Range",
            "bytes 2-20/*",
            "Invalid stop position in Content-Range header. The stop position MUST be in the "
            "inclusive range [0, 9].",
        ),
        (
            "Content-Range",
            "bytes 12-14/20",
            "Invalid start position in Content-Range header. Start position MUST be in the "
            "inclusive range [0, 9].",
        ),
        ("Content-Range", "bytes 4-2/10", "Invalid Content-Range header."),
        ("Content-Range", "bytes */10", "Invalid Content-Range header."),
    ],
)
def test_unsatisfiable_range_is_416(
    client: FlaskClient, users: Any, ten_bytes: str, header: str, value: str, explanation: str
) -> None:
    response = get_file(client, users.headers("producer"), ten_bytes, **{header: value})
    assert response.status_code == 416
    # Glance passes the text as webob's detail, after the class's own explanation.
    assert response.get_json()["message"] == (
        f"The Range requested is not available.<br /><br />\n{explanation}\n\n"
    )
    # Glance (webob's HTTPRequestRangeNotSatisfiable) adds no Content-Range here.
    assert "Content-Range" not in response.headers


def test_multiple_ranges_are_400(client: FlaskClient, users: Any, ten_bytes: str) -> None:
    response = get_file(client, users.headers("producer"), ten_bytes, Range="bytes=0-1,3-4")
    assert response.status_code == 400
    assert message(response) == (
        "Requests with multiple ranges are not supported in Glance. You may make multiple "
        "single-range requests instead."
    )


def test_range_on_an_image_without_data_is_204(client: FlaskClient, users: Any) -> None:
    image_id = create_image(client, users)
    response = get_file(client, users.headers("producer"), image_id, Range="bytes=0-4")
    assert response.status_code == 204


@pytest.mark.parametrize(
    ("header", "value", "text"),
    [
        ("Range", "bytes=152-11", "Invalid Range header."),
        ("Range", "bytes=abc", "Invalid Range header."),
        ("Range", "items=0-4", "Invalid Range header."),
        ("Content-Range", "bytes 9-2/10", "Invalid Content-Range header."),
        ("Content-Range", "nonsense", "Invalid Content-Range header."),
    ],
)
def test_a_malformed_range_on_an_image_without_data_is_416(
    client: FlaskClient, users: Any, header: str, value: str, text: str
) -> None:
    """Glance parses the header before it looks at the data (wsgi.get_range_from_request)."""
    image_id = create_image(client, users)
    response = get_file(client, users.headers("producer"), image_id, **{header: value})
    assert response.status_code == 416
    assert response.get_json()["message"] == (
        f"The Range requested is not available.<br /><br />\n{text}\n\n"
    )
