"""Who is asking: the request context every service takes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestContext:
    project_id: str | None
    user_id: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    #: Glance: ``context_is_admin = role:admin``.
    request_id: str = ""

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def can_read(self) -> bool:
        """Glance's new-default policies need ``role:reader`` for reads."""
        return self.is_admin or "reader" in self.roles


def admin_context(project_id: str | None = None) -> RequestContext:
    """A context for the emulator's own tools (seed loader, control API)."""
    return RequestContext(
        project_id=project_id, user_id=None, roles=frozenset({"admin", "member", "reader"})
    )


#: The context of a request that carries no (valid) token.
ANONYMOUS = RequestContext(project_id=None)
