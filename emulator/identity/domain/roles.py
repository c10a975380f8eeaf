"""Keystone's default implied roles: admin => manager => member => reader.

Tokens carry the expanded set, because Glance's policies check ``role:reader`` for reads
and ``role:member`` for writes (keystone ``service-api-protection.rst``).
"""

from __future__ import annotations

IMPLIES: dict[str, tuple[str, ...]] = {
    "admin": ("manager",),
    "manager": ("member",),
    "member": ("reader",),
    "reader": (),
}


def expand(roles: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    """The roles plus every role they imply, in a stable order (given roles first)."""
    result: list[str] = []
    pending = list(roles)
    while pending:
        role = pending.pop(0)
        if role in result:
            continue
        result.append(role)
        pending.extend(IMPLIES.get(role, ()))
    return result
