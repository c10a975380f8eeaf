"""Upload format inspection: the emulator against oslo.utils' inspector, run as Glance 33 runs it.

For every corpus file (``format_corpus.py``) and every disk_format Glance accepts by default,
both sides give a verdict on a ``bare`` upload: accepted or refused (with Glance's words), and
the virtual_size Glance records. The report at the end of the run gives the agreement, and
lists every disagreement. A disagreement fails the test unless it is one of the documented
deliberate differences (``DELIBERATE``).

Glance's side is ``glance_verdict``: a restatement of ``ImageProxy.set_data`` in Glance 33's
``glance/location.py`` (the try/except after the data is stored), driven with the reads
glance_store's filesystem driver makes (``chunkreadable(data, WRITE_CHUNKSIZE=64 KiB)``, which
ends with one empty read). oslo.utils comes from the test virtualenv (Glance 33 runs 10.2.0);
it is never a runtime dependency of the emulator.

Not part of ``make test``: ``make diff-formats`` installs the tools and runs it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from emulator.domain import disk_formats
from tests.differential.format_corpus import SAMPLES, Sample, ToolMissing

pytestmark = pytest.mark.skipif(
    not os.environ.get("GLANCE_EMULATOR_DIFF_FORMATS"),
    reason="differential suite: run it with `make diff-formats`",
)

#: Glance's default ``[image_format] disk_formats`` (glance/common/config.py).
DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop")
#: glance_store ``FilesystemStore.WRITE_CHUNKSIZE``: how much each read of the upload asks for.
STORE_CHUNK = 64 * 1024

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
    sample: Sample
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
    skipped: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def lines(self) -> Iterator[str]:
        files = len({row.sample.name for row in self.rows})
        agreeing = sum(row.agrees for row in self.rows)
        total = len(self.rows) or 1
        yield (
            f"format inspection vs oslo.utils {oslo_version()}: {files} files x "
            f"{len(DISK_FORMATS)} disk formats = {len(self.rows)} uploads; verdict and "
            f"virtual_size agree on {agreeing} ({100 * agreeing / total:.1f}%); "
            f"{time.monotonic() - self.started:.1f} s"
        )
        for name, reason in sorted(self.skipped.items()):
            yield f"  skipped {name}: {reason}"
        for row in self.rows:
            if row.agrees and row.same_words:
                continue
            kind = "differs" if not row.agrees else "same verdict, other words"
            label = f" [deliberate: {row.deliberate}]" if row.deliberate else ""
            yield (
                f"  {kind}{label}: {row.sample.name} as {row.disk_format}: "
                f"Glance {row.glance}; emulator {row.emulator}"
            )
        for name, why in DELIBERATE.items():
            yield f"  deliberate {name}: {why}"


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


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("format-corpus")


@pytest.mark.parametrize("corpus_sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_emulator_agrees_with_glance(
    corpus_sample: Sample, corpus_dir: Path, report: Report
) -> None:
    try:
        path = corpus_sample.make(corpus_dir)
    except ToolMissing as exc:
        report.skipped[corpus_sample.name] = str(exc)
        pytest.skip(str(exc))
    rows = [
        Row(corpus_sample, fmt, glance_verdict(path, fmt), emulator_verdict(path, fmt))
        for fmt in DISK_FORMATS
    ]
    report.rows.extend(rows)
    unexpected = [
        f"{row.disk_format}: Glance {row.glance}; emulator {row.emulator}"
        for row in rows
        if not (row.agrees and row.same_words) and row.deliberate is None
    ]
    assert not unexpected, f"{corpus_sample.about}:\n" + "\n".join(unexpected)


def test_corpus_names_are_unique() -> None:
    names = [s.name for s in SAMPLES]
    assert len(names) == len(set(names))
