"""Scenario files declare flavors and servers; export and reset round-trip them."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from emulator.app import operator_unit_of_work
from emulator.control.scenario_format import ValidationError, load_document
from emulator.control.services import state
from emulator.control.services.scenarios import ScenarioError
from tests.api.compute.conftest import Compute
from tests.conftest import Users

LAB = {
    "images": [
        {
            "name": "cirros",
            "owner": "producer",
            "visibility": "shared",
            "disk_format": "raw",
            "container_format": "bare",
            "data": {"size": 2048},
        },
    ],  # fmt: skip
    "shares": [{"image": "cirros", "project": "consumer", "status": "accepted"}],
    "flavors": [{"name": "lab.small", "id": "lab1", "ram": 256, "disk": 1, "vcpus": 1}],
    "servers": [
        {"name": "web", "project": "consumer", "image": "cirros", "flavor": "lab.small"},
        {
            "name": "db",
            "project": "consumer",
            "image": "cirros",
            "flavor": "m1.tiny",
            "status": "SHUTOFF",
            "networks": "none",
        },
    ],  # fmt: skip
}


def _reset(app: Flask, document: dict[str, Any]) -> Any:
    with operator_unit_of_work(app) as uow:
        return state.reset(uow, load_document(document))


def _export(app: Flask) -> dict[str, Any]:
    with operator_unit_of_work(app) as uow:
        return state.export(uow)


def test_a_scenario_declares_flavors_and_servers(app: Flask, compute: Compute) -> None:
    _reset(app, LAB)
    compute.users = Users(app)
    flavor = compute.get("/flavors/lab1").get_json()["flavor"]
    assert flavor["name"] == "lab.small" and flavor["ram"] == 256
    servers = compute.get("/servers/detail").get_json()["servers"]
    assert {(s["name"], s["status"]) for s in servers} == {("web", "ACTIVE"), ("db", "SHUTOFF")}
    web = next(s for s in servers if s["name"] == "web")
    assert web["flavor"]["original_name"] == "lab.small"
    assert web["addresses"]["public"]


def test_export_and_reset_round_trip_servers(app: Flask, compute: Compute) -> None:
    _reset(app, LAB)
    exported = _export(app)
    assert [s["name"] for s in exported["servers"]] == ["web", "db"]
    assert exported["flavors"][0]["id"] == "lab1"
    _reset(app, {"demo_accounts": True})
    assert _export(app)["servers"] == []
    _reset(app, exported)
    assert _export(app)["servers"] == exported["servers"]
    compute.users = Users(app)
    web = next(s for s in exported["servers"] if s["name"] == "web")
    response = compute.post(f"/servers/{web['id']}/action", {"createImage": {"name": "s"}})
    snapshot = compute.glance_image(response.get_json()["image_id"]).get_json()
    assert snapshot["status"] == "active" and snapshot["size"] == 2048


def test_a_server_of_an_image_its_project_cannot_see_is_refused(app: Flask) -> None:
    bad = {**LAB, "shares": [], "servers": [LAB["servers"][0]]}
    with pytest.raises(ScenarioError, match="Can not find requested image"):
        _reset(app, bad)


def test_scenario_format_checks_servers() -> None:
    with pytest.raises(ValidationError):
        load_document({"servers": [{"name": "x", "project": "p", "image": "i"}]})
    with pytest.raises(ValidationError):
        load_document({"flavors": [{"name": "x", "ram": 0, "disk": 1, "vcpus": 1}]})


def test_a_failed_reset_keeps_the_servers_and_their_disks(app: Flask, compute: Compute) -> None:
    _reset(app, LAB)
    before = _export(app)
    bad = {**LAB, "servers": [{**LAB["servers"][0], "flavor": "no-such-flavor"}]}
    with pytest.raises(ScenarioError, match="Flavor no-such-flavor could not be found"):
        _reset(app, bad)
    assert _export(app)["servers"] == before["servers"]  # records and inline disks


def test_a_server_id_given_twice_is_refused(app: Flask) -> None:
    server_id = "0b0a57d5-2d35-4b8e-9a4e-6c4f0e3c2b11"
    twice = [{**LAB["servers"][0], "id": server_id}, {**LAB["servers"][1], "id": server_id}]
    with pytest.raises(ScenarioError, match="already exists"):
        _reset(app, {**LAB, "servers": twice})
