"""Running tempest from its own venv, and reading what it did: ``results.csv`` (one line
per test), the summary line, and the comparison of the emulator's run with the real stack's.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".tempest-work"
TEMPEST_VENV = ROOT / ".tempest-venv"


def tempest_bin(name: str) -> str:
    path = TEMPEST_VENV / "bin" / name
    if not path.exists():
        raise SystemExit(f"{path} is missing: run `make tempest` (it sets up {TEMPEST_VENV})")
    return str(path)


def run_tempest(workspace: Path, regex: str, workers: int) -> int:
    config = workspace / "etc" / "tempest.conf"
    command = [
        tempest_bin("tempest"),
        "run",
        "--config-file",
        str(config),
        "--regex",
        regex,
        "--concurrency",
        str(workers),
    ]
    print("$ " + " ".join(command), flush=True)
    env = dict(os.environ, TEMPEST_CONFIG_DIR=str(config.parent), TEMPEST_CONFIG=config.name)
    return subprocess.run(command, cwd=workspace, env=env, check=False).returncode


ATTRIBUTES = re.compile(r"\[[^\]]*\]$")


def short_test_id(raw: str) -> str:
    """``tempest...Test.test_x[id-...,smoke]`` -> ``tempest...Test.test_x``."""
    return ATTRIBUTES.sub("", raw.strip())


def collect_results(workspace: Path) -> dict[str, str]:
    """id -> success | fail | skip, from stestr's last run in the workspace."""
    stream = subprocess.run(
        [tempest_bin("stestr"), "last", "--subunit"],
        cwd=workspace,
        capture_output=True,
        check=False,
    ).stdout
    # subunit2csv exits 1 when the stream holds a failure: its output is still whole.
    table = subprocess.run(
        [tempest_bin("subunit2csv")], input=stream, capture_output=True, check=False
    ).stdout.decode()
    results: dict[str, str] = {}
    for row in csv.DictReader(table.splitlines()):
        status = row["status"]
        if status in ("success", "xfail"):
            status = "success"
        elif status not in ("skip",):
            status = "fail"
        results[short_test_id(row["test"])] = status
    with (workspace / "results.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["test", "status"])
        writer.writerows(sorted(results.items()))
    return results


def summary(results: dict[str, str]) -> str:
    counts = Counter(results.values())
    return (
        f"passed {counts['success']}, failed {counts['fail']}, skipped {counts['skip']} "
        f"(of {len(results)})"
    )


def read_results(target: str) -> dict[str, str]:
    path = WORK / target / "results.csv"
    if not path.exists():
        raise SystemExit(f"no results for {target}: run `make tempest TEMPEST_TARGET={target}`")
    with path.open(encoding="utf-8") as f:
        return {row["test"]: row["status"] for row in csv.DictReader(f)}


def compare() -> int:
    real, emulated = read_results("real"), read_results("emulator")
    print(f"real:     {summary(real)}")
    print(f"emulator: {summary(emulated)}")
    worse = sorted(t for t, s in real.items() if s == "success" and emulated.get(t) != "success")
    better = sorted(t for t, s in emulated.items() if s == "success" and real.get(t) != "success")
    print(f"\npass on real Glance, not on the emulator ({len(worse)}):")
    for test in worse:
        print(f"  {emulated.get(test, 'not run'):8} {test}")
    print(f"\npass on the emulator, not on real Glance ({len(better)}):")
    for test in better:
        print(f"  {real.get(test, 'not run'):8} {test}")
    return 1 if worse else 0
