"""The tasks API through the Flask test client (glance/api/v2/tasks.py, images.py
get_task_info, glance/policies/tasks.py)."""

from __future__ import annotations

import hashlib
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator.app import operator_unit_of_work
from emulator.core.config import Config
from emulator.image.store import tasks as task_store
from tests.api.import_helpers import http_source

DATA = random.Random(3).randbytes(50_000)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(data_dir=tmp_path / "data", import_allow_loopback=True)


def message(response: Any) -> str:
    return str(response.get_json()["message"]).split("<br />")[0]


def settle(app: Flask) -> None:
    app.extensions["emulator.background"].wait(timeout=30)


def legacy(uri: str, **props: Any) -> dict[str, Any]:
    properties = {"name": "from-task", "disk_format": "raw", "container_format": "bare", **props}
    return {
        "type": "import",
        "input": {"import_from": uri, "import_from_format": "raw", "image_properties": properties},
    }


def post_task(client: FlaskClient, users: Any, body: Any, who: str = "admin") -> Any:
    return client.post("/v2/tasks", json=body, headers=users.headers(who))


def test_legacy_import_task_creates_an_active_image(
    app: Flask, client: FlaskClient, users: Any
) -> None:
    with http_source({"/d.raw": (200, DATA, {})}) as base:
        response = post_task(client, users, legacy(base + "/d.raw"))
        assert response.status_code == 201, response.get_data(as_text=True)
        task = response.get_json()
        assert response.headers["Location"].endswith(f"/v2/tasks/{task['id']}")
        assert task["status"] == "pending" and task["type"] == "import"
        assert task["message"] == "" and task["result"] is None
        assert task["self"] == f"/v2/tasks/{task['id']}" and task["schema"] == "/v2/schemas/task"
        assert "expires_at" not in task
        settle(app)
    done = client.get(f"/v2/tasks/{task['id']}", headers=users.headers("admin")).get_json()
    assert done["status"] == "success", done
    assert done["expires_at"]
    image_id = done["result"]["image_id"]
    image = client.get(f"/v2/images/{image_id}", headers=users.headers("admin")).get_json()
    assert image["status"] == "active"
    assert image["checksum"] == hashlib.md5(DATA).hexdigest()


def test_legacy_import_of_missing_file_fails_and_leaves_no_image(
    app: Flask, client: FlaskClient, users: Any
) -> None:
    before = client.get("/v2/images", headers=users.headers("admin")).get_json()["images"]
    with http_source({}) as base:
        task = post_task(client, users, legacy(base + "/gone.qcow2")).get_json()
        settle(app)
    done = client.get(f"/v2/tasks/{task['id']}", headers=users.headers("admin")).get_json()
    assert done["status"] == "failure"
    assert done["message"] == "Task failed due to Internal Error"
    after = client.get("/v2/images", headers=users.headers("admin")).get_json()["images"]
    assert len(after) == len(before)


def test_legacy_import_without_format_fails_with_glance_message(
    app: Flask, client: FlaskClient, users: Any
) -> None:
    body = {
        "type": "import",
        "input": {"import_from": "http://127.0.0.1/x", "image_properties": {}},
    }
    task = post_task(client, users, body).get_json()
    settle(app)
    done = client.get(f"/v2/tasks/{task['id']}", headers=users.headers("admin")).get_json()
    assert done["status"] == "failure"
    assert done["message"] == "Input does not contain 'import_from_format' field"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"input": {}}, "Task 'type' is required"),
        ({"type": "import"}, "Task 'input' is required"),
        ({"type": "copy", "input": {}}, "Provided object does not match schema 'task': "),
        ({"type": "import", "input": {}, "nonsense": 1}, "Provided object does not match schema"),
        ({"type": "import", "input": {}}, "Invalid location: None"),
        (
            {"type": "import", "input": {"import_from": "file:///etc/passwd"}},
            "File based imports are not allowed. Please use a non-local source of image data.",
        ),
        (
            {"type": "import", "input": {"import_from": "ftp://example.com/x"}},
            "The given uri is not valid. Please specify a valid uri from the following list "
            "of supported uri ['http']",
        ),
        (
            {"type": "import", "input": {"import_from": "http://does-not.exist.invalid/x"}},
            "URI for legacy import task does not pass filtering: http://does-not.exist.invalid/x",
        ),
        # Glance tests `key not in body` on a list too (make diff-real against Glance 33).
        ([1, 2], "Task 'type' is required"),
        (["type"], "Task 'input' is required"),
        (["type", "input"], "Body expected in request."),
    ],
)
def test_create_refusals(client: FlaskClient, users: Any, body: Any, expected: str) -> None:
    response = post_task(client, users, body)
    assert response.status_code == 400
    assert message(response).startswith(expected)
    listed = client.get("/v2/tasks", headers=users.headers("admin")).get_json()
    assert listed["tasks"] == []  # nothing was created


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v2/tasks"), ("POST", "/v2/tasks"), ("GET", f"/v2/tasks/{uuid.uuid4()}")],
)
def test_non_admins_are_refused(client: FlaskClient, users: Any, method: str, path: str) -> None:
    response = client.open(path, method=method, json={}, headers=users.headers("producer"))
    assert response.status_code == 403
    assert message(response) == "You are not authorized to complete tasks_api_access action."


def test_delete_is_405_with_bare_text(client: FlaskClient, users: Any) -> None:
    response = client.delete(
        f"/v2/tasks/{uuid.uuid4()}", headers={"X-Auth-Token": users.tokens["admin"]}
    )
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    # webob's plain text: the status line, then the body_template (the bare explanation).
    assert response.get_data(as_text=True) == "405 Method Not Allowed\n\n" + (
        "This operation is currently not permitted on Glance Tasks. They are auto deleted "
        "after reaching the time based on their expires_at property."
    )
    assert (
        client.delete(f"/v2/tasks/{uuid.uuid4()}", headers=users.headers("producer")).status_code
        == 403
    )


def test_show_unknown_is_404(client: FlaskClient, users: Any) -> None:
    task_id = str(uuid.uuid4())
    response = client.get(f"/v2/tasks/{task_id}", headers=users.headers("admin"))
    assert response.status_code == 404
    assert message(response) == f"Could not find task {task_id}"


def _make_tasks(client: FlaskClient, users: Any, count: int) -> list[str]:
    ids = []
    for n in range(count):
        body = {"type": "import", "input": {"import_from": f"http://127.0.0.1/{n}"}}
        response = post_task(client, users, body)
        assert response.status_code == 201
        ids.append(response.get_json()["id"])
    return ids


def test_list_paging_sorting_and_filters(app: Flask, client: FlaskClient, users: Any) -> None:
    ids = _make_tasks(client, users, 3)
    settle(app)  # all fail (no import_from_format)
    headers = users.headers("admin")
    page = client.get("/v2/tasks?limit=2", headers=headers).get_json()
    assert [t["id"] for t in page["tasks"]] == [ids[2], ids[1]]  # created_at desc
    assert page["first"] == "/v2/tasks?limit=2"
    assert page["schema"] == "/v2/schemas/tasks"
    assert set(page["tasks"][0]) == {
        "id",
        "type",
        "status",
        "owner",
        "created_at",
        "updated_at",
        "self",
        "schema",
        "expires_at",
    }
    assert page["next"] == f"/v2/tasks?limit=2&marker={ids[1]}"
    rest = client.get(page["next"], headers=headers).get_json()
    assert [t["id"] for t in rest["tasks"]] == [ids[0]] and "next" not in rest
    ascending = client.get("/v2/tasks?sort_dir=asc", headers=headers).get_json()
    assert [t["id"] for t in ascending["tasks"]] == ids
    assert client.get("/v2/tasks?status=failure", headers=headers).get_json()["tasks"]
    assert client.get("/v2/tasks?status=success", headers=headers).get_json()["tasks"] == []
    assert len(client.get("/v2/tasks?type=import", headers=headers).get_json()["tasks"]) == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("limit=x", "limit param must be an integer"),
        ("limit=-1", "limit param must be positive"),
        ("marker=nope", "Invalid marker format"),
        (f"marker={uuid.UUID(int=5)}", f"Task with the given id {uuid.UUID(int=5)} was not found"),
        ("sort_dir=up", "Invalid sort direction: up"),
        ("status=done", "Invalid status value: done"),
        ("type=api_image_import", "Invalid type value: api_image_import"),
    ],
)
def test_list_refusals(client: FlaskClient, users: Any, query: str, expected: str) -> None:
    response = client.get(f"/v2/tasks?{query}", headers=users.headers("admin"))
    assert response.status_code == 400
    assert message(response) == expected


def test_expired_tasks_disappear(app: Flask, client: FlaskClient, users: Any) -> None:
    (task_id,) = _make_tasks(client, users, 1)
    settle(app)
    with operator_unit_of_work(app) as uow, uow.atomic():
        uow.db.execute("UPDATE tasks SET expires_at = '2000-01-01T00:00:00.000000Z'")
    assert client.get(f"/v2/tasks/{task_id}", headers=users.headers("admin")).status_code == 404
    assert client.get("/v2/tasks", headers=users.headers("admin")).get_json()["tasks"] == []
    with operator_unit_of_work(app) as uow:
        assert task_store.get(uow.db, task_id, include_deleted=True) is not None  # soft-deleted


def test_image_tasks_shape_and_visibility(app: Flask, client: FlaskClient, users: Any) -> None:
    created = client.post(
        "/v2/images",
        json={"name": "i", "disk_format": "raw", "container_format": "bare"},
        headers=users.headers("producer"),
    ).get_json()
    image_id = created["id"]
    octet = {"Content-Type": "application/octet-stream"}
    client.put(
        f"/v2/images/{image_id}/stage", data=DATA, headers=users.headers("producer", **octet)
    )
    response = client.post(
        f"/v2/images/{image_id}/import",
        json={"method": {"name": "glance-direct"}},
        headers=users.headers("producer"),
    )
    settle(app)
    listed = client.get(f"/v2/images/{image_id}/tasks", headers=users.headers("producer"))
    assert listed.status_code == 200
    (task,) = listed.get_json()["tasks"]
    assert set(task) == {
        "id",
        "type",
        "status",
        "owner",
        "expires_at",
        "created_at",
        "updated_at",
        "deleted_at",
        "deleted",
        "image_id",
        "request_id",
        "user_id",
        "input",
        "result",
        "message",
    }
    assert task["request_id"] == response.headers["x-openstack-request-id"]
    assert task["type"] == "api_image_import" and task["status"] == "success"
    assert task["deleted"] is False and task["deleted_at"] is None
    assert "Z" not in task["created_at"] and "." in task["created_at"]
    assert task["input"] == {
        "image_id": image_id,
        "import_req": {"method": {"name": "glance-direct"}},
        "backend": [None],
    }
    hidden = client.get(f"/v2/images/{image_id}/tasks", headers=users.headers("outsider"))
    assert hidden.status_code == 404
    assert client.get(f"/v2/tasks/{task['id']}", headers=users.headers("admin")).status_code == 200
