"""``GET /limits`` (``limits.py``): the caller's project's quotas and what it uses."""

from __future__ import annotations

from dataclasses import dataclass

from emulator.compute.domain import quotas
from emulator.compute.services import servers
from emulator.core.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Limits:
    limits: quotas.Usage
    used: quotas.Usage


def show(uow: UnitOfWork, project_id: str | None = None) -> Limits:
    """``tenant_id`` (admins only, as Nova's policy) names another project."""
    servers.settle_due(uow)
    project = project_id if (project_id and uow.context.is_admin) else uow.context.project_id
    used = servers.usage_of(uow, project) if project else quotas.Usage(0, 0, 0)
    return Limits(servers.limits_of(uow), used)
