"""The trainer's Faults page with Flask's test client: listing, adding, deleting and
clearing rules; refused for non-admins and without the CSRF token; a bad rule refused with
the words ``POST /_emulator/faults`` uses, and nothing added. The browser test is in
``tests/panel/test_faults_page.py``."""

from __future__ import annotations

import html
import re
import shlex
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from emulator.cli.fault_tools import rule_from_args
from emulator.cli.main import build_parser
from emulator.panel.views.faults import rule_from_form
from tests.api.test_panel_forms import HOSTILE_VALUES, _login
from tests.conftest import Users

PAGE = "/panel/trainer/faults"
FLAKY = {
    "method": "GET",
    "path": "/v2/images",
    "user": "consumer",
    "status": "503",
    "count": "1",
    "name": "flaky",
}


def rules(client: FlaskClient) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = client.get("/_emulator/faults").json["faults"]
    return listed


def table(page: str) -> str:
    return page.split('id="faults-table"', 1)[1].split("</table>", 1)[0]


def test_add_list_delete_and_clear(client: FlaskClient, users: Users) -> None:
    csrf = _login(client, "admin")
    assert "No fault rules" in table(client.get(PAGE).text)
    added = client.post(PAGE, data={**FLAKY, "csrf_token": csrf})
    assert added.status_code == 303 and added.headers["Location"] == PAGE
    page = client.get(PAGE).text
    assert "Added flaky: status 503." in page
    row = table(page)
    for shown in ("fault-1", "flaky", "GET", "/v2/images", "consumer", "503", "Delete"):
        assert shown in row, shown
    assert '"rule-fired">0<' in row and '"rule-remaining">1<' in row
    # The very rule the API makes of the same fields, typed as JSON.
    same = client.post(
        "/_emulator/faults",
        json={
            "method": "GET",
            "path": "/v2/images",
            "user": "consumer",
            "status": 503,
            "count": 1,
            "name": "flaky",
        },
    ).json["fault"]
    first, second = rules(client)
    assert {**first, "id": "x"} == {**second, "id": "x"}
    assert second == same
    assert "glance-emulator faults add --name flaky --method GET --path /v2/images" in page
    assert "CLI: <code>glance-emulator faults clear --url URL</code>" in page
    assert "glance-emulator faults delete fault-1 --url URL" in page

    deleted = client.post(f"{PAGE}/fault-1/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 303
    assert [r["id"] for r in rules(client)] == ["fault-2"]
    gone = client.post(f"{PAGE}/fault-1/delete", data={"csrf_token": csrf}, follow_redirects=True)
    assert "Refused (404 Not Found): No fault rule &#39;fault-1&#39;." in gone.text

    asked = client.post(f"{PAGE}/clear", data={"csrf_token": csrf})
    assert asked.status_code == 200 and "Clear every fault rule?" in asked.text
    assert "glance-emulator faults clear --url URL" in asked.text
    assert len(rules(client)) == 1  # not before the confirmation
    cleared = client.post(
        f"{PAGE}/clear", data={"csrf_token": csrf, "confirm": "yes"}, follow_redirects=True
    )
    assert "Removed every fault rule (1)." in cleared.text
    assert rules(client) == []


def test_a_rule_added_in_the_panel_fires_and_the_log_page_marks_it(
    client: FlaskClient, users: Users
) -> None:
    csrf = _login(client, "admin")
    client.post(PAGE, data={**FLAKY, "csrf_token": csrf})
    assert client.get("/v2/images", headers=users.headers("producer")).status_code == 200
    failed = client.get("/v2/images", headers=users.headers("consumer"))
    assert failed.status_code == 503
    assert client.get("/v2/images", headers=users.headers("consumer")).status_code == 200
    row = table(client.get(PAGE).text)
    assert re.search(r'class="rule-fired">1<', row) and re.search(r'"rule-remaining">0<', row)
    log = client.get("/panel/trainer/log?user=consumer").text
    assert '<tr class="fault">' in log and "flaky: status 503" in log


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", PAGE),
        ("POST", PAGE),
        ("POST", f"{PAGE}/fault-1/delete"),
        ("POST", f"{PAGE}/clear"),
    ],
)
def test_for_administrators_only(client: FlaskClient, method: str, path: str) -> None:
    client.post("/_emulator/faults", json={"status": 503, "path": "/v2/x"})
    csrf = _login(client, "producer")
    data = {**FLAKY, "confirm": "yes", "csrf_token": csrf}
    answer = client.open(path, method=method, data=data if method == "POST" else None)
    assert answer.status_code == 403
    assert "The trainer view is for administrators only." in answer.text
    assert [r["id"] for r in rules(client)] == ["fault-1"]


@pytest.mark.parametrize("path", [PAGE, f"{PAGE}/fault-1/delete", f"{PAGE}/clear"])
def test_forms_without_this_sessions_csrf_token_change_nothing(
    client: FlaskClient, path: str
) -> None:
    client.post("/_emulator/faults", json={"status": 503, "path": "/v2/x"})
    _login(client, "admin")
    for forged in ({}, {"csrf_token": "not-this-sessions"}):
        answer = client.post(path, data={**FLAKY, "confirm": "yes", **forged})
        assert answer.status_code == 400 and "no valid CSRF token" in answer.text
    assert [r["id"] for r in rules(client)] == ["fault-1"]


BAD_FORMS: list[dict[str, Any]] = [
    {},
    {"method": "GET", "path": "/v2/images"},
    {"status": "abc"},
    {"status": "418"},
    {"status": "503", "cut": "download"},
    {"latency_ms": "-1"},
    {"latency_ms": "soon"},
    {"latency_ms": "1e999"},
    {"status": "503", "count": "0"},
    {"status": "503", "count": "1.5"},
    {"status": "503", "probability": "0"},
    {"status": "503", "probability": "2"},
    {"status": "503", "user": "nobody"},
    {"status": "503", "project": "nowhere"},
    {"status": "503", "path": "v2/images"},
    {"status": "503", "path": "/_emulator/faults"},
    {"status": "503", "method": "BREW"},
    {"status": "503", "cut_after_bytes": "10"},
    {"cut": "download", "method": "PUT"},
    {"cut": "upload", "method": "GET"},
    {"latency_ms": "5", "pass_through": "true"},
    {"status": "503", "name": "n" * 256},
]


@pytest.mark.parametrize("form", BAD_FORMS, ids=range(len(BAD_FORMS)))
def test_a_bad_rule_is_refused_in_the_apis_words_and_nothing_is_added(
    client: FlaskClient, form: dict[str, Any]
) -> None:
    body = rule_from_form(MultiDict(form))
    api = client.post("/_emulator/faults", json=body)
    assert api.status_code == 400
    csrf = _login(client, "admin")
    answer = client.post(PAGE, data={**form, "csrf_token": csrf})
    assert answer.status_code == 400
    shown = html.unescape(answer.text)
    assert f"Refused (400 Bad Request): {api.json['error']['message']}" in shown
    assert rules(client) == []
    assert "No fault rules" in table(answer.text)
    for field, value in form.items():  # the form again, as typed
        if field in ("status", "cut", "method"):
            chosen = re.search(f'value="{value}"\\s+(selected|checked)', shown)
            assert chosen or value in ("abc", "418", "BREW")
        elif field != "pass_through":
            assert f'value="{value}"' in shown


@pytest.mark.parametrize(
    "form",
    [
        FLAKY,
        {"method": ["PUT", "post"], "cut": "upload", "cut_after_bytes": "1024"},
        {"latency_ms": "250.5", "probability": "0.25", "project": "producer"},
        {"status": "409", "pass_through": "true", "path": "/v2/images/*/members"},
        {"cut": "truncate", "cut_after_bytes": "0", "name": "it's short"},
    ],
    ids=range(5),
)
def test_the_command_shown_is_the_same_rule(
    client: FlaskClient, app: Flask, form: dict[str, Any]
) -> None:
    """What the page shows beside the form, and below a rule, is a command
    ``glance-emulator faults add`` takes, and it sends the same rule."""
    csrf = _login(client, "admin")
    data = MultiDict(form)
    client.post(PAGE, data=MultiDict([*data.items(multi=True), ("csrf_token", csrf)]))
    page = html.unescape(client.get(PAGE).text)
    found = re.search(r"the same rule: <code>(glance-emulator faults add [^<]*)</code>", page)
    assert found is not None
    words = shlex.split(found.group(1))
    args = build_parser().parse_args(words[1:])
    assert args.url == "URL"
    added = client.post("/_emulator/faults", json=rule_from_args(args)).json["fault"]
    first = rules(client)[0]
    assert {**added, "id": "x"} == {**first, "id": "x"}


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=range(len(HOSTILE_VALUES)))
def test_hostile_values_get_an_answer_not_a_crash(client: FlaskClient, value: str) -> None:
    csrf = _login(client, "admin")
    fields = (
        "method",
        "path",
        "user",
        "project",
        "status",
        "latency_ms",
        "cut",
        "cut_after_bytes",
        "count",
        "probability",
        "pass_through",
        "name",
    )
    for field in fields:
        body = f"{field}={value}&latency_ms=1&csrf_token={csrf}"
        if field == "latency_ms":
            body = f"latency_ms={value}&csrf_token={csrf}"
        answer = client.post(PAGE, data=body, content_type="application/x-www-form-urlencoded")
        assert answer.status_code < 500, (field, answer.status_code)
        assert "<script>alert(1)</script>" not in answer.text
    segment = value[:300] or "x"
    answer = client.post(f"{PAGE}/{segment}/delete", data={"csrf_token": csrf})
    assert answer.status_code < 500
    client.delete("/_emulator/faults")


def test_a_reset_from_the_panel_ends_the_rules_as_the_apis_does(client: FlaskClient) -> None:
    client.post("/_emulator/faults", json={"status": 503, "path": "/v2/x"})
    csrf = _login(client, "admin")
    loaded = client.post(
        "/panel/trainer/reset",
        data={"mode": "load", "scenario": "sharing-101", "confirm": "yes", "csrf_token": csrf},
    )
    assert loaded.status_code == 303 and len(rules(client)) == 1  # a load adds, keeps
    client.post(
        "/panel/trainer/reset", data={"mode": "reset", "confirm": "yes", "csrf_token": csrf}
    )
    assert rules(client) == []
