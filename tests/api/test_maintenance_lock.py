"""A reset or a scenario load writes and hashes image data before it takes the write lock
(issue 14): while the data is being written, another writer commits at once.

``image_data.prepare`` is wrapped to try a write transaction of its own, with no busy
timeout, on a second connection: that fails with "database is locked" if the load holds
the lock while it prepares the data.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator.app import operator_unit_of_work
from emulator.control.services import scenario_files, scenarios, state
from emulator.image.services import image_data, maintenance

SCENARIO = {
    "projects": [{"name": "lab"}],
    "users": [{"name": "student", "project": "lab", "password": "student-pass"}],
    "images": [
        {
            "name": "big",
            "owner": "lab",
            "disk_format": "raw",
            "container_format": "bare",
            "data": {"size": 3 << 20},
        },
        {
            "name": "small",
            "owner": "lab",
            "disk_format": "raw",
            "container_format": "bare",
            "data": {"text": "hello"},
        },
    ],
}


@pytest.fixture
def writes_while_preparing(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each entry: the bytes of one image's data written while another writer committed."""
    real_prepare = image_data.prepare
    db_path = app.config["EMULATOR"].db_path
    done: list[int] = []

    def prepare(uow: Any, chunks: Iterable[bytes], size: int | None = None) -> Any:
        other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # "database is locked" if the load holds it
            other.execute("ROLLBACK")
        finally:
            other.close()
        prepared = real_prepare(uow, chunks, size)
        done.append(prepared.pending.size)
        return prepared

    monkeypatch.setattr(image_data, "prepare", prepare)
    return done


def _check_loaded(app: Flask) -> None:
    with operator_unit_of_work(app) as uow:
        images = {image.name: image for image in maintenance.all_images(uow)}
    assert images["big"].status == "active" and images["big"].size == 3 << 20
    assert images["small"].checksum == hashlib.md5(b"hello").hexdigest()
    leftovers = list(app.extensions["emulator.blobs"].root.glob(".upload-*"))
    assert leftovers == []


def test_a_reset_prepares_its_data_without_the_lock(
    app: Flask, writes_while_preparing: list[int]
) -> None:
    with operator_unit_of_work(app) as uow:
        state.reset(uow, scenario_files.validate(SCENARIO))
    assert writes_while_preparing == [3 << 20, 5]
    _check_loaded(app)


def test_a_load_prepares_its_data_without_the_lock(
    app: Flask, writes_while_preparing: list[int]
) -> None:
    with operator_unit_of_work(app) as uow:
        scenarios.load(uow, scenario_files.validate(SCENARIO))
    assert writes_while_preparing == [3 << 20, 5]
    _check_loaded(app)


def test_a_load_over_http_prepares_its_data_without_the_lock(
    app: Flask, client: FlaskClient, writes_while_preparing: list[int]
) -> None:
    response = client.post("/_emulator/scenario", json={"document": SCENARIO})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert writes_while_preparing == [3 << 20, 5]
    _check_loaded(app)


def test_prepared_data_of_a_failed_load_is_removed(app: Flask) -> None:
    # The second share of the same image with the same project fails inside the load.
    share = {"image": "big", "project": "other"}
    broken = {**SCENARIO, "projects": [{"name": "lab"}, {"name": "other"}]}
    broken["shares"] = [share, share]
    with operator_unit_of_work(app) as uow, pytest.raises(scenarios.ScenarioError):
        scenarios.load(uow, scenario_files.validate(broken))
    assert list(app.extensions["emulator.blobs"].root.glob(".upload-*")) == []
    assert [f for f in app.extensions["emulator.blobs"].data_files()] == []
