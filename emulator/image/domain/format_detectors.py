"""One detector per disk format: does the content look like it, how large a disk does it
describe, and do its safety checks pass? Each reads only the regions its format needs,
through ``read(offset, length)``, and follows oslo's 64 KiB stream reads where its answer
depends on them (see ``disk_formats``). Pure: no file is ever opened here."""

from __future__ import annotations

import struct
import uuid

from emulator.image.domain.format_findings import (
    STREAM_CHUNK,
    Finding,
    KiB,
    Read,
)


def _chunk_end(position: int, size: int) -> int:
    """Where the stream stands once the chunk holding byte ``position - 1`` has been read."""
    return min(-(-position // STREAM_CHUNK) * STREAM_CHUNK, size)


def _streamed_from(offset: int, length: int, since: int) -> int | None:
    """Where the bytes oslo captures for a region start, when it learns of the region while
    reading the chunk that starts at ``since``.

    A region wholly behind that chunk is never captured (None). One that starts behind it
    but reaches into it is filled from the chunk's start: oslo's ``CaptureRegion`` does not
    skip to the region's own offset.
    """
    if offset >= since:
        return offset
    if offset + length >= since:
        return since
    return None


def _u16le(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<H", data, at)[0])


def _u32le(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<I", data, at)[0])


def _u64le(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<Q", data, at)[0])


def _u64be(data: bytes, at: int) -> int:
    return int(struct.unpack_from(">Q", data, at)[0])


# --- one function per format: None if the content is not in it ------------------------


def _qcow2(read: Read, size: int) -> Finding | None:
    """QEMU qcow2: ``QFI\\xfb``, then version, backing file offset (8), size (24)."""
    head = read(0, 512)
    if len(head) < 512 or head[:4] != b"QFI\xfb":
        return None
    failures = []
    if _u64be(head, 8) != 0:
        failures.append("backing_file")
    incompatible = _u64be(head, 0x48)
    if incompatible & 0x04:  # bit 2: the guest data lives in an external file
        failures.append("data_file")
    version = struct.unpack_from(">I", head, 4)[0]
    # Version 2 has no feature bits; version 3 may only use the four known ones.
    if version not in (2, 3) or (version == 3 and incompatible & ~0x0F):
        failures.append("unknown_features")
    return Finding("qcow2", _u64be(head, 24), True, tuple(failures))


def _qed(read: Read, size: int) -> Finding | None:
    """QED is recognised only to be refused: nobody supports it (safety check 'banned')."""
    head = read(0, 512)
    if len(head) < 512 or not head.startswith(b"QED\x00"):
        return None
    return Finding("qed", size, True, ("banned",))


def _vhd(read: Read, size: int) -> Finding | None:
    """Dynamic VHD: a copy of the ``conectix`` footer at offset 0, disk size at 40."""
    head = read(0, 512)
    if not head.startswith(b"conectix"):
        return None
    if len(head) < 512:
        return Finding("vhd", 0, complete=False)
    return Finding("vhd", _u64be(head, 40))


_VHDX_METADATA_REGION = uuid.UUID("8B7CA206-4790-4B9A-B8FE-575F050F886E").bytes_le
_VHDX_VIRTUAL_DISK_SIZE = uuid.UUID("2FA54224-CD1B-4876-B211-5DBED83BF4B8").bytes_le
_VHDX_TABLE = 64 * KiB  # the region table at 192 KiB, and what oslo keeps of a metadata table
_VHDX_HEADER_END = 256 * KiB
_VHDX_MAX_ENTRIES = 2047


def _vhdx(read: Read, size: int) -> Finding | None:
    """VHDX: ``vhdxfile``; region table at 192 KiB -> metadata table -> virtual disk size.

    oslo reads these as the upload streams by, ``STREAM_CHUNK`` at a time, and each region
    it wants only from the chunk in which it learnt where the region is: what it sees of a
    structure pointing backwards, and how far it read before giving up on a corrupt one
    (``consumed``), follow from that.
    """
    if not read(0, 8).startswith(b"vhdxfile"):
        return None
    if size < _VHDX_HEADER_END:  # identifier and region table must be present
        return Finding("vhdx", 0, complete=False)
    header_end = _chunk_end(_VHDX_HEADER_END, size)
    signature, _checksum, count = struct.unpack_from("<4sII", read(192 * KiB, 16), 0)
    if signature != b"regi" or count > _VHDX_MAX_ENTRIES:
        return Finding("vhdx", consumed=header_end)  # oslo raised: the inspector stopped here
    table = read(192 * KiB + 16, 32 * count)
    for index in range(count):
        entry = table[32 * index : 32 * index + 32]
        if entry[:16] == _VHDX_METADATA_REGION:
            return _vhdx_metadata(read, size, _u64le(entry, 16), header_end)
    return Finding("vhdx")


def _vhdx_metadata(read: Read, size: int, offset: int, header_end: int) -> Finding:
    """The metadata table, as oslo sees it from the chunk that ended at ``header_end``.

    oslo looks at what it has of the table after each later chunk: the signature once it
    has 32 bytes, the entries once it has them all.
    """
    start = _streamed_from(offset, _VHDX_TABLE, header_end - STREAM_CHUNK)
    available = 0 if start is None else len(read(start, _VHDX_TABLE))
    if start is None or available < 32:
        return Finding("vhdx", 0, complete=False)  # the table never fills
    _, end = _first_look(start + 32, header_end, size)
    signature, _reserved, count = struct.unpack_from("<8sHH", read(start, 12), 0)
    if signature != b"metadata":  # oslo raises: the inspector stops after this chunk
        seen = min(end, start + available) - start
        return Finding("vhdx", 0, seen == _VHDX_TABLE, consumed=end)
    if 32 * (count + 1) > available:
        return Finding("vhdx", 0, complete=available == _VHDX_TABLE)
    chunk_start, _ = _first_look(start + 32 * (count + 1), header_end, size)
    entries = read(start + 32, 32 * count)
    for index in range(count):
        entry = entries[32 * index : 32 * index + 32]
        if entry[:16] == _VHDX_VIRTUAL_DISK_SIZE:
            item_offset, item_length = struct.unpack_from("<II", entry, 16)
            return _vhdx_size(read, offset + item_offset, item_length, chunk_start)
    return Finding("vhdx", 0, complete=available == _VHDX_TABLE)


def _first_look(reached: int, header_end: int, size: int) -> tuple[int, int]:
    """The chunk (start, end) after which oslo first looks at a VHDX table once the stream
    has passed ``reached``: never the chunk that ended at ``header_end``, at the latest the
    empty read at the end of the data."""
    end = max(_chunk_end(reached, size), min(header_end + STREAM_CHUNK, size))
    if end == header_end:  # nothing after the header chunk but the final empty read
        return end, end
    return (end - 1) // STREAM_CHUNK * STREAM_CHUNK, end


def _vhdx_size(read: Read, offset: int, length: int, since: int) -> Finding:
    """The virtual disk size item, as oslo captures it from the chunk starting at ``since``."""
    length = min(length, _VHDX_TABLE)
    start = _streamed_from(offset, length, since)
    item = b"" if start is None else read(start, length)
    if len(item) < length:
        return Finding("vhdx", 0, complete=False)
    if length != 8:  # oslo unpacks exactly 8 bytes: reading the size raises
        return Finding("vhdx", 0, size_error=True)
    return Finding("vhdx", _u64le(item, 0))


_VMDK_SUBFORMATS = ("monolithicsparse", "streamoptimized")
_VMDK_ACCESS = ("rw", "rdonly", "noaccess")
_VMDK_GD_AT_END = 0xFFFFFFFFFFFFFFFF
_VMDK_DESCRIPTOR_MAX = (1 << 20) - 1


def _vmdk(read: Read, size: int) -> Finding | None:
    """VMDK: a ``KDMV`` sparse header with an embedded text descriptor, or a bare descriptor.

    Only single-file ``monolithicSparse`` / ``streamOptimized`` disks pass the safety checks:
    other subformats name extent files on the host.
    """
    head = read(0, 512)
    if head[:4] != b"KDMV":
        return _vmdk_text_descriptor(read, head)
    if len(head) < 64:
        return Finding("vmdk", 0, complete=False)
    version, _flags, sectors, _grain, desc_sector, desc_count = struct.unpack_from(
        "<IIQQQQ", head, 4
    )
    gd_offset = _u64le(head, 56)
    if version not in (1, 2, 3):
        return Finding("vmdk", 0, True, ("descriptor",))
    if desc_sector * 512 != 512:
        # oslo gives up here, after setting out to keep a footer it will never receive.
        return Finding("vmdk", 0, gd_offset != _VMDK_GD_AT_END, ("descriptor",))
    desc_length = min(desc_count * 512, _VMDK_DESCRIPTOR_MAX)
    if size < 512 + desc_length:
        return Finding("vmdk", 0, complete=False)
    raw = read(512, desc_length).split(b"\x00", 1)[0]
    try:
        text = raw.decode("ascii").lower()
    except UnicodeDecodeError:
        return Finding("vmdk", 0, True, ("descriptor",))
    subformat = _vmdk_subformat(text)
    failures = list(_vmdk_descriptor_failures(text, subformat))
    complete = True
    if gd_offset == _VMDK_GD_AT_END:  # streamOptimized: the real header is a footer
        if size < 1536:
            complete = False
        elif not _vmdk_footer_ok(head, read(size - 1536, 1536)):
            failures.append("footer")
    virtual_size = sectors * 512 if subformat in _VMDK_SUBFORMATS else 0
    return Finding("vmdk", virtual_size, complete, tuple(failures))


def _vmdk_text_descriptor(read: Read, head: bytes) -> Finding | None:
    """A descriptor-only VMDK: printable ASCII that names a ``createType``."""
    if len(head) < 64:
        return None
    try:
        is_text = all(c.isprintable() or c.isspace() for c in head.decode("ascii"))
    except UnicodeDecodeError:
        is_text = False
    if not is_text:
        return None
    # oslo parses what its first read brought in.
    try:
        text = read(0, STREAM_CHUNK).split(b"\x00", 1)[0].decode("ascii").lower()
    except UnicodeDecodeError:
        return None
    subformat = _vmdk_subformat(text)
    if subformat is None:
        return None
    failures = tuple(_vmdk_descriptor_failures(text, subformat))
    # oslo sizes a single-file subformat from the sparse header, which a descriptor-only
    # file does not have: Glance fails inspection when vmdk is the declared format.
    return Finding("vmdk", 0, True, failures, size_error=subformat in _VMDK_SUBFORMATS)


def _vmdk_subformat(text: str) -> str | None:
    marker = 'createtype="'
    start = text.find(marker)
    if start < 0:
        return None
    start += len(marker)
    end = text.find('"', start)
    if end < 0:
        # No closing quote: oslo's slice then ends one character before the text does.
        return text[start:-1]
    if end - start >= 64:
        return None
    return text[start:end]


def _vmdk_descriptor_failures(text: str, subformat: str | None) -> list[str]:
    if subformat not in _VMDK_SUBFORMATS:
        return ["descriptor"]
    extents = []
    for line in (raw.strip() for raw in text.split("\n")):
        if not line or line.startswith("#") or line.startswith("ddb"):
            continue
        if "=" in line and " " not in line.split("=")[0]:
            continue  # a header field
        if line.split(" ")[0] in _VMDK_ACCESS:
            extents.append(line)
            continue
        return ["descriptor"]  # a line we do not understand
    if not extents or any("/" in extent for extent in extents):
        return ["descriptor"]
    return []


def _vmdk_footer_ok(head: bytes, tail: bytes) -> bool:
    """The footer repeats the header's identity, then an end-of-stream marker follows."""
    header = struct.unpack_from("<4sIIQQQQIQQ", head, 0)
    footer = struct.unpack_from("<4sIIQQQQIQQ", tail, 512)
    if header[0] != footer[0] or header[1] != footer[1]:
        return False
    if header[5:7] != footer[5:7] or footer[9] == _VMDK_GD_AT_END:
        return False
    padding = bytes(496)
    _value, length, kind, rest = struct.unpack_from("<QII496s", tail, 0)
    if length != 0 or kind != 3 or rest != padding:
        return False
    value, length, kind, rest = struct.unpack_from("<QII496s", tail, 1024)
    return bool(value == 0 and length == 0 and kind == 0 and rest == padding)


def _vdi(read: Read, size: int) -> Finding | None:
    """VirtualBox VDI: signature 0xbeda107f at 0x40, disk size at 0x170."""
    head = read(0, 512)
    if len(head) < 512 or _u32le(head, 0x40) != 0xBEDA107F:
        return None
    return Finding("vdi", _u64le(head, 0x170))


def _iso(read: Read, size: int) -> Finding | None:
    """ISO 9660 / UDF: a volume descriptor after the 32 KiB system area."""
    if size < 34 * KiB:
        return None
    descriptor = read(32 * KiB, 2 * KiB)
    if descriptor[1:6] not in (b"CD001", b"NSR02", b"NSR03"):
        return None
    if descriptor[0] != 1:  # only a primary volume descriptor carries the size
        return Finding("iso")
    return Finding("iso", _u32le(descriptor, 80) * _u16le(descriptor, 128))


def _gpt(read: Read, size: int) -> Finding | None:
    """A PC partition table (MBR or GPT's protective MBR): 0x55 0xAA ending sector 0.

    A FAT boot sector has the same ending; two FATs on a fixed disk rule it out.
    """
    mbr = read(0, 512)
    if len(mbr) < 512 or _u16le(mbr, 510) != 0xAA55:
        return None
    if mbr[0x10] == 2 and mbr[0x15] == 0xF8:
        return None
    return Finding("gpt", size, True, ("mbr",) if not _mbr_ok(mbr) else ())


def _mbr_ok(mbr: bytes) -> bool:
    used = []
    protective = False
    for index in range(4):
        entry = mbr[446 + 16 * index : 462 + 16 * index]
        boot, kind, first_lba = entry[0], entry[4], _u32le(entry, 8)
        if boot not in (0x00, 0x80):
            return False
        if kind != 0:
            used.append(index)
        if kind == 0xEE:
            protective = True
            if entry[1:4] != b"\x00\x02\x00" or first_lba != 1:
                return False
    if protective and used != [0]:
        return False
    return bool(used)


def _luks(read: Read, size: int) -> Finding | None:
    """LUKS1 encrypted volume; the payload starts ``payload_offset`` sectors in."""
    head = read(0, 592)
    if head[:6] != b"LUKS\xba\xbe":
        return None
    if len(head) < 592:
        return Finding("luks", 0, complete=False)
    version = struct.unpack_from(">H", head, 6)[0]
    payload_offset = struct.unpack_from(">I", head, 104)[0]
    failures = ("version",) if version != 1 else ()
    return Finding("luks", max(size - payload_offset * 512, 0), True, failures)


DETECTORS = (_qcow2, _qed, _vhd, _vhdx, _vmdk, _vdi, _iso, _gpt, _luks)
