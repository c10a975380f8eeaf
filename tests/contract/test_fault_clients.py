"""Fault rules against the real clients on a live server: their retries (counted in the
request log), a cut or short download caught by them, glanceclient under latency."""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import glanceclient
import glanceclient.exc
import openstack
import pytest
import requests
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from emulator.app import create_app
from emulator.core.config import Config
from emulator.server import ServerThread

DATA = bytes(range(256)) * 4096  # 1 MiB


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerThread]:
    with ServerThread(create_app(Config(data_dir=tmp_path)), threads=8) as running:
        yield running


def add_fault(server: ServerThread, **rule: Any) -> dict[str, Any]:
    answer = requests.post(server.base_url + "/_emulator/faults", json=rule, timeout=10)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()["fault"]
    return created


def logged(server: ServerThread, **filters: Any) -> list[tuple[int, str | None]]:
    """(status, fault) of the matching requests, oldest first."""
    answer = requests.get(server.base_url + "/_emulator/requests", params=filters, timeout=10)
    return [(e["status"], e["fault"]) for e in reversed(answer.json()["requests"])]


def clear_log(server: ServerThread) -> None:
    requests.delete(server.base_url + "/_emulator/requests", timeout=10).raise_for_status()


def sdk(server: ServerThread, user: str = "producer", **options: Any) -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
        return openstack.connect(
            auth_url=server.base_url + "/identity/v3",
            username=user,
            password=f"{user}-pass",
            project_name=user,
            user_domain_name="Default",
            project_domain_name="Default",
            load_yaml_config=False,
            load_envvars=False,
            **options,
        )


def glance(server: ServerThread, **session_options: Any) -> Any:
    auth = v3.Password(
        auth_url=server.base_url + "/identity/v3",
        username="producer",
        password="producer-pass",
        project_name="producer",
        user_domain_name="Default",
        project_domain_name="Default",
    )
    session = ks_session.Session(auth=auth, **session_options)
    return glanceclient.Client("2", session=session)


def test_openstacksdk_retries_injected_503s(server: ServerThread) -> None:
    # openstacksdk retries 503s of the image API 5 times by default
    # (openstack/config/defaults.json: image_status_code_retries).
    patient = sdk(server)
    patient.image.create_image("kept", disk_format="raw", container_format="bare")
    clear_log(server)
    add_fault(server, status=503, method="GET", path="/v2/images", count=2, user="producer")
    assert [i.name for i in patient.image.images()] == ["kept"]
    assert logged(server, path="/v2/images", method="GET") == [
        (503, "fault-1: status 503"),
        (503, "fault-1: status 503"),
        (200, None),
    ]
    # Without retries the SDK reports the 503 itself.
    add_fault(server, status=503, method="GET", path="/v2/images", count=1)
    with pytest.raises(openstack.exceptions.HttpException) as failure:
        list(sdk(server, image_status_code_retries=0).image.images())
    assert failure.value.status_code == 503


def test_keystoneauth_retries_a_cut_upload(server: ServerThread) -> None:
    conn = sdk(server, connect_retries=2)
    clear_log(server)
    add_fault(server, cut="upload", cut_after_bytes=64 << 10, count=1, path="/v2/images/*/file")
    image = conn.image.create_image(
        "retried", disk_format="raw", container_format="bare", data=DATA, validate_checksum=True
    )
    puts = logged(server, method="PUT")
    assert puts == [(0, "fault-1: cut upload after 65536B"), (204, None)]
    stored = conn.image.get_image(image.id)
    assert (stored.status, stored.size) == ("active", len(DATA))
    assert conn.image.download_image(stored).content == DATA


def test_a_cut_download_fails_in_openstacksdk(server: ServerThread) -> None:
    conn = sdk(server)
    image = conn.image.create_image("cut", disk_format="raw", container_format="bare", data=DATA)
    add_fault(server, cut="download", cut_after_bytes=4096, count=1, path="/v2/images/*/file")
    with pytest.raises(Exception) as failure:  # the SDK lets requests' error through
        conn.image.download_image(image)
    assert "IncompleteRead(4096 bytes read" in str(failure.value)
    assert logged(server, path=f"/v2/images/{image.id}/file", method="GET") == [
        (200, "fault-1: cut download after 4096B")
    ]


def test_a_short_download_is_caught_by_the_checksum_checks(
    server: ServerThread, tmp_path: Path
) -> None:
    conn = sdk(server)
    image = conn.image.create_image("short", disk_format="raw", container_format="bare", data=DATA)
    add_fault(server, cut="truncate", cut_after_bytes=100_000, count=2, path="/v2/images/*/file")
    # openstacksdk: the body ends well-formed, so only its hash check (os_hash_value,
    # SHA-512 here) sees it.
    with pytest.raises(openstack.exceptions.SDKException, match="checksum mismatch"):
        conn.image.download_image(image, output=str(tmp_path / "short.img"))
    # glanceclient's integrity_iter, over the same kind of answer.
    with pytest.raises(IOError, match="Corrupt image download"):
        b"".join(glance(server).images.data(image.id))
    # The next download is whole.
    whole = b"".join(glance(server).images.data(image.id))
    assert hashlib.md5(whole).hexdigest() == hashlib.md5(DATA).hexdigest()


def test_glanceclient_under_injected_latency(server: ServerThread) -> None:
    client = glance(server)
    client.images.create(name="slow", disk_format="raw", container_format="bare")
    add_fault(server, latency_ms=600, method="GET", path="/v2/images")
    started = time.perf_counter()
    assert [i["name"] for i in client.images.list()] == ["slow"]
    assert time.perf_counter() - started >= 0.6
    impatient = glance(server, timeout=0.2)
    # glanceclient turns keystoneauth's ConnectTimeout into its InvalidEndpoint.
    with pytest.raises(glanceclient.exc.InvalidEndpoint, match="timed out"):
        list(impatient.images.list())
