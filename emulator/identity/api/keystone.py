"""The Keystone v3 subset clients need: discovery, tokens, the projects lookups OSC makes.

Views parse and render; ``emulator.identity.services.identity`` does the work. Errors are raised and
rendered in Keystone's ``{"error": {...}}`` shape by ``emulator.core.http.errors``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request

from emulator.core import errors
from emulator.core.context import RequestContext
from emulator.core.http import bodies
from emulator.core.http.request_scope import db
from emulator.core.http.urls import identity_url, image_url
from emulator.identity.api.auth import current_context
from emulator.identity.domain.auth_request import expecting, parse_auth_request
from emulator.identity.services import identity

bp = Blueprint("identity", __name__, url_prefix="/identity")

SUBJECT_TOKEN = "X-Subject-Token"


def _json(document: Any, status: int = 200, **headers: str) -> Response:
    response = Response(json.dumps(document), status=status, content_type="application/json")
    response.headers.update(headers)
    return response


def _caller() -> RequestContext:
    try:
        return current_context()
    except errors.Unauthorized:
        raise errors.Unauthorized(identity.AUTH_REQUIRED) from None


def _request_body() -> dict[str, Any]:
    """Keystone's JSON-body rule (``keystone/server/flask/request_processing/json_body.py``)."""
    limit = current_app.config["EMULATOR"].max_request_body_size
    raw = bodies.read_stream(request.stream, limit + 1)
    if len(raw) > limit:
        raise errors.RequestEntityTooLarge()
    if not raw:
        return {}
    if not (request.is_json or not request.headers.get("Content-Type")):
        raise expecting("application/json", "Content-Type header")
    try:
        body = json.loads(raw)
    except ValueError:  # also bad UTF-8
        body = None
    if not isinstance(body, dict):
        raise expecting("valid JSON", "request body")
    return body


def _catalog() -> list[dict[str, Any]] | None:
    if "nocatalog" in request.args:
        return None
    return identity.catalog(identity_url(), image_url())


def _with_links(project: dict[str, Any]) -> dict[str, Any]:
    return {**project, "links": {"self": f"{identity_url()}/v3/projects/{project['id']}"}}


def _collection(key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    own_url = identity_url() + request.path[len(bp.url_prefix or "") :]
    if request.query_string:
        own_url += "?" + request.query_string.decode("latin-1")
    return {key: items, "links": {"next": None, "self": own_url, "previous": None}}


@bp.after_request
def _vary(response: Response) -> Response:
    # Keystone adds this to every response (keystone/server/flask/application.py).
    response.headers["Vary"] = "X-Auth-Token"
    return response


@bp.get("/")
def get_versions() -> Response:
    version = identity.version_v3(identity_url())
    location = version["links"][0]["href"]
    return _json({"versions": {"values": [version]}}, 300, Location=location)


@bp.get("/v3/")
def get_version_v3() -> Response:
    return _json({"version": identity.version_v3(identity_url())})


@bp.post("/v3/auth/tokens")
def issue_token() -> Response:
    auth = parse_auth_request(_request_body())
    ttl = current_app.config["EMULATOR"].token_ttl_seconds
    issued = identity.issue_token(db(), auth, ttl_seconds=ttl)
    document = identity.token_document(db(), issued.record, _catalog())
    return _json(document, 201, **{SUBJECT_TOKEN: issued.token_id})


@bp.get("/v3/auth/tokens")
def validate_token() -> Response:
    action = "identity:check_token" if request.method == "HEAD" else "identity:validate_token"
    subject = request.headers.get(SUBJECT_TOKEN)
    record = identity.subject_token(db(), _caller(), subject, action)
    document = identity.token_document(db(), record, _catalog())
    return _json(document, 200, **{SUBJECT_TOKEN: subject or ""})


@bp.delete("/v3/auth/tokens")
def revoke_token() -> Response:
    identity.revoke_token(db(), _caller(), request.headers.get(SUBJECT_TOKEN))
    return Response(status=204)


@bp.get("/v3/auth/projects")
def get_auth_projects() -> Response:
    projects = identity.list_auth_projects(db(), _caller())
    return _json(_collection("projects", [_with_links(p) for p in projects]))


@bp.get("/v3/auth/catalog")
def get_auth_catalog() -> Response:
    service_catalog = identity.auth_catalog(_caller(), identity_url(), image_url())
    links = {"self": f"{identity_url()}/v3/auth/catalog"}
    return _json({"catalog": service_catalog, "links": links})


@bp.get("/v3/projects")
def list_projects() -> Response:
    projects = identity.list_projects(db(), _caller(), request.args.to_dict())
    return _json(_collection("projects", [_with_links(p) for p in projects]))


@bp.get("/v3/projects/<project_id>")
def get_project(project_id: str) -> Response:
    project = identity.get_project(db(), _caller(), project_id)
    return _json({"project": _with_links(project)})
