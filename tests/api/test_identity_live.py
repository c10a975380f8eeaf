"""keystoneauth1, unmodified, logs in against the app served on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from keystoneauth1 import session
from keystoneauth1.identity import generic, v3

from emulator.server import ServerThread


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    with ServerThread(app) as server:
        yield server.base_url


@pytest.mark.parametrize("plugin", [v3.Password, generic.Password], ids=["v3", "generic"])
def test_keystoneauth_logs_in_and_finds_the_image_endpoint(base_url: str, plugin: Any) -> None:
    auth = plugin(
        auth_url=base_url + "/identity",
        username="producer",
        password="producer-pass",
        project_name="producer",
        user_domain_name="Default",
        project_domain_name="Default",
    )
    sess = session.Session(auth=auth)
    token = sess.get_token()
    assert token
    assert sess.get_endpoint(service_type="image") == base_url
    assert sess.get_endpoint(service_type="identity") == base_url + "/identity"

    # The token works: it validates itself and lists its own projects.
    checked = sess.get(base_url + "/identity/v3/auth/tokens", headers={"X-Subject-Token": token})
    assert checked.status_code == 200
    assert checked.json()["token"]["project"]["name"] == "producer"
    projects = sess.get(base_url + "/identity/v3/auth/projects").json()["projects"]
    assert [project["id"] for project in projects] == [sess.get_project_id()]
