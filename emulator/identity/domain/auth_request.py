"""The body of ``POST /v3/auth/tokens``: shape checks, in Keystone's order and words.

Keystone checks a token request in three steps, and so do we:

1. a JSON schema (draft 2020-12, first error wins) over ``auth``, then "id or name must be
   present" checks (``keystone/auth/schema.py``, ``validate_issue_token_auth``);
2. every listed method has a payload, then every method is supported
   (``keystone/auth/core.py``, ``AuthInfo._validate_auth_methods``);
3. exactly one kind of scope (``AuthInfo._validate_and_normalize_scope_data``).

Lookups (users, projects, domains) come later, in ``emulator.identity.services.identity``.
Keystone renders a schema failure as ``str(jsonschema.ValidationError)``, which appends the
failing schema and instance; we keep the first line of that text. Pure: no Flask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jsonschema

from emulator.core import errors

SUPPORTED_METHODS = ("password", "token")
SCOPE_KINDS = ("system", "project", "domain", "OS-TRUST:trust", "unscoped")
UNSUPPORTED_METHOD = "Attempted to authenticate with an unsupported method."

_TEXT: dict[str, Any] = {"type": "string"}
_ID_OR_NAME: dict[str, Any] = {
    "type": "object",
    "properties": {"id": _TEXT, "name": _TEXT},
}

# The request contract as published in Keystone's api-ref (``v3/authenticate-v3.inc``).
AUTH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "identity": {
            "type": "object",
            "properties": {
                "methods": {"type": "array", "items": _TEXT},
                "password": {
                    "type": "object",
                    "properties": {
                        "user": {
                            "type": "object",
                            "properties": {
                                "id": _TEXT,
                                "name": _TEXT,
                                "password": _TEXT,
                                "domain": _ID_OR_NAME,
                            },
                        },
                    },
                },
                "token": {
                    "type": "object",
                    "properties": {"id": _TEXT},
                    "required": ["id"],
                },
            },
            "required": ["methods"],
        },
        # A string is accepted for ``"scope": "unscoped"`` (keystoneauth bug 1637682).
        "scope": {
            "type": ["object", "string"],
            "properties": {
                "project": {
                    "type": "object",
                    "properties": {"id": _TEXT, "name": _TEXT, "domain": _ID_OR_NAME},
                },
                "domain": _ID_OR_NAME,
                "OS-TRUST:trust": {"type": "object", "properties": {"id": _TEXT}},
                "system": {"type": "object", "properties": {"all": {"type": "boolean"}}},
            },
        },
    },
    "required": ["identity"],
}
_VALIDATOR = jsonschema.Draft202012Validator(AUTH_SCHEMA)


def expecting(attribute: str, target: str) -> errors.BadRequest:
    """Keystone's ``ValidationError`` (400), worded as Keystone words it."""
    return errors.BadRequest(
        f"Expecting to find {attribute} in {target}. The server could not comply with the "
        "request since it is either malformed or otherwise incorrect. The client is assumed "
        "to be in error."
    )


@dataclass(frozen=True)
class Scope:
    #: ``default`` (no scope given), ``unscoped``, ``project``, ``domain``, ``system``,
    #: ``OS-TRUST:trust``.
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthRequest:
    methods: tuple[str, ...]
    #: method name -> its payload, e.g. ``{"password": {"user": {...}}}``.
    payloads: dict[str, dict[str, Any]]
    scope: Scope


#: The JSON types AUTH_SCHEMA names, as ``json.loads`` makes them.
_JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
}


def conforms(schema: dict[str, Any], value: Any) -> bool:
    """Whether ``value`` meets ``schema``, for the keywords AUTH_SCHEMA uses (``type``,
    ``properties``, ``items``, ``required``). jsonschema's validator spends about 100 us on
    a valid login body; this takes a few, and a body it refuses is then judged (and its
    error worded) by the validator itself."""
    kinds = schema.get("type")
    if kinds is not None:
        names = (kinds,) if isinstance(kinds, str) else kinds
        if not any(isinstance(value, _JSON_TYPES[name]) for name in names):
            return False
    if isinstance(value, dict):
        if any(name not in value for name in schema.get("required", ())):
            return False
        for name, inner in schema.get("properties", {}).items():
            if name in value and not conforms(inner, value[name]):
                return False
    items = schema.get("items")
    if items is not None and isinstance(value, list):
        return all(conforms(items, item) for item in value)
    return True


def _schema_error(auth: Any) -> errors.BadRequest | None:
    if conforms(AUTH_SCHEMA, auth):
        return None
    error = next(iter(_VALIDATOR.iter_errors(auth)), None)
    if error is None:
        return None
    if error.path:
        path = "/".join(str(part) for part in error.path)
        return errors.BadRequest(f"Invalid input for field '{path}': {error.message}")
    return errors.BadRequest(error.message)


def _needs_id_or_name(value: Any, path: str) -> None:
    if isinstance(value, dict) and "id" not in value and "name" not in value:
        raise errors.BadRequest(f"Invalid input for field {path}: id or name must be present.")


def _check_ids_or_names(auth: dict[str, Any]) -> None:
    user = auth["identity"].get("password", {}).get("user")
    if user is not None:
        _needs_id_or_name(user, "identity/password/user")
        _needs_id_or_name(user.get("domain"), "identity/password/user/domain")
    scope = auth.get("scope")
    if isinstance(scope, dict):
        project = scope.get("project")
        if project is not None:
            _needs_id_or_name(project, "scope/project")
            _needs_id_or_name(project.get("domain"), "scope/project/domain")
        _needs_id_or_name(scope.get("domain"), "scope/domain")


def _scope(auth: dict[str, Any]) -> Scope:
    if "scope" not in auth:
        return Scope("default")
    scope = auth["scope"]
    # Keystone tests ``kind in scope``: key membership for an object, substring for a string.
    present = [kind for kind in SCOPE_KINDS if kind in scope]
    if len(present) != 1 or (isinstance(scope, str) and present != ["unscoped"]):
        raise expecting("system, project, domain, OS-TRUST:trust or unscoped", "scope")
    kind = present[0]
    data = scope.get(kind) if isinstance(scope, dict) else None
    return Scope(kind, data if isinstance(data, dict) else {})


def parse_auth_request(body: dict[str, Any]) -> AuthRequest:
    """Check the ``auth`` object of a token request; raise 400 (or 401 for a method we lack)."""
    auth = body.get("auth")
    if auth is None:
        raise expecting("auth", "request body")
    problem = _schema_error(auth)
    if problem is not None:
        raise problem
    _check_ids_or_names(auth)
    identity = auth["identity"]
    methods = tuple(dict.fromkeys(identity["methods"]))
    for method in methods:
        if method not in identity:
            raise expecting(method, "identity")
    for method in methods:
        if method not in SUPPORTED_METHODS:
            raise errors.Unauthorized(UNSUPPORTED_METHOD)
    payloads = {method: identity[method] for method in methods}
    return AuthRequest(methods=methods, payloads=payloads, scope=_scope(auth))
