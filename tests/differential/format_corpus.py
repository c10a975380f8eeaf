"""Disk images to upload: made at test time by the real tools, plus hostile ones made here.

Nothing binary is committed. Each ``Sample`` builds one file into a directory of its own
(side files such as a backing file or a data file go beside it) and returns the file that is
uploaded. Samples made with a tool name it in ``tools``; ``build`` raises ``ToolMissing``
when the tool is not installed, and the test skips that sample with the reason.

The tools are Debian's: ``qemu-img`` (qemu-utils), ``xorriso``, ``sgdisk`` (gdisk) and
``cryptsetup`` (cryptsetup-bin). The hand-written cases follow the published layouts (qcow2
spec, VMDK, VHD/VHDX, VDI, ISO 9660, the PC MBR, LUKS1); see ``emulator/domain/disk_formats.py``.
"""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

KiB = 1024
MiB = 1024 * KiB
#: Debian package of each tool, for the skip message and the Makefile.
PACKAGES = {
    "qemu-img": "qemu-utils",
    "xorriso": "xorriso",
    "sgdisk": "gdisk",
    "cryptsetup": "cryptsetup-bin",
}


class ToolMissing(Exception):
    pass


@dataclass(frozen=True)
class Sample:
    name: str
    #: What the sample stands for (shown in the report).
    about: str
    build: Callable[[Path], Path]
    tools: tuple[str, ...] = ()

    def make(self, workdir: Path) -> Path:
        for tool in self.tools:
            if shutil.which(tool) is None:
                raise ToolMissing(
                    f"{tool} is not installed (Debian package {PACKAGES[tool]}; "
                    "`make diff-formats` installs it)"
                )
        folder = workdir / self.name
        folder.mkdir(parents=True, exist_ok=True)
        return self.build(folder)


SAMPLES: list[Sample] = []


Build = Callable[[Path], Path]


def sample(name: str, about: str, tools: tuple[str, ...] = ()) -> Callable[[Build], Build]:
    """Decorator form of ``add``."""

    def register(build: Build) -> Build:
        SAMPLES.append(Sample(name, about, build, tools))
        return build

    return register


def add(name: str, about: str, build: Callable[[Path], Path], *tools: str) -> None:
    SAMPLES.append(Sample(name, about, build, tools))


# --- helpers --------------------------------------------------------------------------


def run(*args: str | Path, cwd: Path) -> None:
    for _attempt in range(3):
        done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True)
        # qemu's LUKS key setup times PBKDF2 and now and then fails to measure it: try again.
        if done.returncode == 0 or "accurate CPU usage" not in done.stderr:
            break
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed: {done.stderr.strip()}")


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def pad(data: bytes, size: int) -> bytes:
    return data + bytes(max(size - len(data), 0))


def patch(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new) :]


def random_bytes(size: int, seed: int = 16) -> bytes:
    data = bytearray(random.Random(seed).randbytes(size))
    data[510:512] = b"\x00\x00"  # never an accidental MBR signature
    return bytes(data)


def payload_disk(folder: Path, size: int = 4 * MiB) -> Path:
    """A raw disk with 1 MiB of data in front: what the converted images hold."""
    return write(folder, "payload.raw", pad(random_bytes(MiB), size))


def qemu_convert(folder: Path, fmt: str, *options: str, name: str = "") -> Path:
    source = payload_disk(folder)
    target = folder / (name or f"disk.{fmt}")
    run("qemu-img", "convert", "-q", "-f", "raw", "-O", fmt, *options, source, target, cwd=folder)
    return target


def qemu_create(folder: Path, fmt: str, *options: str, size: str = "16M") -> Path:
    target = folder / f"disk.{fmt}"
    run("qemu-img", "create", "-q", "-f", fmt, *options, target, size, cwd=folder)
    return target


def edit(path: Path, offset: int, new: bytes) -> Path:
    with path.open("r+b") as handle:
        handle.seek(offset)
        handle.write(new)
    return path


def truncate(path: Path, size: int) -> Path:
    with path.open("r+b") as handle:
        handle.truncate(size)
    return path


# --- hand-made structures -------------------------------------------------------------


def qcow2_header(
    virtual_size: int = 16 * MiB, version: int = 3, backing: int = 0, incompatible: int = 0
) -> bytes:
    header = b"QFI\xfb" + struct.pack(">IQIIQ", version, backing, 0, 16, virtual_size)
    header = pad(header, 0x48) + struct.pack(">QQII", incompatible, 0, 4, 104)
    return pad(header, 512)


def vhd_footer(virtual_size: int = 16 * MiB) -> bytes:
    return pad(pad(b"conectix", 40) + struct.pack(">Q", virtual_size), 512)


def vdi_header(virtual_size: int = 16 * MiB) -> bytes:
    header = pad(b"<<< Oracle VM VirtualBox Disk Image >>>\n", 0x40)
    header += struct.pack("<II", 0xBEDA107F, 0x00010001)
    return pad(pad(header, 0x170) + struct.pack("<Q", virtual_size), 512)


VHDX_METADATA = uuid.UUID("8B7CA206-4790-4B9A-B8FE-575F050F886E").bytes_le
VHDX_VIRTUAL_DISK_SIZE = uuid.UUID("2FA54224-CD1B-4876-B211-5DBED83BF4B8").bytes_le


def vhdx(
    virtual_size: int = 16 * MiB,
    meta_offset: int = 1 * MiB,
    item_offset: int = 64 * KiB,
    item_length: int = 8,
    region_signature: bytes = b"regi",
    meta_signature: bytes = b"metadata",
    length: int = 2 * MiB,
    other_items: int = 0,
) -> bytes:
    data = bytearray(length)
    data[0:8] = b"vhdxfile"
    table = region_signature + struct.pack("<III", 0, 1, 0)
    table += VHDX_METADATA + struct.pack("<QII", meta_offset, MiB, 1)
    data[192 * KiB : 192 * KiB + len(table)] = table
    meta = pad(meta_signature + struct.pack("<HH", 0, other_items + 1), 32)
    meta += (uuid.UUID(int=1).bytes_le + struct.pack("<IIII", 0, 0, 0, 0)) * other_items
    meta += VHDX_VIRTUAL_DISK_SIZE + struct.pack("<III", item_offset, item_length, 0)
    data[meta_offset : meta_offset + len(meta)] = meta
    item = meta_offset + item_offset
    data[item : item + 8] = struct.pack("<Q", virtual_size)
    return bytes(data)


def descriptor(subformat: str = "monolithicSparse", *extents: str, extra: str = "") -> str:
    lines = [
        "# Disk DescriptorFile",
        "version=1",
        "CID=7e3a1c55",
        "parentCID=ffffffff",
        f'createType="{subformat}"',
        "",
        "# Extent description",
        *(extents or ('RW 32768 SPARSE "disk.vmdk"',)),
        "",
        "# The Disk Data Base",
        "#DDB",
        "",
        'ddb.virtualHWVersion = "4"',
        'ddb.geometry.cylinders = "32"',
        'ddb.adapterType = "ide"',
    ]
    return "\n".join(lines) + "\n" + extra


def vmdk_sparse(
    text: bytes | None = None,
    version: int = 1,
    desc_sector: int = 1,
    gd_offset: int = 40,
    length: int = 64 * KiB,
) -> bytes:
    """A hosted sparse extent header with ``text`` as its embedded descriptor."""
    if text is None:
        text = descriptor().encode()
    fields = (version, 3, 32768, 128, desc_sector, 20, 512, 21, gd_offset)
    header = pad(b"KDMV" + struct.pack("<IIQQQQIQQ", *fields), 512)
    return pad(header + pad(text, 20 * 512), length)


def iso_pvd(blocks: int = 64, identifier: bytes = b"CD001") -> bytes:
    pvd = b"\x01" + identifier + b"\x01"
    pvd = pad(pvd, 80) + struct.pack("<I", blocks) + struct.pack(">I", blocks)
    pvd = pad(pvd, 128) + struct.pack("<H", 2048) + struct.pack(">H", 2048)
    return pad(pvd, 2048)


def iso(blocks: int = 64, system_area: bytes = b"", identifier: bytes = b"CD001") -> bytes:
    return pad(pad(system_area, 32 * KiB) + iso_pvd(blocks, identifier), blocks * 2048)


def mbr(*entries: bytes, base: bytes = b"", fat: bool = False) -> bytes:
    sector = bytearray(pad(base[:512], 512))
    if fat:
        sector[0x0B:0x0D] = struct.pack("<H", 512)
        sector[0x10], sector[0x15] = 2, 0xF8
    for index, entry in enumerate(entries):
        sector[446 + 16 * index : 462 + 16 * index] = entry
    sector[510:512] = b"\x55\xaa"
    return bytes(sector)


def partition(boot: int = 0x80, kind: int = 0x83, first: int = 2048, chs: bytes = b"\x20\x21\x00"):
    return struct.pack("<B3sB3sII", boot, chs, kind, b"\xfe\xff\xff", first, 8192)


PROTECTIVE = partition(boot=0, kind=0xEE, first=1, chs=b"\x00\x02\x00")


def luks1_header(version: int = 1, payload_sectors: int = 4096) -> bytes:
    header = b"LUKS\xba\xbe" + struct.pack(">H", version)
    header += pad(b"aes", 32) + pad(b"xts-plain64", 32) + pad(b"sha256", 32)
    header += struct.pack(">II", payload_sectors, 64)
    return pad(header, 4096)


TEXT = (
    "Release notes\n=============\n\nThis is a plain text file that someone uploaded "
    "as a disk image by mistake. It is long enough to fill the first sector.\n"
)


def text_file(size: int, odd: bytes | None = None, at: int = 0) -> bytes:
    data = (TEXT * (size // len(TEXT) + 1)).encode("ascii")[:size]
    if odd is not None:
        data = patch(data, at, odd)
    return data


# --- samples: qemu-img ----------------------------------------------------------------

add("raw-random", "4 MiB raw disk, 1 MiB of random data", payload_disk)
add(
    "raw-qemu-zeros",
    "qemu-img create -f raw",
    lambda d: qemu_create(d, "raw", size="1M"),
    "qemu-img",
)
add("qcow2-v3", "qcow2, compat 1.1", lambda d: qemu_convert(d, "qcow2"), "qemu-img")
add(
    "qcow2-v2",
    "qcow2, compat 0.10",
    lambda d: qemu_convert(d, "qcow2", "-o", "compat=0.10"),
    "qemu-img",
)
add(
    "qcow2-compressed",
    "qcow2, compressed clusters",
    lambda d: qemu_convert(d, "qcow2", "-c"),
    "qemu-img",
)
add(
    "qcow2-zstd",
    "qcow2, zstd compression (incompatible feature bit 3, allowed)",
    lambda d: qemu_convert(d, "qcow2", "-c", "-o", "compression_type=zstd"),
    "qemu-img",
)
add(
    "qcow2-lazy-refcounts",
    "qcow2, lazy refcounts (a compatible feature)",
    lambda d: qemu_convert(d, "qcow2", "-o", "lazy_refcounts=on"),
    "qemu-img",
)
add(
    "qcow2-extended-l2",
    "qcow2, extended L2 entries (incompatible feature bit 4, unknown to the inspector)",
    lambda d: qemu_convert(d, "qcow2", "-o", "extended_l2=on"),
    "qemu-img",
)
add(
    "qcow2-big-clusters",
    "qcow2 with 2 MiB clusters",
    lambda d: qemu_convert(d, "qcow2", "-o", "cluster_size=2M"),
    "qemu-img",
)
add(
    "qcow2-encrypted",
    "qcow2 with LUKS encryption inside",
    lambda d: qemu_create(
        d,
        "qcow2",
        "--object",
        "secret,id=s0,data=pw",
        "-o",
        "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=100",
    ),
    "qemu-img",
)


@sample(
    "qcow2-backing-file", "qcow2 overlay on a qcow2 backing file (host file read)", ("qemu-img",)
)
def _qcow2_backing(folder: Path) -> Path:
    qemu_create(folder, "qcow2")
    (folder / "disk.qcow2").rename(folder / "base.qcow2")
    return qemu_create(folder, "qcow2", "-b", "base.qcow2", "-F", "qcow2")


@sample("qcow2-backing-raw", "qcow2 overlay naming /etc/hostname as raw backing", ("qemu-img",))
def _qcow2_backing_raw(folder: Path) -> Path:
    return qemu_create(folder, "qcow2", "-b", "/etc/hostname", "-F", "raw", "-u")


add(
    "qcow2-data-file",
    "qcow2 with an external data file",
    lambda d: qemu_create(d, "qcow2", "-o", "data_file=data.raw"),
    "qemu-img",
)
add(
    "qcow2-data-file-raw",
    "qcow2 with an external raw data file (data_file_raw)",
    lambda d: qemu_create(d, "qcow2", "-o", "data_file=data.raw,data_file_raw=on"),
    "qemu-img",
)
add("vmdk-sparse", "VMDK monolithicSparse", lambda d: qemu_convert(d, "vmdk"), "qemu-img")
add(
    "vmdk-sparse-compat6",
    "VMDK monolithicSparse, hardware version 6",
    lambda d: qemu_convert(d, "vmdk", "-o", "compat6=on"),
    "qemu-img",
)
add(
    "vmdk-stream",
    "VMDK streamOptimized (header and footer)",
    lambda d: qemu_convert(d, "vmdk", "-o", "subformat=streamOptimized"),
    "qemu-img",
)
add(
    "vmdk-flat-descriptor",
    "VMDK monolithicFlat: the descriptor names a flat extent file",
    lambda d: qemu_create(d, "vmdk", "-o", "subformat=monolithicFlat"),
    "qemu-img",
)
add(
    "vmdk-2gb-sparse-descriptor",
    "VMDK twoGbMaxExtentSparse: descriptor of split sparse extents",
    lambda d: qemu_create(d, "vmdk", "-o", "subformat=twoGbMaxExtentSparse"),
    "qemu-img",
)
add(
    "vmdk-2gb-flat-descriptor",
    "VMDK twoGbMaxExtentFlat: descriptor of split flat extents",
    lambda d: qemu_create(d, "vmdk", "-o", "subformat=twoGbMaxExtentFlat"),
    "qemu-img",
)


@sample("vmdk-stream-no-footer", "VMDK streamOptimized cut before its footer", ("qemu-img",))
def _vmdk_stream_cut(folder: Path) -> Path:
    path = qemu_convert(folder, "vmdk", "-o", "subformat=streamOptimized")
    return truncate(path, path.stat().st_size - 1024)


@sample("vmdk-sparse-truncated", "VMDK monolithicSparse cut inside its descriptor", ("qemu-img",))
def _vmdk_sparse_cut(folder: Path) -> Path:
    return truncate(qemu_convert(folder, "vmdk"), 1024)


add("vhd-dynamic", "VHD (vpc) dynamic", lambda d: qemu_convert(d, "vpc"), "qemu-img")
add(
    "vhd-fixed",
    "VHD (vpc) fixed: the footer is at the end only",
    lambda d: qemu_convert(d, "vpc", "-o", "subformat=fixed"),
    "qemu-img",
)
add(
    "vhd-force-size",
    "VHD (vpc) dynamic, force_size",
    lambda d: qemu_convert(d, "vpc", "-o", "force_size=on"),
    "qemu-img",
)


@sample("vhd-truncated", "VHD cut to 100 bytes", ("qemu-img",))
def _vhd_cut(folder: Path) -> Path:
    return truncate(qemu_convert(folder, "vpc"), 100)


add("vhdx-dynamic", "VHDX dynamic", lambda d: qemu_convert(d, "vhdx"), "qemu-img")
add(
    "vhdx-fixed",
    "VHDX fixed",
    lambda d: qemu_convert(d, "vhdx", "-o", "subformat=fixed"),
    "qemu-img",
)


@sample("vhdx-corrupt-region-table", "VHDX whose region table (192 KiB) is corrupt", ("qemu-img",))
def _vhdx_corrupt_region(folder: Path) -> Path:
    return edit(qemu_convert(folder, "vhdx"), 192 * KiB, b"XXXX")


@sample("vhdx-corrupt-both-region-tables", "VHDX, both region tables corrupt", ("qemu-img",))
def _vhdx_corrupt_regions(folder: Path) -> Path:
    return edit(edit(qemu_convert(folder, "vhdx"), 192 * KiB, b"XXXX"), 256 * KiB, b"XXXX")


@sample("vhdx-corrupt-metadata", "VHDX whose metadata table signature is corrupt", ("qemu-img",))
def _vhdx_corrupt_meta(folder: Path) -> Path:
    path = qemu_convert(folder, "vhdx")
    data = path.read_bytes()
    entry = data.index(VHDX_METADATA, 192 * KiB)
    meta_offset = struct.unpack_from("<Q", data, entry + 16)[0]
    return edit(path, meta_offset, b"XXXXXXXX")


@sample("vhdx-truncated-header", "VHDX cut to 200 KiB (inside the region table)", ("qemu-img",))
def _vhdx_cut_header(folder: Path) -> Path:
    return truncate(qemu_convert(folder, "vhdx"), 200 * KiB)


@sample("vhdx-truncated-metadata", "VHDX cut inside its metadata table", ("qemu-img",))
def _vhdx_cut_meta(folder: Path) -> Path:
    path = qemu_convert(folder, "vhdx")
    data = path.read_bytes()
    entry = data.index(VHDX_METADATA, 192 * KiB)
    meta_offset = struct.unpack_from("<Q", data, entry + 16)[0]
    return truncate(path, meta_offset + 100)


add("vdi-dynamic", "VDI dynamic", lambda d: qemu_convert(d, "vdi"), "qemu-img")
add("vdi-static", "VDI static", lambda d: qemu_convert(d, "vdi", "-o", "static=on"), "qemu-img")


@sample("vdi-truncated", "VDI cut to 300 bytes", ("qemu-img",))
def _vdi_cut(folder: Path) -> Path:
    return truncate(qemu_convert(folder, "vdi"), 300)


add("qed", "QED (recognised only to be banned)", lambda d: qemu_convert(d, "qed"), "qemu-img")
add(
    "luks-qemu",
    "LUKS1 made by qemu-img",
    lambda d: qemu_create(
        d,
        "luks",
        "--object",
        "secret,id=s0,data=pw",
        "-o",
        "key-secret=s0,iter-time=100",
        size="4M",
    ),
    "qemu-img",
)


@sample("qcow2-truncated-short", "qcow2 cut to 300 bytes (less than a header)", ("qemu-img",))
def _qcow2_cut_short(folder: Path) -> Path:
    return truncate(qemu_convert(folder, "qcow2"), 300)


@sample("qcow2-truncated-header", "qcow2 cut to its first 512 bytes", ("qemu-img",))
def _qcow2_cut_header(folder: Path) -> Path:
    return truncate(qemu_convert(folder, "qcow2"), 512)


@sample("raw-from-qcow2", "qcow2 converted back to raw", ("qemu-img",))
def _raw_from_qcow2(folder: Path) -> Path:
    qcow2 = qemu_convert(folder, "qcow2")
    run("qemu-img", "convert", "-q", "-O", "raw", qcow2, "back.raw", cwd=folder)
    return folder / "back.raw"


# --- samples: xorriso, sgdisk, cryptsetup ---------------------------------------------


def xorriso_iso(folder: Path, *options: str, name: str = "disk.iso") -> Path:
    tree = folder / "tree"
    tree.mkdir(exist_ok=True)
    (tree / "README.TXT").write_text("hello\n")
    run(
        "xorriso",
        "-as",
        "mkisofs",
        "-quiet",
        "-V",
        "CORPUS",
        "-o",
        name,
        *options,
        tree,
        cwd=folder,
    )
    return folder / name


def esp(folder: Path) -> Path:
    return write(folder, "esp.img", bytes(512 * KiB))


add("iso-plain", "ISO 9660 by xorriso", xorriso_iso, "xorriso")
add(
    "iso-gpt",
    "ISO with an appended EFI partition in a GPT (ISO+GPT)",
    lambda d: xorriso_iso(
        d, "-append_partition", "2", "0xef", str(esp(d)), "-appended_part_as_gpt"
    ),
    "xorriso",
)
add(
    "iso-mbr",
    "ISO with an appended partition in an MBR table (ISO+MBR)",
    lambda d: xorriso_iso(d, "-append_partition", "2", "0x83", str(esp(d))),
    "xorriso",
)


@sample("iso-and-qcow2", "xorriso ISO whose system area starts with a qcow2 header", ("xorriso",))
def _iso_qcow2(folder: Path) -> Path:
    return edit(xorriso_iso(folder), 0, qcow2_header())


@sample(
    "iso-and-vmdk-descriptor", "xorriso ISO whose system area holds a VMDK descriptor", ("xorriso",)
)
def _iso_vmdk(folder: Path) -> Path:
    return edit(xorriso_iso(folder), 0, descriptor().encode() + b"\x00")


@sample(
    "iso-truncated", "xorriso ISO cut to 33 KiB (before its volume descriptor ends)", ("xorriso",)
)
def _iso_cut(folder: Path) -> Path:
    return truncate(xorriso_iso(folder), 33 * KiB)


@sample("gpt-disk", "GPT disk by sgdisk, one partition", ("sgdisk",))
def _gpt(folder: Path) -> Path:
    path = write(folder, "disk.raw", bytes(4 * MiB))
    run("sgdisk", "-o", "-n", "1:2048:+1M", "-t", "1:8300", path, cwd=folder)
    return path


@sample("gpt-empty", "GPT disk by sgdisk, no partitions (protective MBR only)", ("sgdisk",))
def _gpt_empty(folder: Path) -> Path:
    path = write(folder, "disk.raw", bytes(4 * MiB))
    run("sgdisk", "-o", path, cwd=folder)
    return path


@sample("gpt-hybrid-mbr", "GPT disk with a hybrid MBR (extra MBR partitions)", ("sgdisk",))
def _gpt_hybrid(folder: Path) -> Path:
    path = _gpt(folder)
    run("sgdisk", "-h", "1", path, cwd=folder)
    return path


@sample("gpt-in-qcow2", "the GPT disk converted to qcow2", ("sgdisk", "qemu-img"))
def _gpt_qcow2(folder: Path) -> Path:
    raw = _gpt(folder)
    run("qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, "disk.qcow2", cwd=folder)
    return folder / "disk.qcow2"


def cryptsetup_luks(folder: Path, kind: str) -> Path:
    path = write(folder, "disk.luks", b"")
    truncate(path, 20 * MiB)
    key = write(folder, "key", b"corpus-passphrase")
    run(
        "cryptsetup", "luksFormat", "--batch-mode", "--type", kind, "--key-file", key,
        "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", path, cwd=folder,
    )  # fmt: skip
    return path


add("luks1-cryptsetup", "LUKS1 by cryptsetup", lambda d: cryptsetup_luks(d, "luks1"), "cryptsetup")
add("luks2-cryptsetup", "LUKS2 by cryptsetup", lambda d: cryptsetup_luks(d, "luks2"), "cryptsetup")


# --- samples: written here ------------------------------------------------------------


def hand(name: str, about: str, data: Callable[[], bytes]) -> None:
    add(name, about, lambda folder: write(folder, "upload.bin", data()))


hand("empty", "zero bytes", lambda: b"")
hand("tiny", "5 bytes", lambda: b"ZZZZZ")
hand("zeros-64k", "64 KiB of zeros", lambda: bytes(64 * KiB))
hand("random-300k", "300 KiB of random bytes", lambda: random_bytes(300 * KiB, seed=3))
hand("text-ascii", "ASCII text, 20 KiB", lambda: text_file(20 * KiB))
hand(
    "text-utf8-after-512",
    "text with a UTF-8 character at byte 1000 (non-ASCII in the first 64 KiB)",
    lambda: text_file(20 * KiB, "é".encode(), 1000),
)
hand(
    "text-latin1-at-60000",
    "text with a Latin-1 byte at 60000",
    lambda: text_file(100 * KiB, b"\xe9", 60000),
)
hand(
    "text-utf8-in-first-sector",
    "text with a UTF-8 character at byte 100 (inside the first 512)",
    lambda: text_file(20 * KiB, "é".encode(), 100),
)
hand(
    "text-utf8-after-64k",
    "text whose first non-ASCII byte is past 64 KiB",
    lambda: text_file(100 * KiB, "é".encode(), 70 * KiB),
)
hand(
    "text-nul-before-utf8",
    "text with a NUL at 800, then a UTF-8 character at 1000",
    lambda: patch(text_file(20 * KiB, "é".encode(), 1000), 800, b"\x00"),
)
hand("text-short", "100 bytes of text", lambda: text_file(100))
hand("text-60-bytes", "60 bytes of text with a non-ASCII byte", lambda: text_file(60, b"\xff", 30))


def vmdk_text(subformat: str, *extents: str, extra: str = "") -> Callable[[], bytes]:
    return lambda: descriptor(subformat, *extents, extra=extra).encode("utf-8")


hand(
    "vmdk-desc-sparse-relative",
    "descriptor-only monolithicSparse VMDK, relative extent",
    vmdk_text("monolithicSparse", 'RW 32768 SPARSE "base.vmdk"'),
)
hand(
    "vmdk-desc-stream-relative",
    "descriptor-only streamOptimized VMDK, relative extent",
    vmdk_text("streamOptimized", 'RW 32768 SPARSE "base.vmdk"'),
)
hand(
    "vmdk-desc-sparse-absolute",
    "descriptor-only monolithicSparse VMDK, absolute extent",
    vmdk_text("monolithicSparse", 'RW 32768 SPARSE "/var/lib/images/base.vmdk"'),
)
hand(
    "vmdk-desc-sparse-parent",
    "descriptor-only monolithicSparse VMDK, extent in ../",
    vmdk_text("monolithicSparse", 'RW 32768 SPARSE "../base.vmdk"'),
)
hand(
    "vmdk-desc-sparse-unc",
    "descriptor-only monolithicSparse VMDK, extent on a UNC share (no slash)",
    vmdk_text("monolithicSparse", 'RW 32768 SPARSE "\\\\fileserver\\share\\base.vmdk"'),
)
hand(
    "vmdk-desc-flat-absolute",
    "descriptor-only monolithicFlat VMDK over /etc/passwd",
    vmdk_text("monolithicFlat", 'RW 32768 FLAT "/etc/passwd" 0'),
)
hand(
    "vmdk-desc-flat-device",
    "descriptor-only vmfs VMDK over /dev/sda",
    vmdk_text("vmfs", 'RW 32768 VMFS "/dev/sda"'),
)
hand(
    "vmdk-desc-sparse-no-extent",
    "descriptor-only monolithicSparse VMDK without extents",
    vmdk_text("monolithicSparse", "# none"),
)
hand(
    "vmdk-desc-sparse-odd-line",
    "descriptor-only monolithicSparse VMDK with a line of unknown kind",
    vmdk_text("monolithicSparse", 'RW 32768 SPARSE "base.vmdk"', "include /etc/passwd"),
)
hand(
    "vmdk-desc-sparse-non-ascii",
    "descriptor-only monolithicSparse VMDK with a UTF-8 comment after 512 bytes",
    vmdk_text("monolithicSparse", 'RW 32768 SPARSE "base.vmdk"', extra="# " + "ü" * 400 + "\n"),
)
hand(
    "vmdk-desc-unterminated-type",
    "descriptor-only VMDK whose createType has no closing quote",
    lambda: (TEXT + '\nRW 32768 SPARSE "base.vmdk"\ncreateType="monolithicSparsex').encode(),
)
hand(
    "vmdk-desc-no-type",
    "VMDK-like descriptor text without a createType",
    lambda: descriptor().replace("createType", "kind").encode(),
)
hand(
    "vmdk-sparse-absolute-extent",
    "monolithicSparse VMDK whose embedded descriptor names an absolute extent",
    lambda: vmdk_sparse(descriptor("monolithicSparse", 'RW 32768 SPARSE "/etc/shadow"').encode()),
)
hand(
    "vmdk-sparse-flat-type",
    "sparse-header VMDK whose embedded descriptor says monolithicFlat",
    lambda: vmdk_sparse(descriptor("monolithicFlat", 'RW 32768 FLAT "disk-flat.vmdk" 0').encode()),
)
hand("vmdk-sparse-hand", "hand-made monolithicSparse VMDK", lambda: vmdk_sparse())
hand("vmdk-sparse-version-7", "sparse VMDK header of version 7", lambda: vmdk_sparse(version=7))
hand(
    "vmdk-sparse-desc-elsewhere",
    "sparse VMDK whose descriptor is not at sector 1",
    lambda: vmdk_sparse(desc_sector=3),
)
hand(
    "vmdk-sparse-desc-elsewhere-footer",
    "sparse VMDK, descriptor not at sector 1, grain directory at the end",
    lambda: vmdk_sparse(desc_sector=3, gd_offset=0xFFFFFFFFFFFFFFFF),
)
hand(
    "vmdk-sparse-binary-descriptor",
    "sparse VMDK whose descriptor is not ASCII",
    lambda: vmdk_sparse(b"\xff\xfe" + descriptor().encode()),
)
hand("vmdk-tiny-header", "KDMV and 40 bytes", lambda: pad(b"KDMV", 44))
hand("qcow2-hand", "hand-made qcow2 header", lambda: pad(qcow2_header(), 64 * KiB))
hand("qcow2-v1", "qcow2 header with version 1", lambda: pad(qcow2_header(version=1), 64 * KiB))
hand(
    "qcow2-hand-backing",
    "hand-made qcow2 naming a backing file",
    lambda: pad(patch(qcow2_header(backing=512), 512, b"/etc/passwd"), 64 * KiB),
)
hand(
    "qcow2-hand-data-file",
    "hand-made qcow2 with the external data file bit",
    lambda: pad(qcow2_header(incompatible=0x04), 64 * KiB),
)
hand(
    "qcow2-unknown-feature",
    "qcow2 with incompatible feature bit 5",
    lambda: pad(qcow2_header(incompatible=0x20), 64 * KiB),
)
hand(
    "qcow2-feature-high-byte",
    "qcow2 with an incompatible feature bit in a high byte",
    lambda: pad(qcow2_header(incompatible=1 << 40), 64 * KiB),
)
hand("qed-hand", "hand-made QED header", lambda: pad(b"QED\x00", 64 * KiB))
hand("vhd-hand", "hand-made dynamic VHD footer copy", lambda: pad(vhd_footer(), 64 * KiB))
hand("vdi-hand", "hand-made VDI header", lambda: pad(vdi_header(), 64 * KiB))
hand("vhdx-hand", "hand-made VHDX", lambda: vhdx())
hand(
    "vhdx-hand-corrupt-region-table",
    "hand-made VHDX with a corrupt region table signature",
    lambda: vhdx(region_signature=b"XXXX"),
)
hand(
    "vhdx-hand-corrupt-metadata",
    "hand-made VHDX with a corrupt metadata signature",
    lambda: vhdx(meta_signature=b"XXXXXXXX"),
)
hand(
    "vhdx-size-item-length-0",
    "VHDX whose virtual-disk-size item has length 0",
    lambda: vhdx(item_length=0),
)
hand(
    "vhdx-size-item-length-16",
    "VHDX whose virtual-disk-size item has length 16",
    lambda: vhdx(item_length=16),
)
hand(
    "vhdx-metadata-in-front",
    "VHDX whose metadata region lies before the region table",
    lambda: vhdx(meta_offset=64 * KiB),
)
hand(
    "vhdx-metadata-overlapping-header",
    "VHDX whose metadata region starts 32 KiB before the region table",
    lambda: vhdx(meta_offset=160 * KiB),
)
hand(
    "vhdx-size-item-behind",
    "VHDX with a long metadata table (unaligned) whose size item lies before its end",
    lambda: vhdx(meta_offset=MiB + 100, item_offset=64, other_items=2045),
)
hand(
    "vhdx-size-item-in-table",
    "VHDX whose virtual disk size lies inside the metadata table chunk",
    lambda: vhdx(item_offset=1024),
)
hand(
    "vhdx-metadata-at-end",
    "VHDX whose metadata table is the last bytes of the file",
    lambda: vhdx(meta_offset=2 * MiB - 64 * KiB, item_offset=512),
)
hand("iso-hand", "hand-made ISO 9660 volume", lambda: iso())
hand("iso-udf", "hand-made UDF-style volume (NSR02 at 32 KiB)", lambda: iso(identifier=b"NSR02"))
hand(
    "iso-hand-and-qcow2",
    "hand-made ISO whose system area starts with a qcow2 header",
    lambda: iso(system_area=qcow2_header()),
)
hand(
    "iso-hand-and-mbr",
    "hand-made ISO with an MBR partition table (hybrid ISO)",
    lambda: iso(system_area=mbr(partition(kind=0x17))),
)
hand(
    "iso-text-system-area",
    "ISO whose system area is text with a UTF-8 character at byte 2000",
    lambda: iso(system_area=text_file(8 * KiB, "ß".encode(), 2000)),
)
hand("mbr-disk", "MBR with one Linux partition", lambda: pad(mbr(partition()), 64 * KiB))
hand(
    "mbr-bad-boot-flag",
    "MBR whose boot flag is 0x12",
    lambda: pad(mbr(partition(boot=0x12)), 64 * KiB),
)
hand("mbr-no-partitions", "MBR signature, no partitions", lambda: pad(mbr(), 64 * KiB))
hand(
    "fat-boot-sector",
    "FAT boot sector (2 FATs, fixed disk)",
    lambda: pad(mbr(partition(), fat=True), 64 * KiB),
)
hand(
    "gpt-bad-protective",
    "protective MBR whose GPT entry starts at LBA 2",
    lambda: pad(mbr(partition(boot=0, kind=0xEE, first=2, chs=b"\x00\x02\x00")), 64 * KiB),
)
hand(
    "qcow2-and-mbr",
    "qcow2 header that also ends in an MBR partition table",
    lambda: pad(mbr(partition(), base=qcow2_header()), 64 * KiB),
)
hand(
    "vhd-and-mbr",
    "VHD footer copy that also ends in an MBR partition table",
    lambda: pad(mbr(partition(), base=vhd_footer()), 64 * KiB),
)
hand(
    "vdi-and-mbr",
    "VDI header that also ends in an MBR partition table",
    lambda: pad(mbr(partition(), base=vdi_header()), 64 * KiB),
)
hand(
    "vhdx-and-mbr",
    "VHDX whose identifier sector also ends in an MBR partition table",
    lambda: patch(vhdx(), 0, mbr(partition(), base=b"vhdxfile")),
)
hand(
    "vmdk-and-gpt",
    "sparse VMDK header ending in a protective MBR",
    lambda: patch(vmdk_sparse(), 0, mbr(PROTECTIVE, base=vmdk_sparse()[:512])),
)
hand("luks1-hand", "hand-made LUKS1 header", lambda: pad(luks1_header(), 4 * MiB))
hand(
    "luks2-hand",
    "hand-made LUKS header with version 2",
    lambda: pad(luks1_header(version=2), 4 * MiB),
)
hand("luks-truncated", "LUKS magic and 100 bytes", lambda: luks1_header()[:100])
