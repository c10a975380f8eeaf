"""Which web-download URIs Glance lets through: glance/common/utils.py
``validate_import_uri`` and ``normalize_hostname``.

Name resolution is I/O, so the caller passes ``resolves`` (does ``host.`` resolve?).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse


@dataclass(frozen=True)
class UriFilter:
    """``[import_filtering_opts]``: an allow-list, when set, wins over its deny-list."""

    allowed_schemes: tuple[str, ...] = ("http", "https")
    disallowed_schemes: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    disallowed_hosts: tuple[str, ...] = ()
    allowed_ports: tuple[int, ...] = (80, 443)
    disallowed_ports: tuple[int, ...] = ()
    #: Ours (off in Glance): loopback hosts pass on any port.
    allow_loopback: bool = False


LOOPBACK_NAMES = ("localhost", "localhost.")


def normalize_hostname(host: str, resolves: Callable[[str], bool]) -> str | None:
    """The host as Glance compares it, or None if it is refused outright."""
    for kind in (ipaddress.IPv4Address, ipaddress.IPv6Address):
        try:
            return str(kind(host))
        except ValueError:
            pass
    if host.isdigit() or all(c.isdigit() or c == "." for c in host):
        return None  # 2130706433, 127.1: encoded addresses
    return host if resolves(host if host.endswith(".") else host + ".") else None


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def passes(uri: object, rules: UriFilter, resolves: Callable[[str], bool]) -> bool:
    """True if a web-download (or legacy import task) may fetch ``uri``."""
    if not isinstance(uri, str) or not uri:
        return False
    try:
        parsed = urlparse(uri)
        host, port = parsed.hostname, parsed.port
    except ValueError:  # a port out of range or not a number
        return False
    scheme = parsed.scheme
    bl_schemes = () if rules.allowed_schemes else rules.disallowed_schemes
    bl_hosts = () if rules.allowed_hosts else rules.disallowed_hosts
    bl_ports = () if rules.allowed_ports else rules.disallowed_ports
    if not scheme or (rules.allowed_schemes and scheme not in rules.allowed_schemes):
        return False
    if scheme in bl_schemes:
        return False
    if rules.allow_loopback and is_loopback(host):
        return True
    normalized = normalize_hostname(host, resolves) if host else None
    if not normalized:
        return False
    if rules.allowed_hosts and normalized not in rules.allowed_hosts:
        return False
    if normalized in bl_hosts:
        return False
    if port and ((rules.allowed_ports and port not in rules.allowed_ports) or port in bl_ports):
        return False
    return True
