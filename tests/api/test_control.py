"""The control API (``/_emulator/...``): who may call it, what each route answers, and that a
refused or failed request leaves every row and every image file as it was.

Routes: health (anyone), reset / scenario / export (an admin token, or, with
``control_api_loopback_only``, no token from a loopback address), openapi.yaml (anyone).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from emulator import __version__
from emulator.app import create_app
from emulator.core.config import Config
from tests.store_snapshot import unchanged

GUARDED = [
    ("POST", "/_emulator/reset"),
    ("POST", "/_emulator/scenario"),
    ("GET", "/_emulator/export"),
]
REMOTE = {"REMOTE_ADDR": "10.1.2.3"}
SHARING_101 = {"scenario": "sharing-101"}


def call(client: FlaskClient, method: str, path: str, **kwargs: Any) -> Any:
    """A guarded route with a body that would change the state if it were accepted."""
    if method == "POST":
        kwargs.setdefault("json", SHARING_101)
    return client.open(path, method=method, **kwargs)


def admin(users: Any) -> dict[str, str]:
    return users.headers("admin")


def assert_error(response: Any, status: int, *fragments: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == status
    assert error["title"]
    for fragment in fragments:
        assert fragment in error["message"], error["message"]


def image_names(client: FlaskClient, users: Any, user: str) -> list[str]:
    response = client.get("/v2/images", headers=users.headers(user))
    assert response.status_code == 200
    return sorted(image["name"] for image in response.get_json()["images"])


def blob_files(config: Config) -> list[str]:
    root = Path(config.blob_dir)
    return sorted(p.name for p in root.iterdir() if p.is_file()) if root.exists() else []


def load_sharing_101(client: FlaskClient, users: Any) -> dict[str, Any]:
    response = client.post("/_emulator/reset", json=SHARING_101, headers=admin(users))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def loopback_app(app: Flask, config: Config) -> Flask:
    """A second app on the same data dir, run with ``control_api_loopback_only``."""
    other = create_app(config.replace(control_api_loopback_only=True))
    other.config["TESTING"] = True
    return other


# --- health and the API reference ------------------------------------------------------------


def test_health_needs_no_token_and_counts_images(client: FlaskClient, users: Any) -> None:
    response = client.get("/_emulator/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert body["images"] == 0
    assert body["sharing_profile"] == "glance"
    assert isinstance(body["uptime_seconds"], (int, float)) and body["uptime_seconds"] >= 0
    assert response.headers["x-openstack-request-id"].startswith("req-")

    load_sharing_101(client, users)
    assert client.get("/_emulator/health").get_json()["images"] == 3


def test_health_ignores_a_bad_token_and_answers_remote_clients(
    client: FlaskClient, loopback_app: Flask
) -> None:
    assert client.get("/_emulator/health", headers={"X-Auth-Token": "nonsense"}).status_code == 200
    remote = loopback_app.test_client().get("/_emulator/health", environ_overrides=REMOTE)
    assert remote.status_code == 200
    assert remote.get_json()["status"] == "ok"


def test_openapi_document_is_served_to_anyone(client: FlaskClient) -> None:
    response = client.get("/_emulator/openapi.yaml")
    assert response.status_code == 200
    assert response.content_type == "application/yaml; charset=UTF-8"
    document = yaml.safe_load(response.get_data(as_text=True))
    assert document["openapi"].startswith("3.")
    for path in (
        "/_emulator/health",
        "/_emulator/reset",
        "/_emulator/scenario",
        "/_emulator/export",
        "/_emulator/openapi.yaml",
    ):
        assert path in document["paths"], path


# --- who may call the guarded routes -------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), GUARDED)
def test_guarded_route_without_token_from_elsewhere_is_401_and_changes_nothing(
    client: FlaskClient, app: Flask, tmp_path: Path, users: Any, method: str, path: str
) -> None:
    with unchanged(app, tmp_path):
        response = call(
            client, method, path, headers={"Accept": "application/json"}, environ_overrides=REMOTE
        )
    assert_error(response, 401, "requires authentication")
    assert response.headers["WWW-Authenticate"].startswith("Keystone uri=")


@pytest.mark.parametrize(("method", "path"), GUARDED)
def test_guarded_route_with_admin_token_from_elsewhere_is_answered(
    client: FlaskClient, users: Any, method: str, path: str
) -> None:
    response = call(client, method, path, headers=admin(users), environ_overrides=REMOTE)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_local_process_needs_no_token(client: FlaskClient, users: Any) -> None:
    """As moto's and LocalStack's reset: a test suite on the same machine just calls it."""
    reset = client.post("/_emulator/reset", json=SHARING_101)
    assert reset.status_code == 200, reset.get_data(as_text=True)
    assert set(reset.get_json()["images"]) == {"golden-base", "tools-snapshot", "public-readme"}
    assert client.get("/_emulator/export?data=none").status_code == 200
    extra = {"document": {"images": [{"name": "extra", "owner": "producer"}]}}
    assert client.post("/_emulator/scenario", json=extra).status_code == 200
    assert "extra" in image_names(client, users, "producer")


@pytest.mark.parametrize(("method", "path"), GUARDED)
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://localhost:1234"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
    ids=["other site", "opaque origin", "other port", "fetch metadata"],
)
def test_a_cross_site_request_is_403_and_changes_nothing(
    client: FlaskClient,
    app: Flask,
    tmp_path: Path,
    users: Any,
    method: str,
    path: str,
    headers: dict[str, str],
) -> None:
    """What a page on another site can make a browser send (CSRF), even with no body."""
    with unchanged(app, tmp_path):
        response = call(client, method, path, headers=headers)
        with_token = call(client, method, path, headers={**admin(users), **headers})
    for refused in (response, with_token):
        assert_error(refused, 403, "other sites")


@pytest.mark.parametrize(("method", "path"), GUARDED)
@pytest.mark.parametrize("host", ["evil.example", "evil.example:9292", "rebind.attacker.test"])
def test_a_request_for_another_host_name_is_403_and_changes_nothing(
    client: FlaskClient,
    app: Flask,
    tmp_path: Path,
    users: Any,
    method: str,
    path: str,
    host: str,
) -> None:
    """DNS rebinding: a hostile name that resolves to 127.0.0.1 reaches us from a browser."""
    with unchanged(app, tmp_path):
        response = call(client, method, path, headers={"Host": host})
    assert_error(response, 403, "addressed to this server")


@pytest.mark.parametrize(
    "host", ["127.0.0.1:9292", "localhost:9292", "[::1]:9292", "192.0.2.7", "LOCALHOST"]
)
def test_our_own_addresses_and_same_origin_pages_are_answered(
    client: FlaskClient, host: str
) -> None:
    response = client.get(
        "/_emulator/export?data=none",
        headers={"Host": host, "Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize(("method", "path"), GUARDED)
def test_guarded_route_with_unknown_token_is_401(
    client: FlaskClient, app: Flask, tmp_path: Path, users: Any, method: str, path: str
) -> None:
    with unchanged(app, tmp_path):
        response = call(client, method, path, headers={"X-Auth-Token": "not-a-token"})
    assert_error(response, 401)  # a token, when one is sent, must be an admin's: from anywhere


@pytest.mark.parametrize("user", ["producer", "consumer", "outsider"])
@pytest.mark.parametrize(("method", "path"), GUARDED)
def test_guarded_route_with_member_token_is_403_and_changes_nothing(
    client: FlaskClient, app: Flask, tmp_path: Path, users: Any, method: str, path: str, user: str
) -> None:
    with unchanged(app, tmp_path):
        response = call(client, method, path, headers=users.headers(user))
    assert_error(response, 403, "admin token")


def test_loopback_only_mode_needs_no_token_from_loopback(loopback_app: Flask, users: Any) -> None:
    client = loopback_app.test_client()  # the test client connects from 127.0.0.1
    reset = client.post("/_emulator/reset", json=SHARING_101)
    assert reset.status_code == 200, reset.get_data(as_text=True)
    assert set(reset.get_json()["images"]) == {"golden-base", "tools-snapshot", "public-readme"}
    loaded = client.post(
        "/_emulator/scenario",
        json={"document": {"images": [{"name": "extra", "owner": "producer"}]}},
    )
    assert loaded.status_code == 200
    exported = client.get("/_emulator/export?data=none")
    assert exported.status_code == 200
    assert sorted(i["name"] for i in exported.get_json()["images"]) == [
        "extra",
        "golden-base",
        "public-readme",
        "tools-snapshot",
    ]
    # IPv6 loopback counts too.
    v6 = client.get("/_emulator/export?data=none", environ_overrides={"REMOTE_ADDR": "::1"})
    assert v6.status_code == 200


@pytest.mark.parametrize(("method", "path"), GUARDED)
@pytest.mark.parametrize("token_of", [None, "producer"])
def test_loopback_only_mode_refuses_other_addresses(
    loopback_app: Flask, tmp_path: Path, users: Any, method: str, path: str, token_of: str | None
) -> None:
    headers = users.headers(token_of) if token_of else {}
    client = loopback_app.test_client()
    with unchanged(loopback_app, tmp_path):
        response = call(client, method, path, headers=headers, environ_overrides=REMOTE)
    assert_error(response, 403, "loopback")


# --- reset -----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [None, {}], ids=["no body", "empty object"])
def test_reset_to_demo_accounts_keeps_ids_and_tokens(
    client: FlaskClient, config: Config, users: Any, body: dict[str, Any] | None
) -> None:
    load_sharing_101(client, users)
    assert blob_files(config), "the scenario should have stored image data"
    kwargs = {} if body is None else {"json": body}
    response = client.post("/_emulator/reset", headers=admin(users), **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    summary = response.get_json()
    assert summary["scenario"] == "demo"
    assert summary["images"] == {} and summary["shares"] == 0
    assert summary["projects"] == {
        name: users.project(name) for name in ("admin", "producer", "consumer", "outsider")
    }
    # The producer's token from before the reset still works, and sees an empty cloud.
    assert image_names(client, users, "producer") == []
    assert blob_files(config) == []
    assert client.get("/_emulator/health").get_json()["images"] == 0


def test_reset_removes_users_the_target_does_not_name(client: FlaskClient, users: Any) -> None:
    document = {
        "projects": [{"name": "team-a"}],
        "users": [{"name": "alice", "password": "alice-secret", "project": "team-a"}],
        "images": [{"name": "alice-image", "owner": "team-a"}],
    }
    assert (
        client.post(
            "/_emulator/scenario", json={"document": document}, headers=admin(users)
        ).status_code
        == 200
    )
    token = login(client, "alice", "alice-secret", "team-a")
    assert client.get("/v2/images", headers={"X-Auth-Token": token}).status_code == 200

    assert client.post("/_emulator/reset", headers=admin(users)).status_code == 200
    assert client.get("/v2/images", headers={"X-Auth-Token": token}).status_code == 401
    assert login_status(client, "alice", "alice-secret", "team-a") == 401
    exported = client.get("/_emulator/export?data=none", headers=admin(users)).get_json()
    assert sorted(p["name"] for p in exported["projects"]) == [
        "admin",
        "consumer",
        "outsider",
        "producer",
    ]


def test_reset_gives_demo_users_their_passwords_back(client: FlaskClient, users: Any) -> None:
    changed = {"users": [{"name": "producer", "password": "changed", "project": "producer"}]}
    assert (
        client.post(
            "/_emulator/scenario", json={"document": changed}, headers=admin(users)
        ).status_code
        == 200
    )
    assert login_status(client, "producer", "producer-pass", "producer") == 401
    assert client.post("/_emulator/reset", headers=admin(users)).status_code == 200
    assert login_status(client, "producer", "producer-pass", "producer") == 201


def test_reset_to_a_scenario_without_demo_accounts_drops_them_but_keeps_admin(
    client: FlaskClient, users: Any
) -> None:
    response = client.post("/_emulator/reset", json={"scenario": "classroom"}, headers=admin(users))
    assert response.status_code == 200, response.get_data(as_text=True)
    summary = response.get_json()
    assert summary["scenario"] == "classroom"
    # classroom names "admin" (user and project): same ids, same token.
    assert summary["projects"]["admin"] == users.project("admin")
    assert client.get("/_emulator/export?data=none", headers=admin(users)).status_code == 200
    # It does not name the other demo accounts: their tokens die with them.
    for gone in ("producer", "consumer", "outsider"):
        assert gone not in summary["projects"]
        assert client.get("/v2/images", headers=users.headers(gone)).status_code == 401


def test_reset_summary_names_images_and_shares(client: FlaskClient, users: Any) -> None:
    summary = load_sharing_101(client, users)
    assert summary["scenario"] == "sharing-101"
    assert summary["shares"] == 2
    listed = client.get("/v2/images", headers=users.headers("producer")).get_json()["images"]
    assert {i["name"]: i["id"] for i in listed} == summary["images"]


# --- all or nothing ----------------------------------------------------------------------------


def failing_half_way(extra_images: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Valid until its last share: by then a project, a user, images and a file exist."""
    return {
        "name": "broken",
        "projects": [{"name": "half"}],
        "users": [{"name": "halfling", "password": "x", "project": "half"}],
        "images": [
            {
                "name": "stored-first",
                "owner": "producer",
                "visibility": "shared",
                "disk_format": "raw",
                "container_format": "bare",
                "data": {"text": "bytes\n"},
            },
            *(extra_images or []),
        ],
        "shares": [
            {"image": "stored-first", "project": "consumer"},
            {"image": "no-such-image", "project": "consumer"},
        ],
    }


@pytest.mark.parametrize("route", ["reset", "scenario"])
def test_scenario_failing_at_a_share_leaves_rows_and_files_untouched(
    client: FlaskClient, app: Flask, tmp_path: Path, config: Config, users: Any, route: str
) -> None:
    load_sharing_101(client, users)
    files_before = blob_files(config)
    with unchanged(app, tmp_path):
        response = client.post(
            f"/_emulator/{route}", json={"document": failing_half_way()}, headers=admin(users)
        )
    assert_error(response, 400, "shares.1", "no-such-image")
    assert blob_files(config) == files_before
    assert not list(Path(config.blob_dir).glob(".reset-*")), "the set-aside folder is left"
    # The old state still works: the producer's token, its images, their data.
    assert image_names(client, users, "producer") == [
        "golden-base",
        "public-readme",
        "tools-snapshot",
    ]


@pytest.mark.parametrize("route", ["reset", "scenario"])
def test_scenario_failing_at_the_size_cap_leaves_rows_and_files_untouched(
    client: FlaskClient, app: Flask, tmp_path: Path, config: Config, users: Any, route: str
) -> None:
    load_sharing_101(client, users)
    capped = create_app(config.replace(image_size_cap=64))
    capped.config["TESTING"] = True
    too_big = {
        "name": "too-big",
        "owner": "admin",
        "visibility": "public",
        "disk_format": "raw",
        "container_format": "bare",
        "data": {"size": 65},
    }
    document = failing_half_way([too_big])
    document["shares"] = []
    with unchanged(app, tmp_path):
        response = capped.test_client().post(
            f"/_emulator/{route}", json={"document": document}, headers=admin(users)
        )
    assert_error(response, 400, "images.1", "too large")
    assert image_names(client, users, "consumer") == ["golden-base", "public-readme"]


# --- bodies the control API refuses ---------------------------------------------------------------


@pytest.mark.parametrize("route", ["reset", "scenario"])
@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            {"scenario": "no-such-lab"},
            "No scenario named 'no-such-lab'. Known: classroom, shared-images-guide, sharing-101",
        ),
        ({"scenario": 5}, "name of a packaged scenario"),
        ({"scenario": "sharing-101", "document": {}}, "Give one of"),
        ({"sceanrio": "sharing-101"}, "Give one of"),
        ([{"scenario": "sharing-101"}], "JSON object"),
        ({"document": {"imagez": []}}, "document: imagez: Unknown field."),
        (
            {"document": {"images": [{"name": "x", "owner": "producer", "visibility": "secret"}]}},
            "images.0.visibility: Must be one of",
        ),
        ({"document": ["not", "a", "mapping"]}, "a scenario must be a mapping"),
        (
            {"document": {"images": [{"name": "x", "owner": "producer", "disk_format": "floppy"}]}},
            "images.0:",
        ),
    ],
)
def test_bad_scenario_bodies_are_400_and_change_nothing(
    client: FlaskClient,
    app: Flask,
    tmp_path: Path,
    users: Any,
    route: str,
    body: Any,
    fragment: str,
) -> None:
    load_sharing_101(client, users)
    with unchanged(app, tmp_path):
        response = client.post(f"/_emulator/{route}", json=body, headers=admin(users))
    assert_error(response, 400, fragment)


@pytest.mark.parametrize("route", ["reset", "scenario"])
def test_malformed_json_is_400(
    client: FlaskClient, app: Flask, tmp_path: Path, users: Any, route: str
) -> None:
    with unchanged(app, tmp_path):
        response = client.post(
            f"/_emulator/{route}",
            data=b"{not json",
            headers={**admin(users), "Content-Type": "application/json"},
        )
    assert_error(response, 400, "Malformed JSON")


def test_scenario_route_needs_a_body(
    client: FlaskClient, app: Flask, tmp_path: Path, users: Any
) -> None:
    with unchanged(app, tmp_path):
        empty = client.post("/_emulator/scenario", headers=admin(users))
        empty_object = client.post("/_emulator/scenario", json={}, headers=admin(users))
    assert_error(empty, 400)
    assert_error(empty_object, 400, "Give one of")


@pytest.mark.parametrize("route", ["reset", "scenario"])
def test_scenario_body_over_the_limit_is_413(
    app: Flask, config: Config, tmp_path: Path, users: Any, route: str
) -> None:
    small = create_app(config.replace(max_scenario_body_size=200))
    body = {"document": {"description": "x" * 300}}
    with unchanged(app, tmp_path):
        response = small.test_client().post(f"/_emulator/{route}", json=body, headers=admin(users))
    assert_error(response, 413)


def test_scenario_route_loads_on_top_of_the_current_state(client: FlaskClient, users: Any) -> None:
    load_sharing_101(client, users)
    document = {
        "images": [{"name": "added", "owner": "producer", "visibility": "shared"}],
        "shares": [{"image": "added", "project": "consumer", "status": "accepted"}],
    }
    response = client.post("/_emulator/scenario", json={"document": document}, headers=admin(users))
    assert response.status_code == 200
    summary = response.get_json()
    assert summary["scenario"] == "scenario" and summary["shares"] == 1
    assert list(summary["images"]) == ["added"]
    assert image_names(client, users, "consumer") == ["added", "golden-base", "public-readme"]


# --- data files named by a scenario posted over HTTP ---------------------------------------------


def file_scenario(path: str) -> dict[str, Any]:
    return {
        "document": {
            "images": [
                {
                    "name": "from-file",
                    "owner": "producer",
                    "disk_format": "raw",
                    "container_format": "bare",
                    "data": {"file": path},
                }
            ]
        }
    }


@pytest.mark.parametrize("route", ["reset", "scenario"])
@pytest.mark.parametrize(
    "where", ["absolute", "dot-dot", "symlink", "relative dot-dot", "relative symlink"]
)
def test_data_file_outside_the_data_dir_is_refused(
    client: FlaskClient,
    app: Flask,
    config: Config,
    tmp_path: Path,
    users: Any,
    route: str,
    where: str,
) -> None:
    secret = tmp_path / "outside.bin"
    secret.write_bytes(b"not for the emulator")
    data_dir = Path(config.data_dir)
    if where == "absolute":
        named = str(secret)
    elif where == "dot-dot":
        named = str(data_dir / ".." / "outside.bin")
    elif where == "relative dot-dot":
        named = "../outside.bin"  # relative to the data dir: still outside it
    else:
        link = data_dir / "link.bin"
        link.symlink_to(secret)
        named = "link.bin" if where == "relative symlink" else str(link)
    with unchanged(app, tmp_path):
        response = client.post(
            f"/_emulator/{route}", json=file_scenario(named), headers=admin(users)
        )
    assert_error(response, 400, "outside the data directory")


def test_data_file_inside_the_data_dir_is_loaded(
    client: FlaskClient, config: Config, users: Any
) -> None:
    payload = b"\x00disk bytes\xff" * 100
    source = Path(config.data_dir) / "lab" / "disk.img"
    source.parent.mkdir()
    source.write_bytes(payload)
    response = client.post(
        "/_emulator/scenario", json=file_scenario(str(source)), headers=admin(users)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    image_id = response.get_json()["images"]["from-file"]
    image = client.get(f"/v2/images/{image_id}", headers=users.headers("producer")).get_json()
    assert image["status"] == "active"
    assert image["size"] == len(payload)
    assert image["checksum"] == hashlib.md5(payload).hexdigest()
    download = client.get(f"/v2/images/{image_id}/file", headers=users.headers("producer"))
    assert download.status_code == 200 and download.data == payload
    assert source.read_bytes() == payload, "the source file is copied, not moved"


def test_relative_data_file_is_relative_to_the_data_dir(
    client: FlaskClient, config: Config, users: Any
) -> None:
    source = Path(config.data_dir) / "lab" / "disk.img"
    source.parent.mkdir()
    source.write_bytes(b"relative")
    response = client.post(
        "/_emulator/scenario", json=file_scenario("lab/disk.img"), headers=admin(users)
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def test_missing_data_file_is_400(
    client: FlaskClient, app: Flask, config: Config, tmp_path: Path, users: Any
) -> None:
    named = str(Path(config.data_dir) / "nowhere.img")
    with unchanged(app, tmp_path):
        response = client.post(
            "/_emulator/scenario", json=file_scenario(named), headers=admin(users)
        )
    assert_error(response, 400, "does not exist")


# --- export -----------------------------------------------------------------------------------


def test_export_modes(client: FlaskClient, config: Config, users: Any) -> None:
    summary = load_sharing_101(client, users)
    readme_id = summary["images"]["public-readme"]
    expected = b"Welcome to the image sharing lab.\n"

    inline = client.get("/_emulator/export", headers=admin(users))
    assert inline.status_code == 200 and inline.content_type == "application/json"
    by_id = {i["id"]: i for i in inline.get_json()["images"]}
    assert base64.b64decode(by_id[readme_id]["data"]["base64"]) == expected
    assert by_id[readme_id]["status"] == "active"

    reference = client.get("/_emulator/export?data=reference", headers=admin(users)).get_json()
    named = Path({i["id"]: i for i in reference["images"]}[readme_id]["data"]["file"])
    assert named.is_absolute() and named.read_bytes() == expected
    assert named.parent == Path(config.blob_dir).resolve()

    none = client.get("/_emulator/export?data=none", headers=admin(users)).get_json()
    for image in none["images"]:
        assert "data" not in image
        assert image["status"] == "queued"


def test_export_with_unknown_data_mode_is_400(client: FlaskClient, users: Any) -> None:
    response = client.get("/_emulator/export?data=everything", headers=admin(users))
    assert_error(response, 400, "inline, reference, none")


def test_export_of_the_demo_state(client: FlaskClient, users: Any) -> None:
    document = client.get("/_emulator/export", headers=admin(users)).get_json()
    assert document["demo_accounts"] is False
    assert document["images"] == [] and document["shares"] == []
    assert {p["name"]: p["id"] for p in document["projects"]} == users.project_ids
    by_name = {u["name"]: u for u in document["users"]}
    assert sorted(by_name) == ["admin", "consumer", "outsider", "producer"]
    assert by_name["admin"]["roles"] == ["admin"]
    assert by_name["producer"]["roles"] == ["member"]
    for user in by_name.values():
        assert "password" not in user and user["password_hash"].startswith("scrypt:")


# --- helpers ------------------------------------------------------------------------------------


def _auth_body(user: str, password: str, project: str) -> dict[str, Any]:
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"id": "default"}, "password": password}
                },
            },
            "scope": {"project": {"name": project, "domain": {"id": "default"}}},
        }
    }


def login_status(client: FlaskClient, user: str, password: str, project: str) -> int:
    return client.post(
        "/identity/v3/auth/tokens", json=_auth_body(user, password, project)
    ).status_code


def login(client: FlaskClient, user: str, password: str, project: str) -> str:
    response = client.post("/identity/v3/auth/tokens", json=_auth_body(user, password, project))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.headers["X-Subject-Token"]
