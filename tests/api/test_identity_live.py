"""keystoneauth1, unmodified, logs in against the app served by waitress on a free port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from keystoneauth1 import session
from keystoneauth1.identity import generic, v3
from waitress import wasyncore
from waitress.server import create_server


def _serve(server: Any, stopping: threading.Event) -> None:
    """``server.run()``, one poll at a time, so that this thread can also shut it down.

    Closing the sockets from another thread (``server.close()`` while ``run()`` sits in
    ``select``, or a trigger thunk racing the trigger's own write) fails with EBADF.
    """
    while not stopping.is_set():
        wasyncore.loop(timeout=0.05, map=server._map, count=1)
    server.close()  # the listening socket and the trigger
    wasyncore.close_all(server._map)


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    server: Any = create_server(app, host="127.0.0.1", port=0)
    stopping = threading.Event()
    thread = threading.Thread(target=_serve, args=(server, stopping), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stopping.set()
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive()


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
