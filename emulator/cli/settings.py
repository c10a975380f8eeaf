"""Building the run-time settings: defaults, then an optional TOML file, then flags.

Later sources win: a flag beats the file, the file beats the defaults. The TOML file uses the
:class:`~emulator.core.config.Config` field names at the top level (Glance's own option names,
``image_member_quota``...) and a ``[server]`` table for how to serve::

    sharing_profile = "strict"
    image_member_quota = 10

    [server]
    host = "127.0.0.1"
    port = 9292
    workers = 1

No Flask import here: ``--help`` and bad-option errors must answer instantly.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.core.config import SHARING_PROFILES, Config, config_field_names

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")

# Lowest accepted value of each integer option; Glance's own bounds where it has them
# (glance/common/config.py: image_size_cap min=1, limit_param_default min=1,
# api_limit_max min=1). Quotas have no lower bound: Glance reads a negative quota as
# "unlimited", and so do we (emulator/domain/images.py check_quotas).
INT_MINIMUMS: dict[str, int] = {
    "token_ttl_seconds": 1,
    "image_size_cap": 1,
    "limit_param_default": 1,
    "api_limit_max": 1,
    "max_request_body_size": 1,
    "port": 0,
    "threads": 1,
    "workers": 1,
    "request_log_size": 0,
}
INT_MAXIMUMS: dict[str, int] = {
    # glance/common/config.py: image_size_cap max=9223372036854775808 (8 EiB).
    "image_size_cap": 9223372036854775808,
    "port": 65535,
    "workers": 64,
}


class SettingsError(ValueError):
    """A setting has a bad name, type or value. The CLI reports it and exits with 2."""


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 9292
    threads: int = 32
    #: Server processes over the one data dir (Glance's ``workers``); 1 = this process
    #: serves. More lift concurrent reads on a multi-core machine (``cli/workers.py``).
    workers: int = 1
    log_level: str = "info"


@dataclass(frozen=True)
class Settings:
    config: Config
    server: ServerSettings
    #: True when the data dir is a temporary folder to remove on exit.
    ephemeral: bool = False
    #: A scenario (packaged name or file) to load into a new data dir.
    scenario: str | None = None


def server_field_names() -> list[str]:
    return [f.name for f in dataclasses.fields(ServerSettings)]


def load_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(f"config file not found: {path}") from None
    except IsADirectoryError:
        raise SettingsError(f"config file is a directory: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None


def _check_int(name: str, value: Any, where: str) -> int:
    # bool is an int in Python; `port = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(f"{where}{name} must be an integer, not {value!r}")
    low, high = INT_MINIMUMS.get(name), INT_MAXIMUMS.get(name)
    if low is not None and value < low:
        raise SettingsError(f"{where}{name} must be at least {low}, not {value}")
    if high is not None and value > high:
        raise SettingsError(f"{where}{name} must be at most {high}, not {value}")
    return value


def _check_config_value(name: str, value: Any, where: str) -> Any:
    default = getattr(Config(), name)
    if name == "data_dir":
        if not isinstance(value, str | Path) or not str(value):
            raise SettingsError(f"{where}data_dir must be a non-empty path string")
        return Path(value)
    if name == "public_endpoint":
        if value is None:
            return None
        if not isinstance(value, str) or not value.startswith(("http://", "https://")):
            raise SettingsError(
                f"{where}public_endpoint must be an http:// or https:// URL, not {value!r}"
            )
        return value.rstrip("/")
    if name == "sharing_profile":
        if value not in SHARING_PROFILES:
            raise SettingsError(
                f"{where}sharing_profile must be one of {', '.join(SHARING_PROFILES)}, "
                f"not {value!r}"
            )
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise SettingsError(f"{where}{name} must be true or false, not {value!r}")
        return value
    if isinstance(default, int):
        return _check_int(name, value, where)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise SettingsError(f"{where}{name} must be a positive number, not {value!r}")
        return float(value)
    if isinstance(default, tuple):
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{where}{name} must be a list of strings")
        return tuple(value)
    if isinstance(default, str) and not isinstance(value, str):
        raise SettingsError(f"{where}{name} must be a string, not {value!r}")
    return value


def _check_server_value(name: str, value: Any, where: str) -> Any:
    if name in ("port", "threads", "workers"):
        return _check_int(name, value, where)
    if name == "log_level":
        if not isinstance(value, str) or value.lower() not in LOG_LEVELS:
            raise SettingsError(
                f"{where}log_level must be one of {', '.join(LOG_LEVELS)}, not {value!r}"
            )
        return value.lower()
    if not isinstance(value, str) or not value:
        raise SettingsError(f"{where}{name} must be a non-empty string, not {value!r}")
    return value


def _from_file(document: Mapping[str, Any], path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split and check a parsed TOML document into (config changes, server changes)."""
    where = f"config file {path}: "
    config_names, server_names = set(config_field_names()), set(server_field_names())
    config_changes: dict[str, Any] = {}
    server_changes: dict[str, Any] = {}
    for key, value in document.items():
        if key == "server":
            if not isinstance(value, dict):
                raise SettingsError(f"{where}[server] must be a table")
            for name, item in value.items():
                if name not in server_names:
                    raise SettingsError(
                        f"{where}unknown key server.{name} "
                        f"(known: {', '.join(sorted(server_names))})"
                    )
                server_changes[name] = _check_server_value(name, item, where + "server.")
        elif key in config_names:
            config_changes[key] = _check_config_value(key, value, where)
        else:
            raise SettingsError(
                f"{where}unknown key {key!r} "
                f"(known: {', '.join(sorted(config_names))}, and a [server] table)"
            )
    # A relative data_dir in a file means relative to that file, not to wherever the
    # command happens to be run from.
    data_dir = config_changes.get("data_dir")
    if data_dir is not None and not data_dir.is_absolute():
        config_changes["data_dir"] = (path.parent / data_dir).resolve()
    return config_changes, server_changes


def build(
    config_file: Path | None = None,
    config_overrides: Mapping[str, Any] | None = None,
    server_overrides: Mapping[str, Any] | None = None,
    ephemeral_dir: Path | None = None,
) -> Settings:
    """Defaults, then ``config_file``, then the overrides (flags; None values are ignored).

    ``ephemeral_dir``, when given, replaces any data dir from the file or flags.
    """
    config_changes: dict[str, Any] = {}
    server_changes: dict[str, Any] = {}
    if config_file is not None:
        config_changes, server_changes = _from_file(load_toml(config_file), config_file)
    for name, value in (config_overrides or {}).items():
        if value is not None:
            config_changes[name] = _check_config_value(name, value, "--")
    for name, value in (server_overrides or {}).items():
        if value is not None:
            server_changes[name] = _check_server_value(name, value, "--")
    if ephemeral_dir is not None:
        config_changes["data_dir"] = ephemeral_dir
    try:
        config = Config(**config_changes)
    except (TypeError, ValueError) as exc:  # Config's own checks, as a last line
        raise SettingsError(str(exc)) from None
    return Settings(
        config=config,
        server=ServerSettings(**server_changes),
        ephemeral=ephemeral_dir is not None,
    )


def config_document(config: Config) -> dict[str, Any]:
    """``config`` as JSON values, for a worker process (``workers.py``) to rebuild."""
    document = {}
    for name in config_field_names():
        value = getattr(config, name)
        document[name] = (
            str(value)
            if isinstance(value, Path)
            else list(value)
            if isinstance(value, tuple)
            else value
        )
    return document


def config_from_document(document: Mapping[str, Any]) -> Config:
    """The inverse of :func:`config_document`."""
    defaults = Config()
    values: dict[str, Any] = {}
    for name, value in document.items():
        default = getattr(defaults, name)
        values[name] = (
            Path(value)
            if isinstance(default, Path)
            else tuple(value)
            if isinstance(default, tuple)
            else value
        )
    return Config(**values)
