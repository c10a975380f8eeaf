"""The Keystone v3 subset over HTTP: discovery, tokens, projects, and every error shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

BASE = "http://localhost"
IDENTITY = f"{BASE}/identity"
TOKENS = "/identity/v3/auth/tokens"
AUTH_REQUIRED = "The request you have made requires authentication."
EXPECTING = (
    " The server could not comply with the request since it is either malformed or "
    "otherwise incorrect. The client is assumed to be in error."
)
VERSION = {
    "id": "v3.14",
    "status": "stable",
    "updated": "2020-04-07T00:00:00Z",
    "links": [{"rel": "self", "href": f"{IDENTITY}/v3/"}],
    "media-types": [
        {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
    ],
}


def password_auth(
    name: str = "producer", password: str | None = None, scope: Any = None
) -> dict[str, Any]:
    auth: dict[str, Any] = {
        "identity": {
            "methods": ["password"],
            "password": {
                "user": {
                    "name": name,
                    "domain": {"name": "Default"},
                    "password": password or f"{name}-pass",
                }
            },
        }
    }
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


def login(client: FlaskClient, name: str = "producer", **kwargs: Any) -> str:
    response = client.post(TOKENS, json=password_auth(name, **kwargs))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.headers["X-Subject-Token"]


def assert_keystone_error(response: Any, status: int, title: str, message: str) -> None:
    assert response.status_code == status
    assert response.content_type == "application/json"
    assert response.get_json() == {"error": {"code": status, "title": title, "message": message}}


def assert_401(response: Any) -> None:
    assert_keystone_error(response, 401, "Unauthorized", AUTH_REQUIRED)
    assert response.headers["WWW-Authenticate"].startswith(f'Keystone uri="{IDENTITY}')


# --- discovery ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/identity", "/identity/"])
def test_root_offers_v3_with_300(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 300
    assert response.headers["Location"] == f"{IDENTITY}/v3/"
    assert response.content_type == "application/json"
    assert response.get_json() == {"versions": {"values": [VERSION]}}


@pytest.mark.parametrize("path", ["/identity/v3", "/identity/v3/"])
def test_v3_describes_itself(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_json() == {"version": VERSION}


def test_public_endpoint_is_honoured(app: Any) -> None:
    app.config["EMULATOR"] = app.config["EMULATOR"].replace(public_endpoint="https://emu.example/")
    response = app.test_client().get("/identity")
    assert response.headers["Location"] == "https://emu.example/identity/v3/"


# --- issuing tokens -------------------------------------------------------------------


def test_password_login_returns_a_project_token(client: FlaskClient, users: Any) -> None:
    response = client.post(TOKENS, json=password_auth("producer"))
    assert response.status_code == 201
    assert response.content_type == "application/json"
    assert response.headers["X-Subject-Token"]
    token = response.get_json()["token"]
    assert set(token) == {
        "methods",
        "user",
        "audit_ids",
        "expires_at",
        "issued_at",
        "project",
        "is_domain",
        "roles",
        "catalog",
    }
    assert token["methods"] == ["password"]
    assert token["user"]["name"] == "producer"
    assert token["user"]["domain"] == {"id": "default", "name": "Default"}
    assert token["user"]["password_expires_at"] is None
    assert token["project"] == {
        "domain": {"id": "default", "name": "Default"},
        "id": users.project("producer"),
        "name": "producer",
    }
    assert token["is_domain"] is False
    assert sorted(role["name"] for role in token["roles"]) == ["member", "reader"]
    assert all(len(role["id"]) == 32 for role in token["roles"])
    assert len(token["audit_ids"]) == 1
    for stamp in ("issued_at", "expires_at"):
        assert len(token[stamp]) == 27 and token[stamp].endswith(".000000Z")


def test_catalog_points_at_this_server(client: FlaskClient) -> None:
    catalog = client.post(TOKENS, json=password_auth()).get_json()["token"]["catalog"]
    by_type = {service["type"]: service for service in catalog}
    assert set(by_type) == {"image", "identity", "compute"}
    assert by_type["image"]["name"] == "glance"
    assert by_type["identity"]["name"] == "keystone"
    assert by_type["compute"]["name"] == "nova"
    compute = BASE + "/compute/v2.1"
    for service_type, url in (("image", BASE), ("identity", IDENTITY), ("compute", compute)):
        endpoints = by_type[service_type]["endpoints"]
        assert sorted(e["interface"] for e in endpoints) == ["admin", "internal", "public"]
        for endpoint in endpoints:
            assert endpoint["url"] == url
            assert endpoint["region"] == endpoint["region_id"] == "RegionOne"
            assert set(endpoint) == {"id", "interface", "region", "region_id", "url"}
    again = client.post(TOKENS, json=password_auth("consumer")).get_json()["token"]["catalog"]
    assert again == catalog


def test_nocatalog(client: FlaskClient) -> None:
    response = client.post(TOKENS + "?nocatalog", json=password_auth())
    assert response.status_code == 201
    assert "catalog" not in response.get_json()["token"]


def test_admin_token_carries_implied_roles(client: FlaskClient) -> None:
    token = client.post(TOKENS, json=password_auth("admin")).get_json()["token"]
    assert sorted(r["name"] for r in token["roles"]) == ["admin", "manager", "member", "reader"]


def test_login_by_user_id_with_project_id_scope(client: FlaskClient, users: Any) -> None:
    user_id = client.post(TOKENS, json=password_auth("consumer")).get_json()["token"]["user"]["id"]
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"id": user_id, "password": "consumer-pass"}},
            },
            "scope": {"project": {"id": users.project("consumer")}},
        }
    }
    response = client.post(TOKENS, json=body)
    assert response.status_code == 201
    assert response.get_json()["token"]["project"]["id"] == users.project("consumer")


def test_scope_by_project_name_and_domain_id(client: FlaskClient, users: Any) -> None:
    scope = {"project": {"name": "producer", "domain": {"id": "default"}}}
    response = client.post(TOKENS, json=password_auth(scope=scope))
    assert response.status_code == 201
    assert response.get_json()["token"]["project"]["id"] == users.project("producer")


@pytest.mark.parametrize("scope", ["unscoped", {"unscoped": {}}])
def test_explicitly_unscoped(client: FlaskClient, scope: Any) -> None:
    response = client.post(TOKENS, json=password_auth(scope=scope))
    assert response.status_code == 201
    token = response.get_json()["token"]
    assert not {"project", "roles", "catalog"} & set(token)


def test_token_method_rescopes_and_keeps_the_expiry(client: FlaskClient, users: Any) -> None:
    first = client.post(TOKENS, json=password_auth("admin", scope="unscoped"))
    body = {
        "auth": {
            "identity": {"methods": ["token"], "token": {"id": first.headers["X-Subject-Token"]}},
            "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}},
        }
    }
    second = client.post(TOKENS, json=body)
    assert second.status_code == 201
    token = second.get_json()["token"]
    assert token["project"]["id"] == users.project("admin")
    assert token["methods"] == ["token", "password"]
    assert token["expires_at"] <= first.get_json()["token"]["expires_at"]


def test_token_method_with_a_dead_token_is_404(client: FlaskClient) -> None:
    body = {"auth": {"identity": {"methods": ["token"], "token": {"id": "gAAAAAnothing"}}}}
    response = client.post(TOKENS, json=body)
    assert_keystone_error(response, 404, "Not Found", "Failed to validate token")


UNAUTHORIZED = {
    "wrong password": password_auth("producer", "wrong"),
    "unknown user": password_auth("nobody"),
    "unknown domain": {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "producer", "domain": {"name": "Nowhere"}, "password": "x"}
                },
            }
        }
    },
    "no role on project": password_auth(
        "producer", scope={"project": {"name": "consumer", "domain": {"name": "Default"}}}
    ),
    "unknown project": password_auth("producer", scope={"project": {"id": "missing"}}),
    "domain scope": password_auth("admin", scope={"domain": {"name": "Default"}}),
    "system scope": password_auth("admin", scope={"system": {"all": True}}),
}


@pytest.mark.parametrize("body", UNAUTHORIZED.values(), ids=UNAUTHORIZED.keys())
def test_bad_credentials_or_scope_are_401(client: FlaskClient, body: dict[str, Any]) -> None:
    assert_401(client.post(TOKENS, json=body))


def test_unsupported_method_is_401(client: FlaskClient) -> None:
    body = {"auth": {"identity": {"methods": ["totp"], "totp": {"user": {}}}}}
    response = client.post(TOKENS, json=body)
    assert_keystone_error(
        response, 401, "Unauthorized", "Attempted to authenticate with an unsupported method."
    )
    assert response.headers["WWW-Authenticate"].startswith("Keystone uri=")


BAD_REQUESTS = [
    ("not json", "text/plain", "Expecting to find application/json in Content-Type header."),
    ("{not json", "application/json", "Expecting to find valid JSON in request body."),
    ("{not json", None, "Expecting to find valid JSON in request body."),
    ("[1, 2]", "application/json", "Expecting to find valid JSON in request body."),
    ('"auth"', "application/json", "Expecting to find valid JSON in request body."),
    (b"\xff\xfe", "application/json", "Expecting to find valid JSON in request body."),
    ("", "application/json", "Expecting to find auth in request body."),
    ("{}", "application/json", "Expecting to find auth in request body."),
    (
        '{"auth": {"identity": {"methods": ["password"]}}}',
        "application/json",
        "Expecting to find password in identity.",
    ),
]


@pytest.mark.parametrize(("data", "content_type", "message"), BAD_REQUESTS)
def test_malformed_bodies_are_400(
    client: FlaskClient, data: Any, content_type: str | None, message: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(TOKENS, data=data, headers=headers)
    assert_keystone_error(response, 400, "Bad Request", message + EXPECTING)


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ({}, "'identity' is a required property"),
        ("x", "'x' is not of type 'object'"),
        ({"identity": {}}, "Invalid input for field 'identity': 'methods' is a required property"),
        (
            {"identity": {"methods": "password"}},
            "Invalid input for field 'identity/methods': 'password' is not of type 'array'",
        ),
    ],
)
def test_schema_violations_are_400(client: FlaskClient, auth: Any, message: str) -> None:
    response = client.post(TOKENS, json={"auth": auth})
    assert_keystone_error(response, 400, "Bad Request", message)


ODD_BODIES = [
    {"auth": {"identity": {"methods": ["password"], "password": None}}},
    {"auth": {"identity": {"methods": ["password"], "password": {"user": "x"}}}},
    {"auth": {"identity": {"methods": ["password"], "password": {"user": {"id": 5}}}}},
    {"auth": {"identity": {"methods": ["password"], "password": {"user": {"id": ""}}}}},
    {"auth": {"identity": {"methods": ["token"], "token": {"id": ""}}}},
    {"auth": {"identity": {"methods": ["token"], "token": {"id": "x" * 5000}}}},
    {"auth": {"identity": {"methods": [], "token": None}}, "scope": "project"},
    {"auth": {"identity": {"methods": ["password", "token"]}}},
    {"auth": {"identity": {"methods": []}, "scope": {"project": {"name": "x"}}}},
    {"auth": {"identity": {"methods": []}, "scope": {"project": {"id": None}}}},
    {"auth": {"identity": {"methods": []}, "scope": {"domain": {"id": 1}}}},
    {"auth": {"identity": {"methods": []}, "scope": {"OS-TRUST:trust": {}}}},
    {"auth": {"identity": {"methods": []}, "scope": {"system": {"all": "yes"}}}},
]


@pytest.mark.parametrize("body", ODD_BODIES)
def test_odd_bodies_never_500(client: FlaskClient, body: dict[str, Any]) -> None:
    response = client.post(TOKENS, data=json.dumps(body), content_type="application/json")
    assert response.status_code in (400, 401, 404)
    assert set(response.get_json()["error"]) == {"code", "title", "message"}


def test_too_large_body_is_413(client: FlaskClient, app: Any) -> None:
    size = app.config["EMULATOR"].max_request_body_size + 1
    response = client.post(TOKENS, data="x" * size, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == 413


def test_other_methods_are_405(client: FlaskClient) -> None:
    response = client.put(TOKENS)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == 405


# --- validating and revoking ----------------------------------------------------------


def test_validate_own_token(client: FlaskClient) -> None:
    token = login(client)
    headers = {"X-Auth-Token": token, "X-Subject-Token": token}
    response = client.get(TOKENS, headers=headers)
    assert response.status_code == 200
    assert response.headers["X-Subject-Token"] == token
    body = response.get_json()["token"]
    assert body["user"]["name"] == "producer"
    assert "catalog" in body
    nocatalog = client.get(TOKENS + "?nocatalog", headers=headers).get_json()["token"]
    assert "catalog" not in nocatalog
    assert {k: v for k, v in body.items() if k != "catalog"} == nocatalog


def test_head_checks_without_a_body(client: FlaskClient) -> None:
    token = login(client)
    response = client.head(TOKENS, headers={"X-Auth-Token": token, "X-Subject-Token": token})
    assert response.status_code == 200
    assert response.headers["X-Subject-Token"] == token
    assert response.data == b""


def test_admin_validates_anyones_token(client: FlaskClient, users: Any) -> None:
    token = login(client, "consumer")
    headers = {"X-Auth-Token": users.tokens["admin"], "X-Subject-Token": token}
    assert client.get(TOKENS, headers=headers).get_json()["token"]["user"]["name"] == "consumer"


def test_tenant_cannot_validate_someone_elses_token(client: FlaskClient, users: Any) -> None:
    headers = {
        "X-Auth-Token": users.tokens["outsider"],
        "X-Subject-Token": users.tokens["producer"],
    }
    assert_keystone_error(
        client.get(TOKENS, headers=headers),
        403,
        "Forbidden",
        "You are not authorized to perform the requested action: identity:validate_token.",
    )
    assert client.head(TOKENS, headers=headers).status_code == 403
    assert_keystone_error(
        client.delete(TOKENS, headers=headers),
        403,
        "Forbidden",
        "You are not authorized to perform the requested action: identity:revoke_token.",
    )


@pytest.mark.parametrize("method", ["get", "head", "delete"])
def test_invalid_subject_token_is_404(client: FlaskClient, users: Any, method: str) -> None:
    headers = {"X-Auth-Token": users.tokens["producer"], "X-Subject-Token": "gAAAAAgarbage"}
    response = getattr(client, method)(TOKENS, headers=headers)
    assert response.status_code == 404
    if method != "head":
        assert_keystone_error(response, 404, "Not Found", "Failed to validate token")


def test_missing_subject_token(client: FlaskClient, users: Any) -> None:
    admin = client.get(TOKENS, headers={"X-Auth-Token": users.tokens["admin"]})
    assert_keystone_error(admin, 404, "Not Found", "No token in the request")
    tenant = client.get(TOKENS, headers={"X-Auth-Token": users.tokens["producer"]})
    assert tenant.status_code == 403


@pytest.mark.parametrize("method", ["get", "delete"])
@pytest.mark.parametrize("auth_token", [None, "gAAAAAbogus"])
def test_missing_or_invalid_auth_token_is_401(
    client: FlaskClient, users: Any, method: str, auth_token: str | None
) -> None:
    headers = {"X-Subject-Token": users.tokens["producer"]}
    if auth_token:
        headers["X-Auth-Token"] = auth_token
    assert_401(getattr(client, method)(TOKENS, headers=headers))


def test_head_without_auth_token_is_401(client: FlaskClient, users: Any) -> None:
    response = client.head(TOKENS, headers={"X-Subject-Token": users.tokens["producer"]})
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


def test_revoke_own_token(client: FlaskClient, users: Any) -> None:
    token = login(client)
    response = client.delete(TOKENS, headers={"X-Auth-Token": token, "X-Subject-Token": token})
    assert response.status_code == 204
    assert response.data == b""
    after = client.get(
        TOKENS, headers={"X-Auth-Token": users.tokens["admin"], "X-Subject-Token": token}
    )
    assert after.status_code == 404
    assert_401(client.get("/identity/v3/auth/projects", headers={"X-Auth-Token": token}))


def test_admin_revokes_anyones_token(client: FlaskClient, users: Any) -> None:
    token = login(client, "consumer")
    headers = {"X-Auth-Token": users.tokens["admin"], "X-Subject-Token": token}
    assert client.delete(TOKENS, headers=headers).status_code == 204
    assert client.delete(TOKENS, headers=headers).status_code == 404


# --- projects -------------------------------------------------------------------------


def project_document(project_id: str, name: str) -> dict[str, Any]:
    return {
        "id": project_id,
        "name": name,
        "domain_id": "default",
        "description": "",
        "enabled": True,
        "is_domain": False,
        "parent_id": "default",
        "tags": [],
        "options": {},
        "links": {"self": f"{IDENTITY}/v3/projects/{project_id}"},
    }


def test_tenant_sees_own_project(client: FlaskClient, users: Any) -> None:
    project_id = users.project("producer")
    response = client.get(f"/identity/v3/projects/{project_id}", headers=users.headers("producer"))
    assert response.status_code == 200
    assert response.get_json() == {"project": project_document(project_id, "producer")}


@pytest.mark.parametrize("target", ["consumer", "missing-id", "consumer-by-name"])
def test_tenant_cannot_see_other_projects(client: FlaskClient, users: Any, target: str) -> None:
    wanted = {"consumer": users.project("consumer"), "consumer-by-name": "consumer"}.get(
        target, target
    )
    response = client.get(f"/identity/v3/projects/{wanted}", headers=users.headers("producer"))
    assert_keystone_error(
        response,
        403,
        "Forbidden",
        "You are not authorized to perform the requested action: identity:get_project.",
    )


def test_admin_sees_any_project(client: FlaskClient, users: Any) -> None:
    project_id = users.project("consumer")
    response = client.get(f"/identity/v3/projects/{project_id}", headers=users.headers("admin"))
    assert response.get_json() == {"project": project_document(project_id, "consumer")}
    missing = client.get("/identity/v3/projects/nope", headers=users.headers("admin"))
    assert_keystone_error(missing, 404, "Not Found", "Could not find project: nope.")


def test_admin_lists_projects_by_name(client: FlaskClient, users: Any) -> None:
    response = client.get("/identity/v3/projects?name=consumer", headers=users.headers("admin"))
    assert response.status_code == 200
    assert response.get_json() == {
        "projects": [project_document(users.project("consumer"), "consumer")],
        "links": {
            "next": None,
            "self": f"{IDENTITY}/v3/projects?name=consumer",
            "previous": None,
        },
    }
    everything = client.get("/identity/v3/projects", headers=users.headers("admin")).get_json()
    assert [p["name"] for p in everything["projects"]] == [
        "admin",
        "consumer",
        "outsider",
        "producer",
    ]
    none = client.get("/identity/v3/projects?name=nope", headers=users.headers("admin"))
    assert none.get_json()["projects"] == []


@pytest.mark.parametrize("query", ["", "?name=consumer", "?name=producer"])
def test_tenant_cannot_list_projects(client: FlaskClient, users: Any, query: str) -> None:
    response = client.get(f"/identity/v3/projects{query}", headers=users.headers("producer"))
    assert_keystone_error(
        response,
        403,
        "Forbidden",
        "You are not authorized to perform the requested action: identity:list_projects.",
    )


def test_auth_projects_lists_only_the_callers(client: FlaskClient, users: Any) -> None:
    response = client.get("/identity/v3/auth/projects", headers=users.headers("consumer"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["projects"] == [project_document(users.project("consumer"), "consumer")]
    assert body["links"]["self"] == f"{IDENTITY}/v3/auth/projects"


def test_auth_catalog(client: FlaskClient, users: Any) -> None:
    response = client.get("/identity/v3/auth/catalog", headers=users.headers("producer"))
    assert response.status_code == 200
    assert {s["type"] for s in response.get_json()["catalog"]} == {"identity", "image", "compute"}
    unscoped = login(client, scope="unscoped")
    forbidden = client.get("/identity/v3/auth/catalog", headers={"X-Auth-Token": unscoped})
    assert_keystone_error(
        forbidden, 403, "Forbidden", "You are not authorized to perform the requested action."
    )


@pytest.mark.parametrize(
    "path",
    [
        "/identity/v3/projects",
        "/identity/v3/projects/anything",
        "/identity/v3/auth/projects",
        "/identity/v3/auth/catalog",
    ],
)
def test_project_endpoints_need_a_token(client: FlaskClient, path: str) -> None:
    assert_401(client.get(path))
    assert_401(client.get(path, headers={"X-Auth-Token": "gAAAAAbogus"}))


def test_unknown_identity_path_is_a_keystone_404(client: FlaskClient) -> None:
    response = client.get("/identity/v3/users")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == 404


def test_responses_vary_on_the_token(client: FlaskClient) -> None:
    assert client.get("/identity").headers["Vary"] == "X-Auth-Token"
