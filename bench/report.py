"""The bench's table: each figure with its target and whether it was met."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bounds import RequestLimits
from load import Result


@dataclass
class Report:
    rows: list[tuple[str, str, str, bool | None]] = field(default_factory=list)  # None: no target

    def figure(self, figure: str, value: str) -> None:
        """A figure shown for what it explains, with no target of its own."""
        self.rows.append((figure, value, "-", None))

    def at_most(self, figure: str, value: float, limit: float, unit: str = "") -> None:
        self.rows.append((figure, f"{value:,.2f}{unit}", f"<= {limit:,.2f}{unit}", value <= limit))

    def at_least(self, figure: str, value: float, floor: float, unit: str = "") -> None:
        self.rows.append((figure, f"{value:,.0f}{unit}", f">= {floor:,.0f}{unit}", value >= floor))

    def request_kinds(
        self,
        results: dict[str, dict[str, Result]],
        real: dict[str, Any] | None,
        limits: RequestLimits | None = None,
    ) -> None:
        """Per kind: c1 and c8 against 10x real Glance, and c8 at least c1. A target above
        the request ceiling or the Flask floor (``bounds.RequestLimits``) says so: no server,
        or no Flask route on this server, could meet it on this machine."""
        for name, by_level in results.items():
            for level in ("c1", "c8"):
                result = by_level[level]
                cpu = f", {result.server_cpu_ms:.2f} ms CPU" if result.server_cpu_ms else ""
                self._against_real(
                    f"{name} {level} (req/s{cpu})", name, level, result, real, limits
                )
            ratio = by_level["c8"].rate / by_level["c1"].rate if by_level["c1"].rate else 0.0
            self.at_least_ratio(f"{name}: c8 / c1 throughput", ratio, 1.0)

    def workers_kinds(
        self,
        workers: int,
        results: dict[str, dict[str, Result]],
        one_process: dict[str, dict[str, Result]],
        real: dict[str, Any] | None,
        limits: RequestLimits | None = None,
    ) -> None:
        """Per kind, served by ``workers`` processes: c8 against 10x real Glance, and
        against one process's c1 (one client is served by one worker either way)."""
        for name, by_level in results.items():
            result = by_level["c8"]
            figure = f"{name} c8, --workers {workers} (req/s)"
            self._against_real(figure, name, "c8", result, real, limits, processes=workers)
            single = one_process[name]["c1"].rate
            self.at_least_ratio(
                f"{name}: c8 with --workers {workers} / c1",
                result.rate / single if single else 0.0,
                1.0,
            )

    def _against_real(
        self,
        figure: str,
        name: str,
        level: str,
        result: Result,
        real: dict[str, Any] | None,
        limits: RequestLimits | None,
        processes: int = 1,
    ) -> None:
        reference = (real or {}).get("requests_per_second", {}).get(name, {}).get(level)
        if not reference:
            self.rows.append((figure, f"{result.rate:,.0f}", "no real figure", True))
            return
        why = limits.beyond(level, 10 * reference, processes=processes) if limits else ""
        beyond = f"; {why}" if why else ""
        spread = f"; rounds {result.spread}" if result.spread else ""
        self.rows.append(
            (
                figure,
                f"{result.rate:,.0f} ({result.rate / reference:.1f}x real{spread})",
                f">= {10 * reference:,.0f} (10x {reference:,.0f}{beyond})",
                result.rate >= 10 * reference,
            )
        )

    def at_least_ratio(self, figure: str, value: float, floor: float) -> None:
        self.rows.append((figure, f"{value:.2f}", f">= {floor:.2f}", value >= floor))

    def print(self) -> int:
        """Print the table (Markdown); 1 if a target was missed."""
        width = max(len(row[0]) for row in self.rows)
        print(f"\n| {'figure'.ljust(width)} | value | target | ok |")
        print(f"| {'-' * width} | --- | --- | --- |")
        for figure, value, target, ok in self.rows:
            met = "-" if ok is None else "yes" if ok else "MISS"
            print(f"| {figure.ljust(width)} | {value} | {target} | {met} |")
        targets = [row for row in self.rows if row[3] is not None]
        missed = [row[0] for row in targets if not row[3]]
        print(f"\n{len(targets) - len(missed)} of {len(targets)} targets met")
        return 1 if missed else 0
