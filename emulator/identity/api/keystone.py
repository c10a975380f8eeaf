"""The Keystone v3 subset clients need: discovery, tokens, the projects lookups OSC makes.

Views parse and render (``documents``); ``identity.services`` do the work. Errors are raised
and rendered in Keystone's ``{"error": {...}}`` shape by ``emulator.core.http.errors``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from emulator.core import errors
from emulator.core.context import RequestContext
from emulator.core.http import bodies
from emulator.core.http.request_scope import config, unit_of_work
from emulator.core.http.urls import compute_url, identity_url, image_url
from emulator.identity.api import documents
from emulator.identity.api.auth import current_context
from emulator.identity.domain.auth_request import expecting, parse_auth_request
from emulator.identity.domain.entities import Project
from emulator.identity.services import auth, projects
from emulator.identity.services.tokens import TokenRecord

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
        raise errors.Unauthorized(auth.AUTH_REQUIRED) from None


def _request_body() -> dict[str, Any]:
    """Keystone's JSON-body rule (``keystone/server/flask/request_processing/json_body.py``).

    A declared length over the limit is refused before anything is read, as Keystone's
    ``sizelimit`` middleware (oslo.middleware's RequestBodySizeLimiter) does: reading would
    wait for bytes a lying client never sends."""
    limit = config().max_request_body_size
    if (request.content_length or 0) > limit:
        raise errors.RequestEntityTooLarge()
    raw = bodies.read_stream(request.stream, limit + 1)
    if len(raw) > limit:
        raise errors.RequestEntityTooLarge()
    if not raw:
        return {}
    if not (request.is_json or not request.headers.get("Content-Type")):
        raise expecting("application/json", "Content-Type header")
    try:
        body = bodies.parse_json(raw)
    except ValueError:  # also bad UTF-8, nesting too deep, lone surrogates
        body = None
    if not isinstance(body, dict):
        raise expecting("valid JSON", "request body")
    return body


def _catalog() -> list[dict[str, Any]] | None:
    if "nocatalog" in request.args:
        return None
    return documents.catalog(identity_url(), image_url(), compute_url())


def _token(record: TokenRecord) -> dict[str, Any]:
    user, project = auth.holder(unit_of_work().db, record)
    return documents.token_document(record, user, project, _catalog())


def _with_links(project: Project) -> dict[str, Any]:
    document = documents.project_document(project)
    return {**document, "links": {"self": f"{identity_url()}/v3/projects/{project.id}"}}


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
    version = documents.version_v3(identity_url())
    location = version["links"][0]["href"]
    return _json({"versions": {"values": [version]}}, 300, Location=location)


@bp.get("/v3/")
def get_version_v3() -> Response:
    return _json({"version": documents.version_v3(identity_url())})


@bp.post("/v3/auth/tokens")
def issue_token() -> Response:
    request_body = parse_auth_request(_request_body())
    issued = auth.issue_token(
        unit_of_work().db, request_body, ttl_seconds=config().token_ttl_seconds
    )
    return _json(_token(issued.record), 201, **{SUBJECT_TOKEN: issued.token_id})


@bp.get("/v3/auth/tokens")
def validate_token() -> Response:
    action = "identity:check_token" if request.method == "HEAD" else "identity:validate_token"
    subject = request.headers.get(SUBJECT_TOKEN)
    record = auth.subject_token(unit_of_work().db, _caller(), subject, action)
    return _json(_token(record), 200, **{SUBJECT_TOKEN: subject or ""})


@bp.delete("/v3/auth/tokens")
def revoke_token() -> Response:
    auth.revoke_token(unit_of_work().db, _caller(), request.headers.get(SUBJECT_TOKEN))
    return Response(status=204)


@bp.get("/v3/auth/projects")
def get_auth_projects() -> Response:
    found = projects.list_auth_projects(unit_of_work().db, _caller())
    return _json(_collection("projects", [_with_links(p) for p in found]))


@bp.get("/v3/auth/catalog")
def get_auth_catalog() -> Response:
    projects.require_project_scope(_caller())
    service_catalog = documents.catalog(identity_url(), image_url(), compute_url())
    links = {"self": f"{identity_url()}/v3/auth/catalog"}
    return _json({"catalog": service_catalog, "links": links})


@bp.get("/v3/projects")
def list_projects() -> Response:
    found = projects.list_projects(unit_of_work().db, _caller(), request.args.to_dict())
    return _json(_collection("projects", [_with_links(p) for p in found]))


@bp.get("/v3/projects/<project_id>")
def get_project(project_id: str) -> Response:
    project = projects.get_project(unit_of_work().db, _caller(), project_id)
    return _json({"project": _with_links(project)})
