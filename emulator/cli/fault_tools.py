"""``glance-emulator faults``: list, add, delete and clear a running server's fault rules.

Talks to ``/_emulator/faults`` with the standard library only; no token is needed from this
machine (``--token`` gives an admin token for a server elsewhere).
"""

from __future__ import annotations

import argparse
import json
from typing import Any
from urllib.parse import quote

from emulator.cli.tools import DEFAULT_URL, ToolError, _guard, _http, _message

RULE_OPTIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("--name", {"help": "a name for the rule, shown in the request log"}),
    ("--method", {"action": "append", "help": "only this method (repeatable)"}),
    ("--path", {"help": "only paths matching this pattern (* matches anything, / too)"}),
    ("--user", {"help": "only this user's requests (a name or an id)"}),
    ("--project", {"help": "only requests scoped to this project (a name or an id)"}),
    ("--probability", {"type": float, "help": "fire with this probability (0 < p <= 1)"}),
    ("--count", {"type": int, "help": "fire at most this many times"}),
    ("--latency-ms", {"type": float, "help": "wait this long before answering"}),
    ("--status", {"type": int, "help": "answer this error status with the service's body"}),
    (
        "--cut",
        {
            "choices": ("download", "truncate", "upload"),
            "help": "drop the connection mid-body (download, upload) or end a download early",
        },
    ),
    ("--cut-after-bytes", {"type": int, "help": "bytes let through before a cut"}),
    (
        "--pass-through",
        {"action": "store_true", "default": None, "help": "run the request, then the status"},
    ),
)


def add_commands(commands: Any) -> None:
    faults = commands.add_parser(
        "faults",
        help="list, add, delete or clear fault rules of a running server",
        description="Fault rules make a running server slow, failing or cut off on "
        "purpose, to test a client's retries. See api-ref/control.md.",
    )
    actions = faults.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the rules in force, as JSON")
    add = actions.add_parser("add", help="add a rule; prints it with its id")
    for flag, options in RULE_OPTIONS:
        add.add_argument(flag, **options)
    delete = actions.add_parser("delete", help="remove one rule")
    delete.add_argument("id")
    clear = actions.add_parser("clear", help="remove every rule")
    for sub in (listing, add, delete, clear):
        sub.add_argument("--url", default=DEFAULT_URL, help=f"the server ({DEFAULT_URL})")
        sub.add_argument("--token", help="an admin token (needed only from another machine)")
        sub.set_defaults(handler=faults_command)


def rule_from_args(args: argparse.Namespace) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    for flag, _options in RULE_OPTIONS:
        name = flag[2:].replace("-", "_")
        value = getattr(args, name)
        if value is not None:
            rule[name] = value
    return rule


def faults_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    base = f"{args.url.rstrip('/')}/_emulator/faults"

    def call(method: str, url: str, body: Any = None) -> Any:
        status, payload, _ = _http(method, url, body, args.token)
        if status >= 400:
            raise ToolError(f"{method} {url[len(args.url.rstrip('/')) :]}: {_message(payload)}")
        return payload

    def work() -> None:
        if args.action == "list":
            print(json.dumps(call("GET", base)["faults"], indent=2))
        elif args.action == "add":
            print(json.dumps(call("POST", base, rule_from_args(args))["fault"], indent=2))
        elif args.action == "delete":
            call("DELETE", f"{base}/{quote(args.id, safe='')}")
        else:
            call("DELETE", base)

    return _guard(work)
