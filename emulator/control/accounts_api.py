"""``/_emulator/accounts``: who can log in, so that ``clouds-yaml --url`` and ``env --url``
work from a server's URL alone.

A password is only given where it follows the ``<name>-pass`` convention (the demo accounts,
the packaged scenarios): only hashes are stored, so any other stays ``null`` and the client
configuration shows a placeholder. Same access rules as reset and export.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from emulator.control.api import _require_operator
from emulator.core.http.render import json_response
from emulator.core.http.request_scope import unit_of_work
from emulator.identity.services import accounts

bp = Blueprint("control_accounts", __name__, url_prefix="/_emulator")


def _accounts(db: Any) -> list[dict[str, Any]]:
    found = []
    for user in accounts.list_users(db):
        if user.default_project_id is None:
            continue
        project = accounts.get_project(db, user.default_project_id)
        if project is None:
            continue
        conventional = f"{user.name}-pass"
        known = accounts.check_password(db, user.id, conventional)
        found.append(
            {
                "user": user.name,
                "user_id": user.id,
                "password": conventional if known else None,
                "project_name": project.name,
                "project_id": project.id,
                "roles": accounts.roles_on_project(db, user.id, project.id),
            }
        )
    return found


@bp.get("/accounts")
def list_accounts() -> Response:
    _require_operator()
    return json_response({"accounts": _accounts(unit_of_work().db)})
