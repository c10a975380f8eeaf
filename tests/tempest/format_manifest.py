"""Sample disk images for tempest's ``ImagesFormatTest``, and the manifest that lists them.

tempest runs that class only when ``[image] images_manifest_file`` names a YAML file with
an ``images`` list; it reads ``name``, ``format``, ``filename`` (beside the manifest) and
``usable`` of each entry (``tempest/api/image/v2/test_images_formats.py``), and treats a
``footer`` in the name as a VMDK that older services may refuse. OpenStack publishes such
a set (os-test-images); this machine cannot download it, so this module makes its own:
the same kinds of image (a plain file of each format an upload may declare, and the
crafted ones a careful Glance or Nova must refuse: external references, polyglots),
built with ``qemu-img`` and a few byte edits done here. ISO 9660 and GPT images are
written by hand, so no mkisofs or parted is needed.

    python tests/tempest/format_manifest.py DIR     # the images and DIR/manifest.yaml
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

MiB = 1 << 20
SECTOR = 512
ISO_BLOCK = 2048
#: A file every Linux host has: what a crafted image points at to leak host data.
HOST_FILE = "/etc/hosts"


def qemu_img(*args: str | Path, cwd: Path) -> None:
    subprocess.run(["qemu-img", *map(str, args)], cwd=cwd, check=True, capture_output=True)


# --- hand-written containers -------------------------------------------------------------


def _both_endian32(value: int) -> bytes:
    return struct.pack("<I", value) + struct.pack(">I", value)


def _both_endian16(value: int) -> bytes:
    return struct.pack("<H", value) + struct.pack(">H", value)


def iso9660(volume_id: str, blocks: int = 32) -> bytes:
    """A small ISO 9660 volume: an empty 32 KiB system area, a primary volume descriptor
    (block 16) with an empty root directory (block 18), and the set terminator (block 17).
    ECMA-119 section 8 gives the layout."""
    image = bytearray(blocks * ISO_BLOCK)
    root = bytearray(34)  # the root's directory record (ECMA-119 9.1)
    root[0] = 34
    root[2:10] = _both_endian32(18)
    root[10:18] = _both_endian32(ISO_BLOCK)
    root[25] = 0x02  # a directory
    root[28:32] = _both_endian16(1)
    root[32] = 1
    pvd = bytearray(ISO_BLOCK)
    pvd[0:7] = b"\x01CD001\x01"
    pvd[8:40] = b" " * 32
    pvd[40:72] = volume_id.upper().encode("ascii")[:32].ljust(32)
    pvd[80:88] = _both_endian32(blocks)
    pvd[120:124] = _both_endian16(1)  # volume set size
    pvd[124:128] = _both_endian16(1)  # volume sequence number
    pvd[128:132] = _both_endian16(ISO_BLOCK)
    pvd[156:190] = root
    pvd[881] = 1  # file structure version
    image[16 * ISO_BLOCK : 17 * ISO_BLOCK] = pvd
    image[17 * ISO_BLOCK : 17 * ISO_BLOCK + 7] = b"\xffCD001\x01"
    # The root directory itself: "." and "..", both pointing at block 18.
    dot = bytearray(root)
    dotdot = bytearray(root)
    dotdot[33] = 1
    image[18 * ISO_BLOCK : 18 * ISO_BLOCK + 68] = dot + dotdot
    return bytes(image)


def gpt_disk(size: int = MiB) -> bytes:
    """A blank disk with a GUID partition table and no partition: the protective MBR,
    the primary header and entry array, and their backups at the end (UEFI 2.10, 5.2-5.3).
    """
    sectors = size // SECTOR
    entries = bytes(128 * 128)
    entries_crc = zlib.crc32(entries)
    disk_guid = uuid.uuid4().bytes_le
    entry_sectors = len(entries) // SECTOR

    def header(current: int, backup: int, entries_at: int) -> bytes:
        fields = struct.pack(
            "<8sIIIIQQQQ16sQIII",
            b"EFI PART",
            0x00010000,
            92,
            0,  # header CRC, filled below
            0,
            current,
            backup,
            2 + entry_sectors,  # first usable sector
            sectors - 2 - entry_sectors,  # last usable sector
            disk_guid,
            entries_at,
            128,
            128,
            entries_crc,
        )
        fields = fields[:16] + struct.pack("<I", zlib.crc32(fields)) + fields[20:]
        return fields.ljust(SECTOR, b"\0")

    disk = bytearray(size)
    protective = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1, sectors - 1)
    disk[446 : 446 + 16] = protective
    disk[510:512] = b"\x55\xaa"
    disk[SECTOR : 2 * SECTOR] = header(1, sectors - 1, 2)
    disk[2 * SECTOR : 2 * SECTOR + len(entries)] = entries
    backup_entries = sectors - 1 - entry_sectors
    disk[backup_entries * SECTOR : (sectors - 1) * SECTOR] = entries
    disk[(sectors - 1) * SECTOR :] = header(sectors - 1, 1, backup_entries)
    return bytes(disk)


# --- edits to what qemu-img made -----------------------------------------------------------


def _sparse_descriptor(path: Path) -> tuple[int, int]:
    """Where the text descriptor sits in a monolithicSparse VMDK: (offset, length) in
    bytes, from the sparse extent header (descriptorOffset, descriptorSize in sectors)."""
    with path.open("rb") as f:
        head = f.read(SECTOR)
    offset, length = struct.unpack_from("<QQ", head, 28)
    return offset * SECTOR, length * SECTOR


def repoint_sparse_extent(path: Path, target: str) -> None:
    """Make a monolithicSparse VMDK's descriptor name ``target`` as its extent file."""
    offset, length = _sparse_descriptor(path)
    with path.open("r+b") as f:
        f.seek(offset)
        text = f.read(length)
        edited = text.replace(f'"{path.name}"'.encode(), f'"{target}"'.encode())
        f.seek(offset)
        f.write(edited.rstrip(b"\0").ljust(length, b"\0")[:length])


def move_grain_directory_to_footer(path: Path) -> None:
    """Turn a monolithicSparse VMDK into one whose header defers to a footer, as VMware
    tools write them: the header's gdOffset becomes GD_AT_END and the file ends with a
    footer marker, a footer (the original header, with the real gdOffset) and an
    end-of-stream marker (VMDK 1.1 spec, "stream-optimized compressed sparse extents")."""
    gd_at_end = 0xFFFFFFFFFFFFFFFF
    with path.open("r+b") as f:
        header = f.read(SECTOR)
        f.seek(56)  # gdOffset
        f.write(struct.pack("<Q", gd_at_end))
        f.seek(0, 2)
        footer_marker = bytearray(SECTOR)
        footer_marker[12:16] = struct.pack("<I", 3)  # MARKER_FOOTER
        f.write(bytes(footer_marker) + header + bytes(SECTOR))  # the last: MARKER_EOS


def rewrite_text(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="ascii").replace(old, new), encoding="ascii")


# --- the set -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    name: str
    format: str
    usable: bool
    insecure: bool
    description: str
    #: Writes ``folder / filename``; may leave nothing else behind.
    build: Callable[[Path, Path], None]

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.format}"


def _qcow2(folder: Path, out: Path) -> None:
    qemu_img("create", "-f", "qcow2", out.name, "10M", cwd=folder)


def _qcow2_backing(folder: Path, out: Path) -> None:
    qemu_img("create", "-f", "qcow2", "-F", "raw", "-b", HOST_FILE, out.name, "10M", cwd=folder)


def _qcow2_data_file(folder: Path, out: Path) -> None:
    data = f"{out.stem}-data"
    options = f"data_file={data},data_file_raw=on"
    qemu_img("create", "-f", "qcow2", "-o", options, out.name, "10M", cwd=folder)
    (folder / data).unlink()


def _raw(folder: Path, out: Path) -> None:
    out.write_bytes(bytes(MiB))


def _gpt(folder: Path, out: Path) -> None:
    out.write_bytes(gpt_disk())


def _qed(folder: Path, out: Path) -> None:
    qemu_img("create", "-f", "qed", out.name, "10M", cwd=folder)


def _iso(folder: Path, out: Path) -> None:
    out.write_bytes(iso9660(out.stem[:32]))


def _iso_qcow2_system_area(folder: Path, out: Path) -> None:
    """A valid ISO whose unused system area starts with a qcow2 header: qemu-img takes it
    for qcow2, a careless checker for a harmless ISO."""
    scratch = folder / f"{out.stem}-scratch.qcow2"
    qemu_img("create", "-f", "qcow2", scratch.name, "10M", cwd=folder)
    head = scratch.read_bytes()[: 16 * ISO_BLOCK]
    scratch.unlink()
    image = bytearray(iso9660(out.stem[:32]))
    image[: len(head)] = head
    out.write_bytes(bytes(image))


def _vmdk(subformat: str) -> Callable[[Path, Path], None]:
    def build(folder: Path, out: Path) -> None:
        options = f"subformat={subformat}"
        qemu_img("create", "-f", "vmdk", "-o", options, out.name, "10M", cwd=folder)

    return build


def _vmdk_flat(leak: bool) -> Callable[[Path, Path], None]:
    def build(folder: Path, out: Path) -> None:
        _vmdk("monolithicFlat")(folder, out)
        extent = f"{out.stem}-flat.vmdk"
        (folder / extent).unlink()
        if leak:
            rewrite_text(out, f'"{extent}"', f'"{HOST_FILE}"')

    return build


def _vmdk_sparse_url(folder: Path, out: Path) -> None:
    _vmdk("monolithicSparse")(folder, out)
    repoint_sparse_extent(out, HOST_FILE)


def _vmdk_footer(folder: Path, out: Path) -> None:
    _vmdk("monolithicSparse")(folder, out)
    move_grain_directory_to_footer(out)


SAMPLES: tuple[Sample, ...] = (
    Sample("qcow2-plain", "qcow2", True, False, "qcow2 v3, blank, nothing external", _qcow2),
    Sample("qcow2-backing-file", "qcow2", False, True, "qcow2 on a host file", _qcow2_backing),
    Sample("qcow2-data-file", "qcow2", False, True, "qcow2 with an external data file",
           _qcow2_data_file),
    Sample("raw-zeros", "raw", True, False, "1 MiB of zeros: no format at all", _raw),
    Sample("gpt-empty", "gpt", True, False, "protective MBR and an empty GPT", _gpt),
    Sample("qed-plain", "qed", False, False, "QED: a format no service should take", _qed),
    Sample("iso-plain", "iso", True, False, "ISO 9660 with an empty root directory", _iso),
    Sample("iso-qcow2-system-area", "iso", False, True,
           "ISO 9660 whose system area holds a qcow2 header", _iso_qcow2_system_area),
    Sample("vmdk-sparse", "vmdk", True, False, "monolithicSparse VMDK",
           _vmdk("monolithicSparse")),
    Sample("vmdk-stream", "vmdk", True, False, "streamOptimized VMDK",
           _vmdk("streamOptimized")),
    Sample("vmdk-flat-missing", "vmdk", False, False,
           "monolithicFlat VMDK: a descriptor naming an extent file that is not there",
           _vmdk_flat(leak=False)),
    Sample("vmdk-flat-host-file", "vmdk", False, True,
           "monolithicFlat VMDK whose extent is a host file", _vmdk_flat(leak=True)),
    Sample("vmdk-sparse-host-extent", "vmdk", False, True,
           "monolithicSparse VMDK whose descriptor names a host file as extent",
           _vmdk_sparse_url),
    Sample("vmdk-sparse-footer", "vmdk", True, False,
           "monolithicSparse VMDK whose grain directory is given by a footer", _vmdk_footer),
)  # fmt: skip


def write_manifest(folder: Path, samples: tuple[Sample, ...] = SAMPLES) -> Path:
    """Build every sample into ``folder`` (afresh) and write ``folder/manifest.yaml``."""
    if shutil.which("qemu-img") is None:
        raise SystemExit("qemu-img is missing: apt-get install qemu-utils")
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for sample in samples:
        out = folder / sample.filename
        out.unlink(missing_ok=True)
        sample.build(folder, out)
        entries.append(
            {
                "name": sample.name,
                "format": sample.format,
                "filename": sample.filename,
                "usable": sample.usable,
                "insecure": sample.insecure,
                "description": sample.description,
            }
        )
    manifest = folder / "manifest.yaml"
    manifest.write_text(yaml.safe_dump({"images": entries}, sort_keys=False), encoding="utf-8")
    return manifest


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(write_manifest(Path(sys.argv[1])))
