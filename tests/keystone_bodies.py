"""The Keystone v3 password-login body that tests send, written once."""

from __future__ import annotations

from typing import Any

DEFAULT_DOMAIN = {"id": "default"}


def password_login(user: str, password: str, scope: dict[str, Any] | None = None) -> dict[str, Any]:
    """``POST /v3/auth/tokens`` with a password, the user in the default domain; ``scope``
    as Keystone takes it (e.g. ``project_scope("producer")``), or unscoped."""
    auth: dict[str, Any] = {
        "identity": {
            "methods": ["password"],
            "password": {"user": {"name": user, "domain": DEFAULT_DOMAIN, "password": password}},
        }
    }
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


def project_scope(name: str | None = None, *, project_id: str | None = None) -> dict[str, Any]:
    """A project scope by name (in the default domain) or by id."""
    if project_id is not None:
        return {"project": {"id": project_id}}
    return {"project": {"name": name, "domain": DEFAULT_DOMAIN}}
