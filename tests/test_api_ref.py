"""The API reference (``api-ref/openapi.yaml``) is valid and in step with the app's routes.

Every rule in the Flask URL map is documented, and every documented path and method is
served. HEAD and OPTIONS that Flask adds on its own are not required in the document; a
HEAD the document lists (``/identity/v3/auth/tokens``) must be served.
"""

from __future__ import annotations

import re

import pytest
from api_ref_helper import OPENAPI_PATH, documented_operations, load_document
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from emulator.core.config import Config
from emulator.image.api import healthcheck
from emulator.image.documents import metadef_schemas as metadef_json

AUTOMATIC_METHODS = {"HEAD", "OPTIONS"}
_CONVERTER = re.compile(r"<(?:[^<>:]+(?:\([^<>]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")


def openapi_path(rule: str) -> str:
    """``/v2/images/<image_id>`` -> ``/v2/images/{image_id}`` (converters dropped),
    trailing slash removed (the app serves both forms: ``strict_slashes`` is off)."""
    path = _CONVERTER.sub(r"{\1}", rule)
    return path.rstrip("/") or "/"


def served_operations(app: Flask) -> set[tuple[str, str]]:
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        if rule.rule == "/panel" or rule.rule.startswith("/panel/"):
            continue  # the web panel: HTML pages for people, not an API (tests/panel)
        for method in rule.methods or ():
            served.add((method, openapi_path(rule.rule)))
    # Answered by a WSGI filter in front of Flask, as paste mounts it in front of Glance.
    served.update((method, healthcheck.PATH) for method in healthcheck.METHODS)
    return served


def test_document_is_valid_openapi_3_1() -> None:
    document = load_document()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_openapi_path_conversion() -> None:
    assert openapi_path("/v2/images/<image_id>/tags/<tag_value>") == (
        "/v2/images/{image_id}/tags/{tag_value}"
    )
    assert openapi_path("/v2/schemas/metadefs/<any(tag, tags):name>") == (
        "/v2/schemas/metadefs/{name}"
    )
    assert openapi_path("/identity/v3/") == "/identity/v3"
    assert openapi_path("/") == "/"


def test_every_served_route_is_documented(app: Flask) -> None:
    documented = {(method, path) for method, path, _ in documented_operations()}
    missing = sorted(
        f"{method} {path}"
        for method, path in served_operations(app)
        if method not in AUTOMATIC_METHODS and (method, path) not in documented
    )
    assert not missing, f"served but not in {OPENAPI_PATH.name}: {missing}"


def test_every_documented_operation_is_served(app: Flask) -> None:
    served = served_operations(app)
    missing = sorted(
        f"{method} {path}"
        for method, path, _ in documented_operations()
        if (method, path) not in served
    )
    assert not missing, f"in {OPENAPI_PATH.name} but not served: {missing}"


def test_operation_ids_are_unique() -> None:
    ids = [operation["operationId"] for _, _, operation in documented_operations()]
    assert len(ids) == len(set(ids))


def _resolve(node: dict) -> dict:
    document = load_document()
    while "$ref" in node:
        target = document
        for token in node["$ref"][2:].split("/"):
            target = target[token]
        node = target
    return node


#: Responses that carry no x-openstack-request-id (Glance answers them before its context
#: middleware runs, or refuses the id itself) or may carry none (version documents).
WITHOUT_REQUEST_ID = {"GlanceUnauthorized", "GlanceRequestIdTooLong", "Healthcheck"}
OPTIONAL_REQUEST_ID = {"VersionChoices", "VersionList", "GlanceBadRequest"}


def _ref_name(response: dict) -> str | None:
    ref = response.get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


@pytest.mark.parametrize(
    ("method", "path"), [(m, p) for m, p, _ in documented_operations()], ids=lambda v: v
)
def test_operation_documents_the_common_answers(method: str, path: str) -> None:
    """What any request can get: 401 where a token is needed, 431 for an over-long request
    id on authenticated /v2 calls; and x-openstack-request-id on every other response."""
    operation = documented_operations_by_key()[(method, path)]
    responses = operation["responses"]
    secured = operation.get("security", load_document()["security"]) != []
    if secured:
        assert "401" in responses, "an operation that needs a token documents 401"
    assert ("431" in responses) == (secured and path.startswith("/v2/"))
    for status, response in responses.items():
        name = _ref_name(response)
        header = _resolve(response).get("headers", {}).get("x-openstack-request-id")
        if method == "HEAD" or name in WITHOUT_REQUEST_ID:
            continue
        assert header is not None, f"{status} lacks x-openstack-request-id"
        header = _resolve(header)
        assert header.get("required", False) == (name not in OPTIONAL_REQUEST_ID), status


def documented_operations_by_key() -> dict[tuple[str, str], dict]:
    return {(method, path): operation for method, path, operation in documented_operations()}


def test_glance_error_responses_offer_webob_media_types() -> None:
    """Glance errors are negotiated between JSON, HTML and plain text."""
    responses = load_document()["components"]["responses"]
    glance = [name for name in responses if name.startswith("Glance")]
    assert glance
    for name in glance:
        assert set(responses[name]["content"]) == {"application/json", "text/html", "text/plain"}


def test_formats_match_the_default_config() -> None:
    create = load_document()["components"]["schemas"]["ImageCreate"]["properties"]
    config = Config()
    assert create["disk_format"]["enum"] == [None, *config.disk_formats]
    assert create["container_format"]["enum"] == [None, *config.container_formats]


def test_metadef_schema_names_match_the_served_ones() -> None:
    operation = documented_operations_by_key()[("GET", "/v2/schemas/metadefs/{name}")]
    (parameter,) = operation["parameters"]
    assert parameter["schema"]["enum"] == list(metadef_json.METADEF_SCHEMAS)


def test_the_server_serves_this_document(client: FlaskClient) -> None:
    response = client.get("/_emulator/openapi.yaml")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == OPENAPI_PATH.read_text(encoding="utf-8")
