"""Keystone's tokens: issue (authenticate, then scope), validate and revoke.

Behaviour follows Keystone: ``keystone/api/_shared/authentication.py`` (authenticate, then
default scoping), ``keystone/auth/core.py`` and ``keystone/auth/plugins/{password,token,
core}.py`` (lookups and their errors), ``keystone/token/provider.py`` (validation errors),
``keystone/common/policies/token.py`` (who may validate or revoke what).

Keystone hides why authentication failed: every 401 says ``AUTH_REQUIRED``. The reason is
logged on the server's side (logger ``glance_emulator.auth``), as Keystone logs it, so the
person running the emulator can tell a wrong password from an unknown user.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from emulator.core import errors
from emulator.core.context import RequestContext
from emulator.identity.domain.auth_request import AuthRequest, Scope, expecting
from emulator.identity.domain.entities import DEFAULT_DOMAIN_ID, Project, User, domain_name
from emulator.identity.domain.roles import expand
from emulator.identity.services import accounts, tokens
from emulator.identity.services.tokens import TokenRecord
from emulator.identity.store import accounts as store

AUTH_REQUIRED = "The request you have made requires authentication."
TOKEN_INVALID = "Failed to validate token"
NO_SUBJECT_TOKEN = "No token in the request"
log = logging.getLogger("glance_emulator.auth")


def _refused(reason: str) -> errors.Unauthorized:
    """The client's bare 401; the reason goes to the server's log."""
    log.warning("login refused: %s", reason)
    return errors.Unauthorized(AUTH_REQUIRED)


@dataclass(frozen=True)
class IssuedToken:
    token_id: str
    record: TokenRecord


def _lookup_domain(db: sqlite_utils.Database, info: dict[str, Any]) -> str:
    """A domain id from ``{"id"}`` or ``{"name"}``; an unknown domain is a 401."""
    name, domain_id = info.get("name"), info.get("id")
    if name:
        # Keystone's usual MySQL backend compares names case-insensitively.
        if name.lower() == domain_name(DEFAULT_DOMAIN_ID).lower():
            domain_id = DEFAULT_DOMAIN_ID  # (nearly every login: no need to read them all)
        else:
            known = {domain_name(d).lower(): d for d in store.known_domain_ids(db)}
            domain_id = known.get(name.lower())
    elif not isinstance(domain_id, str) or not store.domain_exists(db, domain_id):
        domain_id = None
    if not domain_id:
        raise _refused(f"no domain {name or info.get('id')!r}")
    return domain_id


def _resolve_scope(db: sqlite_utils.Database, scope: Scope) -> str | None:
    """The project id a request asks for (None otherwise); run before authentication."""
    if scope.kind == "project":
        info = scope.data
        if info.get("name"):
            if "domain" not in info:
                raise expecting("domain", "project")
            domain_id = _lookup_domain(db, info["domain"])
            named = store.find_project(db, info["name"], domain_id)
            project_id = named.id if named else ""
        else:
            project_id = info.get("id") or ""
        project = store.get_project(db, project_id)
        if project is None:
            raise _refused(f"no project {info.get('name') or project_id!r}")
        if not project.enabled:
            raise _refused(f"project {project.name!r} is disabled")
        return project.id
    if scope.kind == "domain":
        _lookup_domain(db, scope.data)
    elif scope.kind == "OS-TRUST:trust":
        if not scope.data.get("id"):
            raise expecting("trust_id", "trust")
        raise _refused("trust scopes are not emulated")
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
    if user is None:
        raise _refused(f"no user {name or user_id!r}")
    if not user.enabled:
        raise _refused(f"user {user.name!r} is disabled")
    if password is None or not accounts.check_password(db, user.id, password):
        raise _refused(f"wrong password for user {user.name!r}")
    return user.id


def _default_project(db: sqlite_utils.Database, user_id: str) -> str | None:
    """Keystone scopes an unscoped request to the user's default project when it can."""
    user = accounts.get_user(db, user_id)
    if user is None or not user.default_project_id:
        return None
    project = store.get_project(db, user.default_project_id)
    if project is None or not project.enabled:
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
        raise _refused("the methods name no user, or different users")
    (user_id,) = user_ids
    if auth.scope.kind == "default":
        project_id = _default_project(db, user_id)
    elif auth.scope.kind in ("domain", "system"):
        # Only project role assignments exist here.
        raise _refused(f"no role on the {auth.scope.kind} (only project scopes exist here)")
    roles: list[str] = []
    if project_id is not None:
        roles = expand(accounts.roles_on_project(db, user_id, project_id))
        if not roles:
            raise _refused(f"the user has no role on project {project_id!r}")
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


def holder(db: sqlite_utils.Database, record: TokenRecord) -> tuple[User, Project | None]:
    """The user a token was issued to and the project it is scoped to (404 if either is
    gone: the token no longer validates)."""
    user = accounts.get_user(db, record.user_id)
    if user is None:
        raise errors.NotFound(TOKEN_INVALID)
    if record.project_id is None:
        return user, None
    project = accounts.get_project(db, record.project_id)
    if project is None:
        raise errors.NotFound(TOKEN_INVALID)
    return user, project
