"""What CI pipelines and containers lean on: ``GLANCE_EMULATOR_*`` variables for every serve
option, a ready file (JSON) or a JSON line on stdout, a pid file, and ``wait URL``.

Standard library only: ``wait`` and the variable parsing must answer at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENV_PREFIX = "GLANCE_EMULATOR_"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
#: Not serve options: the test suite's own variables share the prefix.
NOT_OPTIONS = frozenset({"help"})


def env_name(dest: str) -> str:
    return ENV_PREFIX + dest.upper()


def _flag_of(action: argparse.Action) -> str:
    return max(action.option_strings, key=len) if action.option_strings else action.dest


def _as_bool(name: str, text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{name} must be true or false (1/0, yes/no), not {text!r}")


def _convert(action: argparse.Action, name: str, text: str) -> Any:
    if isinstance(action, argparse._StoreTrueAction):
        return _as_bool(name, text)
    if isinstance(action, argparse._StoreConstAction):
        # The variable is named after what the flag sets (GLANCE_EMULATOR_INSPECT_IMAGE_FORMAT
        # for --no-inspect-image-format): its value is that setting.
        return _as_bool(name, text)
    value: Any = text
    if action.type is not None:
        try:
            value = action.type(text)  # type: ignore[operator]
        except (argparse.ArgumentTypeError, TypeError, ValueError) as exc:
            raise ValueError(f"{name}: {exc}") from None
    if action.choices is not None and value not in action.choices:
        choices = ", ".join(map(str, action.choices))
        raise ValueError(f"{name} must be one of {choices}, not {text!r}")
    return value


def env_options(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.Action]]:
    """(variable name, action) for every option of ``serve``."""
    return [
        (env_name(action.dest), action)
        for action in parser._actions
        if action.option_strings and action.dest not in NOT_OPTIONS
    ]


def apply_environment(
    args: argparse.Namespace, parser: argparse.ArgumentParser, environ: Mapping[str, str]
) -> None:
    """Fill each option not given as a flag from its ``GLANCE_EMULATOR_*`` variable (a flag
    beats the variable, the variable beats the config file). A bad value exits with 2."""
    from_env: set[str] = set()
    for name, action in env_options(parser):
        if name not in environ:
            continue
        given = getattr(args, action.dest, None)
        if given not in (None, False):
            continue
        try:
            setattr(args, action.dest, _convert(action, name, environ[name]))
        except ValueError as exc:
            parser.error(str(exc))
        from_env.add(action.dest)
    if getattr(args, "ephemeral", False) and getattr(args, "data_dir", None) is not None:
        if {"ephemeral", "data_dir"} <= from_env:
            parser.error(f"{ENV_PREFIX}EPHEMERAL and {ENV_PREFIX}DATA_DIR exclude each other")
        if "ephemeral" in from_env:
            args.ephemeral = False  # the --data-dir flag wins
        else:
            args.data_dir = None  # the --ephemeral flag wins


def ready_document(
    *, base_url: str, listening_url: str, host: str, port: int, data_dir: str, ephemeral: bool
) -> dict[str, Any]:
    from emulator import __version__

    return {
        "url": base_url,
        "auth_url": base_url + "/identity/v3",
        "image_url": base_url,
        "listening_url": listening_url,
        "host": host,
        "port": port,
        "data_dir": data_dir,
        "ephemeral": ephemeral,
        "pid": os.getpid(),
        "version": __version__,
    }


def write_atomically(path: Path, text: str) -> None:
    """Readers polling for the file never see it half written."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def remove_quietly(path: Path | None) -> None:
    if path is not None:
        try:
            path.unlink()
        except OSError:
            pass


# --- glance-emulator wait ------------------------------------------------------------------


def add_serve_options(serve: argparse.ArgumentParser) -> None:
    """``serve``'s options for scripts and CI: where to say it is ready, its pid, and the
    request bodies kept for ``replay``."""
    scripts = serve.add_argument_group("for scripts and CI")
    scripts.add_argument(
        "--record-bodies",
        dest="request_log_bodies",
        action="store_const",
        const=True,
        default=None,
        help="keep the JSON bodies of requests and answers (not image data; passwords "
        "redacted) in the request log, for 'glance-emulator replay' (default: off)",
    )
    scripts.add_argument(
        "--ready-file",
        metavar="PATH",
        type=Path,
        help="once listening, write a JSON document here (url, auth_url, port, data_dir, "
        "pid, ...); removed on exit",
    )
    scripts.add_argument(
        "--json",
        action="store_true",
        help="print that JSON document as one line on stdout instead of the banner",
    )
    scripts.add_argument(
        "--pid-file", metavar="PATH", type=Path, help="write the process id here; removed on exit"
    )


def add_commands(commands: Any) -> None:
    wait = commands.add_parser(
        "wait",
        help="wait until a server answers (for CI scripts)",
        description="Poll URL/_emulator/health until the server answers, then exit 0; "
        "exit 1 if it does not within --timeout seconds.",
    )
    wait.add_argument("url", help="the server's base URL, e.g. http://127.0.0.1:9292")
    wait.add_argument("--timeout", type=float, default=30.0, help="seconds (default: 30)")
    wait.add_argument("--quiet", "-q", action="store_true", help="print nothing")
    wait.set_defaults(handler=wait_command)


def wait_for(url: str, timeout: float) -> dict[str, Any] | None:
    """The health document once ``url`` answers it, or None after ``timeout`` seconds."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    health = url.rstrip("/") + "/_emulator/health"
    while True:
        try:
            with urllib.request.urlopen(health, timeout=min(5.0, max(timeout, 0.1))) as answer:
                if answer.status == 200:
                    found: dict[str, Any] = json.loads(answer.read())
                    return found
        except (urllib.error.URLError, OSError, ValueError):
            pass
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)


def wait_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    found = wait_for(args.url, args.timeout)
    if found is None:
        print(
            f"glance-emulator: {args.url} did not answer within {args.timeout:g} s",
            file=sys.stderr,
        )
        return 1
    if not args.quiet:
        print(f"{args.url} is up (glance-emulator {found.get('version', '?')})")
    return 0
