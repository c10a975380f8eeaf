"""The request kinds measured in rounds, each figure the median of its rounds."""

from __future__ import annotations

import kinds
import load

Results = dict[str, dict[str, load.Result]]  # kind name -> level ("c1") -> result


def measure_kinds(
    target: kinds.Target,
    seconds: float,
    server_pid: int | None,
    rounds: int,
    levels: tuple[int, ...] = (1, 8),
) -> Results:
    """Each kind at each level (c1 and c8), then DELETE of the images the create runs made;
    ``rounds`` times, each figure the median of its rounds."""
    return measure_side_by_side([("", target, server_pid)], seconds, rounds, levels)[0]


def measure_side_by_side(
    sides: list[tuple[str, kinds.Target, int | None]],
    seconds: float,
    rounds: int,
    levels: tuple[int, ...] = (1, 8),
) -> list[Results]:
    """``measure_kinds`` on each (label, target, server PID) of ``sides``: each kind at each
    level on each side in turn before the next kind. This machine's speed moves from one
    minute to the next, so figures that are divided by each other (ours by the real stack's,
    c8 by c1) are measured within seconds of each other, not minutes apart. And one 3-second
    run of a kind can land in a slow second that the run beside it missed (three rounds of
    one build gave show 1,392, 1,480 and 1,922 req/s), so the whole sequence runs
    ``rounds`` times and each figure is the median of its rounds."""
    prepared = [kinds.prepare(target) for _, target, _ in sides]
    runs: list[dict[str, dict[str, list[load.Result]]]] = [{} for _ in sides]

    def one(round_number: int, side: int, kind: kinds.Kind, clients: int) -> None:
        label, _, server_pid = sides[side]
        result = load.run(
            kind.url,
            kind.make,
            clients=clients,
            seconds=seconds,
            server_pid=server_pid,
            expect=kind.expect,
        )
        runs[side].setdefault(kind.name, {}).setdefault(f"c{clients}", []).append(result)
        print(
            f"  round {round_number} {label}c{clients} {kind.name}: {result.rate:,.0f} req/s",
            flush=True,
        )

    for round_number in range(1, rounds + 1):
        for index in range(len(prepared[0][0])):
            for clients in levels:
                for side, (kind_list, _) in enumerate(prepared):
                    one(round_number, side, kind_list[index], clients)
        for clients in levels:  # DELETE of what the create runs made, in shares
            for side, (_, created) in enumerate(prepared):
                delete = kinds.delete_kind(sides[side][1], created(), clients)
                one(round_number, side, delete, clients)
    return [
        {
            name: {level: load.median(results) for level, results in by_level.items()}
            for name, by_level in side_runs.items()
        }
        for side_runs in runs
    ]
