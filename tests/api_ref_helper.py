"""Check a response against the API reference, ``api-ref/openapi.yaml``.

Any API test can assert that what the emulator answered is what the document promises::

    from api_ref_helper import assert_matches_documented

    response = client.get(f"/v2/images/{image_id}", headers=users.headers("producer"))
    body = assert_matches_documented(response, "GET", "/v2/images/{image_id}")

``response`` may be a Flask test-client response or a ``requests`` response. The check fails
unless the status code is documented for that operation, every required response header is
present (and matches its schema), the media type is one the document lists for that status,
and a JSON body validates (jsonschema, draft 2020-12) against the documented schema. The
parsed JSON body (or None) is returned so a test can go on asserting on it.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

OPENAPI_PATH = Path(__file__).resolve().parents[1] / "api-ref" / "openapi.yaml"
_DOCUMENT_URI = "urn:glance-emulator:api-ref:openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@functools.cache
def load_document() -> dict[str, Any]:
    with OPENAPI_PATH.open(encoding="utf-8") as stream:
        document: dict[str, Any] = yaml.safe_load(stream)
    return document


@functools.cache
def _registry() -> Registry:
    resource = Resource.from_contents(load_document(), default_specification=DRAFT202012)
    return Registry().with_resource(_DOCUMENT_URI, resource)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _follow(pointer: str, node: Any) -> tuple[str, Any]:
    """Follow local ``$ref`` chains; return the final JSON pointer and object."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local references are used in api-ref: {ref}"
        pointer = ref[1:]
        node = load_document()
        for token in pointer.lstrip("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
    return pointer, node


def documented_operation(method: str, path_template: str) -> dict[str, Any]:
    paths = load_document()["paths"]
    assert path_template in paths, f"{path_template} is not documented in api-ref"
    operation = paths[path_template].get(method.lower())
    assert operation is not None, f"{method.upper()} {path_template} is not documented in api-ref"
    return operation


def documented_response(method: str, path_template: str, status: int) -> tuple[str, dict[str, Any]]:
    """(JSON pointer, response object) documented for this status (exact, ``4XX`` or default)."""
    operation = documented_operation(method, path_template)
    responses = operation["responses"]
    for key in (str(status), f"{status // 100}XX", "default"):
        if key in responses:
            pointer = f"/paths/{_escape(path_template)}/{method.lower()}/responses/{_escape(key)}"
            return _follow(pointer, responses[key])
    raise AssertionError(
        f"{method.upper()} {path_template} answered {status}, which api-ref does not document "
        f"(documented: {', '.join(sorted(responses))})"
    )


def _parts(response: Any) -> tuple[int, Any, bytes]:
    """(status, headers, body) from a Flask/werkzeug or a requests response."""
    if hasattr(response, "get_data"):
        return response.status_code, response.headers, response.get_data()
    return response.status_code, response.headers, response.content


def _header_value(raw: str, schema: dict[str, Any]) -> Any:
    if schema.get("type") == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    return raw


def validate_instance(instance: Any, schema_pointer: str) -> None:
    """Validate ``instance`` against the schema at ``schema_pointer`` in the document."""
    schema = {"$ref": f"{_DOCUMENT_URI}#{schema_pointer}"}
    validator = jsonschema.Draft202012Validator(schema, registry=_registry())
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        details = "\n".join(
            f"  at /{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in errors[:10]
        )
        raise AssertionError(
            f"body does not match the schema at {schema_pointer}:\n{details}\n"
            f"body: {json.dumps(instance)[:2000]}"
        )


def assert_matches_documented(response: Any, method: str, path_template: str) -> Any:
    """Assert ``response`` is one api-ref documents for ``method path_template``.

    Returns the parsed JSON body, or None for bodies that are not JSON (or empty).
    """
    __tracebackhide__ = True
    status, headers, body = _parts(response)
    pointer, documented = documented_response(method, path_template, status)
    where = f"{method.upper()} {path_template} -> {status}"

    for name, header in (documented.get("headers") or {}).items():
        header_pointer, header = _follow(f"{pointer}/headers/{_escape(name)}", header)
        value = headers.get(name)
        if value is None:
            assert not header.get("required"), f"{where}: required header {name} is missing"
            continue
        if "schema" in header:
            schema = header["schema"]
            validate_instance(_header_value(value, schema), f"{header_pointer}/schema")

    content = documented.get("content")
    if method.upper() == "HEAD" or not content:
        assert not body or method.upper() == "HEAD", (
            f"{where}: api-ref documents no body, got {body[:200]!r}"
        )
        return None
    content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    assert content_type in content, (
        f"{where}: Content-Type {content_type!r} is not documented "
        f"(documented: {', '.join(content)})"
    )
    media = content[content_type]
    if content_type != "application/json" and not content_type.endswith("+json"):
        return None
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise AssertionError(f"{where}: body is not JSON: {body[:200]!r}") from exc
    if "schema" in media:
        validate_instance(parsed, f"{pointer}/content/{_escape(content_type)}/schema")
    return parsed


def documented_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """Every (METHOD, path template, operation) in the document."""
    found = []
    for path, item in load_document()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                found.append((method.upper(), path, item[method]))
    return found
