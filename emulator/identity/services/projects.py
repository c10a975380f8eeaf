"""Keystone's project lookups (``keystone/api/projects.py``), under its default policies
(``keystone/common/policies/project.py``): project ids must not be discoverable by tenants.
"""

from __future__ import annotations

import sqlite_utils

from emulator.core import errors
from emulator.core.context import RequestContext
from emulator.identity.domain.entities import Project
from emulator.identity.services.auth import forbidden_action
from emulator.identity.store import accounts as store


def get_project(db: sqlite_utils.Database, context: RequestContext, project_id: str) -> Project:
    """Admins see any project (404 if unknown); others only their token's (else 403)."""
    project = store.get_project(db, project_id)
    if not context.is_admin and (project is None or project.id != context.project_id):
        raise forbidden_action("identity:get_project")
    if project is None:
        raise errors.NotFound(f"Could not find project: {project_id}.")
    return project


def list_projects(
    db: sqlite_utils.Database, context: RequestContext, filters: dict[str, str]
) -> list[Project]:
    """Admins only. Keystone also filters on enabled, parent_id...; name and domain here."""
    if not context.is_admin:
        raise forbidden_action("identity:list_projects")
    return store.list_projects(db, filters.get("name"), filters.get("domain_id"))


def list_auth_projects(db: sqlite_utils.Database, context: RequestContext) -> list[Project]:
    """``GET /v3/auth/projects``: the projects the caller's user holds a role on."""
    return store.projects_of_user(db, context.user_id)


def require_project_scope(context: RequestContext) -> None:
    """``GET /v3/auth/catalog`` needs a project-scoped token (Keystone: a bare 403)."""
    if context.project_id is None:
        raise errors.Forbidden("You are not authorized to perform the requested action.")
