"""The identity records behind the Keystone subset: projects and users."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_DOMAIN_ID = "default"
DEFAULT_DOMAIN_NAME = "Default"


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    domain_id: str
    description: str = ""
    enabled: bool = True


@dataclass(frozen=True)
class User:
    id: str
    name: str
    domain_id: str
    default_project_id: str | None
    enabled: bool = True


def domain_name(domain_id: str) -> str:
    """Only the default domain has a name of its own here; others are named by their id."""
    return DEFAULT_DOMAIN_NAME if domain_id == DEFAULT_DOMAIN_ID else domain_id
