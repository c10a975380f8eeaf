"""Upload format inspection: the emulator against oslo.utils' inspector, run as Glance 33 runs it.

For every corpus file (``format_corpus.py``) and every disk_format Glance accepts by default,
both sides give a verdict on a ``bare`` upload: accepted or refused (with Glance's words), and
the virtual_size Glance records. Then the same for seeded random mutants of the corpus (bytes
changed where the formats keep their fields, sometimes cut short). The report at the end of
the run gives the agreement and lists every disagreement. A disagreement fails the test unless
it is one of the documented deliberate differences (``DELIBERATE``).

Glance's side is ``glance_verdict``: a restatement of ``ImageProxy.set_data`` in Glance 33's
``glance/location.py`` (the try/except after the data is stored), driven with the reads
glance_store's filesystem driver makes (``chunkreadable(data, WRITE_CHUNKSIZE=64 KiB)``, which
ends with one empty read). oslo.utils comes from the test virtualenv (Glance 33 runs 10.2.0);
it is never a runtime dependency of the emulator.

Not part of ``make test``: ``make diff-formats`` installs the tools and runs it.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from emulator.image.domain import disk_formats
from tests.differential.format_corpus import SAMPLES, KiB, MiB, Sample, ToolMissing

pytestmark = pytest.mark.skipif(
    not os.environ.get("GLANCE_EMULATOR_DIFF_FORMATS"),
    reason="differential suite: run it with `make diff-formats`",
)

#: Glance's default ``[image_format] disk_formats`` (glance/common/config.py).
DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop")
#: glance_store ``FilesystemStore.WRITE_CHUNKSIZE``: how much each read of the upload asks for.
STORE_CHUNK = 64 * KiB
#: Mutants per run, and the seed they come from (a failure names the seed and the mutant).
MUTANTS = int(os.environ.get("GLANCE_EMULATOR_DIFF_MUTANTS", "400"))
SEED = int(os.environ.get("GLANCE_EMULATOR_DIFF_SEED", "16"))

#: Disagreements kept on purpose: class -> why. Also listed in the final report.
DELIBERATE = {
    "glance-unchecked": (
        "Glance's VMDK inspector fails to decode a text-first upload with a non-ASCII byte in "
        "its first 64 KiB and never sets its subformat; reading it raises AttributeError, "
        "which set_data takes for 'not wrapped for inspection' and accepts the upload "
        "unchecked (any disk_format, no virtual_size). The emulator inspects it as what it "
        "is (unrecognised content: raw)."
    ),
}


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    virtual_size: int | None = None
    reason: str | None = None
    #: Glance only: set_data's ``except AttributeError: pass`` took the upload unchecked.
    unchecked: bool = False

    def verdict(self) -> tuple[bool, int | None]:
        return (self.accepted, self.virtual_size)

    def __str__(self) -> str:
        if not self.accepted:
            return f"refused ({self.reason})"
        size = (
            "no virtual_size" if self.virtual_size is None else f"virtual_size={self.virtual_size}"
        )
        return f"accepted, {size}" + (" [unchecked]" if self.unchecked else "")


def normalised(reason: str) -> str:
    """oslo lists multiple formats in set order, which varies from run to run."""
    prefix = "Multiple formats detected: "
    if reason.startswith(prefix):
        return prefix + ",".join(sorted(reason[len(prefix) :].split(",")))
    return reason


def glance_verdict(path: Path, disk_format: str) -> Outcome:
    """What Glance 33 does with ``path`` uploaded to a bare image of ``disk_format``.

    Defaults: ``require_image_format_match = True``, ``gpt_safety_checks_nonfatal = []``.
    """
    inspector_module: Any = pytest.importorskip("oslo_utils.imageutils.format_inspector")
    with path.open("rb") as source:
        data = inspector_module.InspectWrapper(source)
        try:
            while data.read(STORE_CHUNK):
                pass
        finally:
            data.close()

    virtual_size = 0
    try:
        matched = {str(i): i for i in data.formats}
        if matched.keys() == {"iso", "gpt"}:
            inspector = matched["iso"]
        else:
            inspector = data.format
        found = str(inspector)
        if found == disk_format:
            virtual_size = inspector.virtual_size
        elif found == "raw" and disk_format not in inspector_module.ALL_FORMATS:
            pass
        elif disk_format == "raw":
            # Glance logs ``data.format`` here, and reading it raises "Multiple formats
            # detected" for an ISO+GPT upload: keep that.
            data.format  # noqa: B018
            virtual_size = inspector.actual_size
        else:
            raise inspector_module.ImageFormatError(
                f"Image disk_format {disk_format} does not match stream data {found}"
            )
        inspector.safety_check()
    except AttributeError:
        return Outcome(True, virtual_size or None, unchecked=True)
    except inspector_module.ImageFormatError as exc:
        return Outcome(False, reason=normalised(str(exc)))
    except inspector_module.SafetyCheckFailed:
        return Outcome(False, reason="Image failed safety checks")
    except Exception:
        return Outcome(False, reason="Image format inspection failed")
    return Outcome(True, virtual_size or None)


def emulator_verdict(path: Path, disk_format: str) -> Outcome:
    size = path.stat().st_size
    fd = os.open(path, os.O_RDONLY)
    try:
        findings = disk_formats.inspect(lambda offset, length: os.pread(fd, length, offset), size)
    finally:
        os.close(fd)
    verdict = disk_formats.judge(disk_format, "bare", findings, size)
    return Outcome(verdict.accepted, verdict.virtual_size, verdict.reason)


# --- the run and its report -----------------------------------------------------------


@dataclass
class Row:
    upload: str
    disk_format: str
    glance: Outcome
    emulator: Outcome

    @property
    def agrees(self) -> bool:
        return self.glance.verdict() == self.emulator.verdict()

    @property
    def same_words(self) -> bool:
        return self.glance.reason == self.emulator.reason

    @property
    def deliberate(self) -> str | None:
        if self.agrees and self.same_words:
            return None
        if self.glance.unchecked:
            return "glance-unchecked"
        return None


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    mutant_rows: list[Row] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def lines(self) -> Iterator[str]:
        yield f"oslo.utils {oslo_version()}; {time.monotonic() - self.started:.1f} s"
        yield from self.summary("corpus", self.rows)
        yield from self.summary(f"mutants (seed {SEED})", self.mutant_rows)
        for name, reason in sorted(self.skipped.items()):
            yield f"  skipped {name}: {reason}"
        for name, why in DELIBERATE.items():
            yield f"  deliberate {name}: {why}"

    @staticmethod
    def summary(title: str, rows: list[Row]) -> Iterator[str]:
        if not rows:
            return
        files = len({row.upload for row in rows})
        agreeing = sum(row.agrees for row in rows)
        deliberate = sum(row.deliberate is not None for row in rows)
        yield (
            f"{title}: {files} files x {len(DISK_FORMATS)} disk formats = {len(rows)} uploads; "
            f"verdict and virtual_size agree on {agreeing} ({100 * agreeing / len(rows):.1f}%), "
            f"{deliberate} differ on purpose"
        )
        for row in rows:
            if row.agrees and row.same_words:
                continue
            kind = "differs" if not row.agrees else "same verdict, other words"
            label = f" [deliberate: {row.deliberate}]" if row.deliberate else ""
            yield (
                f"  {kind}{label}: {row.upload} as {row.disk_format}: "
                f"Glance {row.glance}; emulator {row.emulator}"
            )


def oslo_version() -> str:
    from importlib.metadata import version

    return version("oslo.utils")


class ReportPlugin:
    def __init__(self, report: Report):
        self.report = report

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.section("format inspection: emulator vs Glance 33 (oslo.utils)")
        for line in self.report.lines():
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def report(pytestconfig: pytest.Config) -> Report:
    collected = Report()
    pytestconfig.pluginmanager.register(ReportPlugin(collected), "format-inspection-report")
    return collected


class Corpus:
    """The corpus, each sample built once per run (on first use)."""

    def __init__(self, folder: Path, report: Report):
        self.folder = folder
        self.report = report
        self.built: dict[str, Path | ToolMissing] = {}

    def path(self, sample: Sample) -> Path:
        if sample.name not in self.built:
            try:
                self.built[sample.name] = sample.make(self.folder / "samples")
            except ToolMissing as exc:
                self.report.skipped[sample.name] = str(exc)
                self.built[sample.name] = exc
        built = self.built[sample.name]
        if isinstance(built, ToolMissing):
            pytest.skip(str(built))
        return built


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory, report: Report) -> Corpus:
    return Corpus(tmp_path_factory.mktemp("format-corpus"), report)


def compare(upload: str, path: Path) -> list[Row]:
    return [
        Row(upload, fmt, glance_verdict(path, fmt), emulator_verdict(path, fmt))
        for fmt in DISK_FORMATS
    ]


def unexpected(rows: list[Row]) -> list[str]:
    return [
        f"{row.upload} as {row.disk_format}: Glance {row.glance}; emulator {row.emulator}"
        for row in rows
        if not (row.agrees and row.same_words) and row.deliberate is None
    ]


@pytest.mark.parametrize("corpus_sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_emulator_agrees_with_glance(corpus_sample: Sample, corpus: Corpus, report: Report) -> None:
    rows = compare(corpus_sample.name, corpus.path(corpus_sample))
    report.rows.extend(rows)
    assert not unexpected(rows), f"{corpus_sample.about}:\n" + "\n".join(unexpected(rows))


# --- mutants --------------------------------------------------------------------------

#: Where the formats keep the fields the inspectors read (qcow2, VHD, VMDK and VDI headers,
#: MBR, LUKS, ISO volume descriptor, VHDX region table, the metadata tables the corpus puts
#: at 1 and 3 MiB): most mutations land near one of these.
FIELD_OFFSETS = (
    *(0, 4, 8, 12, 20, 24, 28, 36, 40, 56, 0x40, 0x48, 104, 0x170, 446, 450, 454, 510, 512),
    *(32 * KiB, 32 * KiB + 80, 32 * KiB + 128),
    *(192 * KiB, 192 * KiB + 8, 192 * KiB + 16, 192 * KiB + 32, 192 * KiB + 40),
    *(MiB, MiB + 10, MiB + 32, MiB + 48, 3 * MiB, 3 * MiB + 10, 3 * MiB + 32, 3 * MiB + 48),
)


@dataclass(frozen=True)
class Mutant:
    base: str
    #: (offset, new byte value)
    changes: tuple[tuple[int, int], ...]
    #: Cut to this many bytes, or not cut.
    length: int | None

    @classmethod
    def draw(cls, rng: random.Random, bases: dict[str, bytes]) -> Mutant:
        base = rng.choice(sorted(bases))
        size = len(bases[base])
        changes = []
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.75:
                offset = rng.choice(FIELD_OFFSETS) + rng.randint(0, 16)
            else:
                offset = rng.randrange(max(size, 1))
            changes.append((offset, rng.randrange(256)))
        length = rng.randrange(size) if size and rng.random() < 0.2 else None
        return cls(base, tuple(changes), length)

    def apply(self, data: bytes) -> bytes:
        mutated = bytearray(data)
        for offset, value in self.changes:
            if offset < len(mutated):
                mutated[offset] = value
        return bytes(mutated[: self.length])

    def __str__(self) -> str:
        changes = ",".join(f"{offset}={value:#04x}" for offset, value in self.changes)
        cut = "" if self.length is None else f" cut to {self.length}"
        return f"{self.base}[{changes}]{cut}"


def test_mutants_agree_with_glance(corpus: Corpus, report: Report) -> None:
    bases = {}
    for corpus_sample in SAMPLES:
        try:
            path = corpus.path(corpus_sample)
        except pytest.skip.Exception:
            continue
        if path.stat().st_size <= 4 * MiB:  # keeps the run short; all formats are there
            bases[corpus_sample.name] = path.read_bytes()
    rng = random.Random(SEED)
    folder = corpus.folder / "mutants"
    folder.mkdir(exist_ok=True)
    found: list[str] = []
    for index in range(MUTANTS):
        mutant = Mutant.draw(rng, bases)
        path = folder / f"{index:04d}"
        path.write_bytes(mutant.apply(bases[mutant.base]))
        rows = compare(f"mutant {index} {mutant}", path)
        report.mutant_rows.extend(rows)
        found.extend(unexpected(rows))
    assert not found, f"seed {SEED}:\n" + "\n".join(found)


def test_corpus_names_are_unique() -> None:
    names = [s.name for s in SAMPLES]
    assert len(names) == len(set(names))
