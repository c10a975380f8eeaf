"""``glance-emulator replay RECORDING --url URL``: send a recorded request log again to
another endpoint (another emulator, a real Glance and Keystone) and compare the answers.

Exit codes: 0 when every replayed answer matches, 1 when one differs or a request could not
be sent (a missing ``--password``, a body the recording did not keep; ``--allow-skips``
lets those pass), 2 for a usage error or an unreadable recording.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

EXIT_DIFFERENT = 1
EXIT_USAGE = 2


def add_commands(commands: Any) -> None:
    sub = commands.add_parser(
        "replay",
        help="send a recording (serve --record-bodies) to another endpoint, compare answers",
        description="Send the requests of a recording (the request log of a server run with "
        "--record-bodies, as NDJSON or JSON; '-' reads stdin) again, in order, to another "
        "endpoint, logging in as the same users, with the ids of the other side put in. "
        "Each answer is compared with the recorded one: status, and for JSON the keys and "
        "value types (--compare values: the values too, times and hashes aside).",
    )
    sub.add_argument(
        "recording",
        metavar="RECORDING",
        help="the recording file, '-' for stdin, or the URL of the emulator that recorded "
        "it (its whole request log is fetched)",
    )
    sub.add_argument("--token", help="an admin token for a recording server on another machine")
    sub.add_argument("--url", required=True, help="the endpoint to replay against")
    sub.add_argument(
        "--identity-url",
        metavar="URL",
        help="where /identity requests go (default: URL/identity; a real Keystone: its "
        "base URL without /v3)",
    )
    sub.add_argument(
        "--compute-url", metavar="URL", help="where /compute requests go (default: URL/compute)"
    )
    sub.add_argument(
        "--password",
        metavar="USER=PASSWORD",
        action="append",
        default=[],
        help="the password of a user the recording logs in as (repeat for each user; the "
        "recording keeps none)",
    )
    sub.add_argument(
        "--compare",
        choices=("shape", "values"),
        default="shape",
        help="shape: status, keys, value types (default); values: also the values",
    )
    sub.add_argument("--report", metavar="FILE.json", type=Path, help="write a JSON report")
    sub.add_argument(
        "--allow-skips",
        action="store_true",
        help="requests that cannot be sent again do not make the exit status 1",
    )
    sub.add_argument(
        "--keep-timing",
        action="store_true",
        help="send each request as long after the first as it came in the recording (for "
        "clients that polled until a server was built or an import done)",
    )
    sub.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    sub.add_argument("--quiet", "-q", action="store_true", help="print only what differs")
    sub.set_defaults(handler=replay_command)


def _passwords(pairs: list[str], parser: argparse.ArgumentParser) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        user, sep, password = pair.partition("=")
        if not sep or not user:
            parser.error(f"--password wants USER=PASSWORD, not {pair.split('=')[0]!r}...")
        found[user] = password
    return found


def _read(name: str, token: str | None) -> str:
    if name == "-":
        return sys.stdin.read()
    if name.startswith(("http://", "https://")):
        return _fetch(name.rstrip("/"), token)
    return Path(name).read_text(encoding="utf-8")


def _fetch(url: str, token: str | None) -> str:
    """A recording server's whole request log (asked for its size first: ``limit`` may
    not pass it)."""
    from emulator.cli.tools import ToolError, _http, _message

    status, payload, _ = _http("GET", f"{url}/_emulator/requests?limit=1", token=token)
    if status == 200 and isinstance(payload, dict):
        size = max(int(payload.get("size") or 1), 1)
        status, payload, _ = _http("GET", f"{url}/_emulator/requests?limit={size}", token=token)
    if status != 200 or not isinstance(payload, dict):
        raise ToolError(f"GET {url}/_emulator/requests: {status} {_message(payload)}")
    return json.dumps(payload)


def _line(outcome: Any) -> str:
    status = "-" if outcome.status is None else str(outcome.status)
    label = outcome.outcome.upper() if outcome.outcome == "different" else outcome.outcome
    text = f"#{outcome.seq} {outcome.method} {outcome.path} "
    text += f"{outcome.recorded_status} -> {status} {label}"
    if outcome.reason:
        text += f" ({outcome.reason})"
    return text


def replay_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from emulator.cli.tools import ToolError
    from emulator.replay.recording import RecordingError, load, offsets
    from emulator.replay.runner import Replayer, Target, http_send, summary

    passwords = _passwords(args.password, parser)
    try:
        entries = load(_read(args.recording, args.token))
    except (OSError, UnicodeDecodeError, RecordingError, ToolError) as exc:
        print(f"glance-emulator replay: {exc}", file=sys.stderr)
        return EXIT_USAGE
    target = Target.of(args.url, args.identity_url, args.compute_url)
    replayer = Replayer(
        target, passwords=passwords, send=http_send(args.timeout), mode=args.compare
    )
    outcomes = []
    started = time.monotonic()
    for entry, offset in zip(entries, offsets(entries), strict=True):
        if args.keep_timing:
            time.sleep(max(0.0, offset - (time.monotonic() - started)))
        outcome = replayer.replay(entry)
        outcomes.append(outcome)
        if not args.quiet or outcome.outcome in ("different", "skipped"):
            print(_line(outcome), flush=True)
            for difference in outcome.differences:
                print(f"    {difference}", flush=True)
    counts = summary(outcomes)
    print(
        f"replayed {len(outcomes)} requests against {target.image_url}: {counts['same']} same, "
        f"{counts['different']} different, {counts['skipped']} skipped, "
        f"{counts['ignored']} ignored"
    )
    if args.report is not None:
        report = {
            "target": target.image_url,
            "compare": args.compare,
            **counts,
            "requests": [outcome.as_dict() for outcome in outcomes],
            "ids": replayer.ids.as_dict(),
        }
        args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    failed = counts["different"] or (counts["skipped"] and not args.allow_skips)
    return EXIT_DIFFERENT if failed else 0
