"""A refused login is a bare 401 for the client (as Keystone's), and its reason is in the
server's log."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient


def login(user: str, password: str, project: str, domain: str = "default") -> dict[str, Any]:
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"id": domain}, "password": password}
                },
            },
            "scope": {"project": {"name": project, "domain": {"id": "default"}}},
        }
    }


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (login("producer", "wrong", "producer"), "wrong password for user 'producer'"),
        (login("prodcer", "producer-pass", "producer"), "no user 'prodcer'"),
        (login("producer", "producer-pass", "nowhere"), "no project 'nowhere'"),
        (login("producer", "producer-pass", "consumer"), "the user has no role on project"),
        (login("producer", "producer-pass", "producer", "elsewhere"), "no domain 'elsewhere'"),
    ],
)
def test_the_reason_is_logged(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, body: dict[str, Any], reason: str
) -> None:
    with caplog.at_level("WARNING", logger="glance_emulator.auth"):
        answer = client.post("/identity/v3/auth/tokens", json=body)
    assert answer.status_code == 401
    assert answer.json["error"]["message"] == "The request you have made requires authentication."
    messages = [r.getMessage() for r in caplog.records if r.name == "glance_emulator.auth"]
    assert len(messages) == 1 and messages[0].startswith(f"login refused: {reason}")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v3"), ("GET", "/v3/"), ("POST", "/v3/auth/tokens"), ("DELETE", "/v3/x/y")],
)
def test_identity_at_the_image_url_names_the_auth_url(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, method: str, path: str
) -> None:
    with caplog.at_level("WARNING", logger="glance_emulator.auth"):
        answer = client.open(path, method=method, json={})
    assert answer.status_code == 404
    assert answer.json["error"]["message"] == (
        "This is the image service. The identity service (the auth URL) is at "
        "http://localhost/identity/v3."
    )
    assert "the auth URL is http://localhost/identity/v3" in caplog.text


def test_image_paths_still_negotiate_versions(client: FlaskClient) -> None:
    assert client.get("/v4").status_code == 300
    assert client.get("/").status_code == 300
