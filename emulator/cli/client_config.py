"""Client configuration for the emulator's users: clouds.yaml and ``OS_*`` variables."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

import sqlite_utils
import yaml

from emulator.identity.services import accounts

PASSWORD_PLACEHOLDER = "<password>"


@dataclass(frozen=True)
class Account:
    user: str
    password: str | None  # None when it is not the "<name>-pass" convention
    project_name: str
    project_id: str
    roles: tuple[str, ...] = ()


def known_accounts(db: sqlite_utils.Database) -> list[Account]:
    """Every user with a default project; passwords only where they follow ``<name>-pass``
    (the demo accounts and the packaged scenarios), since only hashes are stored."""
    found = []
    for user in accounts.list_users(db):
        if user.default_project_id is None:
            continue
        project = accounts.get_project(db, user.default_project_id)
        if project is None:
            continue
        conventional = f"{user.name}-pass"
        password = conventional if accounts.check_password(db, user.id, conventional) else None
        roles = tuple(accounts.roles_on_project(db, user.id, project.id))
        found.append(Account(user.name, password, project.name, project.id, roles))
    return found


def auth_url(base_url: str) -> str:
    return base_url.rstrip("/") + "/identity/v3"


def cloud_entry(base_url: str, account: Account) -> dict[str, object]:
    return {
        "auth": {
            "auth_url": auth_url(base_url),
            "username": account.user,
            "password": account.password or PASSWORD_PLACEHOLDER,
            "project_name": account.project_name,
            "user_domain_name": accounts.DEFAULT_DOMAIN_NAME,
            "project_domain_name": accounts.DEFAULT_DOMAIN_NAME,
        },
        "region_name": "RegionOne",
        "identity_api_version": 3,
        "image_api_version": 2,
        "interface": "public",
    }


def clouds_yaml(base_url: str, found: list[Account]) -> str:
    """One cloud per user, named after the user."""
    document = {"clouds": {a.user: cloud_entry(base_url, a) for a in found}}
    return yaml.safe_dump(document, sort_keys=False)


def env_lines(base_url: str, account: Account) -> str:
    values = {
        "OS_AUTH_URL": auth_url(base_url),
        "OS_IDENTITY_API_VERSION": "3",
        "OS_IMAGE_API_VERSION": "2",
        "OS_USERNAME": account.user,
        "OS_PASSWORD": account.password or PASSWORD_PLACEHOLDER,
        "OS_PROJECT_NAME": account.project_name,
        "OS_USER_DOMAIN_NAME": accounts.DEFAULT_DOMAIN_NAME,
        "OS_PROJECT_DOMAIN_NAME": accounts.DEFAULT_DOMAIN_NAME,
        "OS_REGION_NAME": "RegionOne",
    }
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in values.items())
