"""Keystone unified limits as Glance enforces them (glance/quota/keystone.py with
oslo.limit's Enforcer): usage plus the requested delta must not pass the limit."""

from __future__ import annotations

from emulator.core import errors

IMAGE_SIZE_TOTAL = "image_size_total"
IMAGE_STAGE_TOTAL = "image_stage_total"
IMAGE_COUNT_TOTAL = "image_count_total"
IMAGE_COUNT_UPLOADING = "image_count_uploading"
RESOURCES = (IMAGE_SIZE_TOTAL, IMAGE_STAGE_TOTAL, IMAGE_COUNT_TOTAL, IMAGE_COUNT_UPLOADING)
MIB = 1 << 20

# glance/common/exception.py LimitExceeded, with oslo_limit's ProjectOverLimit as its body.
_EXCEEDED = (
    "The request returned a 413 Request Entity Too Large. This generally means that rate "
    "limiting or a quota threshold was breached.\n\nThe response body:\n"
    "Project {project} is over a limit for [Resource {name} is over limit of {limit} due to "
    "current usage {usage} and delta {delta}]"
)


def check(project_id: str | None, name: str, limit: int, usage: int, delta: int) -> None:
    """413 if ``usage + delta`` passes ``limit``; a negative limit means none."""
    if limit < 0 or usage + delta <= limit:
        return
    raise errors.RequestEntityTooLarge(
        _EXCEEDED.format(project=project_id, name=name, limit=limit, usage=usage, delta=delta)
    )
