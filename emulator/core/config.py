"""Configuration: one frozen dataclass, built from defaults, a file and flags.

Names follow Glance's own options (``image_member_quota``, ``limit_param_default``...) so a
reader can look each one up in ``glance/common/config.py``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHARING_PROFILES = ("glance", "strict")


@dataclass(frozen=True)
class Config:
    #: Folder holding ``emulator.db`` and ``images/``. Required.
    data_dir: Path = Path("data")
    #: Public base URL override (Glance's ``public_endpoint``); None = from the request.
    public_endpoint: str | None = None
    #: ``glance``: Glance's rules. ``strict``: members see nothing until they accept.
    sharing_profile: str = "glance"
    token_ttl_seconds: int = 3600
    # Glance quotas and limits (glance/common/config.py defaults).
    image_member_quota: int = 128
    image_property_quota: int = 128
    image_tag_quota: int = 128
    image_size_cap: int = 1099511627776  # 1 TiB
    limit_param_default: int = 25
    api_limit_max: int = 1000
    #: Largest JSON request body accepted (bytes); image data is limited by image_size_cap.
    max_request_body_size: int = 1 << 20
    #: Largest scenario document the control API accepts (exports carry image data inline).
    max_scenario_body_size: int = 512 << 20
    #: Glance 33 inspects uploaded bytes of ``bare`` images against ``disk_format``.
    inspect_image_format: bool = True
    #: Seconds a request waits for another writer (a long reset or scenario load) before it
    #: is answered 503 with ``Retry-After``.
    database_busy_timeout: float = 30.0
    #: Create the demo accounts in an empty data dir.
    demo_accounts: bool = True
    #: ``/_emulator/`` answers loopback clients only, and needs no token from them; a
    #: remote client is refused (403) even with an admin token. False: an admin token is
    #: needed, from any address (``api/control.py`` ``_require_operator``).
    control_api_loopback_only: bool = False
    disk_formats: tuple[str, ...] = (
        "ami",
        "ari",
        "aki",
        "vhd",
        "vhdx",
        "vmdk",
        "raw",
        "qcow2",
        "vdi",
        "iso",
        "ploop",
    )
    container_formats: tuple[str, ...] = (
        "ami",
        "ari",
        "aki",
        "bare",
        "ovf",
        "ova",
        "docker",
        "compressed",
    )
    #: Requests kept in the request log (``/_emulator/requests``), newest replacing
    #: oldest; 0 keeps none.
    request_log_size: int = 1000

    @property
    def db_path(self) -> Path:
        return Path(self.data_dir) / "emulator.db"

    @property
    def blob_dir(self) -> Path:
        return Path(self.data_dir) / "images"

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)

    def __post_init__(self) -> None:
        if self.sharing_profile not in SHARING_PROFILES:
            raise ValueError(
                f"sharing_profile must be one of {', '.join(SHARING_PROFILES)}, "
                f"not {self.sharing_profile!r}"
            )


def config_field_names() -> list[str]:
    return [f.name for f in dataclasses.fields(Config)]
