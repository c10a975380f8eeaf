"""The sample images of tempest's ImagesFormatTest (tests/tempest/format_manifest.py).

tempest reads ``name``, ``format``, ``filename`` and ``usable`` of each manifest entry:
usable images must be accepted and boot, the others must be refused. The emulator's own
inspector, which ``make diff-formats`` keeps in step with oslo's, judges each sample here
the way Glance 33 judges an upload.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml

from emulator.image.domain import disk_formats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tempest"))
import format_manifest  # noqa: E402


def judged(data: bytes, disk_format: str) -> disk_formats.Verdict:
    findings = disk_formats.inspect(
        lambda offset, length: data[offset : offset + length], len(data)
    )
    return disk_formats.judge(disk_format, "bare", findings, len(data))


def test_hand_written_iso_is_an_iso_of_its_stated_size() -> None:
    image = format_manifest.iso9660("probe", blocks=40)
    verdict = judged(image, "iso")
    assert verdict.accepted and verdict.virtual_size == 40 * 2048


def test_hand_written_gpt_disk_passes_the_partition_table_checks() -> None:
    image = format_manifest.gpt_disk()
    assert image[512:520] == b"EFI PART" and image[-512:-504] == b"EFI PART"
    assert judged(image, "gpt").accepted
    assert judged(image, "raw").accepted  # Glance takes a partitioned disk as raw
    assert not judged(image, "qcow2").accepted


needs_qemu_img = pytest.mark.skipif(
    shutil.which("qemu-img") is None, reason="qemu-img (Debian's qemu-utils) is not installed"
)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return format_manifest.write_manifest(tmp_path_factory.mktemp("format-images"))


@needs_qemu_img
def test_manifest_lists_every_file_and_nothing_else_is_left(manifest: Path) -> None:
    entries = yaml.safe_load(manifest.read_text(encoding="utf-8"))["images"]
    assert {"name", "format", "filename", "usable"} <= set(entries[0])
    listed = {entry["filename"] for entry in entries}
    assert {path.name for path in manifest.parent.iterdir()} == listed | {"manifest.yaml"}
    assert len({entry["name"] for entry in entries}) == len(entries)
    assert {e["format"] for e in entries} == {"qcow2", "raw", "gpt", "qed", "iso", "vmdk"}
    assert any(e["usable"] for e in entries) and any(not e["usable"] for e in entries)


@needs_qemu_img
@pytest.mark.parametrize("sample", format_manifest.SAMPLES, ids=lambda s: s.name)
def test_glance_accepts_exactly_the_usable_samples(
    manifest: Path, sample: format_manifest.Sample
) -> None:
    data = (manifest.parent / sample.filename).read_bytes()
    verdict = judged(data, sample.format)
    assert verdict.accepted == sample.usable, verdict.reason


@needs_qemu_img
def test_a_second_run_rebuilds_the_same_set(manifest: Path) -> None:
    again = format_manifest.write_manifest(manifest.parent)
    assert yaml.safe_load(again.read_text(encoding="utf-8")) == yaml.safe_load(
        manifest.read_text(encoding="utf-8")
    )
