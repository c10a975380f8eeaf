"""Image members: statuses, request bodies and the rules of the members API, with Glance's words.

Sources: ``glance/domain/__init__.py`` (``ImageMembership``: the status setter;
``ImageMemberFactory``: a new member is ``pending``), ``glance/api/v2/image_members.py``
(``RequestDeserializer`` messages, the controller's "Only shared images have members." check and
how each action words a refusal), ``glance/quota/__init__.py`` (``image_member_quota``),
``glance/common/utils.py`` (``no_4byte_params`` on ``image_member_create``).
Who may call which action is in ``emulator.image.domain.access``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from emulator.core import errors

STATUSES = ("pending", "accepted", "rejected")
#: ImageMemberFactory.new_image_member; re-adding a removed member starts over here too.
INITIAL_STATUS = "pending"
#: The members API only works on shared images (ImageMembersController._check_visibility...).
SHARED = "shared"
#: ``image_members.member`` is ``String(255)`` in Glance's model. Glance itself has no check
#: (MySQL answers a 500); we refuse longer ids with a 400 instead.
MAX_MEMBER_ID_LENGTH = 255

_FOUR_BYTE_UNICODE = re.compile("[\U00010000-\U0010ffff]")

# How each controller action words the "Only shared images have members." refusal: create,
# update and delete replace the message with their own, index appends it, show hides it as
# a 404 (glance/api/v2/image_members.py).
_NOT_SHARED_MESSAGES = {
    "create": "Not allowed to create members for image {image_id}.",
    "update": "Not allowed to update members for image {image_id}.",
    "delete": "Not allowed to delete members for image {image_id}.",
    "index": "Not allowed to list members for image {image_id}: Only shared images have members.",
}
ONLY_SHARED = "Only shared images have members."


@dataclass
class Membership:
    image_id: str
    member_id: str
    status: str
    created_at: str
    updated_at: str


def new_membership(image_id: str, member_id: str, now: str) -> Membership:
    return Membership(image_id, member_id, INITIAL_STATUS, now, now)


def _body_object(body: Any) -> Any:
    """Glance's JSON deserializer takes only objects and arrays (wsgi.from_json)."""
    if not isinstance(body, dict | list):
        raise errors.BadRequest("Unexpected body type. Expected list/dict.")
    return body


def parse_create_body(body: Any) -> str:
    """``{"member": "<project id>"}`` -> the member id (RequestDeserializer.create)."""
    body = _body_object(body)
    if not isinstance(body, dict):
        raise errors.BadRequest('Expected a member in the form: {"member": "image_id"}')
    if "member" not in body:
        raise errors.BadRequest("Member to be added not specified")
    raw = body["member"]
    if not raw:
        raise errors.BadRequest("Member can't be empty")
    if isinstance(raw, bool | int | float):
        # Glance takes any truthy value and its database keeps numbers as text (a real
        # Glance 33 answers 200 to {"member": 12} and lists "12"). A list or an object
        # fails there with a 500; it is refused here in the deserializer's own words.
        member_id = number_as_text(raw)
    elif isinstance(raw, str):
        member_id = raw
    else:
        raise errors.BadRequest('Expected a member in the form: {"member": "image_id"}')
    if len(member_id) > MAX_MEMBER_ID_LENGTH:
        raise errors.BadRequest(f"Member can't be longer than {MAX_MEMBER_ID_LENGTH} characters.")
    return member_id


def number_as_text(value: bool | int | float) -> str:
    """A JSON number as SQLite stores it in a text column: ``12``, ``1.5``, ``2.0``,
    ``1.0e+20``; true is 1 (SQLite's ``%!.15g`` for reals)."""
    if isinstance(value, bool | int):
        return str(int(value))
    text = f"{value:.15g}"
    mantissa, exponent, power = text.partition("e")
    if "." not in mantissa and mantissa.lstrip("-").isdigit():
        mantissa += ".0"
    return mantissa + exponent + power


def parse_update_body(body: Any) -> Any:
    """``{"status": ...}`` -> the raw status; other keys are ignored (RequestDeserializer.update).

    The value itself is checked later, after the policy checks, as in Glance (``check_status``).
    """
    body = _body_object(body)
    if not isinstance(body, dict):
        raise errors.BadRequest('Expected a status in the form: {"status": "status"}')
    if "status" not in body:
        raise errors.BadRequest("Status not specified")
    return body["status"]


def check_status(status: Any) -> str:
    """ImageMembership.status setter; the controller prefixes "Incorrect request: "."""
    if not isinstance(status, str) or status not in STATUSES:
        raise errors.BadRequest(
            'Incorrect request: Status must be "pending", "accepted" or "rejected".'
        )
    return status


def check_shared(visibility: str, action: str, image_id: str) -> None:
    """Only shared images have members: 403 in the action's words, 404 for ``show``."""
    if visibility == SHARED:
        return
    if action == "show":
        raise errors.NotFound(ONLY_SHARED)
    raise errors.Forbidden(_NOT_SHARED_MESSAGES[action].format(image_id=image_id))


def check_quota(current_count: int, quota: int, image_id: str) -> None:
    """glance/quota ImageMemberFactoryProxy: checked before the duplicate check; <0 = no limit."""
    if quota < 0:
        return
    attempted = current_count + 1
    if attempted > quota:
        raise errors.RequestEntityTooLarge(
            f"Image member limit exceeded for image {image_id}: The limit has been exceeded "
            "on the number of allowed image members for this image. "
            f"Attempted: {attempted}, Maximum: {quota}:"
        )


def check_storable(member_id: str) -> None:
    """``no_4byte_params`` on image_member_create: MySQL's utf8 cannot hold them."""
    if _FOUR_BYTE_UNICODE.search(member_id):
        raise errors.BadRequest("Member can't contain 4 byte unicode characters.")


def duplicate(member_id: str, image_id: str) -> errors.Conflict:
    return errors.Conflict(f"Member {member_id} is duplicated for image {image_id}")


def image_not_found(image_id: str) -> errors.NotFound:
    """ImageMembersController._lookup_image's 404 (also for images the caller cannot see)."""
    return errors.NotFound(f"Image {image_id} not found.")


def member_not_found(member_id: str, image_id: str) -> errors.NotFound:
    """_lookup_member's 404: also what a member gets for any row but its own."""
    return errors.NotFound(f"{member_id} not found in the member list of the image {image_id}.")
