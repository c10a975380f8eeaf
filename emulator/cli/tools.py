"""The CLI's tool commands: scenarios, reset, load, export, clouds-yaml, env.

Each works either against a running server (``--url``, through the control API with an
admin token) or directly on a data dir (``--data-dir``; the server should not be running
then). Only the standard library is used for HTTP (urllib), so the runtime needs no HTTP
client package.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_URL = "http://127.0.0.1:9292"
DEFAULT_DATA_DIR = "data"


class ToolError(Exception):
    """A message for the user; exit code 1."""


def add_commands(commands: Any) -> None:
    listing = commands.add_parser("scenarios", help="list the scenarios shipped in the package")
    listing.set_defaults(handler=scenarios_command)

    for name, helptext in (
        (
            "reset",
            "reset a server to the scenario it started with (or the demo accounts)",
        ),
        ("load", "load a scenario on top of the current state of a server or data dir"),
        ("export", "print the whole state as a scenario file (JSON, which is valid YAML)"),
    ):
        sub = commands.add_parser(name, help=helptext, description=helptext)
        if name == "load":
            sub.add_argument("scenario", help="a packaged scenario name or a YAML file")
        if name == "reset":
            target = sub.add_mutually_exclusive_group()
            target.add_argument(
                "--scenario", metavar="NAME|FILE", help="reset to this scenario instead"
            )
            target.add_argument(
                "--demo",
                action="store_true",
                help="reset to the demo accounts, whatever the server was started with",
            )
        if name == "export":
            sub.add_argument(
                "--data",
                choices=("inline", "reference", "none"),
                default="inline",
                help="image data inline (base64), by file reference, or left out (default: inline)",
            )
            sub.add_argument("--output", "-o", metavar="FILE", help="write here, not stdout")
        _target_options(sub)
        sub.set_defaults(handler=globals()[f"{name}_command"])

    clouds = commands.add_parser(
        "clouds-yaml",
        help="print a clouds.yaml with one cloud per user",
        description="Print a clouds.yaml with one cloud per user of a running server "
        "(--url) or a data dir (--data-dir). Passwords "
        "are shown where they follow the '<name>-pass' convention; others read <password>.",
    )
    _account_options(clouds)
    clouds.set_defaults(handler=clouds_yaml_command)

    env = commands.add_parser(
        "env",
        help="print export OS_*=... lines for one user",
        description='Print shell export lines for USER: eval "$(glance-emulator env producer)"',
    )
    env.add_argument("user")
    _account_options(env)
    env.set_defaults(handler=env_command)


def _target_options(sub: argparse.ArgumentParser) -> None:
    where = sub.add_mutually_exclusive_group()
    where.add_argument("--url", metavar="URL", help=f"a running server (e.g. {DEFAULT_URL})")
    where.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"work on this data dir directly (default when no --url: ./{DEFAULT_DATA_DIR})",
    )
    sub.add_argument("--token", help="an admin token for --url (default: log in as admin)")
    sub.add_argument(
        "--user",
        help="log in to --url as this admin user (default: no login for a server on this "
        "machine, which needs none; admin for any other)",
    )
    sub.add_argument("--password", help="its password (default: <user>-pass)")


def _account_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--url",
        help=f"the server's base URL (default: {DEFAULT_URL}); without --data-dir, the "
        "users are asked from this server",
    )
    sub.add_argument(
        "--data-dir",
        help="read the users from this data dir instead (default: ./"
        f"{DEFAULT_DATA_DIR} if it exists and no --url is given)",
    )
    sub.add_argument("--token", help="an admin token (needed only for a server elsewhere)")


# --- running against a server ------------------------------------------------------------


def _http(
    method: str, url: str, body: Any = None, token: str | None = None
) -> tuple[int, Any, dict[str, str]]:
    import urllib.error  # only the --url commands need HTTP: keep serve's start-up light
    import urllib.request

    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("X-Auth-Token", token)
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            raw = response.read()
            return response.status, json.loads(raw or b"null"), dict(response.headers)
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = raw.decode("utf-8", "replace")
        return exc.code, payload, dict(exc.headers)
    except urllib.error.URLError as exc:
        raise ToolError(f"cannot reach {url}: {exc.reason}") from exc


def _is_loopback_url(url: str) -> bool:
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _admin_token(args: argparse.Namespace) -> str | None:
    """The token to send: --token; none for a server on this machine (the control API
    needs none from it) unless --user/--password say to log in; else admin's."""
    if args.token:
        return str(args.token)
    if args.user is None and args.password is None and _is_loopback_url(args.url):
        return None
    args.user = args.user or "admin"
    args.password = args.password or f"{args.user}-pass"
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": args.user,
                        "domain": {"id": "default"},
                        "password": args.password,
                    }
                },
            },
            "scope": {"project": {"name": args.user, "domain": {"id": "default"}}},
        }
    }
    status, payload, headers = _http("POST", f"{args.url}/identity/v3/auth/tokens", body)
    token = headers.get("X-Subject-Token") or headers.get("x-subject-token")
    if status != 201 or not token:
        raise ToolError(f"cannot log in as {args.user}: {status} {_message(payload)}")
    return token


def _message(payload: Any) -> str:
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        return str(payload["error"].get("message"))
    return str(payload)


def _control(args: argparse.Namespace, method: str, path: str, body: Any = None) -> Any:
    status, payload, _ = _http(method, f"{args.url}/_emulator/{path}", body, _admin_token(args))
    if status >= 400:
        raise ToolError(f"{method} /_emulator/{path}: {status} {_message(payload)}")
    return payload


def _scenario_body(ref: str) -> dict[str, Any]:
    """A packaged name goes by name; a file is read here and sent as a document."""
    from emulator.control.services import scenario_files

    if ref in scenario_files.packaged_names() and not Path(ref).exists():
        return {"scenario": ref}
    document, base_dir = scenario_files.read(ref)
    # The server resolves relative paths against its data dir; the user meant the file's.
    for image in document["images"]:
        data = image.get("data") or {}
        if "file" in data and base_dir is not None and not Path(data["file"]).is_absolute():
            data["file"] = str((base_dir / data["file"]).resolve())
    return {"document": document}


# --- working on a data dir -----------------------------------------------------------------


def _local(args: argparse.Namespace) -> Any:
    from emulator.app import create_app
    from emulator.core.config import Config

    data_dir = Path(args.data_dir or DEFAULT_DATA_DIR)
    return create_app(Config(data_dir=data_dir))


def _run_local(args: argparse.Namespace, work: Any) -> Any:
    """``work(uow)`` on the data dir, as the operator."""
    from emulator.app import operator_unit_of_work

    with operator_unit_of_work(_local(args)) as uow:
        return work(uow)


def _print_summary(summary: Any) -> None:
    if isinstance(summary, dict):
        name, projects, images = summary["scenario"], summary["projects"], summary["images"]
    else:
        name, projects, images = summary.name, summary.projects, summary.images
    print(f"scenario: {name}")
    for project, project_id in sorted(projects.items()):
        print(f"  project {project}: {project_id}")
    for image, image_id in images.items():
        print(f"  image {image}: {image_id}")


# --- commands --------------------------------------------------------------------------------


def scenarios_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from emulator.control.services import scenario_files

    for name, description in scenario_files.describe_packaged():
        print(f"{name}\n    {description}")
    return 0


def _guard(work: Any) -> int:
    from emulator.core import errors

    try:
        work()
    except ToolError as exc:
        print(f"glance-emulator: {exc}", file=sys.stderr)
        return 1
    except errors.EmulatorError as exc:
        print(f"glance-emulator: {exc.message}", file=sys.stderr)
        return 1
    return 0


def reset_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    def work() -> None:
        if args.url:
            body = _scenario_body(args.scenario) if args.scenario else None
            if args.demo:
                body = {"scenario": None}
            _print_summary(_control(args, "POST", "reset", body))
            return
        from emulator.control.services import scenario_files, state

        document, base_dir = scenario_files.read(args.scenario) if args.scenario else (None, None)
        _print_summary(_run_local(args, lambda uow: state.reset(uow, document, base_dir)))

    return _guard(work)


def load_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    def work() -> None:
        if args.url:
            _print_summary(_control(args, "POST", "scenario", _scenario_body(args.scenario)))
            return
        from emulator.control.services import scenario_files, scenarios

        document, base_dir = scenario_files.read(args.scenario)
        _print_summary(_run_local(args, lambda uow: scenarios.load(uow, document, base_dir)))

    return _guard(work)


def export_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    def work() -> None:
        if args.url:
            document = _control(args, "GET", f"export?data={args.data}")
        else:
            from emulator.control.services import state

            document = _run_local(args, lambda uow: state.export(uow, args.data))
        text = json.dumps(document, indent=2) + "\n"
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)

    return _guard(work)


def _base_url(args: argparse.Namespace) -> str:
    return str(args.url or DEFAULT_URL).rstrip("/")


def _accounts(args: argparse.Namespace) -> list[Any]:
    """From ``--data-dir``; else from the server at ``--url``; else from ./data if it has
    emulator data, or the server at the default URL."""
    from emulator.cli import client_config

    local = args.data_dir
    if local is None and args.url is None and (Path(DEFAULT_DATA_DIR) / "emulator.db").is_file():
        local = DEFAULT_DATA_DIR
    if local is None:
        return _remote_accounts(args)
    if not (Path(local) / "emulator.db").is_file():
        raise ToolError(f"no emulator data in {local} (use --data-dir, or --url of a server)")
    args.data_dir = local
    found: list[Any] = _run_local(args, lambda uow: client_config.known_accounts(uow.db))
    return found


def _remote_accounts(args: argparse.Namespace) -> list[Any]:
    from emulator.cli.client_config import Account

    url = f"{_base_url(args)}/_emulator/accounts"
    status, payload, _ = _http("GET", url, token=args.token)
    if status != 200 or not isinstance(payload, dict):
        raise ToolError(f"GET {url}: {status} {_message(payload)}")
    return [
        Account(a["user"], a["password"], a["project_name"], a["project_id"], tuple(a["roles"]))
        for a in payload["accounts"]
    ]


def clouds_yaml_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from emulator.cli import client_config

    def work() -> None:
        sys.stdout.write(client_config.clouds_yaml(_base_url(args), _accounts(args)))

    return _guard(work)


def env_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from emulator.cli import client_config

    def work() -> None:
        found = {a.user: a for a in _accounts(args)}
        if args.user not in found:
            raise ToolError(f"no user {args.user!r}; known: {', '.join(sorted(found))}")
        sys.stdout.write(client_config.env_lines(_base_url(args), found[args.user]))

    return _guard(work)
