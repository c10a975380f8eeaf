"""web-download URI filtering as Glance 33.0.0 applies it (glance/common/utils.py
validate_uri, get_validated_address, resolve_pinned_address, normalize_hostname)."""

from __future__ import annotations

import pytest

from emulator.image.domain.import_uri import UriFilter, passes

DNS = {"images.example.com": ["203.0.113.7"], "inside.example.com": ["127.0.0.1"]}


def resolves(name: str) -> bool:
    return name.rstrip(".") in DNS


def addresses(host: str, _port: int) -> list[str]:
    if host in DNS:
        return DNS[host]
    if host[0].isdigit() or ":" in host:
        return [host]
    raise ValueError(host)


@pytest.mark.parametrize(
    ("uri", "rules", "expected"),
    [
        ("http://images.example.com/c.qcow2", UriFilter(), True),
        ("https://images.example.com:443/c.qcow2", UriFilter(), True),
        ("http://images.example.com:8080/c", UriFilter(), False),
        ("http://images.example.com:8080/c", UriFilter(allowed_ports=()), True),
        ("ftp://images.example.com/c", UriFilter(), False),
        ("http://unknown.example.com/c", UriFilter(), False),
        ("http://inside.example.com/c", UriFilter(), False),  # resolves to loopback
        ("http://127.0.0.1/c", UriFilter(), False),
        ("http://127.0.0.1/c", UriFilter(allowed_hosts=("127.0.0.1",)), True),
        ("http://127.0.0.1:9000/c", UriFilter(allow_loopback=True), True),
        ("http://10.1.2.3/c", UriFilter(), True),  # private ranges are allowed
        ("http://10.1.2.3/c", UriFilter(disallowed_hosts=("10.1.2.3",)), False),
        ("http://images.example.com/c", UriFilter(disallowed_hosts=("203.0.113.7",)), False),
        ("http://images.example.com/c", UriFilter(allowed_hosts=("other.example.com",)), False),
        ("http://169.254.169.254/c", UriFilter(), False),
        ("http://[fe80::1]/c", UriFilter(), False),
        ("http://2130706433/c", UriFilter(), False),
        ("http://127.1/c", UriFilter(), False),
        ("http://images.example.com:99999/c", UriFilter(), False),
        ("", UriFilter(), False),
        (None, UriFilter(), False),
        (5, UriFilter(), False),
    ],
)
def test_uri_filter(uri: object, rules: UriFilter, expected: bool) -> None:
    assert passes(uri, rules, resolves, addresses) is expected
