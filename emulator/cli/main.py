"""``glance-emulator``: the command line.

argparse (stdlib) rather than click: one sub-command with plain options does not need a
dependency, and the emulator's install stays small. Only the standard library is imported
until ``serve`` actually starts, so ``--help`` and usage errors answer at once.

Exit codes: 0 after a clean stop (SIGINT or SIGTERM), 1 when the server cannot start
(port taken, data dir unusable), 2 for a usage error (bad option or config file, or an
address other than loopback without ``--allow-remote``).
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from emulator import __version__
from emulator.cli import (
    ci,
    fault_tools,
    feature_flags,
    replay_tools,
    request_tools,
    serving,
    startup,
)
from emulator.cli import tools as cli_tools
from emulator.cli.settings import LOG_LEVELS, ServerSettings, Settings, SettingsError, build
from emulator.core.config import SHARING_PROFILES, Config

PROG = "glance-emulator"

# Flag -> Config field, for the options that change the emulated service.
CONFIG_FLAGS: dict[str, str] = {
    "data_dir": "data_dir",
    "sharing_profile": "sharing_profile",
    "token_ttl": "token_ttl_seconds",
    "image_member_quota": "image_member_quota",
    "image_property_quota": "image_property_quota",
    "image_tag_quota": "image_tag_quota",
    "image_size_cap": "image_size_cap",
    "max_request_body_size": "max_request_body_size",
    "inspect_image_format": "inspect_image_format",
    "upload_safety_checks": "upload_safety_checks",
    "public_endpoint": "public_endpoint",
    "request_log_bodies": "request_log_bodies",
    **feature_flags.CONFIG_FLAGS,
}
SERVER_FLAGS = ("host", "port", "threads", "workers", "log_level")


def _integer(text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    defaults, server = Config(), ServerSettings()
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A local emulator of the OpenStack Image service (Glance) API v2, "
        "with the Keystone v3 subset clients need to log in.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the API until stopped (Ctrl+C / SIGTERM)",
        description="Serve the Image API v2 and the Keystone v3 subset on one port. "
        "Settings come from the defaults, then --config FILE.toml, then GLANCE_EMULATOR_* "
        "environment variables (one per option, e.g. GLANCE_EMULATOR_PORT=0, "
        "GLANCE_EMULATOR_EPHEMERAL=1), then these flags (a flag beats the variable, the "
        "variable beats the file).",
    )
    net = serve.add_argument_group("serving")
    net.add_argument("--host", metavar="H", help=f"address to listen on (default: {server.host})")
    net.add_argument(
        "--allow-remote",
        action="store_true",
        help="serve on an address other than loopback (the demo accounts' passwords are "
        "well known: anyone who can reach the port can use them)",
    )
    net.add_argument(
        "--port",
        metavar="P",
        type=_integer,
        help=f"TCP port; 0 picks a free port and prints it (default: {server.port})",
    )
    net.add_argument(
        "--threads",
        metavar="N",
        type=_integer,
        help=f"most worker threads serving requests at once (default: {server.threads})",
    )
    net.add_argument(
        "--workers",
        metavar="N",
        type=_integer,
        help="server processes sharing the port and the data dir, like Glance's workers "
        "option: more serve concurrent clients faster on several cores, but the request "
        f"log and fault rules, kept per process, are off (default: {server.workers})",
    )
    net.add_argument(
        "--public-endpoint",
        metavar="URL",
        help="base URL to put in version documents, links and the Keystone "
        "catalog (Glance's public_endpoint), e.g. when behind a proxy "
        "(default: taken from each request's Host)",
    )
    net.add_argument(
        "--log-level",
        metavar="LEVEL",
        type=str.lower,
        choices=LOG_LEVELS,
        help=f"one of {', '.join(LOG_LEVELS)}; 'info' logs one line per request "
        f"to stderr (default: {server.log_level})",
    )
    net.add_argument(
        "--config",
        metavar="FILE.toml",
        type=Path,
        help="TOML file of settings: Config field names at the top level "
        "(e.g. image_member_quota = 10) and a [server] table "
        "(host, port, threads, workers, log_level)",
    )

    state = serve.add_argument_group("state").add_mutually_exclusive_group()
    state.add_argument(
        "--data-dir",
        metavar="DIR",
        type=Path,
        help="folder for the SQLite database and image files; kept between "
        f"runs (default: ./{defaults.data_dir})",
    )
    state.add_argument(
        "--ephemeral", action="store_true", help="use a new temporary data dir, removed on exit"
    )

    rules = serve.add_argument_group("emulated behaviour")
    rules.add_argument(
        "--sharing-profile",
        choices=SHARING_PROFILES,
        help="'glance': Glance's rules (a pending or rejected member can still "
        "show and download a shared image by ID); 'strict': a member sees "
        f"nothing until it accepts (default: {defaults.sharing_profile})",
    )
    rules.add_argument(
        "--token-ttl",
        metavar="S",
        type=_integer,
        help=f"token lifetime in seconds (default: {defaults.token_ttl_seconds})",
    )
    rules.add_argument(
        "--image-member-quota",
        metavar="N",
        type=_integer,
        help="most members per image; negative = unlimited "
        f"(default: {defaults.image_member_quota})",
    )
    rules.add_argument(
        "--image-property-quota",
        metavar="N",
        type=_integer,
        help="most additional properties per image; negative = unlimited "
        f"(default: {defaults.image_property_quota})",
    )
    rules.add_argument(
        "--image-tag-quota",
        metavar="N",
        type=_integer,
        help=f"most tags per image; negative = unlimited (default: {defaults.image_tag_quota})",
    )
    rules.add_argument(
        "--image-size-cap",
        metavar="BYTES",
        type=_integer,
        help=f"largest image upload in bytes (default: {defaults.image_size_cap})",
    )
    rules.add_argument(
        "--max-request-body-size",
        metavar="BYTES",
        type=_integer,
        help=f"largest JSON request body in bytes (default: {defaults.max_request_body_size})",
    )
    rules.add_argument(
        "--no-inspect-image-format",
        dest="inspect_image_format",
        action="store_const",
        const=False,
        default=None,
        help="do not check uploaded data of 'bare' images against their "
        "disk_format (Glance does; default: check)",
    )
    rules.add_argument(
        "--no-upload-safety-checks",
        dest="upload_safety_checks",
        action="store_const",
        const=False,
        default=None,
        help="store uploads that fail their format's safety checks (backing files, outside "
        "extents), as Glance before 2024.2 did, so that compute gets to refuse them "
        "(default: refuse, as Glance 33 does)",
    )
    feature_flags.add_to(rules)
    serve.add_argument(
        "--scenario",
        metavar="NAME|FILE",
        help="load this scenario (a packaged name, see 'scenarios', or a YAML file) into a "
        "new data dir; a data dir that already has state keeps it",
    )
    ci.add_serve_options(serve)
    serve.set_defaults(handler=serve_command, serve_parser=serve)
    cli_tools.add_commands(commands)
    request_tools.add_commands(commands)
    replay_tools.add_commands(commands)
    fault_tools.add_commands(commands)
    ci.add_commands(commands)
    return parser


def settings_from_args(args: argparse.Namespace, ephemeral_dir: Path | None) -> Settings:
    settings = build(
        config_file=args.config,
        config_overrides={field: getattr(args, flag) for flag, field in CONFIG_FLAGS.items()},
        server_overrides={name: getattr(args, name) for name in SERVER_FLAGS},
        ephemeral_dir=ephemeral_dir,
    )
    return dataclasses.replace(settings, scenario=args.scenario)


def is_loopback(host: str) -> bool:
    """True if ``host`` (an address or a name) means only this machine. A wildcard (``""``,
    ``0.0.0.0``, ``::``) means every interface; a name counts only if every address it
    resolves to is loopback."""
    name = host.strip("[]")
    if not name:
        return False
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    addresses = {str(info[4][0]).split("%")[0] for info in found}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def serve_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    stopping = threading.Event()
    serving.stop_on_signals(stopping)
    ci.apply_environment(args, args.serve_parser, os.environ)
    ephemeral_dir = Path(tempfile.mkdtemp(prefix="glance-emulator-")) if args.ephemeral else None
    server = None
    written: list[Path] = []
    try:
        try:
            settings = settings_from_args(args, ephemeral_dir)
        except SettingsError as exc:
            parser.error(str(exc))  # exits with 2
        if not is_loopback(settings.server.host):
            print(startup.remote_warning(settings.server.host, args.allow_remote), file=sys.stderr)
            if not args.allow_remote:
                return 2
        if settings.server.workers > 1:
            server = serving.start_workers(settings, args, written, stopping)
            return 1 if server is None or not server.watch() else 0
        server = serving.start(settings, args, written)
        if server is None:
            return 1
        return serving.serve_until(server, stopping)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        if server is not None:
            # Finishes requests in flight (committed data is never lost), then closes.
            server.stop()
        if ephemeral_dir is not None:
            shutil.rmtree(ephemeral_dir, ignore_errors=True)
        for path in written:
            ci.remove_quietly(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        # No command: say which there are (argparse would only name COMMAND).
        parser.print_help(sys.stderr)
        print(f"\n{PROG}: give a command, e.g. '{PROG} serve'", file=sys.stderr)
        return 2
    return int(args.handler(args, parser))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
