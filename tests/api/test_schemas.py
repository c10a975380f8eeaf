"""``/v2/schemas/...``: every document Glance serves, JSON with a token, 401 without."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from emulator.core.config import Config
from emulator.image.documents import image_schemas as glance_json
from emulator.image.documents import metadef_schemas as metadef_json

SCHEMA_PATHS = {
    "/v2/schemas/image": "image",
    "/v2/schemas/images": "images",
    "/v2/schemas/member": "member",
    "/v2/schemas/members": "members",
    "/v2/schemas/task": "task",
    "/v2/schemas/tasks": "tasks",
    "/v2/schemas/metadefs/namespace": "namespace",
    "/v2/schemas/metadefs/namespaces": "namespaces",
    "/v2/schemas/metadefs/resource_type": "resource_type_association",
    "/v2/schemas/metadefs/resource_types": "resource_type_associations",
    "/v2/schemas/metadefs/property": "property",
    "/v2/schemas/metadefs/properties": "properties",
    "/v2/schemas/metadefs/object": "object",
    "/v2/schemas/metadefs/objects": "objects",
    "/v2/schemas/metadefs/tag": "tag",
    "/v2/schemas/metadefs/tags": "tags",
}


@pytest.mark.parametrize(("path", "name"), SCHEMA_PATHS.items())
def test_schema_served_with_token(client: FlaskClient, users, path: str, name: str) -> None:
    response = client.get(path, headers=users.headers("producer"))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["name"] == name
    assert isinstance(body["properties"], dict)


@pytest.mark.parametrize("path", SCHEMA_PATHS)
def test_schema_needs_a_token(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 401


@pytest.mark.parametrize("path", SCHEMA_PATHS)
def test_schema_rejects_a_bad_token(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"X-Auth-Token": "bogus", "Accept": "application/json"})
    assert response.status_code == 401


def test_image_schema_body_is_the_glance_document(client: FlaskClient, users) -> None:
    config = Config()
    response = client.get("/v2/schemas/image", headers=users.headers("consumer"))
    expected = glance_json.image_schema(config.disk_formats, config.container_formats)
    assert response.get_json() == expected
    # Glance's serializer keeps insertion order; so do we (base properties, then custom).
    assert list(response.get_json()["properties"]) == list(expected["properties"])


def test_member_and_namespace_bodies(client: FlaskClient, users) -> None:
    headers = users.headers("outsider")
    member = client.get("/v2/schemas/member", headers=headers).get_json()
    assert member == glance_json.member_schema()
    namespace = client.get("/v2/schemas/metadefs/namespace", headers=headers).get_json()
    assert namespace == metadef_json.metadef_namespace_schema()


def test_versioned_prefix_is_served(client: FlaskClient, users) -> None:
    response = client.get("/v2.1/schemas/member", headers=users.headers("producer"))
    assert response.status_code == 200
    assert response.get_json()["name"] == "member"


@pytest.mark.parametrize("path", ["/v2/schemas/metadefs/unknown", "/v2/schemas/nope"])
def test_unknown_schema_is_404(client: FlaskClient, users, path: str) -> None:
    response = client.get(path, headers=users.headers("producer"))
    assert response.status_code == 404


def test_schemas_are_read_only(client: FlaskClient, users) -> None:
    response = client.post("/v2/schemas/image", headers=users.headers("producer"), json={})
    assert response.status_code == 405


class TestConfiguredFormats:
    @pytest.fixture
    def config(self, tmp_path: Path) -> Config:
        return Config(
            data_dir=tmp_path / "data",
            disk_formats=("raw", "qcow2"),
            container_formats=("bare",),
        )

    def test_image_schemas_list_the_configured_formats(self, client: FlaskClient, users) -> None:
        headers = users.headers("producer")
        image = client.get("/v2/schemas/image", headers=headers).get_json()
        assert image["properties"]["disk_format"]["enum"] == [None, "raw", "qcow2"]
        assert image["properties"]["container_format"]["enum"] == [None, "bare"]
        images = client.get("/v2/schemas/images", headers=headers).get_json()
        assert images["properties"]["images"]["items"] == image
