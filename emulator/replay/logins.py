"""Logging in again as the recording did: Keystone's ``POST /v3/auth/tokens``.

The recording has the login's body with its password redacted, and the token document the
login got (user and project, with names and ids). The replay sends the same login with the
password given for that user (``--password user=pw``); a user or project named by an id
that the other side does not know is named by its name and domain instead (ids of users
and projects differ between two clouds, names do not). A login by token (rescoping) uses
the replay's token of the same user.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from emulator.replay.ids import IdMap

#: Sent for a login the recording saw refused (401): the recorded password is not known, and
#: the login must fail again the same way.
WRONG_PASSWORD = "not-the-password-replay"


class CannotReplay(Exception):
    """This request cannot be sent again; the message says why."""


def token_document(body: Any) -> dict[str, Any]:
    """The ``token`` object of a login's answer ({} if there is none: a refused login)."""
    if isinstance(body, dict) and isinstance(body.get("token"), dict):
        token: dict[str, Any] = body["token"]
        return token
    return {}


def identity_of(body: Any) -> tuple[str | None, str | None]:
    """(user id, project id) of a token document's answer; the project is None for an
    unscoped or domain-scoped token."""
    token = token_document(body)
    user = token.get("user") if isinstance(token.get("user"), dict) else {}
    project = token.get("project") if isinstance(token.get("project"), dict) else {}
    return (user or {}).get("id"), (project or {}).get("id")


def _by_name(recorded: Mapping[str, Any], what: str) -> dict[str, Any]:
    """``{"name": ..., "domain": {...}}`` for the recorded token's user or project."""
    name = recorded.get("name")
    if not isinstance(name, str):
        raise CannotReplay(f"the login names its {what} by an id the recording cannot name")
    domain = recorded.get("domain") if isinstance(recorded.get("domain"), dict) else {}
    domain = domain or {}
    if isinstance(domain.get("name"), str):
        return {"name": name, "domain": {"name": domain["name"]}}
    return {"name": name, "domain": {"id": domain.get("id", "default")}}


def user_name(auth: Mapping[str, Any], recorded_token: Mapping[str, Any]) -> str | None:
    """Who logs in: the name in the request, else the name in the recorded answer."""
    user = auth.get("identity", {}).get("password", {}).get("user", {})
    if isinstance(user, dict) and isinstance(user.get("name"), str):
        return str(user["name"])
    recorded_user = recorded_token.get("user")
    if isinstance(recorded_user, dict) and isinstance(recorded_user.get("name"), str):
        return str(recorded_user["name"])
    return None


def login_body(
    request_body: Any,
    response_body: Any,
    *,
    passwords: Mapping[str, str],
    ids: IdMap,
    user_tokens: Mapping[str, str],
    refused: bool = False,
) -> dict[str, Any]:
    """The body to send for a recorded login, or :class:`CannotReplay`. A ``refused`` login
    (the recording got a 401) is sent with a wrong password."""
    if not isinstance(request_body, dict) or not isinstance(request_body.get("auth"), dict):
        raise CannotReplay("the login's body was not recorded")
    body: dict[str, Any] = copy.deepcopy(request_body)
    auth: dict[str, Any] = body["auth"]
    recorded_token = token_document(response_body)
    identity = auth.get("identity") if isinstance(auth.get("identity"), dict) else None
    if identity is None:
        raise CannotReplay("the login has no identity")
    methods = identity.get("methods") or []
    if "password" in methods:
        user = identity.get("password", {}).get("user")
        if not isinstance(user, dict):
            raise CannotReplay("the password login has no user")
        name = user_name(auth, recorded_token)
        if not refused and (name is None or name not in passwords):
            raise CannotReplay(f"no --password for user {name or '(unknown)'}")
        if "name" not in user:
            recorded_user = recorded_token.get("user")
            mapped = ids.get(str(user.get("id")))
            if mapped is not None:
                user["id"] = mapped
            else:
                user.pop("id", None)
                user.update(
                    _by_name(recorded_user if isinstance(recorded_user, dict) else {}, "user")
                )
        user["password"] = WRONG_PASSWORD if refused else passwords[name or ""]
    if "token" in methods:
        recorded_user_id, _ = identity_of(response_body)
        token = user_tokens.get(recorded_user_id or "")
        if token is None:
            raise CannotReplay("a login by token, and no replayed token of that user")
        identity["token"] = {"id": token}
    if not {"password", "token"} & set(methods):
        raise CannotReplay(f"login methods {methods} cannot be replayed")
    scope = auth.get("scope")
    if isinstance(scope, dict) and isinstance(scope.get("project"), dict):
        project = scope["project"]
        if "id" in project:
            mapped = ids.get(str(project["id"]))
            if mapped is not None:
                project["id"] = mapped
            else:
                recorded_project = recorded_token.get("project")
                scope["project"] = _by_name(
                    recorded_project if isinstance(recorded_project, dict) else {}, "project"
                )
    return body
