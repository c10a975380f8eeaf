"""Which web-download URIs Glance lets through: Glance 33.0.0's glance/common/utils.py
``validate_uri`` (``get_validated_address``, ``resolve_pinned_address``) and
``normalize_hostname``. Unlike the older ``validate_import_uri``, 33.0.0 also resolves the
host and refuses loopback and link-local addresses unless the host is in allowed_hosts.

Name resolution is I/O, so the caller passes ``resolves`` and ``addresses``.
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


def _blocked_address(address: str) -> bool:
    """Loopback and link-local addresses (cloud metadata endpoints): never fetched."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_link_local


def passes(
    uri: object,
    rules: UriFilter,
    resolves: Callable[[str], bool],
    addresses: Callable[[str, int], list[str]],
) -> bool:
    """True if a web-download (or legacy import task) may fetch ``uri``: Glance 33's
    ``validate_uri`` (``get_validated_address``, then ``resolve_pinned_address``).

    ``addresses(host, port)`` lists the host's addresses (raising ValueError if it cannot).
    """
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
    loopback_allowed = rules.allow_loopback and is_loopback(host)
    normalized = normalize_hostname(host, resolves) if host else None
    if not normalized:
        return False
    if rules.allowed_hosts and normalized not in rules.allowed_hosts:
        return False
    if normalized in bl_hosts:
        return False
    if port and not loopback_allowed:
        if (rules.allowed_ports and port not in rules.allowed_ports) or port in bl_ports:
            return False
    try:
        found = addresses(normalized, port or (443 if scheme == "https" else 80))
    except ValueError:
        return False
    whitelisted = bool(rules.allowed_hosts) and normalized in rules.allowed_hosts
    for address in found:
        if whitelisted or loopback_allowed:
            return True
        if _blocked_address(address):
            continue
        if any(_same_address(address, b) for b in bl_hosts if b != normalized):
            continue
        return True
    return False


def _same_address(address: str, blocked: str) -> bool:
    try:
        return ipaddress.ip_address(address) == ipaddress.ip_address(blocked)
    except ValueError:
        return address == blocked
