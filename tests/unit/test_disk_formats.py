"""The disk-format detector and Glance's accept/refuse decision, on synthetic headers.

Every sample is built here from the published layouts. Where oslo.utils (the inspector Glance
itself runs, installed with the client libraries) is importable, the same samples are also
run through it with Glance's decision rules as an oracle, so a drift shows up as a failure.
"""

from __future__ import annotations

import io
import random
import struct
import uuid

import pytest

from emulator.image.domain import disk_formats
from emulator.image.domain.disk_formats import Finding, Verdict

KiB = 1024
GiB = 1 << 30


def reader(data: bytes) -> disk_formats.Read:
    return lambda offset, length: data[offset : offset + length]


def detect(data: bytes) -> tuple[Finding, ...]:
    return disk_formats.inspect(reader(data), len(data))


def verdict(
    data: bytes, disk_format: str, container_format: str = "bare", require_match: bool = True
) -> Verdict:
    return disk_formats.judge(disk_format, container_format, detect(data), len(data), require_match)


# --- sample builders ------------------------------------------------------------------


def pad(data: bytes, size: int) -> bytes:
    return data + bytes(max(size - len(data), 0))


def qcow2(
    virtual_size: int = GiB,
    version: int = 3,
    backing_offset: int = 0,
    incompatible: int = 0,
    length: int = 1024,
) -> bytes:
    header = b"QFI\xfb" + struct.pack(">IQIIQ", version, backing_offset, 0, 16, virtual_size)
    header = pad(header, 0x48) + struct.pack(">Q", incompatible)
    return pad(header, length)


def vhd(virtual_size: int = GiB, length: int = 1024) -> bytes:
    footer = pad(b"conectix", 40) + struct.pack(">Q", virtual_size)
    return pad(footer, length)


def vdi(virtual_size: int = GiB) -> bytes:
    header = pad(b"<<< Oracle VM VirtualBox Disk Image >>>\n", 0x40)
    header += struct.pack("<I", 0xBEDA107F)
    header = pad(header, 0x170) + struct.pack("<Q", virtual_size)
    return pad(header, 1024)


METAREGION = uuid.UUID("8B7CA206-4790-4B9A-B8FE-575F050F886E").bytes_le
VIRTUAL_DISK_SIZE = uuid.UUID("2FA54224-CD1B-4876-B211-5DBED83BF4B8").bytes_le


def vhdx(
    virtual_size: int = GiB,
    meta_offset: int = 320 * KiB,
    item_offset: int = 64 * KiB,
    length: int = 512 * KiB,
    item_length: int = 8,
    region_signature: bytes = b"regi",
    meta_signature: bytes = b"metadata",
) -> bytes:
    data = bytearray(length)
    data[0:8] = b"vhdxfile"
    table = region_signature + struct.pack("<III", 0, 1, 0) + METAREGION
    table += struct.pack("<QII", meta_offset, 1 << 20, 1)
    data[192 * KiB : 192 * KiB + len(table)] = table
    meta = pad(meta_signature + struct.pack("<HH", 0, 1), 32)
    meta += VIRTUAL_DISK_SIZE + struct.pack("<III", item_offset, item_length, 0)
    data[meta_offset : meta_offset + len(meta)] = meta
    item = meta_offset + item_offset
    data[item : item + 8] = struct.pack("<Q", virtual_size)
    return bytes(data)


DESCRIPTOR = """# Disk DescriptorFile
version=1
CID=fffffffe
parentCID=ffffffff
createType="{subformat}"

# Extent description
RW 2097152 SPARSE "{extent}"

# The Disk Data Base
#DDB

ddb.virtualHWVersion = "4"
"""


def vmdk(
    subformat: str = "monolithicSparse",
    extent: str = "disk.vmdk",
    sectors: int = 2097152,
    version: int = 1,
    footer: str | None = None,
    length: int = 64 * KiB,
    desc_sector: int = 1,
) -> bytes:
    """A hosted sparse extent; ``footer``: None, "good" or "bad" (streamOptimized style)."""
    gd_offset = 0xFFFFFFFFFFFFFFFF if footer else 40
    fields = (version, 3, sectors, 128, desc_sector, 20, 512, 21, gd_offset)
    header = b"KDMV" + struct.pack("<IIQQQQIQQ", *fields)
    text = DESCRIPTOR.format(subformat=subformat, extent=extent).encode("ascii")
    body = pad(pad(header, 512) + text, 512 + 20 * 512)
    if footer is None:
        return pad(body, length)
    footer_header = b"KDMV" + struct.pack(
        "<IIQQQQIQQ", version, 3, sectors, 128, 1, 20 if footer == "good" else 99, 512, 21, 40
    )
    marker = struct.pack("<QII", 1, 0, 3) + bytes(496)
    end_of_stream = bytes(512)
    return pad(body, length) + marker + pad(footer_header, 512) + end_of_stream


def iso(blocks: int = 1000, block_size: int = 2048, mbr: bytes | None = None) -> bytes:
    descriptor = b"\x01CD001\x01"
    # Both-endian fields: little-endian copy first, then big-endian.
    descriptor = pad(descriptor, 80) + struct.pack("<I", blocks) + struct.pack(">I", blocks)
    descriptor = pad(descriptor, 128) + struct.pack("<H", block_size)
    descriptor += struct.pack(">H", block_size)
    system_area = pad(mbr or b"", 32 * KiB)
    return system_area + pad(descriptor, 2 * KiB) + bytes(4 * KiB)


def partition(
    boot: int = 0x80, kind: int = 0x83, chs: bytes = b"\x01\x01\x00", first_lba: int = 2048
) -> bytes:
    return struct.pack("<B3sB3sII", boot, chs, kind, b"\xfe\xff\xff", first_lba, 4096)


def mbr(*entries: bytes, fat: bool = False) -> bytes:
    sector = bytearray(512)
    if fat:
        sector[0x10], sector[0x15] = 2, 0xF8
    for index, entry in enumerate(entries):
        sector[446 + 16 * index : 462 + 16 * index] = entry
    sector[510:512] = b"\x55\xaa"
    return bytes(sector)


def luks(version: int = 1, payload_sectors: int = 8) -> bytes:
    header = b"LUKS\xba\xbe" + struct.pack(">H", version)
    header = pad(header, 104) + struct.pack(">I", payload_sectors)
    return pad(header, 8 * KiB)


RANDOM = random.Random(1234).randbytes(256 * KiB)

SAMPLES: dict[str, bytes] = {
    "empty": b"",
    "tiny": b"ZZZZZ",
    "zeros": bytes(64 * KiB),
    "random": RANDOM,
    "text": b"just some text that is long enough to look like a descriptor, but is not\n" * 40,
    "qcow2": qcow2(),
    "qcow2-v2": qcow2(version=2),
    "qcow2-v1": qcow2(version=1),
    "qcow2-backing": qcow2(backing_offset=0x200),
    "qcow2-data-file": qcow2(incompatible=0x04),
    "qcow2-unknown-feature": qcow2(incompatible=0x20),
    "qcow2-short": qcow2(length=100),
    "qed": pad(b"QED\x00", 1024),
    "vhd": vhd(),
    "vhd-short": vhd(length=100),
    "vhdx": vhdx(),
    "vhdx-short": vhdx(length=200 * KiB),
    "vhdx-bad-region-table": vhdx(region_signature=b"XXXX"),
    "vhdx-bad-metadata": vhdx(meta_signature=b"XXXXXXXX"),
    "vhdx-size-length-0": vhdx(item_length=0),
    "vhdx-size-length-16": vhdx(item_length=16),
    "vhdx-metadata-passed": vhdx(meta_offset=64 * KiB),
    "vhdx-metadata-in-header-chunk": vhdx(meta_offset=160 * KiB),
    "vhdx-ends-at-region-table": vhdx(meta_offset=200 * KiB, item_offset=1024, length=256 * KiB),
    "vmdk": vmdk(),
    "vmdk-stream": vmdk(subformat="streamOptimized", footer="good"),
    "vmdk-bad-footer": vmdk(subformat="streamOptimized", footer="bad"),
    "vmdk-flat": vmdk(subformat="monolithicFlat"),
    "vmdk-escape": vmdk(extent="../../etc/passwd"),
    "vmdk-desc-elsewhere": vmdk(desc_sector=3),
    "vmdk-desc-elsewhere-footer": vmdk(desc_sector=3, footer="good"),
    "vmdk-text": DESCRIPTOR.format(subformat="monolithicFlat", extent="disk-flat.vmdk").encode(),
    "vmdk-text-sparse": DESCRIPTOR.format(subformat="monolithicSparse", extent="a.vmdk").encode(),
    "vmdk-text-stream": DESCRIPTOR.format(subformat="streamOptimized", extent="a.vmdk").encode(),
    "vmdk-text-unquoted": (
        b'# Disk DescriptorFile\nversion=1\nRW 32768 SPARSE "a.vmdk"\ncreateType="monolithicSparsex'
    ),
    "vdi": vdi(),
    "iso": iso(),
    "iso-hybrid": iso(mbr=mbr(partition(kind=0x17))),
    "mbr": pad(mbr(partition()), 64 * KiB),
    "gpt": pad(mbr(partition(boot=0, kind=0xEE, chs=b"\x00\x02\x00", first_lba=1)), 64 * KiB),
    "mbr-bad-boot": pad(mbr(partition(boot=0x12)), 64 * KiB),
    "mbr-empty": pad(mbr(), 64 * KiB),
    "fat": pad(mbr(partition(), fat=True), 64 * KiB),
    "luks": luks(),
    "luks2": luks(version=2),
    "qcow2-and-mbr": qcow2()[:446] + mbr(partition())[446:] + bytes(512),
}

DISK_FORMATS = ("raw", "qcow2", "vmdk", "vhd", "vhdx", "vdi", "iso", "ami", "ploop")


# --- what the detector finds ----------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "names"),
    [
        ("empty", []),
        ("tiny", []),
        ("zeros", []),
        ("random", []),
        ("text", []),
        ("qcow2", ["qcow2"]),
        ("qcow2-short", []),
        ("qed", ["qed"]),
        ("vhd", ["vhd"]),
        ("vhd-short", ["vhd"]),
        ("vhdx", ["vhdx"]),
        ("vmdk", ["vmdk"]),
        ("vmdk-stream", ["vmdk"]),
        ("vmdk-text", ["vmdk"]),
        ("vdi", ["vdi"]),
        ("iso", ["iso"]),
        ("iso-hybrid", ["gpt", "iso"]),
        ("mbr", ["gpt"]),
        ("gpt", ["gpt"]),
        ("fat", []),
        ("luks", ["luks"]),
        ("qcow2-and-mbr", ["gpt", "qcow2"]),
    ],
)
def test_detects_formats_by_their_magic(sample: str, names: list[str]) -> None:
    assert sorted(f.name for f in detect(SAMPLES[sample])) == names


@pytest.mark.parametrize(
    ("sample", "virtual_size"),
    [
        ("qcow2", GiB),
        ("vhd", GiB),
        ("vhdx", GiB),
        ("vmdk", 2097152 * 512),
        ("vmdk-flat", 0),
        ("vdi", GiB),
        ("iso", 1000 * 2048),
        ("luks", 8 * KiB - 8 * 512),
    ],
)
def test_reads_the_virtual_size_from_the_header(sample: str, virtual_size: int) -> None:
    (finding,) = detect(SAMPLES[sample])
    assert finding.virtual_size == virtual_size


@pytest.mark.parametrize(
    ("sample", "failures"),
    [
        ("qcow2", ()),
        ("qcow2-v2", ()),
        ("qcow2-v1", ("unknown_features",)),
        ("qcow2-backing", ("backing_file",)),
        ("qcow2-data-file", ("data_file",)),
        ("qcow2-unknown-feature", ("unknown_features",)),
        ("qed", ("banned",)),
        ("vmdk", ()),
        ("vmdk-stream", ()),
        ("vmdk-bad-footer", ("footer",)),
        ("vmdk-flat", ("descriptor",)),
        ("vmdk-escape", ("descriptor",)),
        ("vmdk-text", ("descriptor",)),
        ("gpt", ()),
        ("mbr", ()),
        ("mbr-bad-boot", ("mbr",)),
        ("mbr-empty", ("mbr",)),
        ("luks2", ("version",)),
    ],
)
def test_safety_checks(sample: str, failures: tuple[str, ...]) -> None:
    (finding,) = detect(SAMPLES[sample])
    assert finding.failures == failures


def test_short_headers_are_incomplete() -> None:
    assert detect(SAMPLES["vhd-short"]) == (Finding("vhd", 0, complete=False),)
    assert detect(SAMPLES["vhdx-short"]) == (Finding("vhdx", 0, complete=False),)


# --- Glance's decision ----------------------------------------------------------------


def test_matching_content_is_accepted_with_its_virtual_size() -> None:
    assert verdict(SAMPLES["qcow2"], "qcow2") == Verdict(True, None, GiB)
    assert verdict(SAMPLES["iso"], "iso") == Verdict(True, None, 1000 * 2048)


def test_raw_content_declared_raw_is_sized_by_its_bytes() -> None:
    assert verdict(SAMPLES["random"], "raw") == Verdict(True, None, len(RANDOM))


def test_empty_raw_upload_has_no_virtual_size() -> None:
    assert verdict(b"", "raw") == Verdict(True, None, None)


def test_raw_accepts_any_safe_content_sized_by_its_bytes() -> None:
    data = SAMPLES["qcow2"]
    assert verdict(data, "raw") == Verdict(True, None, len(data))


def test_uninspectable_disk_format_accepts_unrecognised_content_without_size() -> None:
    assert verdict(SAMPLES["random"], "ami") == Verdict(True, None, None)


def test_mismatch_is_refused_with_glances_message() -> None:
    assert verdict(SAMPLES["random"], "qcow2") == Verdict(
        False, "Image disk_format qcow2 does not match stream data raw"
    )
    assert verdict(SAMPLES["qcow2"], "vmdk") == Verdict(
        False, "Image disk_format vmdk does not match stream data qcow2"
    )
    assert verdict(SAMPLES["qcow2"], "ami").reason == (
        "Image disk_format ami does not match stream data qcow2"
    )


def test_mismatch_is_accepted_without_size_when_matching_is_not_required() -> None:
    assert verdict(SAMPLES["random"], "qcow2", require_match=False) == Verdict(True, None, None)


def test_unsafe_content_is_refused_even_when_matching_is_not_required() -> None:
    for require_match in (True, False):
        result = verdict(SAMPLES["qcow2-backing"], "qcow2", require_match=require_match)
        assert result == Verdict(False, "Image failed safety checks")
    # ... including content that merely claims to be raw.
    refused = Verdict(False, "Image failed safety checks")
    assert verdict(SAMPLES["qcow2-data-file"], "raw") == refused


def test_only_bare_containers_are_inspected() -> None:
    assert verdict(SAMPLES["random"], "qcow2", container_format="ovf") == Verdict(True)


def test_several_formats_are_refused_except_a_hybrid_iso() -> None:
    assert verdict(SAMPLES["qcow2-and-mbr"], "qcow2") == Verdict(
        False, "Multiple formats detected: gpt,qcow2"
    )
    assert verdict(SAMPLES["iso-hybrid"], "iso") == Verdict(True, None, 1000 * 2048)


def test_a_hybrid_iso_declared_raw_is_refused_as_several_formats() -> None:
    """Glance 33 lets ISO+GPT through as an ISO, then, on the raw path, logs ``data.format``,
    which raises for the two formats (a real Glance answers this 415)."""
    assert verdict(SAMPLES["iso-hybrid"], "raw") == Verdict(
        False, "Multiple formats detected: gpt,iso"
    )
    assert verdict(SAMPLES["iso-hybrid"], "raw", require_match=False) == Verdict(True)


@pytest.mark.parametrize("sample", ["vmdk-text-sparse", "vmdk-text-stream"])
def test_descriptor_only_single_file_vmdk_fails_inspection_as_vmdk(sample: str) -> None:
    """Glance 33 refuses it: oslo reads a monolithicSparse/streamOptimized disk's size from
    the sparse header, which a descriptor-only file lacks, and the error that raises becomes
    "Image format inspection failed" (glance/location.py set_data, ``except Exception``)."""
    data = SAMPLES[sample]
    (finding,) = detect(data)
    assert (finding.name, finding.failures, finding.size_error) == ("vmdk", (), True)
    assert verdict(data, "vmdk") == Verdict(False, "Image format inspection failed")
    assert verdict(data, "vmdk", require_match=False) == Verdict(True, None, None)
    # Declared raw, its size is never read: the (passing) safety checks decide.
    assert verdict(data, "raw") == Verdict(True, None, len(data))
    mismatch = "Image disk_format qcow2 does not match stream data vmdk"
    assert verdict(data, "qcow2") == Verdict(False, mismatch)


def test_create_type_without_closing_quote_still_names_a_subformat() -> None:
    """oslo slices ``createType="`` up to a closing quote it did not find (index -1): the
    subformat is then the rest of the text but its last character, and the content a VMDK."""
    data = SAMPLES["vmdk-text-unquoted"]
    (finding,) = detect(data)
    assert (finding.name, finding.failures, finding.size_error) == ("vmdk", (), True)
    assert verdict(data, "ami") == Verdict(
        False, "Image disk_format ami does not match stream data vmdk"
    )
    assert verdict(data, "vmdk") == Verdict(False, "Image format inspection failed")


def test_misplaced_vmdk_descriptor_fails_its_check_or_leaves_the_footer_unread() -> None:
    """oslo stops at a descriptor not in sector 1: the descriptor check fails, unless the
    header announced a footer first, which then never arrives (glance: incomplete)."""
    assert verdict(SAMPLES["vmdk-desc-elsewhere"], "vmdk") == Verdict(
        False, "Image failed safety checks"
    )
    for disk_format in ("vmdk", "raw"):
        assert verdict(SAMPLES["vmdk-desc-elsewhere-footer"], disk_format) == Verdict(
            False, "Incomplete file cannot be safety checked"
        )


# oslo's inspector sees the upload in glance_store's 64 KiB reads: the VHDX region table
# (192-256 KiB) is complete once the fourth chunk is in, and a region learnt of then is
# captured from that chunk on.


def test_raw_vhdx_with_a_corrupt_region_table_is_sized_where_oslo_stopped() -> None:
    """oslo raises on the signature once the table is in, after 256 KiB, and reads no more:
    Glance records that as a raw upload's virtual size."""
    data = SAMPLES["vhdx-bad-region-table"]
    assert verdict(data, "raw") == Verdict(True, None, 256 * KiB)
    assert verdict(data, "vhdx") == Verdict(True, None, None)


def test_raw_vhdx_with_a_corrupt_metadata_table_is_sized_where_oslo_stopped() -> None:
    # The table is at 320 KiB: oslo checks it after the chunk 320-384 KiB.
    assert verdict(SAMPLES["vhdx-bad-metadata"], "raw") == Verdict(True, None, 384 * KiB)
    assert verdict(SAMPLES["vhdx-bad-metadata"], "vhdx") == Verdict(True, None, None)


@pytest.mark.parametrize("sample", ["vhdx-size-length-0", "vhdx-size-length-16"])
def test_vhdx_size_item_of_another_length_fails_inspection(sample: str) -> None:
    """oslo unpacks the size item as exactly 8 bytes; other lengths raise while Glance reads
    the virtual size."""
    data = SAMPLES[sample]
    assert verdict(data, "vhdx") == Verdict(False, "Image format inspection failed")
    assert verdict(data, "raw") == Verdict(True, None, len(data))


def test_vhdx_metadata_already_streamed_past_leaves_inspection_incomplete() -> None:
    for disk_format in ("vhdx", "raw"):
        assert verdict(SAMPLES["vhdx-metadata-passed"], disk_format) == Verdict(
            False, "Incomplete file cannot be safety checked"
        )


def test_vhdx_metadata_reaching_into_the_header_chunk_is_read_from_that_chunk() -> None:
    """A table at 160 KiB is captured from 192 KiB on (the region table), so its signature
    is wrong: oslo stops after the next chunk."""
    data = SAMPLES["vhdx-metadata-in-header-chunk"]
    assert verdict(data, "vhdx") == Verdict(True, None, None)
    assert verdict(data, "raw") == Verdict(True, None, 320 * KiB)


def test_vhdx_size_item_learnt_of_at_the_final_empty_read_is_never_captured() -> None:
    """The whole file is the first four chunks: oslo reads its metadata table only at the
    empty read that ends the data, too late to capture the size item inside the file."""
    assert verdict(SAMPLES["vhdx-ends-at-region-table"], "vhdx") == Verdict(
        False, "Incomplete file cannot be safety checked"
    )


def test_text_with_non_ascii_past_the_first_sector_is_inspected_as_raw() -> None:
    """Deliberately unlike Glance 33. Text whose first 512 bytes are ASCII makes oslo's VMDK
    inspector parse the first 64 KiB as a descriptor; a non-ASCII byte there leaves its
    subformat unset, reading it raises AttributeError, and set_data (``except
    AttributeError: pass``) accepts the upload unchecked, whatever its disk_format. We
    inspect it: unrecognised content, so raw. Not in ``SAMPLES``: the oracle disagrees."""
    data = b"plain text, nothing like a disk header.\n" * 20 + "é".encode() + b"\n" * 100
    assert detect(data) == ()
    assert verdict(data, "qcow2") == Verdict(
        False, "Image disk_format qcow2 does not match stream data raw"
    )
    assert verdict(data, "raw") == Verdict(True, None, len(data))
    # Content that is something is still that something (Glance: unchecked, any format).
    hidden = iso(mbr=b"plain text\n" * 50 + "é".encode())
    assert [finding.name for finding in detect(hidden)] == ["iso"]
    assert (
        verdict(hidden, "qcow2").reason == "Image disk_format qcow2 does not match stream data iso"
    )


def test_incomplete_content_cannot_be_checked() -> None:
    assert verdict(SAMPLES["vhd-short"], "vhd") == Verdict(
        False, "Incomplete file cannot be safety checked"
    )


def test_a_reader_past_the_end_is_never_asked_for_negative_lengths() -> None:
    calls: list[tuple[int, int]] = []

    def spy(offset: int, length: int) -> bytes:
        calls.append((offset, length))
        assert offset >= 0 and length >= 0
        return b""

    assert disk_formats.inspect(spy, 0) == ()


# --- oracle: oslo.utils' inspector with Glance's rules (glance/location.py set_data) ---


def glance_oracle(data: bytes, disk_format: str) -> Verdict:
    inspector_module = pytest.importorskip("oslo_utils.imageutils.format_inspector")
    wrapper = inspector_module.InspectWrapper(io.BytesIO(data))
    while wrapper.read(64 * KiB):
        pass
    wrapper.close()
    virtual_size = 0
    try:
        matched = {str(i): i for i in wrapper.formats}
        inspector = matched["iso"] if matched.keys() == {"iso", "gpt"} else wrapper.format
        name = str(inspector)
        if name == disk_format:
            virtual_size = inspector.virtual_size
        elif name == "raw" and disk_format not in inspector_module.ALL_FORMATS:
            pass
        elif disk_format == "raw":
            wrapper.format  # noqa: B018 (Glance logs it; for ISO+GPT, reading it raises)
            virtual_size = inspector.actual_size
        else:
            raise inspector_module.ImageFormatError(
                f"Image disk_format {disk_format} does not match stream data {name}"
            )
        inspector.safety_check()
    except AttributeError:
        # set_data takes this for "not wrapped for inspection" and accepts the upload.
        return Verdict(True, None, virtual_size or None)
    except inspector_module.ImageFormatError as exc:
        reason = str(exc)
        if reason.startswith("Multiple formats detected: "):  # oslo lists them in set order
            names = reason.split(": ", 1)[1].split(",")
            reason = f"Multiple formats detected: {','.join(sorted(names))}"
        return Verdict(False, reason)
    except inspector_module.SafetyCheckFailed:
        return Verdict(False, "Image failed safety checks")
    except Exception:
        return Verdict(False, "Image format inspection failed")
    return Verdict(True, None, virtual_size or None)


ORACLE_SAMPLES = sorted(SAMPLES)


@pytest.mark.parametrize("disk_format", DISK_FORMATS)
@pytest.mark.parametrize("sample", ORACLE_SAMPLES)
def test_agrees_with_glances_own_inspector(sample: str, disk_format: str) -> None:
    expected = glance_oracle(SAMPLES[sample], disk_format)
    assert verdict(SAMPLES[sample], disk_format) == expected
