"""Downloads the server sends itself (core/blobs.FileSpan, server/socket_files.py): the same
bytes as a chunked read, counted in full by the request log, and never when a fault rule
cuts the answer (the cut counts the bytes as they pass)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask

from emulator.core.blobs import FileChunks, FileSpan
from emulator.server import ServerThread

SIZE = (3 << 20) + 12345  # more than one read chunk, not a multiple of one
DATA = (hashlib.sha512(b"spans").digest() * (SIZE // 64 + 1))[:SIZE]


def test_file_chunks_give_one_span_when_the_server_sends_files() -> None:
    handle = io.BytesIO(DATA)
    pieces = list(FileChunks(handle, 10, 1000, spans=True))
    assert len(pieces) == 1 and isinstance(pieces[0], FileSpan)
    assert (pieces[0].offset, pieces[0].size, len(pieces[0])) == (10, 1000, 1000)
    assert handle.closed  # closed once the span has been handed over


def test_file_chunks_give_bytes_otherwise() -> None:
    pieces = list(FileChunks(io.BytesIO(DATA), 10, SIZE - 10, chunk_size=1 << 20))
    assert all(type(piece) is bytes for piece in pieces)
    assert b"".join(pieces) == DATA[10:]


@pytest.fixture
def served(app: Flask, users: Any) -> Iterator[tuple[str, requests.Session, str]]:
    with ServerThread(app) as server, requests.Session() as http:
        http.headers.update(users.headers("producer"))
        image = http.post(
            f"{server.base_url}/v2/images",
            json={"name": "spans", "disk_format": "raw", "container_format": "bare"},
        ).json()
        uploaded = http.put(
            f"{server.base_url}/v2/images/{image['id']}/file",
            data=DATA,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert uploaded.status_code == 204
        yield server.base_url, http, image["id"]


def _logged(base_url: str, image_id: str) -> list[dict[str, Any]]:
    entries = requests.get(f"{base_url}/_emulator/requests", timeout=10).json()["requests"]
    path = f"/v2/images/{image_id}/file"
    return [e for e in entries if e["path"] == path and e["method"] == "GET"]


def test_a_whole_download_and_a_slice_are_the_files_bytes(
    served: tuple[str, requests.Session, str],
) -> None:
    base_url, http, image_id = served
    whole = http.get(f"{base_url}/v2/images/{image_id}/file")
    assert whole.status_code == 200 and whole.content == DATA
    part = http.get(
        f"{base_url}/v2/images/{image_id}/file", headers={"Range": "bytes=1048570-2097160"}
    )
    assert part.status_code == 206 and part.content == DATA[1048570:2097161]
    logged = sorted(e["bytes"] for e in _logged(base_url, image_id))
    assert logged == [2097161 - 1048570, SIZE]


def test_a_download_cut_by_a_fault_rule_still_stops_where_the_rule_says(
    served: tuple[str, requests.Session, str],
) -> None:
    base_url, http, image_id = served
    rule = requests.post(
        f"{base_url}/_emulator/faults",
        json={"path": f"/v2/images/{image_id}/file", "cut": "truncate", "cut_after_bytes": 5000},
        timeout=10,
    )
    assert rule.status_code == 201, rule.text
    truncated = http.get(f"{base_url}/v2/images/{image_id}/file")
    assert truncated.status_code == 200 and truncated.content == DATA[:5000]
