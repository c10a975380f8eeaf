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
#: Store types ``enabled_backends`` may name; data of every writable one is kept locally.
STORE_TYPES = ("file", "http", "rbd", "swift", "s3", "cinder")


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
    #: Glance 2024.2+ refuses an upload whose content fails its format's safety checks (a
    #: qcow2 backing file, a VMDK naming an outside extent...) even when the format match
    #: is off (``glance/location.py`` ``set_data``). False: such bytes are stored unchecked,
    #: as Glance before 2024.2 stored every upload, so that compute's own check of the data
    #: can be exercised (tempest's ``image_format_enforcement = false``).
    upload_safety_checks: bool = True
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
    # The compute slice (emulator/compute). Flavors as "name id=ID ram=MB disk=GB vcpus=N
    # [ephemeral=GB] [swap=MB] [is_public=false]"; empty: the built-in m1.tiny..m1.large.
    compute_flavors: tuple[str, ...] = ()
    #: Seconds a server stays in BUILD (and a reboot, rebuild, stop or start in its task)
    #: before it settles.
    compute_build_seconds: float = 1.0
    # Per-project compute quotas (Nova's defaults; -1 is unlimited).
    compute_quota_instances: int = 10
    compute_quota_cores: int = 20
    compute_quota_ram: int = 51200

    # --- interoperable import (glance/common/config.py, [import_filtering_opts]) ---
    #: Glance's ``enabled_import_methods``, in the order the header and /info/import list.
    enabled_import_methods: tuple[str, ...] = ("glance-direct", "web-download", "copy-image")
    #: web-download URI filtering (glance/common/utils.py ``validate_uri``): an
    #: allow-list, when set, wins over its deny-list. Ports are strings in the file.
    import_allowed_schemes: tuple[str, ...] = ("http", "https")
    import_disallowed_schemes: tuple[str, ...] = ()
    import_allowed_hosts: tuple[str, ...] = ()
    import_disallowed_hosts: tuple[str, ...] = ()
    import_allowed_ports: tuple[str, ...] = ("80", "443")
    import_disallowed_ports: tuple[str, ...] = ()
    #: Ours: let web-download reach loopback servers on any port (labs and tests). Glance 33
    #: never fetches from loopback or link-local addresses unless listed in allowed_hosts.
    import_allow_loopback: bool = False
    #: glance-download sources besides this server's own region (``RegionOne``), as
    #: ``Region=http://host:port`` (what the caller's catalog would list in Glance).
    glance_download_regions: tuple[str, ...] = ()
    #: Glance's ``task_time_to_live`` (hours a finished task is kept).
    task_time_to_live: int = 48
    #: Seconds a web-download waits for the remote server before the task fails.
    web_download_timeout: float = 60.0

    # --- Keystone unified limits (glance/quota/keystone.py), per project ---
    #: Glance's ``use_keystone_limits``: off, /v2/info/usage is ``{}`` and nothing is
    #: enforced. On, these registered limits apply to every project (negative: no limit).
    use_keystone_limits: bool = False
    #: MiB of image data in the store.
    image_size_total: int = -1
    #: MiB of data in the staging area.
    image_stage_total: int = -1
    #: Images (not killed or deleted).
    image_count_total: int = -1
    #: Images being uploaded, staged, imported or copied.
    image_count_uploading: int = -1

    # --- features that change the version list (glance/api/versions.py) ---
    #: Glance's ``image_cache_dir`` set: the cache API and versions 2.14, 2.16, 2.18.
    image_cache_enabled: bool = False
    #: Glance's ``enabled_backends`` (``name:type``, e.g. ``fast:file``); empty: one store.
    #: ``http`` stores are read-only, as in Glance.
    enabled_backends: tuple[str, ...] = ()
    #: ``[glance_store] default_backend``; empty: the first of ``enabled_backends``.
    default_backend: str = ""

    @property
    def staging_dir(self) -> Path:
        """Glance's ``node_staging_uri``: staged (not yet imported) image data."""
        return Path(self.data_dir) / "staging"

    #: Requests kept in the request log (``/_emulator/requests``), newest replacing
    #: oldest; 0 keeps none.
    request_log_size: int = 1000
    #: Keep the JSON bodies of non-data requests and answers in the request log, secrets
    #: redacted (``--record-bodies``; for ``glance-emulator replay``).
    request_log_bodies: bool = False

    @property
    def db_path(self) -> Path:
        return Path(self.data_dir) / "emulator.db"

    @property
    def blob_dir(self) -> Path:
        return Path(self.data_dir) / "images"

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)

    def __post_init__(self) -> None:
        for entry in self.enabled_backends:
            name, _, kind = entry.partition(":")
            if not name or kind not in STORE_TYPES or name.startswith("os_glance_"):
                raise ValueError(
                    f"enabled_backends entries are name:type with a type of "
                    f"{', '.join(STORE_TYPES)} (not {entry!r})"
                )
        names = [e.partition(":")[0] for e in self.enabled_backends]
        if self.default_backend and self.default_backend not in names:
            raise ValueError(f"default_backend {self.default_backend!r} is not in enabled_backends")
        if self.sharing_profile not in SHARING_PROFILES:
            raise ValueError(
                f"sharing_profile must be one of {', '.join(SHARING_PROFILES)}, "
                f"not {self.sharing_profile!r}"
            )


def config_field_names() -> list[str]:
    return [f.name for f in dataclasses.fields(Config)]
