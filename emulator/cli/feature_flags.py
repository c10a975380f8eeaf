"""The ``serve`` options that switch Glance features on: several stores, the image cache,
loopback web-downloads (each maps onto a Config field of Glance's option name)."""

from __future__ import annotations

import argparse

#: flag destination -> Config field
CONFIG_FLAGS: dict[str, str] = {
    "import_allow_loopback": "import_allow_loopback",
    "enabled_backends": "enabled_backends",
    "image_cache_enabled": "image_cache_enabled",
}


def _stores(text: str) -> tuple[str, ...]:
    """``fast,slow`` -> Glance's ``enabled_backends`` of file stores."""
    return tuple(f"{name.strip()}:file" for name in text.split(",") if name.strip())


def add_to(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--allow-loopback-import",
        dest="import_allow_loopback",
        action="store_const",
        const=True,
        default=None,
        help="let web-download imports fetch from loopback addresses on any port (for "
        "tests and labs; Glance 33 never fetches from loopback)",
    )
    group.add_argument(
        "--stores",
        dest="enabled_backends",
        metavar="A,B",
        type=_stores,
        default=None,
        help="several file stores, the first the default (Glance's enabled_backends; "
        "default: one store)",
    )
    group.add_argument(
        "--image-cache",
        dest="image_cache_enabled",
        action="store_const",
        const=True,
        default=None,
        help="serve the image cache API (/v2/cache; Glance's image_cache_dir; default: off)",
    )
