"""Scenarios, end to end through the API: the packaged labs give the states their
descriptions promise, an export loads back to the very same state, and a load that fails
stores nothing.

Everything is checked as the users see it (``/v2/images`` with their own tokens), plus the
export document for what the API does not show (password hashes, project ids).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator.app import create_app, operator_unit_of_work
from emulator.control.services import scenario_files, scenarios, state
from emulator.core.config import Config
from tests.store_snapshot import unchanged

PATCH_TYPE = "application/openstack-images-v2.1-json-patch"


# --- helpers ------------------------------------------------------------------------------------


def login(
    client: FlaskClient, user: str, password: str | None = None, project: str | None = None
) -> dict[str, str]:
    """Headers for ``user`` after a real Keystone password login."""
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": user,
                        "domain": {"id": "default"},
                        "password": password or f"{user}-pass",
                    }
                },
            },
            "scope": {"project": {"name": project or user, "domain": {"id": "default"}}},
        }
    }
    response = client.post("/identity/v3/auth/tokens", json=body)
    assert response.status_code == 201, (user, response.get_data(as_text=True))
    return {"X-Auth-Token": response.headers["X-Subject-Token"], "Accept": "application/json"}


def login_status(client: FlaskClient, user: str, password: str | None = None) -> int:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": user,
                        "domain": {"id": "default"},
                        "password": password or f"{user}-pass",
                    }
                },
            },
            "scope": {"project": {"name": user, "domain": {"id": "default"}}},
        }
    }
    return client.post("/identity/v3/auth/tokens", json=body).status_code


def names(client: FlaskClient, headers: dict[str, str], query: str = "") -> list[str]:
    response = client.get(f"/v2/images{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(image["name"] for image in response.get_json()["images"])


def reset(client: FlaskClient, headers: dict[str, str], body: Any = None) -> dict[str, Any]:
    kwargs = {} if body is None else {"json": body}
    response = client.post("/_emulator/reset", headers=headers, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def load(client: FlaskClient, headers: dict[str, str], document: dict[str, Any]) -> Any:
    response = client.post("/_emulator/scenario", json={"document": document}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def export(client: FlaskClient, headers: dict[str, str], data: str = "inline") -> Any:
    response = client.get(f"/_emulator/export?data={data}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# --- the packaged scenarios ----------------------------------------------------------------------


def test_packaged_scenarios_are_listed_with_their_descriptions() -> None:
    described = dict(scenario_files.describe_packaged())
    assert sorted(described) == ["classroom", "shared-images-guide", "sharing-101"]
    for name, description in described.items():
        assert description and "\n" not in description
        text, _ = scenario_files.read_packaged(name)
        assert scenario_files.parse(text)["name"] == name


def test_sharing_101_gives_the_state_its_description_claims(
    client: FlaskClient, users: Any
) -> None:
    summary = reset(client, users.headers("admin"), {"scenario": "sharing-101"})
    ids = summary["images"]
    consumer, outsider, producer = (users.headers(u) for u in ("consumer", "outsider", "producer"))

    # "The consumer has accepted golden-base (it shows in the consumer's image list)"
    assert names(client, consumer) == ["golden-base", "public-readme"]
    # "... and has a pending offer for tools-snapshot (listed only with --member-status pending)"
    assert names(client, consumer, "?visibility=shared&member_status=pending") == ["tools-snapshot"]
    assert names(client, consumer, "?visibility=shared") == ["golden-base"]
    # "The outsider sees neither."
    assert names(client, outsider) == ["public-readme"]
    for hidden in ("golden-base", "tools-snapshot"):
        response = client.get(f"/v2/images/{ids[hidden]}", headers=outsider)
        assert response.status_code == 404
        assert client.get(f"/v2/images/{ids[hidden]}/file", headers=outsider).status_code == 404
    # "The producer owns two shared images."
    own = client.get("/v2/images?owner=" + users.project("producer"), headers=producer)
    assert sorted((i["name"], i["visibility"]) for i in own.get_json()["images"]) == [
        ("golden-base", "shared"),
        ("tools-snapshot", "shared"),
    ]
    members = client.get(f"/v2/images/{ids['golden-base']}/members", headers=producer)
    assert [(m["member_id"], m["status"]) for m in members.get_json()["members"]] == [
        (users.project("consumer"), "accepted")
    ]
    pending = client.get(f"/v2/images/{ids['tools-snapshot']}/members", headers=producer)
    assert [(m["member_id"], m["status"]) for m in pending.get_json()["members"]] == [
        (users.project("consumer"), "pending")
    ]

    golden = client.get(f"/v2/images/{ids['golden-base']}", headers=consumer).get_json()
    assert golden["status"] == "active" and golden["size"] == 1048576
    assert sorted(golden["tags"]) == ["base", "lab"]
    assert golden["os_distro"] == "cirros" and golden["os_version"] == "0.6"
    assert golden["owner"] == users.project("producer")
    readme = client.get(f"/v2/images/{ids['public-readme']}/file", headers=outsider)
    assert readme.data == b"Welcome to the image sharing lab.\n"
    assert client.get(f"/v2/images/{ids['public-readme']}", headers=outsider).get_json()[
        "owner"
    ] == users.project("admin")


def test_classroom_gives_the_state_its_description_claims(client: FlaskClient, users: Any) -> None:
    summary = reset(client, users.headers("admin"), {"scenario": "classroom"})
    course, draft = summary["images"]["course-image"], summary["images"]["draft-image"]
    student = {n: login(client, n) for n in ("student1", "student2", "student3")}
    instructor = login(client, "instructor")

    # "student1 has accepted, student2 has rejected, student3 has not answered yet"
    assert names(client, student["student1"]) == ["course-image"]
    assert names(client, student["student2"]) == []
    assert names(client, student["student3"]) == []
    for who, status in (
        ("student1", "accepted"),
        ("student2", "rejected"),
        ("student3", "pending"),
    ):
        query = f"?visibility=shared&member_status={status}"
        assert names(client, student[who], query) == ["course-image"], who
    # "draft-image is private and has no members"
    assert names(client, instructor) == ["course-image", "draft-image"]
    for headers in student.values():
        assert client.get(f"/v2/images/{draft}", headers=headers).status_code == 404
    draft_doc = client.get(f"/v2/images/{draft}", headers=instructor).get_json()
    assert draft_doc["visibility"] == "private" and draft_doc["status"] == "queued"
    members = client.get(f"/v2/images/{course}/members", headers=instructor).get_json()
    assert sorted(m["status"] for m in members["members"]) == ["accepted", "pending", "rejected"]
    course_doc = client.get(f"/v2/images/{course}", headers=student["student1"]).get_json()
    assert course_doc["tags"] == ["course"] and course_doc["size"] == 2097152
    assert course_doc["description"] == "The image every student starts from"
    # demo_accounts: false: only the scenario's users can log in.
    for gone in ("producer", "consumer", "outsider"):
        assert login_status(client, gone) == 401
    assert login_status(client, "admin") == 201


def test_shared_images_guide_gives_the_state_its_description_claims(
    client: FlaskClient, users: Any
) -> None:
    summary = reset(client, users.headers("admin"), {"scenario": "shared-images-guide"})
    assert {
        n: summary["projects"][n] for n in ("producer", "consumer1", "consumer2", "consumer3")
    } == {
        "producer": "930114",
        "consumer1": "930251",
        "consumer2": "930377",
        "consumer3": "930402",
    }
    who = {n: login(client, n) for n in ("producer", "consumer1", "consumer2", "consumer3")}
    pending = "?visibility=shared&member_status=pending"
    assert names(client, who["consumer1"]) == ["imported-centos"]
    assert names(client, who["consumer1"], pending) == ["web-server-snapshot"]
    assert names(client, who["consumer2"]) == ["imported-centos"]
    assert names(client, who["consumer3"]) == []
    rejected = "?visibility=shared&member_status=rejected"
    assert names(client, who["consumer3"], rejected) == ["imported-centos"]
    snapshot_id = summary["images"]["web-server-snapshot"]
    snapshot = client.get(f"/v2/images/{snapshot_id}", headers=who["consumer1"]).get_json()
    assert snapshot["owner"] == "930114" and snapshot["image_type"] == "snapshot"
    assert snapshot["base_image_ref"] and snapshot["instance_uuid"]
    draft = summary["images"]["draft-notes"]
    assert client.get(f"/v2/images/{draft}", headers=who["consumer1"]).status_code == 404


def test_generated_data_gives_the_same_checksums_on_every_load(
    client: FlaskClient, users: Any
) -> None:
    first = reset(client, users.headers("admin"), {"scenario": "sharing-101"})["images"]
    one = client.get(f"/v2/images/{first['golden-base']}", headers=users.headers("producer"))
    second = reset(client, users.headers("admin"), {"scenario": "sharing-101"})["images"]
    two = client.get(f"/v2/images/{second['golden-base']}", headers=users.headers("producer"))
    assert one.get_json()["checksum"] == two.get_json()["checksum"]


# --- export, reset, load: the same state back ---------------------------------------------------


def lab_document() -> dict[str, Any]:
    """Every kind of thing a scenario can hold."""
    return {
        "name": "round-trip",
        "projects": [{"name": "team-a", "id": "team-a-0001", "description": "Team A"}],
        "users": [
            {
                "name": "alice",
                "password": "not-the-convention",
                "project": "team-a",
                "roles": ["member", "reader"],
            },
            {"name": "bob", "password": "bob-pass", "project": "team-a", "roles": ["reader"]},
        ],
        "images": [
            {
                "name": "full",
                "owner": "producer",
                "visibility": "shared",
                "disk_format": "raw",
                "container_format": "bare",
                "min_ram": 512,
                "min_disk": 1,
                "protected": True,
                "os_hidden": True,
                "tags": ["zeta", "alpha"],
                "properties": {"os_distro": "cirros", "hw_disk_bus": "scsi"},
                "data": {"text": "full image\n"},
            },
            {
                "name": "deactivated",
                "owner": "producer",
                "visibility": "private",
                "disk_format": "raw",
                "container_format": "bare",
                "data": {"size": 3000},
                "status": "deactivated",
            },
            {"name": None, "owner": "producer", "visibility": "shared"},
            {
                "name": "community",
                "owner": "team-a",
                "visibility": "community",
                "disk_format": "raw",
                "container_format": "bare",
                "data": {"base64": base64.b64encode(bytes(range(256))).decode()},
            },
            {
                "name": "public",
                "owner": "admin",
                "visibility": "public",
                "disk_format": "raw",
                "container_format": "bare",
                "data": {"text": "public\n"},
            },
            {
                "id": "11111111-2222-3333-4444-555555555555",
                "name": "fixed-id",
                "owner": "team-a",
                "created_at": "2020-01-02T03:04:05Z",
                "updated_at": "2021-02-03T04:05:06Z",
            },
        ],
        "shares": [
            {"image": "full", "project": "consumer", "status": "accepted"},
            {"image": "full", "project": "outsider", "status": "rejected"},
            {
                "image": "full",
                "project": "team-a",
                "status": "pending",
                "created_at": "2022-01-01T00:00:00Z",
                "updated_at": "2022-01-02T00:00:00Z",
            },
        ],
    }


def visible_state(
    client: FlaskClient, admin: dict[str, str], owner_headers: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """Every image document (as the admin sees it), its members and its bytes."""
    # Default lists leave out hidden and (not owned) community images, as Glance's do.
    listing = client.get("/v2/images?limit=1000&visibility=all", headers=admin).get_json()
    hidden = client.get("/v2/images?limit=1000&os_hidden=true", headers=admin).get_json()
    result: dict[str, Any] = {}
    for image in listing["images"] + hidden["images"]:
        image_id = image["id"]
        document = client.get(f"/v2/images/{image_id}", headers=admin).get_json()
        entry: dict[str, Any] = {"image": document}
        owner = owner_headers.get(document["owner"])
        if document["visibility"] == "shared" and owner is not None:
            members = client.get(f"/v2/images/{image_id}/members", headers=owner)
            # Compared as a set: a restore inserts members in created_at order.
            entry["members"] = sorted(members.get_json()["members"], key=lambda m: m["member_id"])
        if document["status"] in ("active",):
            data = client.get(f"/v2/images/{image_id}/file", headers=admin).data
            entry["sha256"] = hashlib.sha256(data).hexdigest()
        result[image_id] = entry
    return result


@pytest.fixture
def lab_state(client: FlaskClient, users: Any) -> dict[str, Any]:
    """The lab document plus changes made through the API afterwards."""
    admin = users.headers("admin")
    summary = load(client, admin, lab_document())
    full = summary["images"]["full"]
    producer = users.headers("producer")
    assert client.put(f"/v2/images/{full}/tags/added-later", headers=producer).status_code == 204
    alice = login(client, "alice", "not-the-convention", "team-a")
    made = client.post(
        "/v2/images",
        headers=alice,
        json={"name": "made-by-alice", "tags": ["api"], "purpose": "lab"},
    )
    assert made.status_code == 201
    owners = {users.project("producer"): producer, "team-a-0001": alice}
    return {
        "owners": owners,
        "before": export(client, admin),
        "visible": visible_state(client, admin, owners),
    }


def assert_same_state(client: FlaskClient, users: Any, lab_state: dict[str, Any]) -> None:
    admin = users.headers("admin")
    after = export(client, admin)
    before = lab_state["before"]
    for key in ("projects", "users", "shares", "name", "demo_accounts"):
        assert after[key] == before[key], key
    assert len(after["images"]) == len(before["images"]) == 7
    for old, new in zip(before["images"], after["images"], strict=True):
        assert new == old, old["name"]
    # The users, as Keystone sees them: same ids, same passwords (the hashes came back).
    alice = login(client, "alice", "not-the-convention", "team-a")
    owners = {users.project("producer"): users.headers("producer"), "team-a-0001": alice}
    assert visible_state(client, admin, owners) == lab_state["visible"]
    login(client, "bob", "bob-pass", "team-a")


def test_export_then_reset_then_load_inline_gives_the_same_state(
    client: FlaskClient, users: Any, lab_state: dict[str, Any]
) -> None:
    admin = users.headers("admin")
    saved = lab_state["before"]
    assert any("base64" in i.get("data", {}) for i in saved["images"])
    reset(client, admin)
    assert names(client, users.headers("producer")) == []
    assert login_status(client, "alice", "not-the-convention") == 401
    load(client, admin, saved)
    assert_same_state(client, users, lab_state)


def test_export_by_reference_then_reset_to_it_gives_the_same_state(
    client: FlaskClient, users: Any, lab_state: dict[str, Any], config: Config
) -> None:
    admin = users.headers("admin")
    saved = export(client, admin, "reference")
    referenced = [Path(i["data"]["file"]) for i in saved["images"] if "data" in i]
    assert len(referenced) == 4
    assert all(p.parent == Path(config.blob_dir).resolve() for p in referenced)
    reset(client, admin, {"document": saved})
    assert_same_state(client, users, lab_state)
    # The files now belong to the new state (the old ones were set aside and removed).
    assert all(p.is_file() for p in referenced)
    assert not list(Path(config.blob_dir).glob(".reset-*"))


def test_exported_details_survive_field_by_field(
    client: FlaskClient, users: Any, lab_state: dict[str, Any]
) -> None:
    """The round trip tests compare whole documents; this one pins what they must hold."""
    images = {i["name"]: i for i in lab_state["before"]["images"]}
    full = images["full"]
    assert full["tags"] == ["zeta", "alpha", "added-later"]
    assert full["properties"] == {"os_distro": "cirros", "hw_disk_bus": "scsi"}
    assert (full["min_ram"], full["min_disk"], full["protected"], full["os_hidden"]) == (
        512,
        1,
        True,
        True,
    )
    assert images["deactivated"]["status"] == "deactivated"
    assert images[None]["status"] == "queued" and "data" not in images[None]
    assert images["fixed-id"]["id"] == "11111111-2222-3333-4444-555555555555"
    # Exports keep the stored precision (microseconds); the API shows whole seconds.
    assert images["fixed-id"]["created_at"] == "2020-01-02T03:04:05.000000Z"
    fixed = lab_state["visible"][images["fixed-id"]["id"]]["image"]
    assert (fixed["created_at"], fixed["updated_at"]) == (
        "2020-01-02T03:04:05Z",
        "2021-02-03T04:05:06Z",
    )
    assert images["made-by-alice"]["properties"] == {"purpose": "lab"}
    shares = {(s["image"], s["project"]): s for s in lab_state["before"]["shares"]}
    assert shares[(full["id"], "team-a")]["created_at"] == "2022-01-01T00:00:00.000000Z"
    assert {k[1]: s["status"] for k, s in shares.items()} == {
        "consumer": "accepted",
        "outsider": "rejected",
        "team-a": "pending",
    }
    project_ids = {p["name"]: p["id"] for p in lab_state["before"]["projects"]}
    assert project_ids["team-a"] == "team-a-0001"
    assert project_ids["producer"] == users.project("producer")
    visible = lab_state["visible"]
    assert sorted(visible) == sorted(i["id"] for i in lab_state["before"]["images"])
    assert visible[full["id"]]["image"]["checksum"] == hashlib.md5(b"full image\n").hexdigest()


def test_export_of_a_private_image_that_kept_its_members_loads_back(
    client: FlaskClient, users: Any
) -> None:
    admin = users.headers("admin")
    image_id = reset(client, admin, {"scenario": "sharing-101"})["images"]["golden-base"]
    made_private = client.patch(
        f"/v2/images/{image_id}",
        json=[{"op": "replace", "path": "/visibility", "value": "private"}],
        headers={**users.headers("producer"), "Content-Type": PATCH_TYPE},
    )
    assert made_private.status_code == 200
    saved = export(client, admin)
    reset(client, admin, {"document": saved})
    assert export(client, admin) == saved


def test_export_of_an_ownerless_image_loads_back(client: FlaskClient, users: Any) -> None:
    admin = users.headers("admin")
    created = client.post("/v2/images", json={"name": "nobody's", "owner": None}, headers=admin)
    assert created.status_code == 201 and created.get_json()["owner"] is None
    saved = export(client, admin)
    reset(client, admin, {"document": saved})
    assert export(client, admin) == saved


def test_reset_to_the_same_scenario_keeps_its_users_ids_and_tokens(
    client: FlaskClient, users: Any
) -> None:
    admin = users.headers("admin")
    document = {
        "projects": [{"name": "team-a"}],
        "users": [{"name": "alice", "password": "a-pass", "project": "team-a"}],
    }
    first = reset(client, admin, {"document": document})
    alice = login(client, "alice", "a-pass", "team-a")
    ids_before = {u["name"]: u["id"] for u in export(client, admin, "none")["users"]}
    second = reset(client, admin, {"document": document})
    assert second["projects"]["team-a"] == first["projects"]["team-a"]
    assert {u["name"]: u["id"] for u in export(client, admin, "none")["users"]} == ids_before
    assert client.get("/v2/images", headers=alice).status_code == 200
    assert client.get("/v2/images", headers=users.headers("producer")).status_code == 200


# --- the service functions: all or nothing -------------------------------------------------------


def test_a_load_failing_half_way_stores_nothing(app: Flask, tmp_path: Path) -> None:
    text = """
name: half
projects: [{name: half-project}]
images:
  - {name: first, owner: producer, disk_format: raw, container_format: bare,
     data: {size: 4096}}
  - {name: second, owner: producer, disk_format: raw, container_format: bare,
     data: {text: "second"}}
shares:
  - {image: first, project: consumer}
  - {image: nowhere, project: consumer}
"""
    document = scenario_files.parse(text, "half.yaml")
    with unchanged(app, tmp_path), operator_unit_of_work(app) as uow:
        with pytest.raises(scenario_files.ScenarioError) as failure:
            scenarios.load(uow, document)
    assert failure.value.message == "shares.1: unknown image 'nowhere'"
    assert failure.value.status == 400


def test_a_reset_failing_half_way_restores_rows_and_files(app: Flask, tmp_path: Path) -> None:
    good, _ = scenario_files.read("sharing-101")
    with operator_unit_of_work(app) as uow:
        state.reset(uow, good)
    bad = scenario_files.validate(
        {
            "images": [
                {
                    "name": "x",
                    "owner": "producer",
                    "disk_format": "raw",
                    "container_format": "bare",
                    "data": {"text": "x"},
                    "status": "queued",
                }
            ]
        }
    )
    with unchanged(app, tmp_path), operator_unit_of_work(app) as uow:
        with pytest.raises(scenario_files.ScenarioError) as failure:
            state.reset(uow, bad)
    assert failure.value.message == "images.0: status 'queued' cannot have data"


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ({"status": "active"}, "images.0: status 'active' needs data"),
        ({"status": "deactivated"}, "images.0: status 'deactivated' needs data"),
        ({"created_at": "yesterday"}, "images.0: created_at 'yesterday' is not an ISO-8601"),
        ({"data": {"base64": "***"}}, "images.0: data.base64 is not valid base64"),
    ],
)
def test_semantic_errors_name_the_item(
    client: FlaskClient, app: Flask, tmp_path: Path, users: Any, image: dict[str, Any], message: str
) -> None:
    document = {
        "images": [
            {
                "name": "x",
                "owner": "producer",
                "disk_format": "raw",
                "container_format": "bare",
                **image,
            }
        ]
    }
    with unchanged(app, tmp_path):
        response = client.post(
            "/_emulator/scenario", json={"document": document}, headers=users.headers("admin")
        )
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith(message)


def test_a_user_in_an_unknown_project_is_refused(
    client: FlaskClient, app: Flask, tmp_path: Path, users: Any
) -> None:
    document = {"users": [{"name": "lost", "password": "p", "project": "atlantis"}]}
    with unchanged(app, tmp_path):
        response = client.post(
            "/_emulator/scenario", json={"document": document}, headers=users.headers("admin")
        )
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "users.0: unknown project 'atlantis'"


def test_a_project_id_clash_is_refused(
    client: FlaskClient, app: Flask, tmp_path: Path, users: Any
) -> None:
    document = {"projects": [{"name": "producer", "id": "someone-else"}]}
    with unchanged(app, tmp_path):
        response = client.post(
            "/_emulator/scenario", json={"document": document}, headers=users.headers("admin")
        )
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith("projects.0: Project 'producer'")
    assert response.get_json()["error"]["message"].endswith(
        f"already exists with id {users.project('producer')}, not someone-else. "
        "A load adds to the current state; a reset replaces it."
    )


def test_a_user_id_clash_is_refused_by_a_load(
    client: FlaskClient, app: Flask, tmp_path: Path, users: Any
) -> None:
    document = {
        "users": [
            {"name": "consumer", "id": "someone-else", "password": "p", "project": "consumer"}
        ]
    }
    with unchanged(app, tmp_path):
        response = client.post(
            "/_emulator/scenario", json={"document": document}, headers=users.headers("admin")
        )
    assert response.status_code == 400
    message = response.get_json()["error"]["message"]
    assert message.startswith("users.0: User 'consumer' already exists with id ")
    assert message.endswith(
        ", not someone-else. A load adds to the current state; a reset replaces it."
    )
    assert client.get("/v2/images", headers=users.headers("consumer")).status_code == 200


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"images": [{"name": "x", "owner": "producer", "id": "not-a-uuid"}]},
            "images.0: Provided object does not match schema 'image'",
        ),
        (
            {"images": [{"name": "x", "owner": "producer", "properties": {"status": "active"}}]},
            "images.0: Attribute 'status' is read-only.",
        ),
        (
            {"images": [{"name": "x", "owner": "producer", "tags": [f"t{n}" for n in range(129)]}]},
            "images.0: The limit has been exceeded on the number of allowed image tags.",
        ),
        (
            {"images": [{"name": "x", "owner": "producer", "data": {"text": "x"}}]},
            "images.0: Properties disk_format, container_format must be set prior to saving data.",
        ),
        (
            {
                "images": [{"name": "x", "owner": "producer"}],
                "shares": [
                    {"image": "x", "project": "consumer"},
                    {"image": "x", "project": "consumer"},
                ],
            },
            "shares.1: Member ",
        ),
        (
            {
                "images": [
                    {
                        "name": "a",
                        "owner": "producer",
                        "id": "6e3f0b0a-1111-4a4a-8888-000000000001",
                    },
                    {
                        "name": "b",
                        "owner": "producer",
                        "id": "6e3f0b0a-1111-4a4a-8888-000000000001",
                    },
                ]
            },
            "images.1: Image ID 6e3f0b0a-1111-4a4a-8888-000000000001 already exists!",
        ),
    ],
    ids=[
        "image id",
        "reserved property",
        "tag quota",
        "data without formats",
        "duplicate share",
        "duplicate id",
    ],
)
def test_glance_rules_apply_to_scenarios(
    client: FlaskClient,
    app: Flask,
    tmp_path: Path,
    users: Any,
    document: dict[str, Any],
    message: str,
) -> None:
    with unchanged(app, tmp_path):
        response = client.post(
            "/_emulator/reset", json={"document": document}, headers=users.headers("admin")
        )
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith(message)


def test_an_export_loads_into_another_data_dir(
    client: FlaskClient, users: Any, tmp_path: Path
) -> None:
    saved = export(client, users.headers("admin"))
    other = create_app(Config(data_dir=tmp_path / "other", control_api_loopback_only=True))
    response = other.test_client().post("/_emulator/reset", json={"document": saved})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_an_export_loads_into_another_data_dir_as_the_same_state(
    client: FlaskClient, users: Any, lab_state: dict[str, Any], tmp_path: Path
) -> None:
    saved = lab_state["before"]
    other = create_app(Config(data_dir=tmp_path / "other", control_api_loopback_only=True))
    there = other.test_client()
    stale = login(there, "producer")  # that data dir's own producer, of another id
    response = there.post("/_emulator/reset", json={"document": saved})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["projects"]["producer"] == users.project("producer")
    assert there.get("/_emulator/export").get_json() == saved
    # The replaced user's token went with it; the exported password works.
    assert there.get("/v2/images", headers=stale).status_code == 401
    producer = login(there, "producer")
    listed = [
        sorted(i["id"] for i in c.get("/v2/images", headers=h).get_json()["images"])
        for c, h in ((there, producer), (client, users.headers("producer")))
    ]
    assert listed[0] == listed[1] and len(listed[0]) == 3
    login(there, "alice", "not-the-convention", "team-a")
    # Reset there again: the ids now match, so they and their tokens are kept.
    assert there.post("/_emulator/reset", json={"document": saved}).status_code == 200
    assert there.get("/v2/images", headers=producer).status_code == 200
    assert there.get("/_emulator/export").get_json()["users"] == saved["users"]


def test_a_reset_replaces_a_demo_account_the_scenario_gives_another_id(
    client: FlaskClient, users: Any
) -> None:
    admin = users.headers("admin")
    document = {
        "projects": [{"name": "consumer", "id": "consumer-0001"}],
        "users": [
            {"name": "producer", "id": "producer-0001", "password": "p", "project": "producer"}
        ],
        "images": [{"name": "mine", "owner": "consumer"}],
    }
    ids_before = {u["name"]: u["id"] for u in export(client, admin, "none")["users"]}
    summary = reset(client, admin, {"document": document})
    assert summary["projects"]["consumer"] == "consumer-0001"
    assert summary["projects"]["producer"] == users.project("producer")
    # Replaced rows take their tokens with them; the others keep theirs.
    assert client.get("/v2/images", headers=users.headers("consumer")).status_code == 401
    assert client.get("/v2/images", headers=users.headers("producer")).status_code == 401
    assert client.get("/v2/images", headers=users.headers("outsider")).status_code == 200
    assert client.get("/v2/images", headers=admin).status_code == 200
    exported = {u["name"]: u for u in export(client, admin, "none")["users"]}
    assert exported["producer"]["id"] == "producer-0001"
    assert exported["consumer"]["id"] == ids_before["consumer"], "only its project was replaced"
    assert exported["consumer"]["project"] == "consumer"
    assert exported["consumer"]["roles"] == ["member"]
    consumer = login(client, "consumer")
    assert names(client, consumer) == ["mine"]
    assert login_status(client, "producer", "p") == 201
    assert login_status(client, "producer") == 401


@pytest.mark.parametrize("visibility", ["private", "community", "public"])
def test_an_image_that_kept_its_members_is_restored_with_them(
    client: FlaskClient, users: Any, visibility: str
) -> None:
    admin = users.headers("admin")
    document = {
        "images": [
            {
                "name": "was-shared",
                "owner": "producer",
                "visibility": visibility,
                "updated_at": "2024-05-06T07:08:09Z",
            }
        ],
        "shares": [{"image": "was-shared", "project": "consumer", "status": "accepted"}],
    }
    image_id = reset(client, admin, {"document": document})["images"]["was-shared"]
    saved = export(client, admin)
    (image,) = saved["images"]
    assert image["visibility"] == visibility and image["owner"] == "producer"
    assert image["updated_at"] == "2024-05-06T07:08:09.000000Z"
    assert [(s["image"], s["project"], s["status"]) for s in saved["shares"]] == [
        (image_id, "consumer", "accepted")
    ]
    # As in Glance, the members of an image that is not shared give no access of their own.
    seen = client.get(f"/v2/images/{image_id}", headers=users.headers("consumer"))
    assert seen.status_code == (404 if visibility == "private" else 200)
    members = client.get(f"/v2/images/{image_id}/members", headers=users.headers("producer"))
    assert members.status_code == 403
    reset(client, admin, {"document": saved})
    assert export(client, admin) == saved


def test_an_ownerless_shared_image_is_restored_with_its_members(
    client: FlaskClient, users: Any
) -> None:
    admin = users.headers("admin")
    document = {
        "images": [{"name": "nobody's", "owner": None, "visibility": "shared"}],
        "shares": [{"image": "nobody's", "project": "consumer", "status": "accepted"}],
    }
    image_id = reset(client, admin, {"document": document})["images"]["nobody's"]
    shown = client.get(f"/v2/images/{image_id}", headers=admin).get_json()
    assert shown["owner"] is None
    assert names(client, users.headers("consumer")) == ["nobody's"]
    saved = export(client, admin)
    assert saved["images"][0]["owner"] is None
    assert [(s["image"], s["project"], s["status"]) for s in saved["shares"]] == [
        (image_id, "consumer", "accepted")
    ]
    reset(client, admin, {"document": saved})
    assert export(client, admin) == saved


def test_generated_data_is_seeded_by_the_given_id(client: FlaskClient, users: Any) -> None:
    admin = users.headers("admin")
    image_id = "6e3f0b0a-1111-4a4a-8888-000000000002"

    def checksum(name: str, position: int) -> str:
        image = {
            "name": name,
            "owner": "producer",
            "disk_format": "raw",
            "container_format": "bare",
            "data": {"size": 4096},
        }
        filler = {"name": "filler", "owner": "producer"}
        images = [filler] * position + [{**image, "id": image_id}]
        reset(client, admin, {"document": {"images": images}})
        return client.get(f"/v2/images/{image_id}", headers=admin).get_json()["checksum"]

    assert checksum("one", 0) == checksum("renamed", 1)
    # Without an id, the name and position seed it: two such images get different bytes.
    document = {
        "images": [
            {
                "name": n,
                "owner": "producer",
                "disk_format": "raw",
                "container_format": "bare",
                "data": {"size": 4096},
            }
            for n in ("a", "b")
        ]
    }
    loaded = reset(client, admin, {"document": document})["images"]
    sums = {
        client.get(f"/v2/images/{i}", headers=admin).get_json()["checksum"] for i in loaded.values()
    }
    assert len(sums) == 2
