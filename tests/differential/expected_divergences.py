"""Every deliberate difference between the emulator and the real Glance 33 + Keystone 30.

PLACEHOLDER
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Expected:
    key: str
    request: str  # regex over compare.request_shape(call)
    aspect: str  # status | header | body | error-text | request (taints without a difference)
    why: str
    where: str | None = None  # regex over the header name or JSON path
    real: object = None  # the real side's value (status code, header...); None: any
    emulator: object = None
    when: str | None = None  # a condition of expectations.CONDITIONS
    taints: bool = False  # the image's state differs afterwards: stop comparing it
    wrong: str = "real-glance"  # real-glance | real-stack | neither


EXPECTED: tuple[Expected, ...] = ()
