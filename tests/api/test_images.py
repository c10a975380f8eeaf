"""``/v2/images``, ``/v2/images/{id}``, tags and actions over HTTP, against Glance's behaviour.

Glance sources read for every expectation (openstack/glance HEAD):
``glance/api/v2/images.py`` (``RequestDeserializer.create/update``, ``ImagesController.create/
update/_do_add/_do_replace/_do_remove/delete``, ``ResponseSerializer._format_image``),
``glance/api/v2/image_tags.py``, ``glance/api/v2/image_actions.py``, ``glance/api/v2/policy.py``,
``glance/policies/{base,image}.py`` (new defaults), ``glance/domain/__init__.py``,
``glance/quota/__init__.py``, ``glance/db/__init__.py`` (``ImageRepo.get``),
``glance/db/sqlalchemy/api.py`` (duplicate id), ``glance/common/wsgi.py`` (body handling).

Error bodies are webob's (webob 1.8.9 ``exc.py``): ``message`` is
``"<explanation><br /><br />\\n<detail>\\n\\n"``. Glance raises most errors with
``explanation=msg`` (so the detail is empty), but some with the message as the first positional
argument, which webob takes as the *detail*, keeping the class's default explanation (e.g.
``HTTPForbidden(msg)`` -> ``"Access was denied to this resource.<br /><br />\\n<msg>\\n\\n"``).
Each test below says which form Glance uses.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator.core.config import Config
from emulator.image.store import images as image_store

V21 = "application/openstack-images-v2.1-json-patch"
V20 = "application/openstack-images-v2.0-json-patch"
ACCEPT_PATCH = f"{V20}, {V21}"

TITLES = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
}
# webob's default explanations, used when Glance passes its message as the detail.
FORBIDDEN = "Access was denied to this resource."
CONFLICT = "There was a conflict when trying to complete your request."
NOT_FOUND = "The resource could not be found."

DOCUMENT_KEYS = [
    "name",
    "disk_format",
    "container_format",
    "visibility",
    "size",
    "virtual_size",
    "status",
    "checksum",
    "protected",
    "min_ram",
    "min_disk",
    "owner",
    "os_hidden",
    "os_hash_algo",
    "os_hash_value",
    "id",
    "created_at",
    "updated_at",
    "tags",
    "self",
    "file",
    "schema",
]
ISO_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


# --- helpers --------------------------------------------------------------------------------


def webob_message(explanation: str, detail: str = "") -> str:
    return f"{explanation}<br /><br />\n{detail}\n\n"


def assert_error(response: Any, status: int, message: str) -> None:
    """A Glance JSON error body (the fixtures send ``Accept: application/json``)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json() == {
        "message": message,
        "code": f"{status} {TITLES[status]}",
        "title": TITLES[status],
    }


def assert_explained(response: Any, status: int, explanation: str) -> None:
    """Glance raised ``webob.exc.HTTP...(explanation=msg)``."""
    assert_error(response, status, webob_message(explanation))


def assert_detailed(response: Any, status: int, default: str, detail: str) -> None:
    """Glance raised ``webob.exc.HTTP...(msg)``: msg is webob's detail."""
    assert_error(response, status, webob_message(default, detail))


def assert_schema_error(response: Any, fragment: str) -> None:
    """400 from ``glance/schema.py`` (InvalidObject); Glance appends jsonschema's whole text."""
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["code"], body["title"]) == ("400 Bad Request", "Bad Request")
    prefix = "Provided object does not match schema 'image': "
    assert body["message"].startswith(prefix), body["message"]
    assert fragment in body["message"].splitlines()[0], body["message"]


def create(client: FlaskClient, users: Any, who: str = "producer", **body: Any) -> dict[str, Any]:
    response = client.post("/v2/images", json=body, headers=users.headers(who))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def show(client: FlaskClient, users: Any, image_id: str, who: str = "producer") -> Any:
    return client.get(f"/v2/images/{image_id}", headers=users.headers(who))


def patch(
    client: FlaskClient,
    users: Any,
    image_id: str,
    body: Any,
    who: str = "producer",
    media: str = V21,
) -> Any:
    return client.patch(
        f"/v2/images/{image_id}", json=body, headers=users.headers(who, **{"Content-Type": media})
    )


def set_status(app: Flask, image_id: str, status: str) -> None:
    """Move an image's status directly in the store (setup for status-dependent rules)."""
    with app.extensions["emulator.store"].session() as db:
        image_store.update_fields(db, image_id, status=status)


def image_count(app: Flask) -> int:
    with app.extensions["emulator.store"].session() as db:
        return db.execute("SELECT COUNT(*) FROM images").fetchone()[0]


@pytest.fixture
def image(client: FlaskClient, users: Any) -> dict[str, Any]:
    """A queued image owned by 'producer', with one custom property and one tag."""
    return create(client, users, name="base", os_distro="ubuntu", tags=["t1"])


@pytest.fixture
def community_image(client: FlaskClient, users: Any) -> dict[str, Any]:
    """Visible to everyone, owned by 'producer'."""
    return create(client, users, name="community", visibility="community")


@pytest.fixture
def private_image(client: FlaskClient, users: Any) -> dict[str, Any]:
    """Visible only to 'producer' (and admins)."""
    return create(client, users, name="private", visibility="private")


# --- create: defaults and document --------------------------------------------------------


def test_create_defaults_and_document(client: FlaskClient, users: Any) -> None:
    response = client.post("/v2/images", json={"name": "cirros"}, headers=users.headers("producer"))
    assert response.status_code == 201
    doc = response.get_json()
    assert list(doc) == DOCUMENT_KEYS
    image_id = doc["id"]
    assert uuid.UUID(image_id).version == 4
    assert doc == {
        "name": "cirros",
        "disk_format": None,
        "container_format": None,
        "visibility": "shared",
        "size": None,
        "virtual_size": None,
        "status": "queued",
        "checksum": None,
        "protected": False,
        "min_ram": 0,
        "min_disk": 0,
        "owner": users.project("producer"),
        "os_hidden": False,
        "os_hash_algo": None,
        "os_hash_value": None,
        "id": image_id,
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
        "tags": [],
        "self": f"/v2/images/{image_id}",
        "file": f"/v2/images/{image_id}/file",
        "schema": "/v2/schemas/image",
    }
    assert ISO_SECONDS.match(doc["created_at"])
    assert doc["created_at"] == doc["updated_at"]
    # webob makes Location absolute against the request URL.
    assert response.headers["Location"] == f"http://localhost/v2/images/{image_id}"
    # GET returns the same document.
    again = show(client, users, image_id)
    assert again.status_code == 200
    assert again.get_json() == doc


def test_create_with_empty_object_is_all_defaults(client: FlaskClient, users: Any) -> None:
    doc = create(client, users)
    assert doc["name"] is None and doc["status"] == "queued" and doc["visibility"] == "shared"


def test_image_documents_are_plain_application_json(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    # ResponseSerializer.show/update set response.content_type = 'application/json'; webob
    # 1.8 adds a charset only to text/* and XML types.
    created = client.post("/v2/images", json={}, headers=users.headers("producer"))
    assert created.headers["Content-Type"] == "application/json"
    assert show(client, users, image["id"]).headers["Content-Type"] == "application/json"
    patched = patch(client, users, image["id"], [])
    assert patched.headers["Content-Type"] == "application/json"


def test_custom_properties_come_first_in_body_order(client: FlaskClient, users: Any) -> None:
    doc = create(
        client,
        users,
        name="n",
        os_distro="ubuntu",
        hw_disk_bus="scsi",
        **{"owner_specified.openstack.md5": ""},
    )
    assert list(doc)[:3] == ["os_distro", "hw_disk_bus", "owner_specified.openstack.md5"]
    assert list(doc)[3:] == DOCUMENT_KEYS
    assert doc["owner_specified.openstack.md5"] == ""
    shown = show(client, users, doc["id"]).get_json()
    assert shown == doc


def test_create_with_every_writable_base_attribute(client: FlaskClient, users: Any) -> None:
    image_id = str(uuid.uuid4())
    doc = create(
        client,
        users,
        id=image_id,
        name="full",
        visibility="private",
        protected=True,
        os_hidden=True,
        container_format="bare",
        disk_format="qcow2",
        min_ram=512,
        min_disk=1,
        tags=["b", "a", "b"],
        owner=users.project("producer"),
    )
    assert doc["id"] == image_id
    assert (doc["visibility"], doc["protected"], doc["os_hidden"]) == ("private", True, True)
    assert (doc["container_format"], doc["disk_format"]) == ("bare", "qcow2")
    assert (doc["min_ram"], doc["min_disk"]) == (512, 1)
    assert sorted(doc["tags"]) == ["a", "b"]  # Glance keeps tags as a set


def test_create_with_id_sets_location(client: FlaskClient, users: Any) -> None:
    image_id = str(uuid.uuid4())
    response = client.post("/v2/images", json={"id": image_id}, headers=users.headers("producer"))
    assert response.status_code == 201
    assert response.headers["Location"] == f"http://localhost/v2/images/{image_id}"


@pytest.mark.parametrize("visibility", ["private", "shared", "community"])
def test_owner_may_create_non_public_visibilities(
    client: FlaskClient, users: Any, visibility: str
) -> None:
    assert create(client, users, visibility=visibility)["visibility"] == visibility


def test_public_needs_admin(client: FlaskClient, users: Any, app: Flask) -> None:
    before = image_count(app)
    response = client.post(
        "/v2/images", json={"visibility": "public"}, headers=users.headers("producer")
    )
    # policy.py _enforce_visibility: HTTPForbidden(explanation=str(e))
    assert_explained(response, 403, "You are not authorized to complete publicize_image action.")
    assert image_count(app) == before
    doc = create(client, users, who="admin", visibility="public")
    assert doc["visibility"] == "public"
    assert doc["owner"] == users.project("admin")


def test_non_admin_may_not_create_for_another_project(
    client: FlaskClient, users: Any, app: Flask
) -> None:
    other = users.project("consumer")
    before = image_count(app)
    response = client.post("/v2/images", json={"owner": other}, headers=users.headers("producer"))
    # policy.py add_image(): HTTPForbidden(msg) -> detail, and no final period.
    assert_detailed(
        response, 403, FORBIDDEN, f"You are not permitted to create images owned by '{other}'"
    )
    assert image_count(app) == before


def test_non_admin_may_name_its_own_project_as_owner(client: FlaskClient, users: Any) -> None:
    doc = create(client, users, owner=users.project("producer"))
    assert doc["owner"] == users.project("producer")


def test_admin_may_create_for_another_project(client: FlaskClient, users: Any) -> None:
    doc = create(client, users, who="admin", owner=users.project("consumer"))
    assert doc["owner"] == users.project("consumer")
    # and the new owner can see it
    assert show(client, users, doc["id"], who="consumer").status_code == 200


# --- create: refused attributes -----------------------------------------------------------


@pytest.mark.parametrize("key", ["direct_url", "self", "file", "schema", "stores"])
def test_disallowed_attributes_on_create(
    client: FlaskClient, users: Any, app: Flask, key: str
) -> None:
    before = image_count(app)
    response = client.post(
        "/v2/images", json={"name": "x", key: "anything"}, headers=users.headers("producer")
    )
    # RequestDeserializer._check_allowed: explanation
    assert_explained(response, 403, f"Attribute '{key}' is read-only.")
    assert image_count(app) == before


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("status", "queued"),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("updated_at", "2020-01-01T00:00:00Z"),
        ("checksum", "abc"),
        ("size", 1),
        ("virtual_size", 1),
        ("size", None),
    ],
)
def test_read_only_attributes_on_create(
    client: FlaskClient, users: Any, app: Flask, key: str, value: Any
) -> None:
    before = image_count(app)
    response = client.post(
        "/v2/images", json={"name": "x", key: value}, headers=users.headers("producer")
    )
    # ImageFactory._check_readonly -> ReadonlyProperty -> HTTPForbidden(explanation=e.msg)
    assert_explained(response, 403, f"Attribute '{key}' is read-only.")
    assert image_count(app) == before


@pytest.mark.parametrize(
    "key", ["location", "deleted", "deleted_at", "os_glance", "os_glance_import_task"]
)
def test_reserved_attributes_on_create(
    client: FlaskClient, users: Any, app: Flask, key: str
) -> None:
    before = image_count(app)
    response = client.post(
        "/v2/images", json={"name": "x", key: "v"}, headers=users.headers("producer")
    )
    # RequestDeserializer.create: raise webob.exc.HTTPForbidden(msg) -> detail
    assert_detailed(response, 403, FORBIDDEN, f"Attribute '{key}' is reserved.")
    assert image_count(app) == before


def test_locations_on_create_is_reserved_by_the_factory(
    client: FlaskClient, users: Any, app: Flask
) -> None:
    before = image_count(app)
    response = client.post(
        "/v2/images", json={"name": "x", "locations": []}, headers=users.headers("producer")
    )
    # ImageFactory._check_reserved -> ReservedProperty -> HTTPForbidden(explanation=e.msg)
    assert_explained(response, 403, "Attribute 'locations' is reserved.")
    assert image_count(app) == before


@pytest.mark.parametrize("key", ["os_hash_algo", "os_hash_value"])
def test_hash_attributes_on_create_are_ignored(client: FlaskClient, users: Any, key: str) -> None:
    # Not among the deserializer's base keys and not reserved by the factory: Glance stores
    # them as extra properties, and the serializer overwrites them with the (null) attribute.
    doc = create(client, users, **{key: "sha512"})
    assert doc[key] is None
    assert show(client, users, doc["id"]).get_json()[key] is None


def test_custom_property_key_length(client: FlaskClient, users: Any, app: Flask) -> None:
    assert create(client, users, **{"k" * 255: "v"})["k" * 255] == "v"
    before = image_count(app)
    response = client.post("/v2/images", json={"k" * 256: "v"}, headers=users.headers("producer"))
    assert_explained(response, 400, "Custom property should not be greater than 255 characters.")
    assert image_count(app) == before


@pytest.mark.parametrize("value", [1, 1.5, True, None, [], {}])
def test_custom_property_values_must_be_strings(
    client: FlaskClient, users: Any, app: Flask, value: Any
) -> None:
    before = image_count(app)
    response = client.post(
        "/v2/images", json={"os_distro": value}, headers=users.headers("producer")
    )
    assert_schema_error(response, "is not of type 'string'")
    assert image_count(app) == before


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "n" * 256}, "is too long"),
        ({"name": 5}, "is not of type"),
        ({"visibility": "bogus"}, "is not one of"),
        ({"visibility": None}, "is not of type 'string'"),
        ({"id": "not-a-uuid"}, "does not match"),
        ({"protected": "yes"}, "is not of type 'boolean'"),
        ({"min_ram": "1"}, "is not of type 'integer'"),
        ({"disk_format": "floppy"}, "is not one of"),
        ({"container_format": "tarball"}, "is not one of"),
        ({"tags": "a"}, "is not of type 'array'"),
        ({"tags": ["t" * 256]}, "is too long"),
        ({"owner": "o" * 256}, "is too long"),
    ],
)
def test_schema_violations_on_create(
    client: FlaskClient, users: Any, app: Flask, body: dict[str, Any], fragment: str
) -> None:
    before = image_count(app)
    response = client.post("/v2/images", json=body, headers=users.headers("producer"))
    assert_schema_error(response, fragment)
    assert image_count(app) == before


def test_name_limits(client: FlaskClient, users: Any) -> None:
    assert create(client, users, name="n" * 255)["name"] == "n" * 255
    assert create(client, users, name=None)["name"] is None


@pytest.mark.parametrize("key", ["min_ram", "min_disk"])
def test_negative_minimums_on_create(client: FlaskClient, users: Any, key: str) -> None:
    response = client.post("/v2/images", json={key: -1}, headers=users.headers("producer"))
    # Image.min_ram setter -> InvalidParameterValue (Invalid) -> HTTPBadRequest(explanation)
    assert_explained(
        response, 400, f"Invalid value '-1' for parameter '{key}': Cannot be a negative value"
    )


def test_duplicate_id_is_409(client: FlaskClient, users: Any, app: Flask) -> None:
    image_id = str(uuid.uuid4())
    create(client, users, id=image_id)
    before = image_count(app)
    response = client.post("/v2/images", json={"id": image_id}, headers=users.headers("consumer"))
    # glance/db/sqlalchemy/api.py _image_update: Duplicate("Image ID %s already exists!")
    assert_explained(response, 409, f"Image ID {image_id} already exists!")
    assert image_count(app) == before


def test_a_deleted_images_id_stays_taken(client: FlaskClient, users: Any) -> None:
    image_id = str(uuid.uuid4())
    create(client, users, id=image_id)
    headers = users.headers("producer")
    assert client.delete(f"/v2/images/{image_id}", headers=headers).status_code == 204
    response = client.post("/v2/images", json={"id": image_id}, headers=headers)
    assert_explained(response, 409, f"Image ID {image_id} already exists!")
    assert show(client, users, image_id).status_code == 404


# --- create: body problems ----------------------------------------------------------------


def test_empty_body_is_400(client: FlaskClient, users: Any) -> None:
    response = client.post("/v2/images", headers=users.headers("producer"))
    assert_explained(response, 400, "Body expected in request.")


def test_malformed_json_is_400(client: FlaskClient, users: Any) -> None:
    response = client.post(
        "/v2/images",
        data="{'name': 1",
        content_type="application/json",
        headers=users.headers("producer"),
    )
    assert_explained(response, 400, "Malformed JSON in request body.")


@pytest.mark.parametrize("raw", ['"text"', "42", "null", "true"])
def test_json_scalar_body_is_400(client: FlaskClient, users: Any, raw: str) -> None:
    # glance/common/wsgi.py JSONRequestDeserializer.from_json
    response = client.post(
        "/v2/images", data=raw, content_type="application/json", headers=users.headers("producer")
    )
    assert_explained(response, 400, "Unexpected body type. Expected list/dict.")


def test_json_list_body_is_a_client_error(client: FlaskClient, users: Any, app: Flask) -> None:
    # Glance answers 500 here (the list passes its untyped schema, then .pop('tags') fails);
    # the emulator answers a 400 instead, by design.
    before = image_count(app)
    response = client.post("/v2/images", json=[{"name": "x"}], headers=users.headers("producer"))
    assert response.status_code == 400
    assert response.get_json()["title"] == "Bad Request"
    assert image_count(app) == before


def test_create_needs_a_token(client: FlaskClient, app: Flask) -> None:
    before = image_count(app)
    response = client.post("/v2/images", json={"name": "x"})
    assert response.status_code == 401
    assert image_count(app) == before


# --- show -----------------------------------------------------------------------------------


def test_show_missing_image(client: FlaskClient, users: Any) -> None:
    missing = str(uuid.uuid4())
    assert_explained(show(client, users, missing), 404, f"No image found with ID {missing}")


def test_show_invisible_image_is_404_not_403(
    client: FlaskClient, users: Any, private_image: dict[str, Any]
) -> None:
    image_id = private_image["id"]
    response = show(client, users, image_id, who="consumer")
    assert_explained(response, 404, f"No image found with ID {image_id}")
    assert show(client, users, image_id, who="admin").status_code == 200


def test_show_refuses_a_body(client: FlaskClient, users: Any, image: dict[str, Any]) -> None:
    response = client.get(f"/v2/images/{image['id']}", data="{}", headers=users.headers("producer"))
    assert_explained(response, 400, "A body is not expected with this request.")


# --- PATCH: media types and body ----------------------------------------------------------


def test_patch_both_media_types(client: FlaskClient, users: Any, image: dict[str, Any]) -> None:
    response = patch(
        client, users, image["id"], [{"op": "replace", "path": "/name", "value": "v21"}]
    )
    assert response.status_code == 200
    assert response.get_json()["name"] == "v21"
    response = patch(client, users, image["id"], [{"replace": "/name", "value": "v20"}], media=V20)
    assert response.status_code == 200
    assert response.get_json()["name"] == "v20"
    assert show(client, users, image["id"]).get_json()["name"] == "v20"


def test_patch_response_is_the_full_document(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    response = patch(
        client, users, image["id"], [{"op": "replace", "path": "/name", "value": "renamed"}]
    )
    doc = response.get_json()
    assert list(doc) == ["os_distro", *DOCUMENT_KEYS]
    assert doc == {**image, "name": "renamed", "updated_at": doc["updated_at"]}


def test_patch_media_type_parameters_are_ignored(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    response = patch(
        client,
        users,
        image["id"],
        [{"op": "replace", "path": "/name", "value": "x"}],
        media=f"{V21}; charset=UTF-8",
    )
    assert response.status_code == 200


def test_patch_with_application_json_is_415(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    response = patch(
        client,
        users,
        image["id"],
        [{"op": "replace", "path": "/name", "value": "x"}],
        media="application/json",
    )
    assert response.headers["Accept-Patch"] == ACCEPT_PATCH
    # HTTPUnsupportedMediaType(headers=..., detail=...): webob's own body template for 415 is
    # "The request media type ${CONTENT_TYPE} is not supported by this server.\n<br /><br />\n
    # ${detail}" (no trailing newlines).
    assert_error(
        response,
        415,
        "The request media type application/json is not supported by this server.\n"
        "<br /><br />\nImage PATCH expects Content-Type one of: "
        f"{ACCEPT_PATCH}",
    )
    assert show(client, users, image["id"]).get_json()["name"] == "base"


def test_patch_without_content_type_is_415(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    response = client.patch(
        f"/v2/images/{image['id']}",
        data='[{"op": "replace", "path": "/name", "value": "x"}]',
        headers=users.headers("producer"),
    )
    assert response.status_code == 415
    assert response.headers["Accept-Patch"] == ACCEPT_PATCH
    assert show(client, users, image["id"]).get_json()["name"] == "base"


def test_patch_415_comes_before_the_image_lookup(client: FlaskClient, users: Any) -> None:
    response = patch(client, users, str(uuid.uuid4()), [], media="application/json")
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("raw", "explanation"),
    [
        ("", "Body expected in request."),
        ("[{", "Malformed JSON in request body."),
        ('"x"', "Unexpected body type. Expected list/dict."),
        ("7", "Unexpected body type. Expected list/dict."),
        ('{"op": "add"}', "Request body must be a JSON array of operation objects."),
        ('["add"]', "Operations must be JSON objects."),
        ("[1]", "Operations must be JSON objects."),
    ],
)
def test_patch_body_problems(
    client: FlaskClient, users: Any, image: dict[str, Any], raw: str, explanation: str
) -> None:
    response = client.patch(
        f"/v2/images/{image['id']}",
        data=raw,
        headers=users.headers("producer", **{"Content-Type": V21}),
    )
    assert_explained(response, 400, explanation)


def test_patch_body_is_checked_before_the_image_lookup(client: FlaskClient, users: Any) -> None:
    # The deserializer runs before the controller looks the image up.
    response = patch(client, users, str(uuid.uuid4()), {"not": "a list"})
    assert_explained(response, 400, "Request body must be a JSON array of operation objects.")


# --- PATCH: operations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (
            {"path": "/name", "value": "x"},
            "Unable to find `op` in JSON Schema change. It must be one of the following: "
            "add, remove, replace.",
        ),
        (
            {"op": "test", "path": "/name", "value": "x"},
            "Invalid operation: `test`. It must be one of the following: add, remove, replace.",
        ),
        (
            {"op": "move", "from": "/name", "path": "/x"},
            "Invalid operation: `move`. It must be one of the following: add, remove, replace.",
        ),
        ({"op": "replace", "value": "x"}, "Unable to find 'path' in JSON Schema change"),
        (
            {"op": "replace", "path": "/name"},
            'Operation "replace" requires a member named "value".',
        ),
        ({"op": "add", "path": "/name"}, 'Operation "add" requires a member named "value".'),
    ],
)
def test_draft10_operation_problems(
    client: FlaskClient, users: Any, image: dict[str, Any], op: dict[str, Any], message: str
) -> None:
    assert_explained(patch(client, users, image["id"], [op]), 400, message)


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (
            {"path": "/name", "value": "x"},
            'Operation objects must contain exactly one member named "add", "remove", '
            'or "replace".',
        ),
        (
            {"add": "/name", "remove": "/name", "value": "x"},
            'Operation objects must contain only one member named "add", "remove", or "replace".',
        ),
        ({"add": "/name"}, 'Operation "add" requires a member named "value".'),
    ],
)
def test_draft4_operation_problems(
    client: FlaskClient, users: Any, image: dict[str, Any], op: dict[str, Any], message: str
) -> None:
    assert_explained(patch(client, users, image["id"], [op], media=V20), 400, message)


@pytest.mark.parametrize(
    ("pointer", "message"),
    [
        ("name", 'Pointer `name` does not start with "/".'),
        ("/a//b", 'Pointer `/a//b` contains adjacent "/".'),
        ("/name/", 'Pointer `/name/` end with "/".'),
        ("/na~2me", 'Pointer `/na~2me` contains "~" not part of a recognized escape sequence.'),
        ("/name~", 'Pointer `/name~` contains "~" not part of a recognized escape sequence.'),
        ("/name/first", "Invalid JSON pointer for this resource: '/name/first'"),
        ("/tags/0", "Invalid JSON pointer for this resource: '/tags/0'"),
        ("/locations/0", "Invalid JSON pointer for this resource: '/locations/0'"),
    ],
)
def test_bad_pointers(
    client: FlaskClient, users: Any, image: dict[str, Any], pointer: str, message: str
) -> None:
    response = patch(client, users, image["id"], [{"op": "replace", "path": pointer, "value": "x"}])
    assert_explained(response, 400, message)
    assert show(client, users, image["id"]).get_json() == image


@pytest.mark.parametrize(("op", "pointer"), [("add", "/locations"), ("remove", "/locations")])
def test_locations_depth_for_add_and_remove(
    client: FlaskClient, users: Any, image: dict[str, Any], op: str, pointer: str
) -> None:
    body: dict[str, Any] = {"op": op, "path": pointer}
    if op == "add":
        body["value"] = {"url": "http://example.com/x", "metadata": {}}
    response = patch(client, users, image["id"], [body])
    assert_explained(response, 400, f"Invalid JSON pointer for this resource: '{pointer}'")


def test_escaped_pointer_names_a_custom_property(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    response = patch(client, users, image["id"], [{"op": "add", "path": "/a~1b~0c", "value": "v"}])
    assert response.status_code == 200
    assert response.get_json()["a/b~c"] == "v"


def test_add_replace_remove_custom_properties(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    response = patch(
        client,
        users,
        image["id"],
        [
            {"op": "add", "path": "/hw_disk_bus", "value": "scsi"},
            {"op": "replace", "path": "/os_distro", "value": "debian"},
            {"op": "add", "path": "/os_version", "value": "12"},
            {"op": "remove", "path": "/os_version"},
        ],
    )
    assert response.status_code == 200
    doc = show(client, users, image["id"]).get_json()
    assert doc["os_distro"] == "debian" and doc["hw_disk_bus"] == "scsi"
    assert "os_version" not in doc


def test_add_and_replace_core_properties(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    response = patch(
        client,
        users,
        image["id"],
        [
            {"op": "add", "path": "/name", "value": "added"},  # v2.1: add on existing = set
            {"op": "replace", "path": "/min_ram", "value": 1024},
            {"op": "replace", "path": "/min_disk", "value": 10},
            {"op": "replace", "path": "/protected", "value": True},
            {"op": "replace", "path": "/os_hidden", "value": True},
            {"op": "replace", "path": "/disk_format", "value": "raw"},
            {"op": "replace", "path": "/container_format", "value": "bare"},
            {"op": "add", "path": "/visibility", "value": "private"},
        ],
    )
    assert response.status_code == 200
    doc = show(client, users, image["id"]).get_json()
    assert (doc["name"], doc["min_ram"], doc["min_disk"]) == ("added", 1024, 10)
    assert (doc["protected"], doc["os_hidden"], doc["visibility"]) == (True, True, "private")
    assert (doc["disk_format"], doc["container_format"]) == ("raw", "bare")


def test_name_may_be_set_to_null(client: FlaskClient, users: Any, image: dict[str, Any]) -> None:
    response = patch(
        client, users, image["id"], [{"op": "replace", "path": "/name", "value": None}]
    )
    assert response.status_code == 200
    assert show(client, users, image["id"]).get_json()["name"] is None


@pytest.mark.parametrize("root", ["name", "os_distro"])
def test_draft4_add_on_existing_property_is_409(
    client: FlaskClient, users: Any, image: dict[str, Any], root: str
) -> None:
    response = patch(client, users, image["id"], [{"add": f"/{root}", "value": "x"}], media=V20)
    # _do_add: HTTPConflict(msg % path_root) -> detail
    assert_detailed(response, 409, CONFLICT, f"Property {root} already present.")
    assert show(client, users, image["id"]).get_json() == image


def test_draft4_add_new_property(client: FlaskClient, users: Any, image: dict[str, Any]) -> None:
    response = patch(
        client, users, image["id"], [{"add": "/hw_rng_model", "value": "virtio"}], media=V20
    )
    assert response.status_code == 200
    assert response.get_json()["hw_rng_model"] == "virtio"


def test_replace_missing_custom_property_is_409(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    response = patch(
        client, users, image["id"], [{"op": "replace", "path": "/nosuch", "value": "x"}]
    )
    # _do_replace: HTTPConflict(msg % path_root) -> detail
    assert_detailed(response, 409, CONFLICT, "Property nosuch does not exist.")
    assert show(client, users, image["id"]).get_json() == image


def test_remove_core_property_is_403(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    for root in (
        "name",
        "visibility",
        "tags",
        "min_ram",
        "protected",
        "owner",
        "disk_format",
        "container_format",
        "os_hidden",
        "min_disk",
    ):
        response = patch(client, users, image["id"], [{"op": "remove", "path": f"/{root}"}])
        # _do_remove: HTTPForbidden(msg % path_root) -> detail
        assert_detailed(response, 403, FORBIDDEN, f"Property {root} may not be removed.")
    assert show(client, users, image["id"]).get_json() == image


def test_remove_missing_custom_property_is_409(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    response = patch(client, users, image["id"], [{"op": "remove", "path": "/nosuch"}])
    assert_detailed(response, 409, CONFLICT, "Property nosuch does not exist.")


@pytest.mark.parametrize(
    "root",
    [
        "created_at",
        "updated_at",
        "status",
        "checksum",
        "size",
        "virtual_size",
        "direct_url",
        "self",
        "file",
        "schema",
        "id",
        "os_hash_algo",
        "os_hash_value",
    ],
)
def test_read_only_attributes_on_patch(
    client: FlaskClient, users: Any, image: dict[str, Any], root: str
) -> None:
    for op in ("add", "replace", "remove"):
        body: dict[str, Any] = {"op": op, "path": f"/{root}"}
        if op != "remove":
            body["value"] = "x"
        response = patch(client, users, image["id"], [body])
        # _validate_change: HTTPForbidden(explanation=msg), whatever the operation
        assert_explained(response, 403, f"Attribute '{root}' is read-only.")
    assert show(client, users, image["id"]).get_json() == image


@pytest.mark.parametrize(
    "root", ["location", "deleted", "deleted_at", "os_glance_import_task", "os_glance"]
)
def test_reserved_attributes_on_patch(
    client: FlaskClient, users: Any, image: dict[str, Any], root: str
) -> None:
    response = patch(client, users, image["id"], [{"op": "add", "path": f"/{root}", "value": "x"}])
    assert_explained(response, 403, f"Attribute '{root}' is reserved.")
    assert show(client, users, image["id"]).get_json() == image


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ("/name", "n" * 256, "is too long"),
        ("/visibility", "everyone", "is not one of"),
        ("/protected", "true", "is not of type 'boolean'"),
        ("/min_ram", "1", "is not of type 'integer'"),
        ("/os_distro", 7, "is not of type 'string'"),
        ("/tags", "t", "is not of type 'array'"),
        ("/tags", ["t" * 256], "is too long"),
        ("/disk_format", "floppy", "is not one of"),
    ],
)
def test_schema_violations_on_patch(
    client: FlaskClient, users: Any, image: dict[str, Any], path: str, value: Any, fragment: str
) -> None:
    response = patch(client, users, image["id"], [{"op": "replace", "path": path, "value": value}])
    assert_schema_error(response, fragment)
    assert show(client, users, image["id"]).get_json() == image


@pytest.mark.parametrize("path", ["/min_ram", "/min_disk"])
def test_negative_minimums_on_patch(
    client: FlaskClient, users: Any, image: dict[str, Any], path: str
) -> None:
    response = patch(client, users, image["id"], [{"op": "replace", "path": path, "value": -5}])
    assert_explained(
        response, 400, f"Invalid value '-5' for parameter '{path[1:]}': Cannot be a negative value"
    )
    assert show(client, users, image["id"]).get_json() == image


def test_replace_tags(client: FlaskClient, users: Any, image: dict[str, Any]) -> None:
    response = patch(
        client, users, image["id"], [{"op": "replace", "path": "/tags", "value": ["x", "y", "x"]}]
    )
    assert response.status_code == 200
    assert sorted(show(client, users, image["id"]).get_json()["tags"]) == ["x", "y"]
    response = patch(client, users, image["id"], [{"op": "replace", "path": "/tags", "value": []}])
    assert show(client, users, image["id"]).get_json()["tags"] == []


def test_empty_patch_returns_the_image_unchanged(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    response = patch(client, users, image["id"], [])
    assert response.status_code == 200
    assert response.get_json() == image


# --- PATCH: status-dependent and policy rules -----------------------------------------------


@pytest.mark.parametrize("attribute", ["disk_format", "container_format"])
@pytest.mark.parametrize("status", ["active", "saving", "deactivated"])
def test_formats_are_frozen_after_queued(
    client: FlaskClient, users: Any, app: Flask, attribute: str, status: str
) -> None:
    doc = create(client, users, disk_format="raw", container_format="bare")
    set_status(app, doc["id"], status)
    value = "qcow2" if attribute == "disk_format" else "ovf"
    response = patch(
        client, users, doc["id"], [{"op": "replace", "path": f"/{attribute}", "value": value}]
    )
    # Image.disk_format setter: exception.Forbidden -> HTTPForbidden(explanation=e.msg)
    assert_explained(
        response, 403, f"Attribute {attribute} can be only replaced for a queued image."
    )
    after = show(client, users, doc["id"]).get_json()
    assert (after["disk_format"], after["container_format"]) == ("raw", "bare")


def test_formats_may_change_while_importing(client: FlaskClient, users: Any, app: Flask) -> None:
    doc = create(client, users, disk_format="raw", container_format="bare")
    set_status(app, doc["id"], "importing")
    response = patch(
        client, users, doc["id"], [{"op": "replace", "path": "/disk_format", "value": "qcow2"}]
    )
    assert response.status_code == 200
    assert response.get_json()["disk_format"] == "qcow2"


def test_other_attributes_may_change_on_active_images(
    client: FlaskClient, users: Any, app: Flask, image: dict[str, Any]
) -> None:
    set_status(app, image["id"], "active")
    response = patch(client, users, image["id"], [{"op": "replace", "path": "/name", "value": "a"}])
    assert response.status_code == 200
    assert response.get_json()["status"] == "active"


def test_visibility_public_needs_admin(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    response = patch(
        client, users, image["id"], [{"op": "replace", "path": "/visibility", "value": "public"}]
    )
    assert_explained(response, 403, "You are not authorized to complete publicize_image action.")
    assert show(client, users, image["id"]).get_json()["visibility"] == "shared"
    response = patch(
        client,
        users,
        image["id"],
        [{"op": "replace", "path": "/visibility", "value": "public"}],
        who="admin",
    )
    assert response.status_code == 200
    assert response.get_json()["visibility"] == "public"


@pytest.mark.parametrize("visibility", ["community", "private", "shared"])
def test_owner_may_change_to_other_visibilities(
    client: FlaskClient, users: Any, image: dict[str, Any], visibility: str
) -> None:
    response = patch(
        client, users, image["id"], [{"op": "replace", "path": "/visibility", "value": visibility}]
    )
    assert response.status_code == 200
    assert response.get_json()["visibility"] == visibility


def test_replace_owner_needs_admin(client: FlaskClient, users: Any, image: dict[str, Any]) -> None:
    other = users.project("consumer")
    response = patch(
        client, users, image["id"], [{"op": "replace", "path": "/owner", "value": other}]
    )
    # _do_replace: HTTPForbidden(msg) -> detail
    assert_detailed(response, 403, FORBIDDEN, "Owner can't be updated by non admin.")
    assert show(client, users, image["id"]).get_json()["owner"] == users.project("producer")
    response = patch(
        client,
        users,
        image["id"],
        [{"op": "replace", "path": "/owner", "value": other}],
        who="admin",
    )
    assert response.status_code == 200
    assert response.get_json()["owner"] == other


def test_add_owner_is_not_checked_by_glance(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    # ImagesController._do_add has no owner rule (only _do_replace has one), and the
    # modify_image policy is checked against the current owner: Glance lets the owner give
    # the image away with "add /owner".
    # The change is saved; Glance then reads the image back as the caller, who can no
    # longer see it (a private image of another project): 403 (seen on a real Glance 33).
    other = users.project("consumer")
    response = patch(client, users, image["id"], [{"op": "add", "path": "/owner", "value": other}])
    assert response.status_code == 403
    assert response.get_json()["message"].split("<br />")[0] == (
        f"Forbidding request, image {image['id']} not visible"
    )
    given = client.get(f"/v2/images/{image['id']}", headers=users.headers("consumer"))
    assert given.status_code == 200
    assert given.get_json()["owner"] == other
    gone = client.get(f"/v2/images/{image['id']}", headers=users.headers("producer"))
    assert gone.status_code == 404


def test_add_owner_on_a_public_image_stays_visible_and_is_200(
    client: FlaskClient, users: Any
) -> None:
    """Only a caller that loses sight of the image gets the 403."""
    created = client.post(
        "/v2/images",
        json={"name": "c", "visibility": "community"},
        headers=users.headers("producer"),
    )
    image_id = created.get_json()["id"]
    other = users.project("consumer")
    response = patch(client, users, image_id, [{"op": "add", "path": "/owner", "value": other}])
    assert response.status_code == 200
    assert response.get_json()["owner"] == other


def test_non_owner_may_not_patch_a_visible_image(
    client: FlaskClient, users: Any, community_image: dict[str, Any]
) -> None:
    image_id = community_image["id"]
    response = patch(
        client,
        users,
        image_id,
        [{"op": "replace", "path": "/name", "value": "mine"}],
        who="consumer",
    )
    # policy.py ImageAPIPolicy._enforce: visible, so HTTPForbidden(explanation=str(e))
    assert_explained(response, 403, "You are not authorized to complete modify_image action.")
    assert show(client, users, image_id).get_json() == community_image


def test_non_owner_empty_patch_on_a_visible_image_is_200(
    client: FlaskClient, users: Any, community_image: dict[str, Any]
) -> None:
    # update() checks the policy per change: with no change there is nothing to refuse.
    response = patch(client, users, community_image["id"], [], who="consumer")
    assert response.status_code == 200
    assert response.get_json() == community_image


def test_patch_on_an_invisible_image_is_404(
    client: FlaskClient, users: Any, private_image: dict[str, Any]
) -> None:
    image_id = private_image["id"]
    response = patch(
        client,
        users,
        image_id,
        [{"op": "replace", "path": "/name", "value": "mine"}],
        who="consumer",
    )
    assert_explained(response, 404, f"No image found with ID {image_id}")
    assert show(client, users, image_id).get_json() == private_image


def test_patch_on_a_missing_image_is_404(client: FlaskClient, users: Any) -> None:
    missing = str(uuid.uuid4())
    response = patch(client, users, missing, [{"op": "replace", "path": "/name", "value": "x"}])
    assert_explained(response, 404, f"No image found with ID {missing}")


def test_admin_may_patch_any_image(
    client: FlaskClient, users: Any, private_image: dict[str, Any]
) -> None:
    response = patch(
        client,
        users,
        private_image["id"],
        [{"op": "replace", "path": "/name", "value": "by-admin"}],
        who="admin",
    )
    assert response.status_code == 200
    assert show(client, users, private_image["id"]).get_json()["name"] == "by-admin"


# --- PATCH: atomicity -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "failing",
    [
        {"op": "replace", "path": "/nosuch", "value": "x"},
        {"op": "remove", "path": "/name"},
        {"op": "replace", "path": "/owner", "value": "someone-else"},
        {"op": "replace", "path": "/visibility", "value": "public"},
        {"op": "replace", "path": "/min_ram", "value": -1},
    ],
)
def test_a_failing_second_operation_leaves_the_image_unchanged(
    client: FlaskClient, users: Any, image: dict[str, Any], failing: dict[str, Any]
) -> None:
    response = patch(
        client,
        users,
        image["id"],
        [
            {"op": "replace", "path": "/name", "value": "changed"},
            {"op": "add", "path": "/new_prop", "value": "v"},
            {"op": "replace", "path": "/tags", "value": ["other"]},
            failing,
        ],
    )
    assert response.status_code in (400, 403, 409)
    assert show(client, users, image["id"]).get_json() == image


# --- PATCH: /locations (show_multiple_locations is False by default) ------------------------

LOCATION = {"url": "http://example.com/image.qcow2", "metadata": {}}


def test_replace_locations_with_empty_list(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    response = patch(
        client, users, image["id"], [{"op": "replace", "path": "/locations", "value": []}]
    )
    # _do_replace: HTTPForbidden(msg) -> detail
    assert_detailed(response, 403, FORBIDDEN, "Cannot set locations to empty list.")


def test_replace_locations(client: FlaskClient, users: Any, image: dict[str, Any]) -> None:
    response = patch(
        client, users, image["id"], [{"op": "replace", "path": "/locations", "value": [LOCATION]}]
    )
    # set_image_location allows the owner; _do_replace_locations then refuses.
    assert_explained(
        response, 403, "It's not allowed to update locations if locations are invisible."
    )
    assert show(client, users, image["id"]).get_json() == image


def test_add_location(client: FlaskClient, users: Any, image: dict[str, Any]) -> None:
    response = patch(
        client, users, image["id"], [{"op": "add", "path": "/locations/-", "value": LOCATION}]
    )
    assert_explained(response, 403, "It's not allowed to add locations if locations are invisible.")
    assert show(client, users, image["id"]).get_json() == image


def test_remove_location_by_owner(client: FlaskClient, users: Any, image: dict[str, Any]) -> None:
    response = patch(client, users, image["id"], [{"op": "remove", "path": "/locations/0"}])
    # delete_image_location is admin-only; the image is visible, so 403 not 404.
    assert_explained(
        response, 403, "You are not authorized to complete delete_image_location action."
    )


def test_remove_location_by_admin(client: FlaskClient, users: Any, image: dict[str, Any]) -> None:
    response = patch(
        client, users, image["id"], [{"op": "remove", "path": "/locations/0"}], who="admin"
    )
    assert_explained(
        response, 403, "It's not allowed to remove locations if locations are invisible."
    )


def test_location_values_are_schema_checked(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    response = patch(
        client, users, image["id"], [{"op": "add", "path": "/locations/-", "value": {"url": "x"}}]
    )
    assert_schema_error(response, "'metadata' is a required property")


# --- quotas ---------------------------------------------------------------------------------


class TestQuotas:
    """An app built with create_app(Config(..., image_property_quota=3, image_tag_quota=2))."""

    @pytest.fixture
    def config(self, tmp_path: Path) -> Config:
        return Config(data_dir=tmp_path / "data", image_property_quota=3, image_tag_quota=2)

    def test_property_quota_on_create(self, client: FlaskClient, users: Any, app: Flask) -> None:
        create(client, users, a="1", b="2", c="3")
        before = image_count(app)
        response = client.post(
            "/v2/images",
            json={"a": "1", "b": "2", "c": "3", "d": "4"},
            headers=users.headers("producer"),
        )
        assert_explained(
            response,
            413,
            "The limit has been exceeded on the number of allowed "
            "image properties. Attempted: 4, Maximum: 3",
        )
        assert image_count(app) == before

    def test_property_quota_on_patch(self, client: FlaskClient, users: Any) -> None:
        doc = create(client, users, a="1", b="2", c="3")
        response = patch(client, users, doc["id"], [{"op": "add", "path": "/d", "value": "4"}])
        assert_explained(
            response,
            413,
            "The limit has been exceeded on the number of allowed "
            "image properties. Attempted: 4, Maximum: 3",
        )
        assert show(client, users, doc["id"]).get_json() == doc
        # At the limit, changing or swapping properties is fine.
        response = patch(
            client,
            users,
            doc["id"],
            [
                {"op": "replace", "path": "/a", "value": "x"},
                {"op": "remove", "path": "/b"},
                {"op": "add", "path": "/d", "value": "4"},
            ],
        )
        assert response.status_code == 200

    def test_base_attributes_do_not_count(self, client: FlaskClient, users: Any) -> None:
        doc = create(
            client,
            users,
            name="n",
            a="1",
            b="2",
            c="3",
            min_ram=1,
            visibility="private",
            tags=["x"],
        )
        assert doc["a"] == "1"

    def test_tag_quota_on_create(self, client: FlaskClient, users: Any, app: Flask) -> None:
        create(client, users, tags=["a", "b"])
        before = image_count(app)
        response = client.post(
            "/v2/images", json={"tags": ["a", "b", "c"]}, headers=users.headers("producer")
        )
        assert_explained(
            response,
            413,
            "The limit has been exceeded on the number of allowed "
            "image tags. Attempted: 3, Maximum: 2",
        )
        assert image_count(app) == before

    def test_tag_quota_counts_the_list_as_sent(
        self, client: FlaskClient, users: Any, app: Flask
    ) -> None:
        # quota ImageFactoryProxy.new_image: len(tags) of the request's list, before it
        # becomes a set.
        before = image_count(app)
        response = client.post(
            "/v2/images", json={"tags": ["a", "a", "a"]}, headers=users.headers("producer")
        )
        assert_explained(
            response,
            413,
            "The limit has been exceeded on the number of allowed "
            "image tags. Attempted: 3, Maximum: 2",
        )
        assert image_count(app) == before

    def test_tag_quota_on_patch(self, client: FlaskClient, users: Any) -> None:
        doc = create(client, users, tags=["a"])
        response = patch(
            client, users, doc["id"], [{"op": "replace", "path": "/tags", "value": ["a", "b", "c"]}]
        )
        assert_explained(
            response,
            413,
            "The limit has been exceeded on the number of allowed "
            "image tags. Attempted: 3, Maximum: 2",
        )
        assert show(client, users, doc["id"]).get_json()["tags"] == ["a"]

    def test_tag_quota_on_tag_put(self, client: FlaskClient, users: Any) -> None:
        doc = create(client, users, tags=["a", "b"])
        headers = users.headers("producer")
        # Re-adding an existing tag is not growth.
        assert client.put(f"/v2/images/{doc['id']}/tags/a", headers=headers).status_code == 204
        response = client.put(f"/v2/images/{doc['id']}/tags/c", headers=headers)
        # image_tags.py: "Image tag limit exceeded for image %(id)s: %(e)s:"
        assert_explained(
            response,
            413,
            f"Image tag limit exceeded for image {doc['id']}: The limit has been exceeded on "
            "the number of allowed image tags. Attempted: 3, Maximum: 2:",
        )
        assert sorted(show(client, users, doc["id"]).get_json()["tags"]) == ["a", "b"]


class TestUnlimitedQuotas:
    @pytest.fixture
    def config(self, tmp_path: Path) -> Config:
        return Config(data_dir=tmp_path / "data", image_property_quota=-1, image_tag_quota=-1)

    def test_negative_quota_means_unlimited(self, client: FlaskClient, users: Any) -> None:
        props = {f"p{i}": "v" for i in range(200)}
        doc = create(client, users, tags=[f"t{i}" for i in range(200)], **props)
        assert len(doc["tags"]) == 200
        assert all(doc[k] == "v" for k in props)


# --- delete ---------------------------------------------------------------------------------


def test_delete(client: FlaskClient, users: Any, image: dict[str, Any]) -> None:
    headers = users.headers("producer")
    response = client.delete(f"/v2/images/{image['id']}", headers=headers)
    assert response.status_code == 204
    assert response.get_data() == b""
    assert_explained(show(client, users, image["id"]), 404, f"No image found with ID {image['id']}")
    # images.py delete(): NotFound -> "Failed to find image %(image_id)s to delete"
    again = client.delete(f"/v2/images/{image['id']}", headers=headers)
    assert_explained(again, 404, f"Failed to find image {image['id']} to delete")


def test_delete_missing_image(client: FlaskClient, users: Any) -> None:
    missing = str(uuid.uuid4())
    response = client.delete(f"/v2/images/{missing}", headers=users.headers("producer"))
    assert_explained(response, 404, f"Failed to find image {missing} to delete")


def test_delete_protected_image_is_403(client: FlaskClient, users: Any) -> None:
    doc = create(client, users, protected=True)
    headers = users.headers("producer")
    response = client.delete(f"/v2/images/{doc['id']}", headers=headers)
    # ProtectedImageDelete (a Forbidden) -> HTTPForbidden(explanation=e.msg)
    assert_explained(response, 403, f"Image {doc['id']} is protected and cannot be deleted.")
    assert show(client, users, doc["id"]).get_json() == doc
    patch(client, users, doc["id"], [{"op": "replace", "path": "/protected", "value": False}])
    assert client.delete(f"/v2/images/{doc['id']}", headers=headers).status_code == 204


def test_non_owner_may_not_delete_a_visible_image(
    client: FlaskClient, users: Any, community_image: dict[str, Any]
) -> None:
    image_id = community_image["id"]
    response = client.delete(f"/v2/images/{image_id}", headers=users.headers("consumer"))
    assert_explained(response, 403, "You are not authorized to complete delete_image action.")
    assert show(client, users, image_id).get_json() == community_image


def test_non_owner_delete_of_an_invisible_image_is_404(
    client: FlaskClient, users: Any, private_image: dict[str, Any]
) -> None:
    image_id = private_image["id"]
    response = client.delete(f"/v2/images/{image_id}", headers=users.headers("consumer"))
    assert_explained(response, 404, f"Failed to find image {image_id} to delete")
    assert show(client, users, image_id).get_json() == private_image


def test_admin_may_delete_any_image(
    client: FlaskClient, users: Any, private_image: dict[str, Any]
) -> None:
    response = client.delete(f"/v2/images/{private_image['id']}", headers=users.headers("admin"))
    assert response.status_code == 204
    assert show(client, users, private_image["id"]).status_code == 404


def test_delete_refuses_a_body(client: FlaskClient, users: Any, image: dict[str, Any]) -> None:
    response = client.delete(
        f"/v2/images/{image['id']}", data="{}", headers=users.headers("producer")
    )
    assert_explained(response, 400, "A body is not expected with this request.")
    assert show(client, users, image["id"]).status_code == 200


def test_deleted_image_is_gone_for_every_operation(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    image_id = image["id"]
    headers = users.headers("producer")
    client.delete(f"/v2/images/{image_id}", headers=headers)
    assert (
        patch(
            client, users, image_id, [{"op": "replace", "path": "/name", "value": "x"}]
        ).status_code
        == 404
    )
    assert client.put(f"/v2/images/{image_id}/tags/x", headers=headers).status_code == 404
    assert (
        client.post(f"/v2/images/{image_id}/actions/deactivate", headers=headers).status_code == 404
    )


# --- tags -----------------------------------------------------------------------------------


def test_add_and_delete_tags(client: FlaskClient, users: Any, image: dict[str, Any]) -> None:
    headers = users.headers("producer")
    url = f"/v2/images/{image['id']}/tags"
    response = client.put(f"{url}/new-tag", headers=headers)
    assert response.status_code == 204
    assert response.get_data() == b""
    assert sorted(show(client, users, image["id"]).get_json()["tags"]) == ["new-tag", "t1"]
    assert client.put(f"{url}/new-tag", headers=headers).status_code == 204  # idempotent
    assert sorted(show(client, users, image["id"]).get_json()["tags"]) == ["new-tag", "t1"]
    response = client.delete(f"{url}/new-tag", headers=headers)
    assert response.status_code == 204
    assert show(client, users, image["id"]).get_json()["tags"] == ["t1"]


def test_delete_missing_tag_is_404(client: FlaskClient, users: Any, image: dict[str, Any]) -> None:
    response = client.delete(
        f"/v2/images/{image['id']}/tags/nosuch", headers=users.headers("producer")
    )
    # image_tags.py delete(): raise webob.exc.HTTPNotFound() (webob's default explanation)
    assert_explained(response, 404, NOT_FOUND)
    assert show(client, users, image["id"]).get_json()["tags"] == ["t1"]


def test_tag_length(client: FlaskClient, users: Any, image: dict[str, Any]) -> None:
    headers = users.headers("producer")
    assert (
        client.put(f"/v2/images/{image['id']}/tags/{'t' * 255}", headers=headers).status_code == 204
    )
    response = client.put(f"/v2/images/{image['id']}/tags/{'t' * 256}", headers=headers)
    assert_schema_error(response, "is too long")
    assert "t" * 256 not in show(client, users, image["id"]).get_json()["tags"]


def test_tag_with_special_characters(
    client: FlaskClient, users: Any, image: dict[str, Any]
) -> None:
    response = client.put(
        f"/v2/images/{image['id']}/tags/caf%C3%A9%20bar", headers=users.headers("producer")
    )
    assert response.status_code == 204
    assert "café bar" in show(client, users, image["id"]).get_json()["tags"]


@pytest.mark.parametrize("method", ["put", "delete"])
def test_tags_on_missing_image(client: FlaskClient, users: Any, method: str) -> None:
    missing = str(uuid.uuid4())
    response = getattr(client, method)(
        f"/v2/images/{missing}/tags/x", headers=users.headers("producer")
    )
    assert_explained(response, 404, f"Image {missing} not found.")


@pytest.mark.parametrize("method", ["put", "delete"])
def test_tags_on_invisible_image(
    client: FlaskClient, users: Any, private_image: dict[str, Any], method: str
) -> None:
    image_id = private_image["id"]
    response = getattr(client, method)(
        f"/v2/images/{image_id}/tags/x", headers=users.headers("consumer")
    )
    assert_explained(response, 404, f"Image {image_id} not found.")


@pytest.mark.parametrize("method", ["put", "delete"])
def test_tags_by_non_owner_of_visible_image(
    client: FlaskClient, users: Any, community_image: dict[str, Any], method: str
) -> None:
    # ImageAPIPolicy raises webob's HTTPForbidden, which image_tags.py's
    # "except exception.Forbidden" (Glance's own class) does not catch.
    image_id = community_image["id"]
    response = getattr(client, method)(
        f"/v2/images/{image_id}/tags/x", headers=users.headers("consumer")
    )
    assert_explained(response, 403, "You are not authorized to complete modify_image action.")
    assert show(client, users, image_id).get_json() == community_image


@pytest.mark.parametrize("method", ["put", "delete"])
def test_tags_refuse_a_body(
    client: FlaskClient, users: Any, image: dict[str, Any], method: str
) -> None:
    # router.py: both tag routes have body_reject=True
    response = getattr(client, method)(
        f"/v2/images/{image['id']}/tags/t1", data="{}", headers=users.headers("producer")
    )
    assert_explained(response, 400, "A body is not expected with this request.")
    assert show(client, users, image["id"]).get_json()["tags"] == ["t1"]


# --- deactivate / reactivate ----------------------------------------------------------------


def action(client: FlaskClient, users: Any, image_id: str, name: str, who: str = "producer") -> Any:
    return client.post(f"/v2/images/{image_id}/actions/{name}", headers=users.headers(who))


def test_deactivate_and_reactivate(
    client: FlaskClient, users: Any, app: Flask, image: dict[str, Any]
) -> None:
    set_status(app, image["id"], "active")
    response = action(client, users, image["id"], "deactivate")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert show(client, users, image["id"]).get_json()["status"] == "deactivated"
    assert action(client, users, image["id"], "deactivate").status_code == 204  # no-op
    assert show(client, users, image["id"]).get_json()["status"] == "deactivated"
    assert action(client, users, image["id"], "reactivate").status_code == 204
    assert show(client, users, image["id"]).get_json()["status"] == "active"
    assert action(client, users, image["id"], "reactivate").status_code == 204  # no-op
    assert show(client, users, image["id"]).get_json()["status"] == "active"


@pytest.mark.parametrize("status", ["queued", "saving", "killed", "uploading", "importing"])
def test_actions_in_the_wrong_status(
    client: FlaskClient, users: Any, app: Flask, image: dict[str, Any], status: str
) -> None:
    set_status(app, image["id"], status)
    for name in ("deactivate", "reactivate"):
        response = action(client, users, image["id"], name)
        # Image.deactivate/reactivate: exception.Forbidden -> HTTPForbidden(explanation=e.msg)
        assert_explained(response, 403, f"Not allowed to {name} image in status '{status}'")
    assert show(client, users, image["id"]).get_json()["status"] == status


@pytest.mark.parametrize("name", ["deactivate", "reactivate"])
def test_actions_by_non_owner_of_visible_image(
    client: FlaskClient, users: Any, app: Flask, community_image: dict[str, Any], name: str
) -> None:
    set_status(app, community_image["id"], "active" if name == "deactivate" else "deactivated")
    response = action(client, users, community_image["id"], name, who="consumer")
    assert_explained(response, 403, f"You are not authorized to complete {name} action.")


@pytest.mark.parametrize("name", ["deactivate", "reactivate"])
def test_actions_on_invisible_image(
    client: FlaskClient, users: Any, app: Flask, private_image: dict[str, Any], name: str
) -> None:
    set_status(app, private_image["id"], "active")
    response = action(client, users, private_image["id"], name, who="consumer")
    assert_explained(response, 404, f"No image found with ID {private_image['id']}")
    assert show(client, users, private_image["id"]).get_json()["status"] == "active"


def test_admin_may_deactivate_any_image(
    client: FlaskClient, users: Any, app: Flask, private_image: dict[str, Any]
) -> None:
    set_status(app, private_image["id"], "active")
    assert action(client, users, private_image["id"], "deactivate", who="admin").status_code == 204
    assert show(client, users, private_image["id"]).get_json()["status"] == "deactivated"


@pytest.mark.parametrize("name", ["deactivate", "reactivate"])
def test_actions_refuse_a_body(
    client: FlaskClient, users: Any, app: Flask, image: dict[str, Any], name: str
) -> None:
    set_status(app, image["id"], "active")
    response = client.post(
        f"/v2/images/{image['id']}/actions/{name}", json={}, headers=users.headers("producer")
    )
    assert_explained(response, 400, "A body is not expected with this request.")
    assert show(client, users, image["id"]).get_json()["status"] == "active"


# --- URL versions route to the same controller ----------------------------------------------


@pytest.mark.parametrize("prefix", ["/v2.0", "/v2.1", "/v2.7", "/v2.9", "/v2.15", "/v2.17"])
def test_versioned_urls_reach_the_images_api(
    client: FlaskClient, users: Any, image: dict[str, Any], prefix: str
) -> None:
    response = client.get(f"{prefix}/images/{image['id']}", headers=users.headers("producer"))
    assert response.status_code == 200
    assert response.get_json() == image
    created = client.post(
        f"{prefix}/images", json={"name": prefix}, headers=users.headers("producer")
    )
    assert created.status_code == 201
    # The serializer's links stay unversioned.
    assert created.get_json()["self"] == f"/v2/images/{created.get_json()['id']}"


# --- null where Glance's schema-image.json allows it (issue 16) --------------------------------


@pytest.mark.parametrize("key", ["kernel_id", "ramdisk_id"])
def test_a_null_kernel_or_ramdisk_id_is_kept_as_null(
    client: FlaskClient, users: Any, key: str
) -> None:
    """Glance's etc/schema-image.json types both as ["null", "string"]; the null is stored
    and shown as null (it was stored as the text "None")."""
    headers = users.headers("producer")
    created = client.post("/v2/images", json={"name": "ami", key: None}, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()[key] is None
    image_id = created.get_json()["id"]
    assert client.get(f"/v2/images/{image_id}", headers=headers).get_json()[key] is None


@pytest.mark.parametrize("op", ["add", "replace"])
@pytest.mark.parametrize("key", ["kernel_id", "ramdisk_id"])
def test_patching_a_kernel_or_ramdisk_id_to_null(
    client: FlaskClient, users: Any, key: str, op: str
) -> None:
    headers = users.headers("producer")
    created = client.post(
        "/v2/images", json={"name": "ami", key: str(uuid.uuid4())}, headers=headers
    )
    image_id = created.get_json()["id"]
    patched = client.patch(
        f"/v2/images/{image_id}",
        json=[{"op": op, "path": f"/{key}", "value": None}],
        headers={**headers, "Content-Type": "application/openstack-images-v2.1-json-patch"},
    )
    assert patched.status_code == 200, patched.get_data(as_text=True)
    assert patched.get_json()[key] is None
    assert client.get(f"/v2/images/{image_id}", headers=headers).get_json()[key] is None


def test_null_is_still_refused_for_other_properties(client: FlaskClient, users: Any) -> None:
    response = client.post(
        "/v2/images", json={"os_distro": None}, headers=users.headers("producer")
    )
    assert response.status_code == 400
