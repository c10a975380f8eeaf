"""The one clock: services ask it for the time, so tests can move it."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def to_storage(moment: dt.datetime) -> str:
    """ISO-8601 with microseconds: sorts as text, keeps creation order."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_storage(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def isotime(value: str) -> str:
    """Glance's ``timeutils.isotime``: second precision, ``Z``."""
    return value[:19] + "Z"


def parse_timestamp(value: str) -> dt.datetime:
    """An ISO-8601 UTC timestamp with or without fractions (``...Z`` or ``+00:00``)."""
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)
