"""The start-up banner: where the server listens, who can log in, a command to paste.

Built from the app's own store (``emulator.identity.services.accounts``), so it shows the users and
project IDs that exist in this data dir, not a hard-coded list. Passwords are stored hashed;
a demo user's password is shown only if ``<name>-pass`` still matches.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any

from emulator.cli.client_config import Account, known_accounts
from emulator.identity.services import accounts

LISTENING_PREFIX = "glance-emulator listening on "
READY_LINE = "Press Ctrl+C to stop."
# Hosts that mean "every interface": fine to bind, useless to connect to.
WILDCARD_HOSTS = ("0.0.0.0", "::", "[::]", "")
EXAMPLE_USER = "producer"


def read_accounts(store: Any) -> list[Account]:
    """Every user in the store with its default project and roles there."""
    with store.session() as db:
        return known_accounts(db)


def client_base_url(listening_url: str, host: str, port: int, public_endpoint: str | None) -> str:
    """The URL a client on this machine should use."""
    if public_endpoint:
        return public_endpoint.rstrip("/")
    if host in WILDCARD_HOSTS:
        return f"http://127.0.0.1:{port}"
    return listening_url


def openstack_command(auth_url: str, account: Account, *args: str) -> str:
    words = [
        "openstack",
        "--os-auth-url",
        auth_url,
        "--os-identity-api-version",
        "3",
        "--os-username",
        account.user,
        "--os-password",
        account.password or "PASSWORD",
        "--os-project-name",
        account.project_name or "PROJECT",
        "--os-user-domain-name",
        accounts.DEFAULT_DOMAIN_NAME,
        "--os-project-domain-name",
        accounts.DEFAULT_DOMAIN_NAME,
        *args,
    ]
    return shlex.join(words)


def _example_account(users: list[Account]) -> Account | None:
    usable = [a for a in users if a.password and a.project_name]
    for account in usable:
        if account.user == EXAMPLE_USER:
            return account
    return usable[0] if usable else None


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  "
        + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def render(
    *,
    version: str,
    listening_url: str,
    base_url: str,
    data_dir: str,
    ephemeral: bool,
    sharing_profile: str,
    users: list[Account],
) -> str:
    auth_url = f"{base_url}/identity/v3"
    lines = [
        f"{LISTENING_PREFIX}{listening_url}",
        f"  glance-emulator {version}: OpenStack Image API v2 (Glance) + Keystone v3 subset",
        f"  image endpoint:  {base_url}   (Glance API v2: /versions, /v2/images...)",
        f"  compute:         {base_url}/compute/v2.1   (Nova API v2.1 slice: servers, flavors)",
        f"  auth URL:        {auth_url}",
        f"  web panel:       {base_url}/panel/   (log in with an account below)",
        f"  data dir:        {data_dir}"
        + ("   (ephemeral: removed on exit)" if ephemeral else "   (kept between runs)"),
        f"  sharing profile: {sharing_profile}",
        "",
    ]
    if users:
        lines.append(f"Accounts (user domain and project domain: {accounts.DEFAULT_DOMAIN_NAME}):")
        rows = [("user", "password", "project", "project id", "roles")]
        for account in users:
            rows.append(
                (
                    account.user,
                    account.password or "(not shown)",
                    account.project_name or "-",
                    account.project_id or "-",
                    ",".join(account.roles) or "-",
                )
            )
        lines.extend(_table(rows))
    else:
        lines.append("No accounts in this data dir.")
    example = _example_account(users)
    if example is not None:
        lines += [
            "",
            f"Try it (as {example.user}):",
            "  " + openstack_command(auth_url, example, "image", "list"),
            "",
            "or set the environment once and drop the --os-* options:",
            "  "
            + shlex.join(
                [
                    "export",
                    f"OS_AUTH_URL={auth_url}",
                    "OS_IDENTITY_API_VERSION=3",
                    f"OS_USERNAME={example.user}",
                    f"OS_PASSWORD={example.password}",
                    f"OS_PROJECT_NAME={example.project_name}",
                    f"OS_USER_DOMAIN_NAME={accounts.DEFAULT_DOMAIN_NAME}",
                    f"OS_PROJECT_DOMAIN_NAME={accounts.DEFAULT_DOMAIN_NAME}",
                ]
            ),
            "",
            "or write a clouds.yaml, one cloud per user (then: openstack --os-cloud USER ...):",
            "  "
            + shlex.join(
                ["glance-emulator", "clouds-yaml", "--url", base_url, "--data-dir", data_dir]
            )
            + " > clouds.yaml",
        ]
    lines += ["", READY_LINE]
    return "\n".join(lines)
