"""Version documents and URL/media-type version negotiation, as Glance serves them.

Sources: ``glance/api/versions.py`` (``Controller.index``: the list for image cache off and
multistore off, ``status = explicit and 200 or 300``, hrefs from ``public_endpoint`` or
``req.application_url``), ``glance/api/middleware/version_negotiation.py`` (``/versions`` ->
200, allowed URL versions, ``application/vnd.openstack.images-`` media types, anything else ->
the 300 document), ``etc/glance-api-paste.ini`` (``versionnegotiation`` runs before
``authtoken`` and ``context``: version documents need no token and get no request id).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from emulator.core.config import Config

# glance/api/versions.py with image_cache_dir unset and enabled_backends unset, in its order.
GLANCE_VERSIONS = [
    ("v2.15", "SUPPORTED"),
    ("v2.9", "SUPPORTED"),
    ("v2.17", "CURRENT"),
    ("v2.7", "SUPPORTED"),
    ("v2.6", "SUPPORTED"),
    ("v2.5", "SUPPORTED"),
    ("v2.4", "SUPPORTED"),
    ("v2.3", "SUPPORTED"),
    ("v2.2", "SUPPORTED"),
    ("v2.1", "SUPPORTED"),
    ("v2.0", "SUPPORTED"),
]
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def versions_document(href: str) -> dict[str, Any]:
    return {
        "versions": [
            {"id": vid, "status": status, "links": [{"rel": "self", "href": href}]}
            for vid, status in GLANCE_VERSIONS
        ]
    }


def assert_versions(response: Any, status: int, href: str = "http://localhost/v2/") -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/json"
    # jsonutils.dump_as_bytes == json.dumps with default separators
    assert response.get_data(as_text=True) == json.dumps(versions_document(href))


# --- the two documents ----------------------------------------------------------------------


def test_root_is_300_multiple_choices(client: FlaskClient) -> None:
    assert_versions(client.get("/"), 300)


@pytest.mark.parametrize("path", ["/versions", "/versions/", "/versions/anything"])
def test_versions_is_200(client: FlaskClient, path: str) -> None:
    # path_info_peek() == "versions" answers the explicit document.
    assert_versions(client.get(path), 200)


@pytest.mark.parametrize("method", ALL_METHODS)
def test_any_method_gets_the_documents(client: FlaskClient, method: str) -> None:
    assert_versions(client.open("/", method=method), 300)
    assert_versions(client.open("/versions", method=method), 200)


def test_head_gets_status_without_body(client: FlaskClient) -> None:
    response = client.head("/")
    assert response.status_code == 300
    assert response.get_data() == b""


def test_documents_need_no_token_and_ignore_a_bad_one(client: FlaskClient) -> None:
    assert_versions(client.get("/", headers={"X-Auth-Token": "not-a-token"}), 300)
    assert_versions(client.get("/versions", headers={"X-Auth-Token": "not-a-token"}), 200)


def test_documents_carry_no_request_id(client: FlaskClient) -> None:
    # The context middleware (which adds x-openstack-request-id) sits after versionnegotiation.
    for path in ("/", "/versions", "/v1/images"):
        response = client.get(path)
        assert "x-openstack-request-id" not in response.headers


def test_an_overlong_request_id_does_not_matter_to_version_documents(client: FlaskClient) -> None:
    # The 431 check lives in the context middleware, which version documents never reach.
    headers = {"X-Openstack-Request-ID": "r" * 100}
    assert_versions(client.get("/", headers=headers), 300)
    assert_versions(client.get("/versions", headers=headers), 200)


# --- hrefs ----------------------------------------------------------------------------------


def test_hrefs_follow_the_request_host(client: FlaskClient) -> None:
    response = client.get("/versions", base_url="http://glance.example.test:9292")
    assert_versions(response, 200, "http://glance.example.test:9292/v2/")


def test_hrefs_keep_a_wsgi_script_prefix(client: FlaskClient) -> None:
    # req.application_url includes SCRIPT_NAME (devstack serves Glance under /image).
    response = client.get("/versions", base_url="http://localhost/image/")
    assert_versions(response, 200, "http://localhost/image/v2/")
    response = client.get("/", base_url="http://localhost/image/")
    assert_versions(response, 300, "http://localhost/image/v2/")


class TestPublicEndpoint:
    @pytest.fixture
    def config(self, tmp_path: Path) -> Config:
        return Config(data_dir=tmp_path / "data", public_endpoint="https://images.example.com/img/")

    def test_public_endpoint_wins(self, client: FlaskClient) -> None:
        assert_versions(client.get("/versions"), 200, "https://images.example.com/img/v2/")
        assert_versions(
            client.get("/", base_url="http://other:1234"), 300, "https://images.example.com/img/v2/"
        )


# --- URL version negotiation ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v1/images",
        "/v1",
        "/foo",
        "/images",
        # /v3/...: a 404 naming the auth URL (tests/api/test_login_refusals.py)
        "/V2/images",
        "/v2.x/images",
        "/v2.8/images",
        "/v2.10/images",
        "/v2.11/images",
        "/v2.12/images",
        "/v2.13/images",
        # cache-only versions (image_cache_dir unset here)
        "/v2.14/images",
        "/v2.16/images",
        "/v2.18/images",
        "/v2.17.1/images",
        "/v20/images",
        "/v2-0/images",
        "/2/images",
    ],
)
def test_unknown_versions_get_the_300_document(client: FlaskClient, users: Any, path: str) -> None:
    assert_versions(client.get(path), 300)
    assert_versions(client.get(path, headers=users.headers("producer")), 300)
    assert_versions(client.post(path, json={"name": "x"}), 300)


@pytest.mark.parametrize(
    "prefix",
    [
        "/v2",
        "/v2.0",
        "/v2.1",
        "/v2.2",
        "/v2.3",
        "/v2.4",
        "/v2.5",
        "/v2.6",
        "/v2.7",
        "/v2.9",
        "/v2.15",
        "/v2.17",
    ],
)
def test_allowed_url_versions_route_to_v2(client: FlaskClient, users: Any, prefix: str) -> None:
    direct = client.get("/v2/images", headers=users.headers("producer"))
    response = client.get(f"{prefix}/images", headers=users.headers("producer"))
    assert response.status_code == 200
    assert response.get_json() == direct.get_json()


@pytest.mark.parametrize("prefix", ["/v2", "/v2.1", "/v2.17"])
def test_versioned_api_needs_a_token(client: FlaskClient, prefix: str) -> None:
    response = client.get(f"{prefix}/images")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Keystone uri=")


# --- media-type version negotiation ---------------------------------------------------------


@pytest.mark.parametrize(
    "media",
    [
        "application/vnd.openstack.images-v2",
        "application/vnd.openstack.images-v2.1",
        "application/vnd.openstack.images-v2.17",
    ],
)
def test_vnd_media_type_selects_the_version(client: FlaskClient, users: Any, media: str) -> None:
    # The path is not popped: /images becomes /v2/images.
    response = client.get("/images", headers={**users.headers("producer"), "Accept": media})
    assert response.status_code == 200
    assert response.get_json()["images"] == []


def test_vnd_media_type_with_a_versioned_path_doubles_the_prefix(
    client: FlaskClient, users: Any
) -> None:
    # /v2/images + vnd v2 -> /v2/v2/images, which no route matches.
    headers = {**users.headers("producer"), "Accept": "application/vnd.openstack.images-v2"}
    response = client.get("/v2/images", headers=headers)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "media",
    [
        "application/vnd.openstack.images-v1",
        "application/vnd.openstack.images-v2.18",
        "application/vnd.openstack.images-",
    ],
)
def test_unknown_vnd_version_gets_the_300_document(client: FlaskClient, media: str) -> None:
    assert_versions(client.get("/v2/images", headers={"Accept": media}), 300)


# --- the list follows the features switched on (glance/api/versions.py index) -------------


def _ids(app_config: Config, template_db: Any) -> list[str]:
    from emulator.app import create_app

    app = create_app(app_config)
    response = app.test_client().get("/versions")
    return [(v["id"], v["status"]) for v in response.get_json()["versions"]]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "expected_ids", "current"),
    [
        (
            {},
            ["2.15", "2.9", "2.17", "2.7", "2.6", "2.5", "2.4", "2.3", "2.2", "2.1", "2.0"],
            "v2.17",
        ),
        (
            {"image_cache_enabled": True},
            [
                "2.18",
                "2.17",
                "2.16",
                "2.15",
                "2.14",
                "2.9",
                "2.7",
                "2.6",
                "2.5",
                "2.4",
                "2.3",
                "2.2",
                "2.1",
                "2.0",
            ],
            "v2.18",
        ),
    ],
)
def test_version_list_follows_features(
    tmp_path: Any, template_db: Any, changes: dict[str, Any], expected_ids: list[str], current: str
) -> None:
    listed = _ids(Config(data_dir=tmp_path / "d", **changes), template_db)
    assert [v for v, _ in listed] == [f"v{i}" for i in expected_ids]
    assert [v for v, s in listed if s == "CURRENT"] == [current]


def test_cache_versions_are_url_prefixes_only_with_the_cache(tmp_path: Any) -> None:
    from emulator.app import create_app

    plain = create_app(Config(data_dir=tmp_path / "a")).test_client()
    cached = create_app(Config(data_dir=tmp_path / "b", image_cache_enabled=True)).test_client()
    assert plain.get("/v2.18/images").status_code == 300
    assert cached.get("/v2.18/images").status_code == 401  # routed to the API, needs a token
