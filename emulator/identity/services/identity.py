"""The Keystone v3 use cases: issue, validate and revoke tokens; show and list projects.

Behaviour follows Keystone: ``keystone/api/_shared/authentication.py`` (authenticate, then
default scoping), ``keystone/auth/core.py`` and ``keystone/auth/plugins/{password,token,
core}.py`` (lookups and their errors), ``keystone/common/render_token.py`` (the token
document), ``keystone/token/provider.py`` (validation errors), ``keystone/api/projects.py``
with ``keystone/common/policies/{project,token}.py`` (who may see what).

Keystone hides why authentication failed: every 401 says ``AUTH_REQUIRED``. No Flask here;
URLs come in as arguments.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from emulator.core import errors
from emulator.core.context import RequestContext
from emulator.identity.domain.auth_request import AuthRequest, Scope, expecting
from emulator.identity.domain.roles import expand
from emulator.identity.services import accounts, tokens
from emulator.identity.services.tokens import TokenRecord

AUTH_REQUIRED = "The request you have made requires authentication."
TOKEN_INVALID = "Failed to validate token"
NO_SUBJECT_TOKEN = "No token in the request"
REGION = "RegionOne"
INTERFACES = ("public", "internal", "admin")
# (type, name, which URL) for each catalog entry.
SERVICES = (("identity", "keystone", "identity"), ("image", "glance", "image"))
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/glance-emulator")

Document = dict[str, Any]


def stable_id(*parts: str) -> str:
    """A Keystone-looking id (32 hex digits) that is the same on every run."""
    return uuid.uuid5(_ID_NAMESPACE, ":".join(parts)).hex


# --- discovery ------------------------------------------------------------------------


def version_v3(identity_url: str) -> Document:
    """The one API version Keystone offers (``keystone/api/discovery.py``)."""
    return {
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": f"{identity_url}/v3/"}],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
        ],
    }


def catalog(identity_url: str, image_url: str) -> list[Document]:
    urls = {"identity": identity_url, "image": image_url}
    return [
        {
            "endpoints": [
                {
                    "id": stable_id("endpoint", service_type, interface),
                    "interface": interface,
                    "region_id": REGION,
                    "url": urls[which],
                    "region": REGION,
                }
                for interface in INTERFACES
            ],
            "id": stable_id("service", service_type),
            "type": service_type,
            "name": name,
        }
        for service_type, name, which in SERVICES
    ]


# --- authentication -------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token_id: str
    record: TokenRecord


def _domain_name(domain_id: str) -> str:
    return accounts.DEFAULT_DOMAIN_NAME if domain_id == accounts.DEFAULT_DOMAIN_ID else domain_id


def _known_domain_ids(db: sqlite_utils.Database) -> set[str]:
    rows = db.execute("SELECT domain_id FROM projects UNION SELECT domain_id FROM users")
    return {accounts.DEFAULT_DOMAIN_ID} | {row[0] for row in rows.fetchall()}


def _lookup_domain(db: sqlite_utils.Database, info: dict[str, Any]) -> str:
    """A domain id from ``{"id"}`` or ``{"name"}``; an unknown domain is a 401."""
    name, domain_id = info.get("name"), info.get("id")
    if name:
        # Keystone's usual MySQL backend compares names case-insensitively.
        known = {_domain_name(d).lower(): d for d in _known_domain_ids(db)}
        domain_id = known.get(name.lower())
    elif domain_id not in _known_domain_ids(db):
        domain_id = None
    if not domain_id:
        raise errors.Unauthorized(AUTH_REQUIRED)
    return domain_id


_PROJECT_COLUMNS = ("id", "name", "domain_id", "description", "enabled")


def _project_rows(db: sqlite_utils.Database, where: str, params: list[Any]) -> list[Document]:
    sql = f"SELECT p.{', p.'.join(_PROJECT_COLUMNS)} FROM projects AS p {where}"
    rows = db.execute(sql, params).fetchall()
    return [dict(zip(_PROJECT_COLUMNS, row, strict=True)) for row in rows]


def _project_row(db: sqlite_utils.Database, project_id: str) -> Document | None:
    rows = _project_rows(db, "WHERE p.id = ?", [project_id])
    return rows[0] if rows else None


def _user_enabled(db: sqlite_utils.Database, user_id: str) -> bool:
    row = db.execute("SELECT enabled FROM users WHERE id = ?", [user_id]).fetchone()
    return bool(row and row[0])


def _resolve_scope(db: sqlite_utils.Database, scope: Scope) -> str | None:
    """The project id a request asks for (None otherwise); run before authentication."""
    if scope.kind == "project":
        info = scope.data
        if info.get("name"):
            if "domain" not in info:
                raise expecting("domain", "project")
            domain_id = _lookup_domain(db, info["domain"])
            project = accounts.find_project(db, info["name"], domain_id)
            project_id = project.id if project else ""
        else:
            project_id = info.get("id") or ""
        row = _project_row(db, project_id)
        if row is None or not row["enabled"]:
            raise errors.Unauthorized(AUTH_REQUIRED)
        return str(row["id"])
    if scope.kind == "domain":
        _lookup_domain(db, scope.data)
    elif scope.kind == "OS-TRUST:trust":
        if not scope.data.get("id"):
            raise expecting("trust_id", "trust")
        raise errors.Unauthorized(AUTH_REQUIRED)  # there are no trusts here
    return None


def _password_user(db: sqlite_utils.Database, payload: dict[str, Any]) -> str:
    if "user" not in payload:
        raise expecting("user", "password")
    user_info = payload["user"]
    user_id, name = user_info.get("id"), user_info.get("name")
    if not user_id and not name:
        raise expecting("id or name", "user")
    if name:
        if "domain" not in user_info:
            raise expecting("domain", "user")
        domain = user_info["domain"]
        if not domain.get("id") and not domain.get("name"):
            raise expecting("id or name", "domain")
        user = accounts.find_user(db, name, _lookup_domain(db, domain))
    else:
        user = accounts.get_user(db, user_id)
    password = user_info.get("password")
    if (
        user is None
        or not _user_enabled(db, user.id)
        or password is None
        or not accounts.check_password(db, user.id, password)
    ):
        raise errors.Unauthorized(AUTH_REQUIRED)
    return user.id


def _default_project(db: sqlite_utils.Database, user_id: str) -> str | None:
    """Keystone scopes an unscoped request to the user's default project when it can."""
    user = accounts.get_user(db, user_id)
    if user is None or not user.default_project_id:
        return None
    row = _project_row(db, user.default_project_id)
    if row is None or not row["enabled"]:
        return None
    if not accounts.roles_on_project(db, user_id, user.default_project_id):
        return None
    return user.default_project_id


def issue_token(db: sqlite_utils.Database, auth: AuthRequest, *, ttl_seconds: int) -> IssuedToken:
    """``POST /v3/auth/tokens``: authenticate every method, settle the scope, mint a token."""
    project_id = _resolve_scope(db, auth.scope)
    user_ids: set[str] = set()
    method_names: list[str] = []
    expires_at: str | None = None
    for method in auth.methods:
        payload = auth.payloads[method]
        if method == "password":
            user_ids.add(_password_user(db, payload))
            method_names.insert(0, method)
        else:  # token: rescoping keeps the old methods and, at most, the old expiry
            if not payload["id"]:
                raise errors.NotFound(NO_SUBJECT_TOKEN)
            previous = tokens.lookup(db, payload["id"])
            if previous is None:
                raise errors.NotFound(TOKEN_INVALID)
            user_ids.add(previous.user_id)
            method_names.insert(0, method)
            method_names.extend(previous.methods)
            if expires_at is None or previous.expires_at < expires_at:
                expires_at = previous.expires_at
    if len(user_ids) != 1:  # no method given, or methods naming different users
        raise errors.Unauthorized(AUTH_REQUIRED)
    (user_id,) = user_ids
    if auth.scope.kind == "default":
        project_id = _default_project(db, user_id)
    elif auth.scope.kind in ("domain", "system"):
        raise errors.Unauthorized(AUTH_REQUIRED)  # only project role assignments exist here
    roles: list[str] = []
    if project_id is not None:
        roles = expand(accounts.roles_on_project(db, user_id, project_id))
        if not roles:
            raise errors.Unauthorized(AUTH_REQUIRED)
    token_id, record = tokens.issue(
        db,
        user_id=user_id,
        project_id=project_id,
        roles=roles,
        methods=list(dict.fromkeys(method_names)),
        ttl_seconds=ttl_seconds,
        expires_at=expires_at,
    )
    return IssuedToken(token_id, record)


# --- the token document ---------------------------------------------------------------


def _fernet_time(stored: str) -> str:
    """Fernet tokens keep whole seconds: ``2026-11-27T10:00:00.000000Z``."""
    return stored[:19] + ".000000Z"


def _domain_ref(domain_id: str) -> Document:
    return {"id": domain_id, "name": _domain_name(domain_id)}


def token_document(
    db: sqlite_utils.Database, record: TokenRecord, service_catalog: list[Document] | None
) -> Document:
    """The ``{"token": ...}`` body; ``service_catalog`` None leaves the catalog out."""
    user = accounts.get_user(db, record.user_id)
    if user is None:
        raise errors.NotFound(TOKEN_INVALID)
    token: Document = {
        "methods": list(record.methods),
        "user": {
            "domain": _domain_ref(user.domain_id),
            "id": user.id,
            "name": user.name,
            "password_expires_at": None,
        },
        "audit_ids": [record.audit_id],
        "expires_at": _fernet_time(record.expires_at),
        "issued_at": _fernet_time(record.issued_at),
    }
    project = accounts.get_project(db, record.project_id) if record.project_id else None
    if record.project_id is not None:
        if project is None:
            raise errors.NotFound(TOKEN_INVALID)
        token["project"] = {
            "domain": _domain_ref(project.domain_id),
            "id": project.id,
            "name": project.name,
        }
        token["is_domain"] = False
        token["roles"] = [{"id": stable_id("role", name), "name": name} for name in record.roles]
        if service_catalog is not None:
            token["catalog"] = service_catalog
    return {"token": token}


# --- validation and revocation --------------------------------------------------------


def forbidden_action(action: str) -> errors.Forbidden:
    return errors.Forbidden(f"You are not authorized to perform the requested action: {action}.")


def subject_token(
    db: sqlite_utils.Database, context: RequestContext, token_id: str | None, action: str
) -> TokenRecord:
    """The ``X-Subject-Token`` record, if ``context`` may ``action`` it.

    Keystone validates the subject before checking policy (an invalid one is a 404 even for
    a stranger); the policy is ``admin or token subject`` (``identity:validate_token``...).
    """
    record = tokens.lookup(db, token_id) if token_id else None
    if token_id and (record is None or accounts.get_user(db, record.user_id) is None):
        raise errors.NotFound(TOKEN_INVALID)
    if not context.is_admin and (record is None or record.user_id != context.user_id):
        raise forbidden_action(action)
    if record is None:
        raise errors.NotFound(NO_SUBJECT_TOKEN)
    return record


def revoke_token(db: sqlite_utils.Database, context: RequestContext, token_id: str | None) -> None:
    subject_token(db, context, token_id, "identity:revoke_token")
    tokens.revoke(db, token_id or "")


# --- projects -------------------------------------------------------------------------


_ORDER = " ORDER BY p.name, p.id"


def _project_document(row: Document) -> Document:
    return {
        "id": row["id"],
        "name": row["name"],
        "domain_id": row["domain_id"],
        "description": row["description"],
        "enabled": bool(row["enabled"]),
        "is_domain": False,
        "parent_id": row["domain_id"],
        "tags": [],
        "options": {},
    }


def get_project(db: sqlite_utils.Database, context: RequestContext, project_id: str) -> Document:
    """Admins see any project (404 if unknown); others only their token's (else 403)."""
    row = _project_row(db, project_id)
    if not context.is_admin and (row is None or row["id"] != context.project_id):
        raise forbidden_action("identity:get_project")
    if row is None:
        raise errors.NotFound(f"Could not find project: {project_id}.")
    return _project_document(row)


def list_projects(
    db: sqlite_utils.Database, context: RequestContext, filters: dict[str, str]
) -> list[Document]:
    """Admins only: project ids must not be discoverable by tenants."""
    if not context.is_admin:
        raise forbidden_action("identity:list_projects")
    where, params = "WHERE 1 = 1", []
    for column in ("name", "domain_id"):  # Keystone also filters on enabled, parent_id...
        if column in filters:
            where += f" AND p.{column} = ?"
            params.append(filters[column])
    return [_project_document(row) for row in _project_rows(db, where + _ORDER, params)]


def list_auth_projects(db: sqlite_utils.Database, context: RequestContext) -> list[Document]:
    """``GET /v3/auth/projects``: the projects the caller's user holds a role on."""
    where = "WHERE p.id IN (SELECT project_id FROM role_assignments WHERE user_id = ?)"
    rows = _project_rows(db, where + _ORDER, [context.user_id])
    return [_project_document(row) for row in rows]


def auth_catalog(context: RequestContext, identity_url: str, image_url: str) -> list[Document]:
    """``GET /v3/auth/catalog`` needs a project-scoped token (Keystone: a bare 403)."""
    if context.project_id is None:
        raise errors.Forbidden("You are not authorized to perform the requested action.")
    return catalog(identity_url, image_url)
