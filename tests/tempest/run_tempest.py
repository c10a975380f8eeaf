"""Run OpenStack's tempest Image API tests against a live emulator or the real stack.

``make tempest`` calls this with the project's Python. It

1. writes a tempest workspace under ``.tempest-work/<target>/`` (``etc/tempest.conf``,
   ``etc/accounts.yaml``): pre-provisioned accounts (``use_dynamic_credentials = false``)
   taken from ``tests/tempest/accounts-scenario.yaml``, and the Image API features as the
   emulator has them;
2. starts the emulator on a free loopback port with that scenario (``--target emulator``,
   the default), or uses the real Glance 33 + Keystone on 127.0.0.1:19292/15000 (``--target
   real``; started with ``make real-glance-up`` only if nothing answers there) after
   creating the same projects, users and role assignments through Keystone's API;
3. runs ``tempest run --regex '^tempest\\.api\\.image'`` with at most 2 workers, writes
   ``results.csv`` (one line per test: id, status) and prints the pass/fail/skip counts;
4. stops the emulator it started, by its PID.

``--compare`` prints the tests that pass on the real stack and not on the emulator (and
the other way round) from the two ``results.csv`` files of earlier runs.

Only the standard library and PyYAML (a dependency of the emulator) are used here: tempest
itself runs from its own venv (``.tempest-venv``) because its pins (oslo.*, testtools,
paramiko...) have nothing to do with the emulator's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import format_manifest
import yaml
from servers import (
    REAL_ADMIN,
    REAL_KEYSTONE,
    Account,
    Keystone,
    emulator_server,
    ensure_real_stack,
    http_image_server,
)
from tempest_results import WORK, collect_results, compare, run_tempest, summary

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = Path(__file__).resolve().parent / "accounts-scenario.yaml"
DEFAULT_REGEX = r"^tempest\.api\.image"
MAX_WORKERS = 2


# The Image API features as the emulator offers them (tempest/config.py, [image-feature-enabled]).
# Import (issue 10) is Glance's default and the emulator's; multiple locations, image
# conversion, the http store and store weights are not emulated.
IMAGE_FEATURES = {
    "api_v2": "true",
    "import_image": "true",
    "os_glance_reserved": "true",
    "manage_locations": "false",
    "image_conversion": "false",
    "image_format_enforcement": "true",
    "do_secure_hash": "true",
    "http_store_enabled": "false",
    "store_weight_enabled": "false",
}

#: Glance's default enabled_import_methods (the emulator's too).
IMPORT_METHODS = ("glance-direct", "web-download", "copy-image")

#: What tempest's compute tests read when nova is on: the built-in flavors 1 (m1.tiny) and
#: 2 (m1.small) of the emulator's compute, and a build timeout that fails fast.
COMPUTE = {"flavor_ref": "1", "flavor_ref_alt": "2", "build_timeout": "60"}


def scenario_accounts(path: Path = SCENARIO) -> list[Account]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Account(u["name"], u["password"], u["project"], tuple(u.get("roles", ["member"])))
        for u in document["users"]
    ]


def accounts_yaml(accounts: list[Account]) -> str:
    """tempest's accounts file (etc/accounts.yaml.sample): one entry per user, in order."""
    entries = [
        {
            "username": a.user,
            "project_name": a.project,
            "password": a.password,
            "roles": list(a.roles),
        }
        for a in accounts
    ]
    return yaml.safe_dump(entries, sort_keys=False)


def tempest_conf(
    workspace: Path,
    auth_url: str,
    http_images: tuple[str, str],
    compute: bool,
    image_cache: bool,
    overrides: list[str],
    format_enforcement: bool = True,
    manifest: Path | None = None,
) -> str:
    sections: dict[str, dict[str, str]] = {
        "DEFAULT": {"log_dir": str(workspace), "log_file": "tempest.log"},
        "oslo_concurrency": {"lock_path": str(workspace / "lock")},
        "auth": {
            "use_dynamic_credentials": "false",
            "test_accounts_file": str(workspace / "etc" / "accounts.yaml"),
            "default_credentials_domain_name": "Default",
            "create_isolated_networks": "false",
        },
        "identity": {
            "uri_v3": auth_url,
            "auth_version": "v3",
            "region": "RegionOne",
            "v3_endpoint_type": "public",
            "admin_role": "admin",
        },
        "identity-feature-enabled": {"api_v2": "false"},
        "service_available": {
            "glance": "true",
            "nova": "true" if compute else "false",
            "cinder": "false",
            "neutron": "false",
            "swift": "false",
            "horizon": "false",
        },
        "image": {
            "region": "RegionOne",
            "endpoint_type": "public",
            "http_image": http_images[0],
            "http_qcow2_image": http_images[1],
            "image_caching_enabled": "true" if image_cache else "false",
            "build_timeout": "60",
        },
        "image-feature-enabled": dict(
            IMAGE_FEATURES, image_format_enforcement="true" if format_enforcement else "false"
        ),
        "enforce_scope": {"glance": "false"},
        "validation": {"run_validation": "false"},
    }
    if compute:
        sections["compute"] = dict(COMPUTE)
    if manifest is not None:
        sections["image"]["images_manifest_file"] = str(manifest)
    for item in overrides:  # "section.option=value", for switches this script does not know
        key, _, value = item.partition("=")
        section, _, option = key.rpartition(".")
        if not section or not option:
            raise SystemExit(f"--set wants section.option=value, not {item!r}")
        sections.setdefault(section, {})[option] = value
    lines: list[str] = []
    for section, options in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{option} = {value}" for option, value in options.items())
        lines.append("")
    return "\n".join(lines)


def format_test_options(
    compute: bool, enforcement: bool | None, images: bool | None
) -> tuple[bool, bool]:
    """(format enforcement, sample images) once the defaults are filled in. With compute,
    ImagesFormatTest can run whole: its sample images are made, and uploads go unchecked,
    since test_compute_rejects_* need bad images registered for compute to refuse."""
    return (not compute if enforcement is None else enforcement), (
        compute if images is None else images
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=("emulator", "real"), default="emulator")
    parser.add_argument("--regex", default=DEFAULT_REGEX)
    parser.add_argument("--workers", type=int, default=MAX_WORKERS)
    parser.add_argument(
        "--compute", action="store_true", help="[service_available] nova = true (compute slice)"
    )
    parser.add_argument(
        "--image-cache",
        action="store_true",
        help="[image] image_caching_enabled = true, and the emulator serves its cache API",
    )
    parser.add_argument(
        "--emulator-args", default="", help="more `glance-emulator serve` flags, one string"
    )
    parser.add_argument(
        "--format-images",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="make the sample images of tempest's ImagesFormatTest (qemu-img) and point "
        "[image] images_manifest_file at them (default: with --compute)",
    )
    parser.add_argument(
        "--format-enforcement",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Glance checks uploads against disk_format and its safety checks "
        "([image-feature-enabled] image_format_enforcement; off: the emulator serves with "
        "--no-inspect-image-format --no-upload-safety-checks, so that bad images reach "
        "compute). Default: on, off with --compute",
    )
    parser.add_argument(
        "--glance-download",
        action="store_true",
        help="the emulator also offers the glance-download import method (from its own "
        "region; Glance's enabled_import_methods)",
    )
    parser.add_argument(
        "--all-features",
        action="store_true",
        help="every Glance feature the emulator has: two stores (fast, cheap), the image "
        "cache, glance-download, web-download from loopback",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.OPTION=VALUE",
        help="any other tempest.conf option (repeatable)",
    )
    parser.add_argument("--compare", action="store_true", help="compare the last two runs")
    args = parser.parse_args(argv)
    if args.compare:
        return compare()

    workers = max(1, min(args.workers, MAX_WORKERS))  # a shared 2-core machine
    args.format_enforcement, args.format_images = format_test_options(
        args.compute, args.format_enforcement, args.format_images
    )
    if args.all_features:
        args.image_cache = args.glance_download = True
    if args.target == "real" and (
        not args.format_enforcement or args.glance_download or args.all_features
    ):
        raise SystemExit("the real stack's Glance config is fixed: emulator switches only")
    workspace = WORK / args.target
    (workspace / "etc").mkdir(parents=True, exist_ok=True)
    (workspace / "lock").mkdir(exist_ok=True)
    accounts = scenario_accounts()
    (workspace / "etc" / "accounts.yaml").write_text(accounts_yaml(accounts), encoding="utf-8")

    with http_image_server(workspace) as http_images:
        if args.target == "real":
            ensure_real_stack()
            admin = Keystone(REAL_KEYSTONE, *REAL_ADMIN)
            admin.provision(accounts)
            return _run(args, workspace, REAL_KEYSTONE, http_images, workers)
        with emulator_server(workspace, SCENARIO, emulator_flags(args, workspace)) as url:
            return _run(args, workspace, url + "/identity/v3", http_images, workers)


def emulator_flags(args: argparse.Namespace, workspace: Path) -> list[str]:
    """``glance-emulator serve`` flags for the switches given to this script."""
    flags = args.emulator_args.split()
    if not args.format_enforcement:
        flags += ["--no-inspect-image-format", "--no-upload-safety-checks"]
    if args.image_cache:
        flags.append("--image-cache")
    if args.all_features:
        flags += ["--stores", "fast,cheap", "--allow-loopback-import"]
    if args.glance_download:
        # No flag for it: Glance's enabled_import_methods goes in a config file.
        config = workspace / "emulator.toml"
        methods = ", ".join(f'"{m}"' for m in (*IMPORT_METHODS, "glance-download"))
        config.write_text(f"enabled_import_methods = [{methods}]\n", encoding="utf-8")
        flags += ["--config", str(config)]
    return flags


def _run(
    args: argparse.Namespace,
    workspace: Path,
    auth_url: str,
    http_images: tuple[str, str],
    workers: int,
) -> int:
    manifest = None
    if args.format_images:
        manifest = format_manifest.write_manifest(workspace / "format-images")
        print(f"format test images: {manifest}", flush=True)
    conf = tempest_conf(
        workspace,
        auth_url,
        http_images,
        args.compute,
        args.image_cache,
        args.set,
        format_enforcement=args.format_enforcement,
        manifest=manifest,
    )
    (workspace / "etc" / "tempest.conf").write_text(conf, encoding="utf-8")
    started = time.monotonic()
    code = run_tempest(workspace, args.regex, workers)
    results = collect_results(workspace)
    line = (
        f"tempest against {args.target}: {summary(results)} in {time.monotonic() - started:.0f} s"
    )
    (workspace / "summary.txt").write_text(line + "\n", encoding="utf-8")
    failed = sorted(test for test, status in results.items() if status == "fail")
    if failed:
        print(f"\nfailed ({len(failed)}):\n  " + "\n  ".join(failed))
    print("\n" + line)
    print(f"per-test results: {workspace / 'results.csv'}; log: {workspace / 'tempest.log'}")
    return code


if __name__ == "__main__":
    sys.exit(main())
