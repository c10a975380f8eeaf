"""glance-download: import an image from another Glance (another region's, or this
emulator itself), as glance/async_/flows/api_image_import.py ``_ImportMetadata`` and
``_internal_plugins/glance_download.py`` do it.

The caller's token and its catalog's image endpoints are handed to the task in memory
(never stored): Glance uses the request context's token and service catalog the same way.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from emulator.core.unit_of_work import UnitOfWork
from emulator.image.store import images as image_store

#: [glance_download_properties] extra_properties: remote properties copied by prefix.
COPIED_PREFIXES = ("hw_", "trait:", "os_distro", "os_secure_boot", "os_type")
TIMEOUT = 60.0


class DownloadFailed(Exception):
    pass


@dataclass(frozen=True)
class Remote:
    """Who asks, and where each region's image service is (``region/interface`` -> URL)."""

    token: str
    endpoints: dict[str, str] = field(default_factory=dict)

    def endpoint(self, region: str, interface: str) -> str:
        """glance/common/utils.py get_glance_endpoint: GlanceEndpointNotFound otherwise."""
        url = self.endpoints.get(f"{region}/{interface}")
        if url is None:
            raise DownloadFailed(f"Glance endpoint not found for {region}/{interface}")
        return url.rstrip("/")


@dataclass
class Saved:
    """What _ImportMetadata.revert puts back."""

    properties: dict[str, str | None]
    formats: dict[str, str | None]
    added: list[str]


def _open(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"X-Auth-Token": token})
    try:
        return urllib.request.urlopen(request, timeout=TIMEOUT)  # noqa: S310 (http(s) only)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DownloadFailed(f"cannot fetch {url}: {exc}") from exc


def import_metadata(
    uow: UnitOfWork, image_id: str, method: dict[str, Any], remote: Remote
) -> tuple[Saved, str]:
    """Fetch the remote image, copy its formats and the chosen properties; returns what
    to restore on failure and the remote data's URL."""
    base = remote.endpoint(
        str(method.get("glance_region")), str(method.get("glance_service_interface", "public"))
    )
    remote_id = str(method.get("glance_image_id"))
    with _open(f"{base}/v2/images/{remote_id}", remote.token) as answer:
        try:
            data = json.loads(answer.read().decode("utf-8"))
        except ValueError as exc:
            raise DownloadFailed("the remote image is not JSON") from exc
    if not isinstance(data, dict) or data.get("status") != "active":
        status = data.get("status") if isinstance(data, dict) else None
        raise DownloadFailed(f"Source image status should be active instead of {status}")
    copied = {
        key: None if value is None else str(value)
        for key, value in data.items()
        if any(key.startswith(prefix) for prefix in COPIED_PREFIXES)
    }
    with uow.atomic():
        image = image_store.get(uow.db, image_id)
        if image is None:
            raise DownloadFailed("Image has been deleted, aborting import.")
        saved = Saved(
            dict(image.extra_properties),
            {"disk_format": image.disk_format, "container_format": image.container_format},
            [k for k in copied if k not in image.extra_properties],
        )
        image.disk_format = data.get("disk_format")
        image.container_format = data.get("container_format")
        image.extra_properties.update(copied)
        image.updated_at = uow.now()
        image_store.save(uow.db, image)
    return saved, f"{base}/v2/images/{remote_id}/file"


def open_data(url: str, remote: Remote) -> tuple[Any, int]:
    answer = _open(url, remote.token)
    try:
        size = int(answer.headers.get("content-length") or 0)
    except ValueError:
        size = 0
    return answer, max(size, 0)


def restore(uow: UnitOfWork, image_id: str, saved: Saved) -> None:
    """_ImportMetadata.revert: the properties and formats as they were."""
    with uow.atomic():
        image = image_store.get(uow.db, image_id)
        if image is None:
            return
        for key in saved.added:
            image.extra_properties.pop(key, None)
        for key, value in saved.properties.items():
            if not key.startswith("os_glance_"):
                image.extra_properties[key] = value
        image.disk_format = saved.formats["disk_format"]
        image.container_format = saved.formats["container_format"]
        image.updated_at = uow.now()
        image_store.save(uow.db, image)
