"""Small image payloads, made here (no qemu-img): raw bytes and a minimal qcow2.

Glance 33 inspects the data of a ``bare`` image and refuses (415) content that is not its
``disk_format``, so a qcow2 image needs qcow2 bytes. ``qcow2`` is a version 3 header with
its tables laid out in the clusters after it, all pointing nowhere (an empty disk): the
smallest file both inspectors take as a qcow2 of ``virtual_size`` bytes.
"""

from __future__ import annotations

import hashlib
import struct


def raw(size: int = 1024, seed: str = "raw") -> bytes:
    """``size`` deterministic pseudo-random bytes (no format's magic at the start)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    out[:4] = b"DATA"
    return bytes(out[:size])


def qcow2(virtual_size: int = 1 << 20) -> bytes:
    cluster_bits = 16
    cluster = 1 << cluster_bits
    header = struct.pack(
        ">4sIQIIQIIQQIIQQQQII",
        b"QFI\xfb",
        3,  # version
        0,  # backing file offset
        0,  # backing file name length
        cluster_bits,
        virtual_size,
        0,  # no encryption
        1,  # L1 entries
        3 * cluster,  # L1 table
        1 * cluster,  # refcount table
        1,  # refcount table clusters
        0,  # snapshots
        0,
        0,  # incompatible features
        0,  # compatible features
        0,  # autoclear features
        4,  # refcount order (16-bit refcounts)
        104,  # header length
    )
    image = bytearray(4 * cluster)
    image[: len(header)] = header
    struct.pack_into(">Q", image, cluster, 2 * cluster)  # refcount table -> block
    for index in range(4):  # clusters 0..3 are in use
        struct.pack_into(">H", image, 2 * cluster + 2 * index, 1)
    return bytes(image)


def text_with_non_ascii(size: int = 2048) -> bytes:
    """Text that starts like a descriptor file, with one UTF-8 character in it."""
    line = "# Disk DescriptorFile é\n".encode()
    return (line * (size // len(line) + 1))[:size]


ISO_PAD = 32768


def iso9660(size: int = 40960) -> bytes:
    """A primary volume descriptor at 32 KiB, the ISO 9660 signature Glance looks for."""
    image = bytearray(max(size, ISO_PAD + 2048))
    image[ISO_PAD : ISO_PAD + 6] = b"\x01CD001"
    image[ISO_PAD + 80 : ISO_PAD + 88] = struct.pack("<I", 20) + struct.pack(">I", 20)
    image[ISO_PAD + 128 : ISO_PAD + 132] = struct.pack("<H", 2048) + struct.pack(">H", 2048)
    return bytes(image)
