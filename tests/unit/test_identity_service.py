"""The Keystone use cases on a real SQLite store, and the token request checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from emulator.core import clock, errors
from emulator.core.context import RequestContext
from emulator.core.db import Store
from emulator.identity.api import documents
from emulator.identity.domain.auth_request import Scope, parse_auth_request
from emulator.identity.services import accounts, auth, projects, tokens
from emulator.identity.store import accounts as accounts_store

IDENTITY_URL = "http://emu.test/identity"
IMAGE_URL = "http://emu.test"
TTL = 3600


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    store = Store(tmp_path / "emulator.db", tmp_path / "images")
    store.open()
    with store.session() as database:
        accounts.ensure_demo_accounts(database)
        yield database


def password_body(name: str, password: str | None = None, scope: Any = None) -> dict[str, Any]:
    auth: dict[str, Any] = {
        "identity": {
            "methods": ["password"],
            "password": {
                "user": {
                    "name": name,
                    "domain": {"id": "default"},
                    "password": password or f"{name}-pass",
                }
            },
        }
    }
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


def token_body(token_id: str, scope: Any = None) -> dict[str, Any]:
    auth: dict[str, Any] = {"identity": {"methods": ["token"], "token": {"id": token_id}}}
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


def issue(db: sqlite_utils.Database, body: dict[str, Any]) -> auth.IssuedToken:
    return auth.issue_token(db, parse_auth_request(body), ttl_seconds=TTL)


def project_id(db: sqlite_utils.Database, name: str) -> str:
    project = accounts.find_project(db, name, "default")
    assert project is not None
    return project.id


def context_of(db: sqlite_utils.Database, name: str) -> RequestContext:
    record = issue(db, password_body(name)).record
    return RequestContext(record.project_id, record.user_id, frozenset(record.roles))


# --- request checks -------------------------------------------------------------------

EXPECTING = (
    " The server could not comply with the request since it is either malformed or "
    "otherwise incorrect. The client is assumed to be in error."
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Expecting to find auth in request body." + EXPECTING),
        ({"auth": None}, "Expecting to find auth in request body." + EXPECTING),
        ({"auth": {}}, "'identity' is a required property"),
        ({"auth": []}, "[] is not of type 'object'"),
        (
            {"auth": {"identity": {}}},
            "Invalid input for field 'identity': 'methods' is a required property",
        ),
        (
            {"auth": {"identity": {"methods": "password"}}},
            "Invalid input for field 'identity/methods': 'password' is not of type 'array'",
        ),
        (
            {"auth": {"identity": {"methods": [1]}}},
            "Invalid input for field 'identity/methods/0': 1 is not of type 'string'",
        ),
        (
            {"auth": {"identity": {"methods": ["token"], "token": {}}}},
            "Invalid input for field 'identity/token': 'id' is a required property",
        ),
        (
            {"auth": {"identity": {"methods": ["password"], "password": {"user": {}}}}},
            "Invalid input for field identity/password/user: id or name must be present.",
        ),
        (
            {
                "auth": {
                    "identity": {
                        "methods": ["password"],
                        "password": {"user": {"name": "x", "domain": {}}},
                    }
                }
            },
            "Invalid input for field identity/password/user/domain: id or name must be present.",
        ),
        (
            {"auth": {"identity": {"methods": ["password"]}}},
            "Expecting to find password in identity." + EXPECTING,
        ),
        (
            {"auth": {"identity": {"methods": []}, "scope": {"project": {}}}},
            "Invalid input for field scope/project: id or name must be present.",
        ),
        (
            {"auth": {"identity": {"methods": []}, "scope": None}},
            "Invalid input for field 'scope': None is not of type 'object', 'string'",
        ),
        (
            {"auth": {"identity": {"methods": []}, "scope": {}}},
            "Expecting to find system, project, domain, OS-TRUST:trust or unscoped in scope."
            + EXPECTING,
        ),
        (
            {"auth": {"identity": {"methods": []}, "scope": "everything"}},
            "Expecting to find system, project, domain, OS-TRUST:trust or unscoped in scope."
            + EXPECTING,
        ),
        (
            {
                "auth": {
                    "identity": {"methods": []},
                    "scope": {"project": {"id": "p"}, "domain": {"id": "d"}},
                }
            },
            "Expecting to find system, project, domain, OS-TRUST:trust or unscoped in scope."
            + EXPECTING,
        ),
    ],
)
def test_malformed_requests_are_400(body: dict[str, Any], message: str) -> None:
    with pytest.raises(errors.BadRequest) as raised:
        parse_auth_request(body)
    assert raised.value.message == message


def test_an_unsupported_method_is_401() -> None:
    body = {"auth": {"identity": {"methods": ["totp"], "totp": {}}}}
    with pytest.raises(errors.Unauthorized) as raised:
        parse_auth_request(body)
    assert raised.value.message == "Attempted to authenticate with an unsupported method."


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (None, Scope("default")),
        ("unscoped", Scope("unscoped")),
        ({"unscoped": {}}, Scope("unscoped")),
        ({"project": {"id": "p1"}}, Scope("project", {"id": "p1"})),
        ({"system": {"all": True}}, Scope("system", {"all": True})),
    ],
)
def test_scope_kinds(scope: Any, expected: Scope) -> None:
    assert parse_auth_request(password_body("producer", scope=scope)).scope == expected


def test_methods_are_deduplicated() -> None:
    body = password_body("producer")
    body["auth"]["identity"]["methods"] = ["password", "password"]
    assert parse_auth_request(body).methods == ("password",)


# --- issuing tokens -------------------------------------------------------------------


def test_no_scope_means_the_default_project(db: sqlite_utils.Database) -> None:
    record = issue(db, password_body("producer")).record
    assert record.project_id == project_id(db, "producer")
    assert record.roles == ("member", "reader")
    assert record.methods == ("password",)


def test_admin_tokens_carry_implied_roles(db: sqlite_utils.Database) -> None:
    record = issue(db, password_body("admin")).record
    assert record.roles == ("admin", "manager", "member", "reader")


def test_explicit_unscoped_request_gets_an_unscoped_token(db: sqlite_utils.Database) -> None:
    record = issue(db, password_body("producer", scope="unscoped")).record
    assert record.project_id is None and record.roles == ()


def test_no_default_project_means_unscoped(db: sqlite_utils.Database) -> None:
    accounts.create_user(db, "loner", "loner-pass", None)
    assert issue(db, password_body("loner")).record.project_id is None


@pytest.mark.parametrize(
    "scope",
    [
        {"project": {"name": "producer", "domain": {"name": "Default"}}},
        {"project": {"name": "producer", "domain": {"name": "default"}}},
        {"project": {"name": "producer", "domain": {"id": "default"}}},
    ],
)
def test_project_scope_by_name(db: sqlite_utils.Database, scope: dict[str, Any]) -> None:
    record = issue(db, password_body("producer", scope=scope)).record
    assert record.project_id == project_id(db, "producer")


def test_project_scope_by_id(db: sqlite_utils.Database) -> None:
    scope = {"project": {"id": project_id(db, "producer")}}
    assert issue(db, password_body("producer", scope=scope)).record.project_id


def test_user_by_id(db: sqlite_utils.Database) -> None:
    user = accounts.find_user(db, "consumer", "default")
    assert user is not None
    body = password_body("consumer")
    body["auth"]["identity"]["password"]["user"] = {"id": user.id, "password": "consumer-pass"}
    assert issue(db, body).record.user_id == user.id


UNAUTHORIZED_CASES = {
    "wrong password": password_body("producer", "nope"),
    "unknown user": password_body("nobody"),
    "no password": {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": "producer", "domain": {"id": "default"}}},
            }
        }
    },
    "unknown user domain": {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "producer", "domain": {"name": "Elsewhere"}, "password": "x"}
                },
            }
        }
    },
    "no role on the project": password_body(
        "producer", scope={"project": {"name": "consumer", "domain": {"id": "default"}}}
    ),
    "unknown project": password_body("producer", scope={"project": {"id": "missing"}}),
    "unknown project domain": password_body(
        "producer", scope={"project": {"name": "producer", "domain": {"id": "other"}}}
    ),
    "domain scope": password_body("admin", scope={"domain": {"id": "default"}}),
    "system scope": password_body("admin", scope={"system": {"all": True}}),
    "trust scope": password_body("admin", scope={"OS-TRUST:trust": {"id": "t1"}}),
    "no methods": {"auth": {"identity": {"methods": []}}},
}


@pytest.mark.parametrize("body", UNAUTHORIZED_CASES.values(), ids=UNAUTHORIZED_CASES.keys())
def test_failed_authentication_is_a_bare_401(
    db: sqlite_utils.Database, body: dict[str, Any]
) -> None:
    with pytest.raises(errors.Unauthorized) as raised:
        issue(db, body)
    assert raised.value.message == auth.AUTH_REQUIRED


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ({"name": "", "password": "x"}, "Expecting to find id or name in user."),
        ({"name": "producer", "password": "x"}, "Expecting to find domain in user."),
        (
            {"name": "producer", "domain": {"name": ""}, "password": "x"},
            "Expecting to find id or name in domain.",
        ),
    ],
)
def test_incomplete_users_are_400(
    db: sqlite_utils.Database, user: dict[str, Any], message: str
) -> None:
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": user}}}}
    with pytest.raises(errors.BadRequest) as raised:
        issue(db, body)
    assert raised.value.message == message + EXPECTING


def test_project_name_needs_a_domain(db: sqlite_utils.Database) -> None:
    body = password_body("producer", scope={"project": {"name": "producer"}})
    with pytest.raises(errors.BadRequest) as raised:
        issue(db, body)
    assert raised.value.message == "Expecting to find domain in project." + EXPECTING


def test_disabled_user_cannot_log_in(db: sqlite_utils.Database) -> None:
    db.execute("UPDATE users SET enabled = 0 WHERE name = 'producer'")
    with pytest.raises(errors.Unauthorized):
        issue(db, password_body("producer"))


def test_rescoping_keeps_user_methods_and_expiry(db: sqlite_utils.Database) -> None:
    first = issue(db, password_body("admin", scope="unscoped"))
    scope = {"project": {"name": "admin", "domain": {"id": "default"}}}
    second = issue(db, token_body(first.token_id, scope)).record
    assert second.user_id == first.record.user_id
    assert second.project_id == project_id(db, "admin")
    assert second.methods == ("token", "password")
    assert second.expires_at <= first.record.expires_at


def test_rescoping_never_extends_a_token(db: sqlite_utils.Database) -> None:
    soon = clock.to_storage(clock.now() + dt.timedelta(seconds=60))
    user = accounts.find_user(db, "producer", "default")
    assert user is not None
    old, _ = tokens.issue(
        db,
        user_id=user.id,
        project_id=None,
        roles=[],
        methods=["password"],
        ttl_seconds=60,
        expires_at=soon,
    )
    assert issue(db, token_body(old)).record.expires_at <= soon


def test_rescoping_with_a_dead_token_is_404(db: sqlite_utils.Database) -> None:
    first = issue(db, password_body("producer"))
    tokens.revoke(db, first.token_id)
    with pytest.raises(errors.NotFound) as raised:
        issue(db, token_body(first.token_id))
    assert raised.value.message == "Failed to validate token"


def test_password_and_token_must_name_the_same_user(db: sqlite_utils.Database) -> None:
    other = issue(db, password_body("consumer")).token_id
    body = password_body("producer")
    body["auth"]["identity"]["methods"] = ["password", "token"]
    body["auth"]["identity"]["token"] = {"id": other}
    with pytest.raises(errors.Unauthorized):
        issue(db, body)


# --- documents ------------------------------------------------------------------------


def test_token_document_for_a_project_token(db: sqlite_utils.Database) -> None:
    record = issue(db, password_body("producer")).record
    catalog = documents.catalog(IDENTITY_URL, IMAGE_URL)
    token = documents.token_document(record, *auth.holder(db, record), catalog)["token"]
    assert token["methods"] == ["password"]
    assert token["user"]["name"] == "producer"
    assert token["user"]["domain"] == {"id": "default", "name": "Default"}
    assert token["user"]["password_expires_at"] is None
    assert token["project"]["name"] == "producer"
    assert token["is_domain"] is False
    assert [role["name"] for role in token["roles"]] == ["member", "reader"]
    assert token["catalog"] == catalog
    assert token["expires_at"].endswith(".000000Z")
    assert token["issued_at"] < token["expires_at"]


def test_unscoped_token_document_has_no_project_roles_or_catalog(
    db: sqlite_utils.Database,
) -> None:
    record = issue(db, password_body("producer", scope="unscoped")).record
    catalog = documents.catalog(IDENTITY_URL, IMAGE_URL)
    token = documents.token_document(record, *auth.holder(db, record), catalog)
    assert not {"project", "roles", "catalog", "is_domain"} & set(token["token"])


def _catalog_ids(catalog: list[dict[str, Any]]) -> list[str]:
    return [s["id"] for s in catalog] + [e["id"] for s in catalog for e in s["endpoints"]]


def test_catalog_ids_are_stable_and_distinct() -> None:
    catalog = documents.catalog(IDENTITY_URL, IMAGE_URL)
    ids = _catalog_ids(catalog)
    assert len(set(ids)) == len(ids) == 8
    assert ids == _catalog_ids(documents.catalog("http://x/identity", "http://x"))
    image = next(s for s in catalog if s["type"] == "image")
    assert image["name"] == "glance"
    assert {e["url"] for e in image["endpoints"]} == {IMAGE_URL}
    assert {e["interface"] for e in image["endpoints"]} == {"public", "internal", "admin"}
    assert {(e["region"], e["region_id"]) for e in image["endpoints"]} == {
        ("RegionOne", "RegionOne")
    }
    keystone = next(s for s in catalog if s["type"] == "identity")
    assert keystone["name"] == "keystone"
    assert {e["url"] for e in keystone["endpoints"]} == {IDENTITY_URL}


# --- validation policy ----------------------------------------------------------------


def test_anyone_may_validate_their_own_token(db: sqlite_utils.Database) -> None:
    issued = issue(db, password_body("producer"))
    caller = context_of(db, "producer")
    record = auth.subject_token(db, caller, issued.token_id, "identity:validate_token")
    assert record == issued.record


def test_admin_may_validate_any_token(db: sqlite_utils.Database) -> None:
    issued = issue(db, password_body("producer"))
    assert auth.subject_token(db, context_of(db, "admin"), issued.token_id, "x")


def test_others_may_not_validate_a_token(db: sqlite_utils.Database) -> None:
    issued = issue(db, password_body("producer"))
    with pytest.raises(errors.Forbidden) as raised:
        auth.subject_token(
            db, context_of(db, "consumer"), issued.token_id, "identity:validate_token"
        )
    assert raised.value.message == (
        "You are not authorized to perform the requested action: identity:validate_token."
    )


@pytest.mark.parametrize("name", ["admin", "consumer"])
def test_a_dead_subject_token_is_404_for_everyone(db: sqlite_utils.Database, name: str) -> None:
    with pytest.raises(errors.NotFound):
        auth.subject_token(db, context_of(db, name), "gAAAAAbogus", "x")


def test_missing_subject_token(db: sqlite_utils.Database) -> None:
    with pytest.raises(errors.NotFound) as raised:
        auth.subject_token(db, context_of(db, "admin"), None, "x")
    assert raised.value.message == "No token in the request"
    with pytest.raises(errors.Forbidden):
        auth.subject_token(db, context_of(db, "producer"), None, "x")


def test_revoke_token(db: sqlite_utils.Database) -> None:
    issued = issue(db, password_body("producer"))
    auth.revoke_token(db, context_of(db, "producer"), issued.token_id)
    assert tokens.lookup(db, issued.token_id) is None


# --- projects -------------------------------------------------------------------------


def test_own_project_is_visible(db: sqlite_utils.Database) -> None:
    project = projects.get_project(db, context_of(db, "producer"), project_id(db, "producer"))
    assert documents.project_document(project) == {
        "id": project_id(db, "producer"),
        "name": "producer",
        "domain_id": "default",
        "description": "",
        "enabled": True,
        "is_domain": False,
        "parent_id": "default",
        "tags": [],
        "options": {},
    }


@pytest.mark.parametrize("target", ["consumer", None])
def test_other_or_unknown_projects_are_403_for_tenants(
    db: sqlite_utils.Database, target: str | None
) -> None:
    wanted = project_id(db, target) if target else "missing"
    with pytest.raises(errors.Forbidden) as raised:
        projects.get_project(db, context_of(db, "producer"), wanted)
    assert raised.value.message.endswith("identity:get_project.")


def test_admin_sees_any_project_and_404_for_unknown(db: sqlite_utils.Database) -> None:
    admin = context_of(db, "admin")
    assert projects.get_project(db, admin, project_id(db, "consumer")).name == "consumer"
    with pytest.raises(errors.NotFound) as raised:
        projects.get_project(db, admin, "missing")
    assert raised.value.message == "Could not find project: missing."


def test_list_projects(db: sqlite_utils.Database) -> None:
    admin = context_of(db, "admin")
    names = [p.name for p in projects.list_projects(db, admin, {})]
    assert names == ["admin", "consumer", "outsider", "producer"]
    assert [p.name for p in projects.list_projects(db, admin, {"name": "consumer"})] == ["consumer"]
    assert projects.list_projects(db, admin, {"name": "nope"}) == []
    with pytest.raises(errors.Forbidden):
        projects.list_projects(db, context_of(db, "producer"), {"name": "consumer"})


def test_auth_projects_are_the_callers_own(db: sqlite_utils.Database) -> None:
    found = projects.list_auth_projects(db, context_of(db, "consumer"))
    assert [p.name for p in found] == ["consumer"]


def test_auth_catalog_needs_a_project_token() -> None:
    projects.require_project_scope(RequestContext("p", "u"))
    with pytest.raises(errors.Forbidden):
        projects.require_project_scope(RequestContext(None, "u"))


def _lab_user(db: sqlite_utils.Database) -> None:
    """A user of its own domain ``Lab``, in a project of another domain ``lab-projects``."""
    project = accounts.create_project(db, "bench", domain_id="lab-projects")
    accounts.create_user(db, "student", "student-pass", project.id, domain_id="Lab")


@pytest.mark.parametrize("domain", [{"id": "Lab"}, {"name": "Lab"}, {"name": "lAB"}])
def test_a_user_of_another_domain_logs_in(
    db: sqlite_utils.Database, domain: dict[str, str]
) -> None:
    _lab_user(db)
    body = password_body("student")
    body["auth"]["identity"]["password"]["user"]["domain"] = domain
    assert issue(db, body).record.project_id is not None  # its default project


@pytest.mark.parametrize(
    ("domain", "known"),
    [("default", True), ("Lab", True), ("lab-projects", True), ("lab", False), ("", False)],
)
def test_a_domain_exists_when_a_user_or_project_is_in_it(
    db: sqlite_utils.Database, domain: str, known: bool
) -> None:
    _lab_user(db)
    assert accounts_store.domain_exists(db, domain) is known
    assert (domain in accounts_store.known_domain_ids(db)) is known


def test_an_unknown_domain_id_is_refused_even_beside_other_domains(
    db: sqlite_utils.Database,
) -> None:
    _lab_user(db)
    body = password_body("student")
    body["auth"]["identity"]["password"]["user"]["domain"] = {"id": "lab"}  # ids are exact
    with pytest.raises(errors.Unauthorized):
        issue(db, body)
