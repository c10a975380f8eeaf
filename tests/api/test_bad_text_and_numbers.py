"""Text that is no text, documents too deep and numbers too long: a 4xx in the service's own
shape, never a 500, and nothing stored (issue 14).

A lone surrogate (``"\\udc80"``) is valid JSON but no Unicode text: no encoder, SQLite's
included, will take it. Deep nesting exhausts the parser's recursion. Python refuses to read
integers of over 4,300 digits.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from store_snapshot import unchanged

from emulator.app import operator_unit_of_work
from emulator.control.services import scenario_files, scenarios, state
from emulator.identity.services import accounts, tokens

SURROGATE = "\\udc80"  # as it travels in JSON text: an escape, not a character
JSON_PATCH = "application/openstack-images-v2.1-json-patch"
RAW = {"disk_format": "raw", "container_format": "bare"}


def login_body(name: str = "producer", password: str = "producer-pass", project: str = "") -> str:
    scope = (
        f', "scope": {{"project": {{"name": "{project}", "domain": {{"id": "default"}}}}}}'
        if project
        else ""
    )
    return (
        '{"auth": {"identity": {"methods": ["password"], "password": {"user": {'
        f'"name": "{name}", "domain": {{"id": "default"}}, "password": "{password}"'
        "}}}" + scope + "}}"
    )


def keystone_error(response: Any) -> dict[str, Any]:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == response.status_code
    return dict(body["error"])


def glance_error(response: Any) -> str:
    body = response.get_json()
    assert set(body) == {"message", "code", "title"}, body
    return str(body["message"])


@pytest.mark.parametrize(
    "body",
    [
        login_body(name=f"producer{SURROGATE}"),
        login_body(password=f"pass{SURROGATE}"),
        login_body(project=f"producer{SURROGATE}"),
        '{"auth": {"identity": {"methods": ["token"], "token": {"id": "' + SURROGATE + '"}}}}',
        "[" * 100_000,
        '{"auth": ' * 50_000 + "{}" + "}" * 50_000,
    ],
    ids=["user name", "password", "project name", "token id", "deep list", "deep object"],
)
def test_login_refuses_what_is_not_json_text(
    app: Flask, client: FlaskClient, tmp_path: Any, body: str
) -> None:
    with unchanged(app, tmp_path):
        response = client.post(
            "/identity/v3/auth/tokens", data=body, content_type="application/json"
        )
    assert response.status_code == 400
    error = keystone_error(response)
    assert error["message"].startswith("Expecting to find valid JSON in request body")
    assert "X-Subject-Token" not in response.headers


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type"),
    [
        ("post", "/v2/images", f'{{"name": "img{SURROGATE}"}}', "application/json"),
        ("post", "/v2/images", f'{{"os_distro": "x{SURROGATE}"}}', "application/json"),
        ("post", "/v2/images", f'{{"x{SURROGATE}": "y"}}', "application/json"),
        ("post", "/v2/images", f'{{"tags": ["t{SURROGATE}"]}}', "application/json"),
        ("post", "/v2/images", '{"a": ' * 50_000 + "1" + "}" * 50_000, "application/json"),
    ],
    ids=["name", "property value", "property key", "tag", "deep"],
)
def test_image_bodies_refuse_what_is_not_json_text(
    app: Flask,
    client: FlaskClient,
    users: Any,
    tmp_path: Any,
    method: str,
    path: str,
    body: str,
    content_type: str,
) -> None:
    with unchanged(app, tmp_path):
        response = getattr(client, method)(
            path, data=body, content_type=content_type, headers=users.headers("producer")
        )
    assert response.status_code == 400
    assert glance_error(response).startswith("Malformed JSON in request body.")


def test_patch_and_member_bodies_refuse_lone_surrogates(
    app: Flask, client: FlaskClient, users: Any, tmp_path: Any
) -> None:
    created = client.post(
        "/v2/images", json={"name": "ok", "visibility": "shared"}, headers=users.headers("producer")
    )
    image_id = created.get_json()["id"]
    patch = f'[{{"op": "add", "path": "/os_distro", "value": "x{SURROGATE}"}}]'
    member = f'{{"member": "p{SURROGATE}"}}'
    with unchanged(app, tmp_path):
        patched = client.patch(
            f"/v2/images/{image_id}",
            data=patch,
            content_type=JSON_PATCH,
            headers=users.headers("producer"),
        )
        added = client.post(
            f"/v2/images/{image_id}/members",
            data=member,
            content_type="application/json",
            headers=users.headers("producer"),
        )
    assert (patched.status_code, added.status_code) == (400, 400)
    assert glance_error(patched).startswith("Malformed JSON in request body.")
    assert glance_error(added).startswith("Malformed JSON in request body.")


def test_a_surrogate_pair_is_text_and_is_kept(client: FlaskClient, users: Any) -> None:
    """The escape of a character outside the BMP is two surrogates, together: fine."""
    response = client.post(
        "/v2/images",
        data='{"name": "smile \\ud83d\\ude00"}',
        content_type="application/json",
        headers=users.headers("producer"),
    )
    assert response.status_code == 201
    assert response.get_json()["name"] == "smile \U0001f600"


@pytest.mark.parametrize(
    "value",
    ["bytes=" + "9" * 5000 + "-", "bytes=0-" + "9" * 5000, "bytes=-" + "9" * 5000],
)
def test_range_numbers_too_long_to_read_are_416(
    client: FlaskClient, users: Any, value: str
) -> None:
    created = client.post("/v2/images", json=RAW, headers=users.headers("producer"))
    image_id = created.get_json()["id"]
    headers = users.headers("producer")
    put = client.put(
        f"/v2/images/{image_id}/file",
        data=b"0123456789",
        headers={**headers, "Content-Type": "application/octet-stream"},
    )
    assert put.status_code == 204
    response = client.get(f"/v2/images/{image_id}/file", headers={**headers, "Range": value})
    assert response.status_code == 416
    assert "Invalid Range header." in glance_error(response)


@pytest.mark.parametrize("declared", [(1 << 20) + 1, 2**63])
def test_a_login_declaring_a_body_over_the_limit_is_413_before_reading(
    client: FlaskClient, declared: int
) -> None:
    """Keystone's sizelimit middleware refuses on the declared length alone; reading first
    waited for bytes the client never sent (found by the hostile fuzz run)."""
    response = client.post(
        "/identity/v3/auth/tokens",
        data=b"{}",
        headers={"Content-Type": "application/json"},
        environ_overrides={"CONTENT_LENGTH": str(declared)},
    )
    assert response.status_code == 413
    assert keystone_error(response)["title"] == "Request Entity Too Large"


def test_a_long_but_readable_suffix_serves_the_whole_image(client: FlaskClient, users: Any) -> None:
    """webob reads it, and Glance serves a suffix longer than the image whole."""
    created = client.post("/v2/images", json=RAW, headers=users.headers("producer"))
    image_id = created.get_json()["id"]
    headers = users.headers("producer")
    client.put(
        f"/v2/images/{image_id}/file",
        data=b"0123456789",
        headers={**headers, "Content-Type": "application/octet-stream"},
    )
    response = client.get(
        f"/v2/images/{image_id}/file", headers={**headers, "Range": "bytes=-" + "9" * 4000}
    )
    assert response.status_code == 206
    assert response.data == b"0123456789"


# --- scenario password hashes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("password_hash", "complaint"),
    [
        ("md5$salt$digest", "unknown password hash method 'md5'"),
        ("plain-text", "a password hash has the form method$salt$digest"),
        ("scrypt:1048576:8:1$salt$digest", "costs too much per login"),
        ("scrypt:4096:8:64$salt$digest", "costs too much per login"),
        ("scrypt:1000:8:1$salt$digest", "N a power of two"),
        ("pbkdf2:sha256:99999999$salt$digest", "pbkdf2 rounds must be"),
        ("pbkdf2:nohash:1000$salt$digest", "pbkdf2 needs a hash function"),
    ],
)
def test_scenario_password_hashes_are_checked_at_load(password_hash: str, complaint: str) -> None:
    text = (
        "projects:\n  - name: lab\n"
        "users:\n  - name: student\n    project: lab\n"
        f"    password_hash: '{password_hash}'\n"
    )
    with pytest.raises(scenario_files.ScenarioError) as failure:
        scenario_files.parse(text, "lab.yaml")
    assert failure.value.status == 400
    assert "(line 6)" in failure.value.message  # the line of the bad value
    assert "users.0.password_hash" in failure.value.message
    assert complaint in failure.value.message


def test_a_cheap_known_hash_loads_and_logs_in(app: Flask, client: FlaskClient) -> None:
    password_hash = accounts.hash_password("s3cret")
    document = scenario_files.validate(
        {
            "projects": [{"name": "lab"}],
            "users": [{"name": "student", "project": "lab", "password_hash": password_hash}],
        }
    )
    with operator_unit_of_work(app) as uow:
        state.reset(uow, document)
    response = client.post(
        "/identity/v3/auth/tokens",
        data=login_body("student", "s3cret", "lab"),
        content_type="application/json",
    )
    assert response.status_code == 201


# --- tokens outlive no password ----------------------------------------------------------------


def _login(client: FlaskClient, password: str) -> Any:
    return client.post(
        "/identity/v3/auth/tokens",
        data=login_body("producer", password, "producer"),
        content_type="application/json",
    )


def test_a_password_change_revokes_the_users_tokens(app: Flask, client: FlaskClient) -> None:
    token = _login(client, "producer-pass").headers["X-Subject-Token"]
    assert client.get("/v2/images", headers={"X-Auth-Token": token}).status_code == 200
    with operator_unit_of_work(app) as uow:
        project = accounts.find_project(uow.db, "producer", accounts.DEFAULT_DOMAIN_ID)
        assert project is not None
        accounts.upsert_user(uow.db, "producer", project.id, ["member"], password="changed")
        assert tokens.lookup(uow.db, token) is None
    assert client.get("/v2/images", headers={"X-Auth-Token": token}).status_code == 401
    assert _login(client, "producer-pass").status_code == 401
    assert _login(client, "changed").status_code == 201


def test_the_same_password_again_keeps_the_tokens(app: Flask, client: FlaskClient) -> None:
    token = _login(client, "producer-pass").headers["X-Subject-Token"]
    with operator_unit_of_work(app) as uow:
        project = accounts.find_project(uow.db, "producer", accounts.DEFAULT_DOMAIN_ID)
        assert project is not None
        accounts.upsert_user(uow.db, "producer", project.id, ["member"], password="producer-pass")
    assert client.get("/v2/images", headers={"X-Auth-Token": token}).status_code == 200


def test_an_exported_hash_that_differs_revokes_too(app: Flask, client: FlaskClient) -> None:
    token = _login(client, "producer-pass").headers["X-Subject-Token"]
    with operator_unit_of_work(app) as uow:
        project = accounts.find_project(uow.db, "producer", accounts.DEFAULT_DOMAIN_ID)
        assert project is not None
        accounts.upsert_user(
            uow.db,
            "producer",
            project.id,
            ["member"],
            password_hash=accounts.hash_password("other"),
        )
    assert client.get("/v2/images", headers={"X-Auth-Token": token}).status_code == 401


def test_an_export_loaded_after_a_reset_keeps_the_tokens(app: Flask, client: FlaskClient) -> None:
    """A reset checks each demo password and keeps its hash when unchanged: it hashed it
    again (a new salt), so an export taken before the reset loaded as a password change
    and revoked the admin's own token (tests/test_scenarios_loading.py found it)."""
    token = _login(client, "producer-pass").headers["X-Subject-Token"]
    with operator_unit_of_work(app) as uow:
        exported = state.export(uow, "none")
        before = accounts.password_hash_of(uow.db, _user_id(uow.db, "producer"))
        state.reset(uow)
        assert accounts.password_hash_of(uow.db, _user_id(uow.db, "producer")) == before
        state.reset(uow, scenario_files.validate(exported, "export"))
        assert tokens.lookup(uow.db, token) is not None
    assert client.get("/v2/images", headers={"X-Auth-Token": token}).status_code == 200


def _user_id(db: Any, name: str) -> str:
    user = accounts.find_user(db, name, accounts.DEFAULT_DOMAIN_ID)
    assert user is not None
    return user.id


def test_json_module_itself_reads_the_surrogate_escape() -> None:
    """The premise of this file: Python's json accepts the escape, so the check is ours."""
    assert json.loads(f'"{SURROGATE}"') == "\udc80"


def test_disabling_a_user_revokes_its_tokens_and_refuses_its_logins(
    app: Flask, client: FlaskClient
) -> None:
    token = _login(client, "producer-pass").headers["X-Subject-Token"]
    disable = {
        "users": [
            {
                "name": "producer",
                "project": "producer",
                "password": "producer-pass",
                "enabled": False,
            }
        ]
    }
    with operator_unit_of_work(app) as uow:
        scenarios.load(uow, scenario_files.validate(disable))
        assert tokens.lookup(uow.db, token) is None
        exported = state.export(uow)
    assert client.get("/v2/images", headers={"X-Auth-Token": token}).status_code == 401
    refused = _login(client, "producer-pass")
    assert refused.status_code == 401  # Keystone hides why: no "disabled" in the answer
    assert refused.get_json()["error"]["message"] == (
        "The request you have made requires authentication."
    )
    # An export keeps the user disabled; enabling it again lets it log in.
    [producer] = [user for user in exported["users"] if user["name"] == "producer"]
    assert producer["enabled"] is False
    disable["users"][0]["enabled"] = True
    with operator_unit_of_work(app) as uow:
        scenarios.load(uow, scenario_files.validate(disable))
    assert _login(client, "producer-pass").status_code == 201
