"""What the request log keeps of bodies: secrets out, big bodies out, data requests out, and
the ring's bodies under a byte budget."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from emulator.core.body_capture import (
    BODY_LIMIT,
    REDACTED,
    Bodies,
    CapturingInput,
    ResponseCopy,
    is_data_path,
    is_json_type,
    keep_body,
    kept_headers,
    redact,
)
from emulator.core.request_log import RequestLog

LOGIN = {
    "auth": {
        "identity": {
            "methods": ["password", "token"],
            "password": {
                "user": {"name": "producer", "domain": {"id": "default"}, "password": "s3cret"}
            },
            "token": {"id": "gAAAA-live-token"},
        },
        "scope": {"project": {"name": "producer", "domain": {"id": "default"}}},
    }
}


def test_a_keystone_login_keeps_who_and_loses_its_password_and_token() -> None:
    cleaned = redact(LOGIN)
    identity = cleaned["auth"]["identity"]
    assert identity["password"]["user"] == {
        "name": "producer",
        "domain": {"id": "default"},
        "password": REDACTED,
    }
    assert identity["token"] == {"id": REDACTED}
    assert cleaned["auth"]["scope"] == LOGIN["auth"]["scope"]
    assert "s3cret" not in json.dumps(cleaned) and "live-token" not in json.dumps(cleaned)
    assert LOGIN["auth"]["identity"]["password"]["user"]["password"] == "s3cret"  # a copy


@pytest.mark.parametrize(
    "document",
    [
        {"server": {"id": "x", "adminPass": "pw"}},
        {"users": [{"name": "a", "password": "pw"}]},
        {"application_credential": {"secret": "pw"}},
        {"user": {"original_password": "pw", "password": "pw"}},
    ],
)
def test_secrets_anywhere_are_redacted(document: dict[str, Any]) -> None:
    assert '"pw"' not in json.dumps(redact(document))


def test_a_null_password_stays_null() -> None:
    # Nothing to hide, and the shape of the answer is what a replay compares.
    assert redact({"user": {"password_expires_at": None, "password": None}}) == {
        "user": {"password_expires_at": None, "password": None}
    }


def test_keep_body_bounds_and_checks() -> None:
    assert keep_body(b'{"a": 1}', True, "request") == ('{"a":1}', None)
    assert keep_body(b"", True, "request") == (None, None)
    assert keep_body(b"x" * 10, False, "response") == (
        None,
        f"response body over {BODY_LIMIT} bytes: not kept",
    )
    assert keep_body(b"not json", True, "request")[1] == "request body is not valid JSON: not kept"
    assert keep_body(b"\xff\xfe", True, "request")[0] is None
    big = json.dumps({"a": "x" * BODY_LIMIT}).encode()
    assert keep_body(big, True, "request")[0] is None


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/v2/images/abc/file", True),
        ("/v2/images/abc/stage", True),
        ("/v2.16/images/abc/file", True),
        ("/v2/images/abc", False),
        ("/v2/images/abc/members", False),
        ("/v2/images/file", False),
        ("/identity/v3/auth/tokens", False),
    ],
)
def test_data_paths(path: str, data: bool) -> None:
    assert is_data_path(path) is data


@pytest.mark.parametrize(
    ("content_type", "json_like"),
    [
        ("application/json", True),
        ("application/json; charset=UTF-8", True),
        ("application/openstack-images-v2.1-json-patch", True),
        ("application/x-ndjson", False),
        ("application/octet-stream", False),
        ("text/html", False),
        (None, False),
    ],
)
def test_json_types(content_type: str | None, json_like: bool) -> None:
    assert is_json_type(content_type) is json_like


def test_only_the_headers_a_replay_needs_are_kept() -> None:
    environ = {
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "12",
        "HTTP_X_AUTH_TOKEN": "secret-token",
        "HTTP_X_SUBJECT_TOKEN": "secret-token",
        "HTTP_OPENSTACK_API_VERSION": "compute 2.60",
        "HTTP_X_IMAGE_META_STORE": "fast",
        "HTTP_COOKIE": "session=1",
    }
    assert kept_headers(environ) == {
        "content-type": "application/json",
        "content-length": "12",
        "openstack-api-version": "compute 2.60",
        "x-image-meta-store": "fast",
    }


def test_capturing_input_hands_everything_on_and_keeps_a_bounded_copy() -> None:
    small = CapturingInput(io.BytesIO(b'{"a": 1}\nrest'))
    assert small.readline() + small.read(2) + small.read() == b'{"a": 1}\nrest'
    assert small.captured == b'{"a": 1}\nrest' and not small.overflowed
    data = b"y" * (BODY_LIMIT + 100)
    big = CapturingInput(io.BytesIO(data))
    assert b"".join(iter(lambda: big.read(4096), b"")) == data
    assert big.overflowed and len(big.captured) == BODY_LIMIT + 1
    copy = ResponseCopy()
    copy.add(b"z" * BODY_LIMIT)
    assert not copy.overflowed
    copy.add(b"zz")
    assert copy.overflowed


def _record(log: RequestLog, n: int, bodies: Bodies | None) -> None:
    log.record(
        started=0.0,
        request_id=None,
        user_id=None,
        project_id=None,
        method="GET",
        path=f"/v2/images/{n}",
        query="",
        status=200,
        duration_ms=1.0,
        sent=0,
        fault=None,
        bodies=bodies,
    )


def test_bodies_are_dropped_oldest_first_past_the_budget() -> None:
    body = json.dumps({"pad": "p" * 1000})
    one = Bodies({}, None, body, ())
    log = RequestLog(100, record_bodies=True, body_budget=5 * one.size)
    for n in range(8):
        _record(log, n, one)
    assert log.body_bytes <= 5 * one.size
    entries = log.entries()
    assert len(entries) == 8
    kept = [e for e in entries if e["response_body"] is not None]
    assert [e["path"] for e in kept] == [f"/v2/images/{n}" for n in (7, 6, 5, 4, 3)]
    assert entries[-1]["body_notes"] == [
        f"bodies dropped: the log keeps {5 * one.size} bytes of them"
    ]
    log.clear()
    assert log.body_bytes == 0 and log.entries() == []


def test_bodies_follow_the_ring_out() -> None:
    log = RequestLog(3, record_bodies=True)
    for n in range(10):
        _record(log, n, Bodies({}, json.dumps({"n": n}), None, ()))
    assert [e["request_body"] for e in log.entries()] == [{"n": 9}, {"n": 8}, {"n": 7}]
    assert len(log._bodies) == 3


def test_without_recording_entries_have_no_body_keys() -> None:
    log = RequestLog(3)
    _record(log, 1, Bodies({}, '{"n":1}', None, ()))
    (entry,) = log.entries()
    assert not {"request_body", "response_body", "request_headers", "body_notes"} & set(entry)
    assert log.body_bytes == 0
