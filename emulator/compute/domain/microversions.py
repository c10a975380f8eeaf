"""Compute microversions: which one a request asks for, and whether we serve it.

Follows ``nova/api/openstack/api_version_request.py`` (the ``MajorNum.MinorNum`` format,
``latest``) and ``nova/api/openstack/wsgi.py`` ``Request.set_api_version_request`` (the newer
``OpenStack-API-Version: compute X`` header wins over ``X-OpenStack-Nova-API-Version``; no
header means the minimum, 2.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from emulator.core import errors

#: The lowest and highest microversion served. 2.60 is high enough that today's clients
#: embed the flavor in servers (2.47) and get ``image_id`` from createImage (2.45); what
#: later microversions add is not emulated (api-ref/compute.md).
MIN_VERSION = (2, 1)
MAX_VERSION = (2, 60)

_FORMAT = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def at_least(self, text: str) -> bool:
        major, minor = (int(part) for part in text.split("."))
        return (self.major, self.minor) >= (major, minor)


MINIMUM = Version(*MIN_VERSION)
MAXIMUM = Version(*MAX_VERSION)


class VersionNotAcceptable(errors.EmulatorError):
    """Nova's 406 for a version outside the range (``computeFault`` body)."""

    status = 406
    title = "Not Acceptable"


def requested(new_header: str | None, legacy_header: str | None) -> str | None:
    """The version text asked for: the ``compute`` entry of ``OpenStack-API-Version``
    (microversion_parse), else ``X-OpenStack-Nova-API-Version``, else None."""
    if new_header:
        for entry in new_header.split(","):
            service, _, value = entry.strip().partition(" ")
            if service.lower() == "compute" and value.strip():
                return value.strip()
    if legacy_header is not None and legacy_header.strip():
        return legacy_header.strip()
    return None


def negotiate(text: str | None) -> Version:
    """The effective version; 400 for a malformed one, 406 outside the range."""
    if text is None:
        return MINIMUM
    if text.lower() == "latest":
        return MAXIMUM
    match = _FORMAT.match(text)
    if match is None:
        raise errors.BadRequest(
            f"API Version String {text} is of invalid format. Must be of format MajorNum.MinorNum."
        )
    version = Version(int(match.group(1)), int(match.group(2)))
    if not MINIMUM <= version <= MAXIMUM:
        raise VersionNotAcceptable(
            f"Version {version} is not supported by the API. Minimum is {MINIMUM} and "
            f"maximum is {MAXIMUM}."
        )
    return version
