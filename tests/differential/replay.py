"""Replay a differential script against the real stack and a fresh emulator.

    .venv/bin/python tests/differential/replay.py SCRIPT.py|CASE-NAME [--self-check] [-v]

SCRIPT.py defines ``SCRIPT``, a list of ``Call``s (the random walk prints one when it finds
a divergence). Each step is printed with its differences, expected or not; the exit status
is 1 when any difference is unexpected. ``--self-check`` runs the script twice on the real
stack instead and compares the two runs.
"""

from __future__ import annotations

import argparse
import runpy
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/

from differential.compare import compare  # noqa: E402
from differential.pair import Pair, Transcript, report  # noqa: E402
from differential.targets import EmulatorProcess, real_target  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("script", help="a script file, or the name of a targeted case")
    parser.add_argument("--self-check", action="store_true")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every answer")
    args = parser.parse_args(argv)
    if Path(args.script).is_file():
        calls = runpy.run_path(args.script)["SCRIPT"]
    else:
        from differential.test_targeted import CASES

        calls = CASES[args.script]
    real = real_target()
    real.login_all()
    unexpected = 0
    if args.self_check:
        first, second = Transcript(real).run(calls), Transcript(real).run(calls)
        for index, (call, a, b) in enumerate(zip(calls, first, second, strict=True)):
            differences = compare(call, a, b)
            print(f"step {index}: {call.describe()} -> {a.status}")
            for difference in differences:
                unexpected += 1
                print(f"  SELF-CHECK: {difference.describe()}")
        return 1 if unexpected else 0
    with tempfile.TemporaryDirectory() as tmp:
        process = EmulatorProcess(Path(tmp) / "emulator.log")
        process.start()
        try:
            emulator = process.target()
            emulator.login_all()
            pair = Pair(real, emulator)
            for call in calls:
                step = pair.run(call)
                print(
                    report(step)
                    if step.verdicts
                    else f"step {step.index}: {call.describe()} -> {step.real.status}"
                )
                if args.verbose:
                    print("   real:    ", step.real)
                    print("   emulator:", step.emulator)
                unexpected += len(step.unexpected)
        finally:
            process.stop()
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
