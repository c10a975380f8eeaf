"""The image tabs and the image page: what the logged-in user's API calls would show."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from werkzeug.wrappers import Response as BaseResponse

from emulator.core import clock, errors
from emulator.core.http.request_scope import config, unit_of_work
from emulator.image.domain.members import Membership
from emulator.image.services import images as image_service
from emulator.image.services import members as member_service
from emulator.panel import commands, tabs
from emulator.panel.blueprint import bp
from emulator.panel.views.common import attempt, back, user

#: The attributes the image page lists, in Glance's document order.
ATTRIBUTES = (
    "id",
    "name",
    "status",
    "visibility",
    "owner",
    "disk_format",
    "container_format",
    "size",
    "virtual_size",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "min_ram",
    "min_disk",
    "protected",
    "os_hidden",
    "created_at",
    "updated_at",
)
VISIBILITIES = ("private", "shared", "community", "public")
ANSWERS = (("accepted", "Accept"), ("rejected", "Reject"), ("pending", "Back to pending"))


@bp.get("/images")
def images() -> str:
    uow = unit_of_work()
    me = user()
    chosen = tabs.BY_KEY.get(request.args.get("tab", "mine"))
    if chosen is None:
        raise errors.NotFound(f"There is no image tab named {request.args.get('tab')!r}.")
    lists = {tab.key: tabs.images_of(uow, tab) for tab in tabs.TABS}
    return render_template(
        "panel/images.html",
        tabs=tabs.TABS,
        chosen=chosen,
        lists=lists,
        command=commands.image_list(chosen.key, me.project_id),
        create_command=commands.image_create("NAME", "raw", "bare", "shared"),
        disk_formats=config().disk_formats,
        container_formats=config().container_formats,
        visibilities=VISIBILITIES,
        strict=config().sharing_profile == "strict",
    )


@bp.post("/images")
def create_image() -> BaseResponse:
    form = request.form
    body: dict[str, Any] = {"visibility": form.get("visibility", "shared")}
    for key in ("name", "disk_format", "container_format"):
        if form.get(key):
            body[key] = form[key]
    created: list[str] = []

    def create() -> None:
        created.append(image_service.create(unit_of_work(), body).id)

    named = f" {body['name']}" if body.get("name") else ""
    if attempt(create, f"Image{named} created: upload its data below."):
        return back("panel.image", image_id=created[0])
    return back("panel.images")


def _members(image_id: str, owner_view: bool) -> tuple[list[Membership], str | None]:
    """The rows the caller may list (all for the owner, its own for a member), or why not."""
    try:
        return member_service.index(unit_of_work(), image_id), None
    except errors.EmulatorError as exc:
        return [], exc.message if owner_view else None


@bp.get("/images/<image_id>")
def image(image_id: str) -> str:
    uow = unit_of_work()
    me = user()
    found = image_service.show(uow, image_id)  # the API's 404 when not visible
    is_owner = me.is_admin or (found.owner is not None and found.owner == me.project_id)
    members, members_refusal = _members(found.id, is_owner)
    mine = next((m for m in members if m.member_id == me.project_id), None)
    attributes = [(key, _shown(key, getattr(found, key))) for key in ATTRIBUTES]
    return render_template(
        "panel/image.html",
        image=found,
        attributes=attributes,
        properties=sorted(found.extra_properties.items()),
        is_owner=is_owner,
        members=members,
        members_refusal=members_refusal,
        my_membership=mine,
        member_choices=[(s, label) for s, label in ANSWERS if mine is None or s != mine.status],
        visibilities=VISIBILITIES,
        cli=_commands(found.id, members, mine),
    )


def _shown(key: str, value: Any) -> str:
    """As the image document shows it (``openstack image show`` prints the same)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if key in ("created_at", "updated_at"):
        return clock.isotime(str(value))
    return str(value)


def _commands(image_id: str, members: list[Membership], mine: Membership | None) -> Any:
    return {
        "show": commands.image_show(image_id),
        "members": commands.member_list(image_id),
        "add_member": commands.add_member(image_id),
        "remove": {m.member_id: commands.remove_member(image_id, m.member_id) for m in members},
        "status": {s: commands.member_status(image_id, s) for s in commands.MEMBER_FLAGS},
        "visibility": {v: commands.set_visibility(image_id, v) for v in VISIBILITIES},
        "deactivate": commands.deactivate(image_id),
        "reactivate": commands.reactivate(image_id),
        "upload": commands.upload(image_id),
        "download": commands.download(image_id),
        "delete": commands.delete(image_id),
        "mine": mine,
    }
