"""``make bench``: the emulator's speed and memory, each figure next to its target.

Starts the emulator as a separate server process (cheroot on a free loopback port, fresh temp
data dirs) and measures, on this machine, in one run:

* what the machine allows: md5 + sha512 on one core (the hash bound for uploads) and one
  process sending another bytes over loopback TCP (the bound for downloads);
* start-up to the first 200 on ``/versions``, on an empty and on an existing data dir (the
  median of three starts of each);
* every request kind in ``kinds.py`` with 1 and with 8 concurrent clients (requests/s and the
  server's CPU per request), against the same kinds measured on a real Glance 33 + Keystone 30
  (``bench/real-glance.json``, written by ``--real``; or, with ``--real-now``, measured on the
  running real stack in the same run, each kind and level right after the emulator's), and
  the request ceiling: what the same load generator gets from a server that does no work,
  and the Flask floor: what it gets from one Flask route that does nothing, on the
  emulator's server (a target above either is marked so); the kinds ``--rounds`` times (3
  by default), each figure the median of its rounds;
* idle memory; a 1 GiB upload and download (MiB/s; peak RSS must not grow with the size),
  five rounds (``--transfer-rounds``), each as a share of its own round's bound, the median
  share reported (single rounds of the loopback bound ranged 1,525-5,080 MiB/s here);
* the producer's and the consumer's 25-image list at 1,000 and at 100,000 images;
* memory over a soak of mixed requests from 8 clients (``--soak-seconds``, 600 by default);
* every request kind with 8 clients again (``--rounds`` times, the median), served by
  ``serve --workers 2`` (``--workers``), against 10x real Glance and against one process's
  single client; and the memory of all its processes at idle.

Prints a table (figure, value, target, ok) and exits non-zero if a target is missed.
``--real`` instead measures the request kinds on a running ``make real-glance-up`` stack and
writes ``bench/real-glance.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bounds  # noqa: E402
import kinds  # noqa: E402
import load  # noqa: E402
import rounds  # noqa: E402
import scale  # noqa: E402
import server  # noqa: E402
import transfer  # noqa: E402
from report import Report  # noqa: E402

MiB = 1 << 20
REAL_FIGURES = Path(__file__).resolve().parent / "real-glance.json"
REAL_IMAGE_URL = "http://127.0.0.1:19292"
REAL_AUTH_URL = "http://127.0.0.1:15000/v3"
#: Seconds the server is left idle before its idle memory is read: it gives freed memory
#: back after a second without requests (emulator/server/worker_pool.py).
IDLE_WAIT = 2.5
#: Starts timed on an empty and on an existing data dir (the median is the figure).
STARTS = 3


def real_document(results: rounds.Results) -> dict[str, Any]:
    """Figures of the real stack, as ``bench/real-glance.json`` holds them."""
    return {
        "measured": datetime.now(UTC).strftime("%Y-%m-%d"),
        "what": "Glance 33.0.0 + Keystone 30.0.0 from ../shared/real-glance (uWSGI), this "
        "machine, same request kinds and load generator as make bench, each figure the "
        "median of its rounds",
        "requests_per_second": {
            name: {level: round(result.rate, 1) for level, result in by_level.items()}
            for name, by_level in results.items()
        },
    }


def real_target() -> kinds.Target:
    return kinds.Target(REAL_IMAGE_URL, REAL_AUTH_URL)


def real_figures(seconds: float, round_count: int) -> dict[str, Any]:
    """The request kinds measured on the running real stack (``make real-glance-up``)."""
    target = real_target()
    try:
        return real_document(rounds.measure_kinds(target, seconds, None, round_count))
    finally:
        kinds.clean_up(target)


def measure_real(seconds: float, round_count: int) -> int:
    document = real_figures(seconds, round_count)
    REAL_FIGURES.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {REAL_FIGURES}")
    return 0


def scale_figures(work: Path, seconds: float, report: Report) -> None:
    rates: dict[tuple[str, int], float] = {}
    for total in (1_000, 100_000):
        data_dir = work / f"scale-{total}"
        scale.build(data_dir, total)
        process, base_url, _ = server.start(data_dir)
        try:
            target = kinds.Target(base_url, f"{base_url}/identity/v3")
            for user in ("producer", "consumer"):
                kinds.log_in(target, user)
                headers = {"X-Auth-Token": target.tokens[user], "Accept": "application/json"}
                result = load.run(
                    base_url,
                    lambda c, n, h=headers: ("GET", "/v2/images", h, None),
                    clients=1,
                    seconds=seconds,
                    server_pid=process.pid,
                )
                rates[(user, total)] = result.rate
                print(f"  {total:,} images, {user} list: {result.rate:,.0f} req/s", flush=True)
        finally:
            server.stop(process)
    for user in ("producer", "consumer"):
        small, large = rates[(user, 1_000)], rates[(user, 100_000)]
        report.at_most(
            f"{user} 25-image list: time at 100,000 / at 1,000 images "
            f"({large:,.0f} vs {small:,.0f} req/s)",
            small / large,
            2.0,
            "x",
        )


def workers_figures(
    work: Path,
    args: argparse.Namespace,
    one_process: rounds.Results,
    real: dict[str, Any] | None,
    limits: bounds.RequestLimits,
    report: Report,
) -> None:
    """Each kind at c8 with ``serve --workers N``, and the memory all its processes take."""
    process, base_url = server.start_workers(work / "workers", args.workers)
    try:
        time.sleep(IDLE_WAIT)
        idle = server.family_rss(process.pid) / MiB
        target = kinds.Target(base_url, f"{base_url}/identity/v3")
        print(f"  --workers {args.workers}:", flush=True)
        results = rounds.measure_kinds(target, args.seconds, None, args.rounds, levels=(8,))
    finally:
        server.stop(process)
    report.workers_kinds(args.workers, results, one_process, real, limits)
    report.figure(
        f"idle RSS with --workers {args.workers}, every process together",
        f"{idle:,.1f} MiB",
    )


def transfer_figures(
    base_url: str, token: str, pid: int, args: argparse.Namespace, report: Report
) -> None:
    """Upload and download, each right after the bound it is held to, ``args.transfer_rounds``
    times in turn: on a shared machine one run can land in a slow patch that its bound
    missed, so each round's rate is taken as a share of its own round's bound, and the
    figure is the median share."""
    body = transfer.Body(args.size_mib)
    md5 = body.md5()
    rates: dict[str, list[float]] = {"hash": [], "up": [], "loopback": [], "down": []}
    before = server.memory(pid)
    for round_number in range(1, args.transfer_rounds + 1):
        rates["hash"].append(bounds.hash_bound())
        image_id, up = transfer.upload(base_url, token, body, md5)
        rates["up"].append(up)
        rates["loopback"].append(bounds.loopback_bound())
        rates["down"].append(transfer.download(base_url, token, image_id, md5))
        transfer.delete(base_url, token, image_id)
        print(
            f"  round {round_number}: hash bound {rates['hash'][-1]:,.0f}, upload "
            f"{up:,.0f}, loopback {rates['loopback'][-1]:,.0f}, download "
            f"{rates['down'][-1]:,.0f} MiB/s",
            flush=True,
        )
    after = server.memory(pid)
    for name, bound, floor in (("up", "hash", 0.9), ("down", "loopback", 0.8)):
        shares = [rate / limit for rate, limit in zip(rates[name], rates[bound], strict=True)]
        report.at_least_ratio(
            f"{'upload' if name == 'up' else 'download'} {args.size_mib} MiB: share of the "
            f"{bound} bound, median of {len(shares)} rounds ({_span(rates[name])} against "
            f"{_span(rates[bound])} MiB/s)",
            statistics.median(shares),
            floor,
        )
    report.at_most(
        "peak RSS growth while moving the data",
        (after["VmHWM"] - before["VmHWM"]) / MiB,
        64.0,
        " MiB",
    )


def _span(values: list[float]) -> str:
    return f"{min(values):,.0f}-{max(values):,.0f}"


def soak(base_url: str, pid: int, seconds: float, report: Report) -> None:
    """Mixed requests from 8 clients for ``seconds``; RSS sampled between rounds."""
    target = kinds.Target(base_url, f"{base_url}/identity/v3")
    kind_list, created = kinds.prepare(target)
    start_rss = server.memory(pid)["VmRSS"]
    samples = [start_rss]
    deadline = time.monotonic() + seconds
    requests_sent = 0
    while time.monotonic() < deadline:
        for kind in kind_list:
            result = load.run(kind.url, kind.make, clients=8, seconds=2, expect=kind.expect)
            requests_sent += result.count
        delete = kinds.delete_kind(target, created(), 8)
        requests_sent += load.run(
            delete.url, delete.make, clients=8, seconds=2, expect=delete.expect
        ).count
        samples.append(server.memory(pid)["VmRSS"])
    warm = samples[min(2, len(samples) - 1)]
    print(
        f"  soak: {requests_sent:,} requests, RSS samples (MiB): "
        + " ".join(f"{s / MiB:.0f}" for s in samples),
        flush=True,
    )
    report.at_most(
        f"RSS growth over a {seconds:.0f} s soak after warm-up ({requests_sent:,} "
        f"requests; {warm / MiB:.0f} -> {samples[-1] / MiB:.0f} MiB)",
        (samples[-1] - warm) / MiB,
        8.0,
        " MiB",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="image size (default 1 GiB)")
    parser.add_argument(
        "--transfer-rounds", type=int, default=5, help="upload/download rounds (median)"
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="per request-rate run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of the request kinds, each figure the median of its rounds (default 3)",
    )
    parser.add_argument("--soak-seconds", type=float, default=600.0)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="also measure c8 with serve --workers N (default 2; 1: do not)",
    )
    parser.add_argument(
        "--real",
        action="store_true",
        help=f"measure the request kinds on the real stack and write {REAL_FIGURES.name}",
    )
    parser.add_argument(
        "--real-now",
        action="store_true",
        help="measure the request kinds on the real stack (make real-glance-up) in this run, "
        f"each kind right after the emulator's, and hold the emulator to those, not "
        f"{REAL_FIGURES.name}",
    )
    args = parser.parse_args()
    if args.real:
        return measure_real(args.seconds, args.rounds)

    real = json.loads(REAL_FIGURES.read_text()) if REAL_FIGURES.exists() else None
    report = Report()

    work = Path(tempfile.mkdtemp(prefix="glance-emulator-bench-"))
    process = None
    try:
        # Three starts of each: one start can stall on this shared machine (once 3.3 s,
        # with the starts around it at 0.6-0.9 s); the median is the figure.
        empty, existing = [], []
        for attempt in range(STARTS):
            cold, _, seconds = server.start(work / f"cold-{attempt}")
            empty.append(seconds)
            server.stop(cold)
        for _ in range(STARTS - 1):
            warm, _, seconds = server.start(work / "cold-0")
            existing.append(seconds)
            server.stop(warm)
        process, base_url, seconds = server.start(work / "cold-0")
        existing.append(seconds)
        for name, times in (("empty", empty), ("existing", existing)):
            report.at_most(
                f"start-up, {name} data dir, median of {STARTS} "
                f"({' '.join(f'{t:.2f}' for t in times)} s)",
                statistics.median(times),
                1.0,
                " s",
            )
        time.sleep(IDLE_WAIT)
        report.at_most(
            "idle RSS after start", server.memory(process.pid)["VmRSS"] / MiB, 60.0, " MiB"
        )

        target = kinds.Target(base_url, f"{base_url}/identity/v3")
        if args.real_now:
            # Each kind on the emulator and at once on the real stack: this machine's speed
            # moves from minute to minute, and a reference measured in another hour (or
            # even ten minutes later) moves every ratio with it.
            real_side = real_target()
            try:
                results, real_results = rounds.measure_side_by_side(
                    [("", target, process.pid), ("real ", real_side, None)],
                    args.seconds,
                    args.rounds,
                )
            finally:
                kinds.clean_up(real_side)
            real = real_document(real_results)
            report.figure(
                "real Glance figures", "measured in this run, each kind beside ours (--real-now)"
            )
        else:
            results = rounds.measure_kinds(target, args.seconds, process.pid, args.rounds)
            if real is not None:
                report.figure("real Glance figures", f"{REAL_FIGURES.name}, {real['measured']}")
        limits = bounds.RequestLimits.measure(args.seconds)
        for level, rate in limits.ceiling.items():
            print(
                f"  request ceiling (a server doing no work), {level}: {rate:,.0f} req/s",
                flush=True,
            )
            report.figure(f"request ceiling, {level} (req/s)", f"{rate:,.0f}")
        for level, floor in limits.floor.items():
            cpu = f"{floor.server_cpu_ms or 0:.2f} ms CPU"
            print(
                f"  Flask floor (one route doing nothing), {level}: {floor.rate:,.0f} req/s",
                flush=True,
            )
            report.figure(f"Flask floor, {level} (req/s, {cpu})", f"{floor.rate:,.0f}")
        report.request_kinds(results, real, limits)
        time.sleep(IDLE_WAIT)
        report.at_most(
            "idle RSS after the request runs",
            server.memory(process.pid)["VmRSS"] / MiB,
            60.0,
            " MiB",
        )

        transfer_figures(base_url, target.tokens["producer"], process.pid, args, report)
        if args.workers > 1:
            workers_figures(work, args, results, real, limits, report)

        if args.soak_seconds > 0:
            soak(base_url, process.pid, args.soak_seconds, report)
        server.stop(process)
        process = None
        if not args.skip_scale:
            scale_figures(work, args.seconds, report)
    finally:
        if process is not None:
            server.stop(process)
        shutil.rmtree(work, ignore_errors=True)
    return report.print()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
