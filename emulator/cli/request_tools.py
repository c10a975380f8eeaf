"""``glance-emulator requests``: print a running server's request log, or follow it.

Talks to ``/_emulator/requests`` with the standard library only. From this machine no token
is needed (the control API's loopback rule); ``--token`` gives an admin token for a server
elsewhere.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any
from urllib.parse import urlencode

from emulator.cli.tools import DEFAULT_URL, ToolError, _guard, _http, _message


def add_commands(commands: Any) -> None:
    sub = commands.add_parser(
        "requests",
        help="print a running server's request log (oldest first), or --follow it",
        description="Print the requests a running server answered, oldest first, one line "
        "each: time, method, path, status, duration, bytes, user, request id, fault.",
    )
    sub.add_argument("--url", default=DEFAULT_URL, help=f"the server (default: {DEFAULT_URL})")
    sub.add_argument("--token", help="an admin token (needed only from another machine)")
    sub.add_argument("--limit", type=int, default=200, help="at most this many (default: 200)")
    sub.add_argument("--user", help="only this user's requests (a name or an id)")
    sub.add_argument("--method", help="only this method")
    sub.add_argument("--path", help="only paths starting with this")
    sub.add_argument("--status", type=int, help="only this status")
    sub.add_argument("--faults", action="store_true", help="only answers a fault rule gave")
    sub.add_argument("--json", action="store_true", help="one JSON object per line")
    sub.add_argument(
        "--follow", "-f", action="store_true", help="keep printing new requests until Ctrl+C"
    )
    sub.add_argument(
        "--interval", type=float, default=0.5, help="seconds between polls with --follow"
    )
    sub.set_defaults(handler=requests_command)


def _query(args: argparse.Namespace, after: int) -> str:
    wanted: dict[str, Any] = {"limit": args.limit}
    for name in ("user", "method", "path", "status"):
        if getattr(args, name) is not None:
            wanted[name] = getattr(args, name)
    if args.faults:
        wanted["fault"] = "true"
    if after:
        wanted["after"] = after
    return urlencode(wanted)


def fetch(args: argparse.Namespace, after: int) -> tuple[list[dict[str, Any]], int]:
    """The entries newer than ``after``, oldest first, and the newest seq seen."""
    url = f"{args.url.rstrip('/')}/_emulator/requests?{_query(args, after)}"
    status, payload, _ = _http("GET", url, token=args.token)
    if status != 200 or not isinstance(payload, dict):
        raise ToolError(f"GET /_emulator/requests: {status} {_message(payload)}")
    entries = list(reversed(payload["requests"]))
    return entries, max([after, payload.get("last_seq", 0), *(e["seq"] for e in entries)])


def _print(entries: list[dict[str, Any]], as_json: bool) -> None:
    from emulator.core.request_log import access_line

    for item in entries:
        print(json.dumps(item) if as_json else access_line(item), flush=True)


def requests_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    def work() -> None:
        entries, last = fetch(args, 0)
        _print(entries, args.json)
        while args.follow:
            time.sleep(args.interval)
            entries, last = fetch(args, last)
            _print(entries, args.json)

    try:
        return _guard(work)
    except KeyboardInterrupt:
        sys.stdout.flush()
        return 0
