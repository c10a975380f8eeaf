"""Fault rules through ``/_emulator/faults``: managing them, bad rules refused with nothing
changed, and what a firing rule does (the cuts, which need a real connection, are in
``tests/contract/test_fault_clients.py``)."""

from __future__ import annotations

import time
from typing import Any

import flask
import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator.control import fault_injection, per_process
from emulator.control.domain.faults import Asking, FaultTable, check_can_take
from emulator.core import errors
from emulator.core.http import cpu_gate
from emulator.core.http.cpu_gate import CpuGate
from tests.conftest import Users


class BufferedClient(FlaskClient):
    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = BufferedClient
    return app.test_client()


def add(client: FlaskClient, **rule: Any) -> dict[str, Any]:
    answer = client.post("/_emulator/faults", json=rule)
    assert answer.status_code == 201, answer.json
    created: dict[str, Any] = answer.json["fault"]
    return created


def image_names(client: FlaskClient, users: Users) -> list[str]:
    listed = client.get("/v2/images", headers=users.headers("producer"))
    assert listed.status_code == 200
    return [i["name"] for i in listed.json["images"]]


def test_add_list_delete_clear(client: FlaskClient) -> None:
    first = add(client, status=503, method="get", path="/v2/images", count=2, name="flaky")
    assert first["id"] == "fault-1"
    assert (first["method"], first["fired"], first["remaining"]) == (["GET"], 0, 2)
    second = add(client, latency_ms=5)
    listed = client.get("/_emulator/faults").json["faults"]
    assert [r["id"] for r in listed] == [first["id"], second["id"]]
    assert client.delete(f"/_emulator/faults/{first['id']}").status_code == 204
    assert client.delete(f"/_emulator/faults/{first['id']}").status_code == 404
    assert [r["id"] for r in client.get("/_emulator/faults").json["faults"]] == [second["id"]]
    assert client.delete("/_emulator/faults").status_code == 204
    assert client.get("/_emulator/faults").json["faults"] == []


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        ([], "JSON object"),
        ({}, "must do something"),
        ({"status": 503, "colour": "red"}, "Unknown field 'colour'"),
        ({"status": 299}, "status must be one of"),
        ({"status": 503.5}, "status must be a whole number"),
        ({"status": True}, "status must be a whole number"),
        ({"status": 503, "cut": "download"}, "not both"),
        ({"cut": "sideways"}, "cut must be one of"),
        ({"latency_ms": -1}, "latency_ms must be a number from 0"),
        ({"latency_ms": 10**9}, "latency_ms must be a number from 0"),
        ({"status": 503, "probability": 0}, "never fire"),
        ({"status": 503, "probability": 1.5}, "probability must be"),
        ({"status": 503, "count": 0}, "count must be a whole number of at least 1"),
        ({"status": 503, "method": "FETCH"}, "method must be one of"),
        ({"status": 503, "method": []}, "method must be"),
        ({"status": 503, "path": "v2/images"}, "path must be a pattern"),
        ({"status": 503, "path": "/_emulator/faults"}, "never faulted"),
        ({"status": 503, "path": "/panel/trainer/faults"}, "never faulted"),
        ({"cut": "download", "method": "PUT"}, "never fire"),
        ({"cut": "upload", "method": "GET"}, "never fire"),
        ({"latency_ms": 5, "pass_through": True}, "pass_through goes with status"),
        ({"status": 503, "cut_after_bytes": 5}, "cut_after_bytes goes with cut"),
        ({"status": 503, "user": "nobody"}, "No user 'nobody'"),
        ({"status": 503, "project": "nowhere"}, "No project 'nowhere'"),
        ({"status": 503, "name": ""}, "name must be a non-empty string"),
    ],
)
def test_bad_rules_are_a_clear_400_and_change_nothing(
    client: FlaskClient, rule: Any, fragment: str
) -> None:
    add(client, latency_ms=1)
    before = client.get("/_emulator/faults").json
    answer = client.post("/_emulator/faults", json=rule)
    assert answer.status_code == 400
    assert fragment in answer.json["error"]["message"]
    assert client.get("/_emulator/faults").json == before


def test_an_unknown_user_is_refused_with_the_users_that_exist(client: FlaskClient) -> None:
    answer = client.post("/_emulator/faults", json={"status": 503, "user": "prodcer"})
    assert answer.json["error"]["message"].endswith(
        "The users are: admin, consumer, outsider, producer."
    )


def test_malformed_json_is_a_400(client: FlaskClient) -> None:
    answer = client.post(
        "/_emulator/faults", data=b"{", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400


def test_a_status_answers_with_glance_body_and_stores_nothing(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    add(client, status=409, method="POST", path="/v2/images", count=1)
    refused = client.post("/v2/images", json={"name": "never"}, headers=users.headers("producer"))
    assert refused.status_code == 409
    assert "409 Conflict" in refused.data.decode()
    assert refused.headers["x-openstack-request-id"].startswith("req-")
    assert image_names(client, users) == []
    # Spent after one: the next one goes through.
    made = client.post("/v2/images", json={"name": "later"}, headers=users.headers("producer"))
    assert made.status_code == 201
    assert client.get("/_emulator/faults").json["faults"][0]["remaining"] == 0
    log = app.extensions["emulator.request_log"].entries(path="/v2/images", method="POST")
    assert [(e["status"], e["fault"]) for e in log] == [
        (201, None),
        (409, "fault-1: status 409"),
    ]


def test_pass_through_stores_then_answers_the_status(client: FlaskClient, users: Users) -> None:
    add(client, status=503, method="POST", path="/v2/images", pass_through=True)
    producer = users.headers("producer")
    answer = client.post("/v2/images", json={"name": "lost-answer"}, headers=producer)
    assert answer.status_code == 503
    assert image_names(client, users) == ["lost-answer"]


def test_identity_faults_have_keystone_bodies(client: FlaskClient) -> None:
    add(client, status=503, path="/identity/v3/auth/tokens")
    answer = client.post("/identity/v3/auth/tokens", json={})
    assert answer.status_code == 503
    assert answer.json["error"]["code"] == 503


def test_rules_match_user_and_project_by_name_or_id(client: FlaskClient, users: Users) -> None:
    add(client, status=503, user="consumer")
    add(client, status=404, project=users.project("outsider"))
    assert client.get("/v2/images", headers=users.headers("producer")).status_code == 200
    assert client.get("/v2/images", headers=users.headers("consumer")).status_code == 503
    assert client.get("/v2/images", headers=users.headers("outsider")).status_code == 404


def test_path_patterns_and_methods(client: FlaskClient, users: Users) -> None:
    add(client, status=503, path="/v2/images/*/tags/*", method=["PUT", "DELETE"])
    producer = users.headers("producer")
    image = client.post("/v2/images", json={"name": "t"}, headers=producer).json["id"]
    assert client.put(f"/v2/images/{image}/tags/x", headers=producer).status_code == 503
    assert client.get(f"/v2/images/{image}", headers=producer).status_code == 200
    assert client.get(f"/v2/images/{image}", headers=producer).json["tags"] == []


def test_latency(client: FlaskClient) -> None:
    add(client, latency_ms=300, path="/versions", count=1)
    started = time.perf_counter()
    assert client.get("/versions").status_code == 200
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    client.get("/versions")
    assert time.perf_counter() - started < 0.3


def test_the_control_api_and_the_panel_are_never_faulted(client: FlaskClient) -> None:
    add(client, status=503)
    assert client.get("/_emulator/faults").status_code == 200
    assert client.get("/panel/login").status_code == 200  # the trainer can still log in
    assert client.delete("/_emulator/faults").status_code == 204
    assert client.get("/versions").status_code == 200


def test_remote_clients_need_an_admin_token(client: FlaskClient, users: Users) -> None:
    remote = {"REMOTE_ADDR": "192.0.2.7"}
    rule = {"status": 503}
    assert client.post("/_emulator/faults", json=rule, environ_base=remote).status_code == 401
    member = client.post(
        "/_emulator/faults", json=rule, headers=users.headers("producer"), environ_base=remote
    )
    assert member.status_code == 403
    assert client.get("/_emulator/faults").json["faults"] == []


def asking(path: str = "/v2/images") -> Asking:
    return Asking("GET", path, None, None, lambda _: None, lambda _: None)


def test_probability_uses_the_chance_given() -> None:
    rolls = iter([0.9, 0.1, 0.5, 0.49])
    table = FaultTable(chance=lambda: next(rolls))
    table.add({"status": 503, "probability": 0.5})
    fired = [table.fire(asking()) is not None for _ in range(4)]
    assert fired == [False, True, False, True]
    assert table.list()[0].fired == 2


def test_the_first_rule_that_fires_wins_and_counts_are_kept() -> None:
    table = FaultTable()
    first = table.add({"status": 503, "count": 1})
    second = table.add({"status": 500})
    assert table.fire(asking()) is first
    assert table.fire(asking()) is second
    assert table.fire(asking("/_emulator/health")) is None
    assert (first.fired, second.fired) == (1, 1)


FAULTY_LAB = {
    "name": "flaky-lab",
    "faults": [{"name": "flaky-list", "status": 503, "method": "GET", "path": "/v2/images"}],
}


def test_a_scenario_brings_its_rules_and_a_reset_replaces_them(
    client: FlaskClient, users: Users
) -> None:
    add(client, latency_ms=1, name="mine")
    assert client.post("/_emulator/reset", json={"document": FAULTY_LAB}).status_code == 200
    listed = client.get("/_emulator/faults").json["faults"]
    assert [r["name"] for r in listed] == ["flaky-list"]
    assert client.get("/v2/images", headers=users.headers("producer")).status_code == 503
    # A load adds its rules beside those in force.
    assert client.post("/_emulator/scenario", json={"document": FAULTY_LAB}).status_code == 200
    assert len(client.get("/_emulator/faults").json["faults"]) == 2
    # The demo accounts have none.
    assert client.post("/_emulator/reset").status_code == 200
    assert client.get("/_emulator/faults").json["faults"] == []


def test_a_bad_rule_in_a_scenario_is_a_400_and_changes_nothing(
    client: FlaskClient, users: Users
) -> None:
    add(client, latency_ms=1, name="mine")
    bad = {"name": "bad", "faults": [{"status": 299}], "projects": [{"name": "new"}]}
    answer = client.post("/_emulator/reset", json={"document": bad})
    assert answer.status_code == 400
    assert "faults.0: status must be one of" in answer.json["error"]["message"]
    assert [r["name"] for r in client.get("/_emulator/faults").json["faults"]] == ["mine"]
    assert client.get("/v2/images", headers=users.headers("producer")).status_code == 200


def test_a_latency_fault_sleeps_without_a_cpu_slot(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other requests run while a latency rule holds one back (core/http/cpu_gate.py)."""
    app.wsgi_app = CpuGate(app.wsgi_app, slots=1)  # type: ignore[method-assign]
    held_while_sleeping: list[bool] = []

    def sleep(seconds: float) -> None:
        held_while_sleeping.append(flask.request.environ[cpu_gate.ENVIRON_KEY].held)

    monkeypatch.setattr(fault_injection.time, "sleep", sleep)
    add(client, latency_ms=200, path="/versions")
    assert client.get("/versions").status_code == 200
    assert held_while_sleeping == [False]


def test_one_of_several_workers_refuses_rules_before_changing_anything(
    app: Flask, client: FlaskClient
) -> None:
    """``serve --workers 2``: each process would count its own copy of a rule."""
    per_process.serve_as_one_of(app, 2)
    rule = client.post("/_emulator/faults", json={"status": 503})
    assert rule.status_code == 409 and "--workers 2" in rule.json["error"]["message"]
    lab = dict(FAULTY_LAB, projects=[{"name": "from-the-lab"}])
    for path in ("/_emulator/reset", "/_emulator/scenario"):
        answer = client.post(path, json={"document": lab})
        assert answer.status_code == 409, path
        assert "from-the-lab" not in str(client.get("/_emulator/export").json)
    assert client.get("/_emulator/faults").json["faults"] == []
    # A scenario without rules, and the table's other uses, are as with one process.
    assert client.post("/_emulator/reset").status_code == 200
    assert client.delete("/_emulator/faults").status_code == 204
    with app.app_context():
        check_can_take(fault_injection.table(), {"faults": []})
        with pytest.raises(errors.Conflict):
            check_can_take(fault_injection.table(), {"faults": [{"status": 503}]})
    assert client.get("/_emulator/requests").status_code == 409
