"""``/v2/images/{id}/members[/{member_id}]``: glance/api/v2/image_members.py.

Create answers 200 (not 201), delete 204; GET and DELETE refuse a body, as Glance's router
says (``body_reject``). The member document follows ``ResponseSerializer._format_image_member``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from emulator.core import clock
from emulator.core.http import bodies
from emulator.core.http.render import json_response, no_content
from emulator.core.http.request_scope import unit_of_work
from emulator.image.domain.members import Membership
from emulator.image.services import members as member_service

bp = Blueprint("image_members", __name__)


def member_document(membership: Membership) -> dict[str, Any]:
    """Glance's key order: member_id, image_id, status, created_at, updated_at, schema."""
    return {
        "member_id": membership.member_id,
        "image_id": membership.image_id,
        "status": membership.status,
        "created_at": clock.isotime(membership.created_at),
        "updated_at": clock.isotime(membership.updated_at),
        "schema": "/v2/schemas/member",
    }


@bp.post("/v2/images/<image_id>/members")
def create(image_id: str) -> Response:
    body = bodies.json_body()
    membership = member_service.create(unit_of_work(), image_id, body)
    document = member_document(membership)
    sent = body.get("member") if isinstance(body, dict) else None
    if isinstance(sent, bool | int | float):
        # Glance answers with the member it built from the request, not the row it stored:
        # a number comes back as sent (12), and as text ("12") from then on.
        document["member_id"] = sent
    return json_response(document)


@bp.get("/v2/images/<image_id>/members")
def index(image_id: str) -> Response:
    bodies.refuse_body()
    rows = member_service.index(unit_of_work(), image_id)
    return json_response(
        {"members": [member_document(row) for row in rows], "schema": "/v2/schemas/members"}
    )


@bp.get("/v2/images/<image_id>/members/<member_id>")
def show(image_id: str, member_id: str) -> Response:
    bodies.refuse_body()
    membership = member_service.show(unit_of_work(), image_id, member_id)
    return json_response(member_document(membership))


@bp.put("/v2/images/<image_id>/members/<member_id>")
def update(image_id: str, member_id: str) -> Response:
    body = bodies.json_body()
    membership = member_service.update(unit_of_work(), image_id, member_id, body)
    return json_response(member_document(membership))


@bp.delete("/v2/images/<image_id>/members/<member_id>")
def delete(image_id: str, member_id: str) -> Response:
    bodies.refuse_body()
    member_service.delete(unit_of_work(), image_id, member_id)
    return no_content()
