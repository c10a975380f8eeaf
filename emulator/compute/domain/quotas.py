"""Per-project quotas on instances, cores and RAM (``nova/compute/utils.py``
``check_num_instances_quota``, ``nova/exception.py`` ``TooManyInstances``)."""

from __future__ import annotations

from dataclasses import dataclass

from emulator.core import errors

#: Nova's 403 message words for each resource.
RESOURCES = ("instances", "cores", "ram")


@dataclass(frozen=True)
class Usage:
    instances: int
    cores: int
    ram: int


def check(limits: Usage, used: Usage, wanted: Usage) -> None:
    """403 when any resource would pass its limit (a negative limit is unlimited).

    Nova boots fewer servers when only part of a multi-create fits; the emulator creates
    one server per request (``min_count``/``max_count`` above 1 are refused elsewhere), so
    the whole request either fits or not."""
    overs = [
        name
        for name in RESOURCES
        if getattr(limits, name) >= 0
        and getattr(used, name) + getattr(wanted, name) > getattr(limits, name)
    ]
    if not overs:
        return
    overs.sort()
    names = ", ".join(overs)
    requested = ", ".join(str(getattr(wanted, name)) for name in overs)
    already = ", ".join(str(getattr(used, name)) for name in overs)
    allowed = ", ".join(str(getattr(limits, name)) for name in overs)
    raise errors.Forbidden(
        f"Quota exceeded for {names}: Requested {requested}, but already used {already} "
        f"of {allowed} {names}"
    )
