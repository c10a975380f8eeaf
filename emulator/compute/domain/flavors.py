"""Flavors: the built-in set, the config's spelling of one, and the ``is_public`` filter.

Shapes from ``nova/api/openstack/compute/flavors.py`` and ``views/flavors.py``; the sizes
of the built-in set are those of Nova's historical default flavors (devstack still makes
them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.core import errors


@dataclass(frozen=True)
class Flavor:
    id: str
    name: str
    ram: int
    disk: int
    vcpus: int
    ephemeral: int = 0
    swap: int = 0
    rxtx_factor: float = 1.0
    is_public: bool = True
    disabled: bool = False
    description: str | None = None
    extra_specs: dict[str, str] = field(default_factory=dict)


BUILT_IN: tuple[Flavor, ...] = (
    Flavor("1", "m1.tiny", ram=512, disk=1, vcpus=1),
    Flavor("2", "m1.small", ram=2048, disk=20, vcpus=1),
    Flavor("3", "m1.medium", ram=4096, disk=40, vcpus=2),
    Flavor("4", "m1.large", ram=8192, disk=80, vcpus=4),
)

#: The integer fields of a flavor as declared in a config file or scenario.
_SIZES = ("ram", "disk", "vcpus", "ephemeral", "swap")


def parse_spec(spec: str) -> Flavor:
    """``"name id=ID ram=MB disk=GB vcpus=N [ephemeral=GB] [swap=MB] [is_public=false]"``:
    how a config file (a list of strings) declares a flavor. ValueError if malformed."""
    name, *pairs = spec.split()
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"flavor {name!r}: {pair!r} is not key=value")
        values[key] = value
    return from_mapping({"name": name, **values})


def from_mapping(item: dict[str, Any]) -> Flavor:
    """A flavor from a scenario's (or a parsed spec's) mapping; ValueError if malformed."""
    name = item.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        raise ValueError("a flavor needs a name of 1 to 255 characters")
    unknown = set(item) - {"name", "id", "is_public", "description", *_SIZES}
    if unknown:
        raise ValueError(f"flavor {name!r}: unknown keys {', '.join(sorted(unknown))}")
    sizes: dict[str, int] = {}
    for key in _SIZES:
        raw = item.get(key, 0 if key in ("ephemeral", "swap") else None)
        try:
            value = int(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"flavor {name!r}: {key} must be a whole number") from None
        if isinstance(raw, bool) or value < 0 or value > 2**31 - 1:
            raise ValueError(f"flavor {name!r}: {key} must be a whole number >= 0")
        sizes[key] = value
    if sizes["ram"] < 1 or sizes["vcpus"] < 1:
        raise ValueError(f"flavor {name!r}: ram and vcpus must be at least 1")
    public = item.get("is_public", True)
    if isinstance(public, str):
        public = public.lower() in ("true", "1", "yes")
    description = item.get("description")
    return Flavor(
        id=str(item.get("id") or name),
        name=name,
        is_public=bool(public),
        description=None if description is None else str(description),
        ram=sizes["ram"],
        disk=sizes["disk"],
        vcpus=sizes["vcpus"],
        ephemeral=sizes["ephemeral"],
        swap=sizes["swap"],
    )


def parse_is_public(value: str | None) -> bool | None:
    """``flavors.py`` ``_parse_is_public`` (read for admins only; others always get public
    flavors, whatever they send): missing -> public only; ``none`` -> everything;
    true/false strictly (oslo ``bool_from_string``); anything else 400."""
    if value is None:
        return True
    if value.lower() == "none":
        return None
    lowered = value.lower()
    if lowered in ("true", "t", "1", "on", "y", "yes"):
        return True
    if lowered in ("false", "f", "0", "off", "n", "no"):
        return False
    raise errors.BadRequest(f"Invalid is_public filter [{value}]")


def visible(flavor: Flavor, is_public: bool | None, is_admin: bool) -> bool:
    """Non-admins see public flavors only (no flavor-access lists are emulated)."""
    if not is_admin and not flavor.is_public:
        return False
    return is_public is None or flavor.is_public == is_public
