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
