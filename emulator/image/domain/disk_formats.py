"""Which disk format uploaded bytes are in, and whether Glance would accept them.

Glance 33 wraps the upload of every ``bare`` image in oslo.utils' format inspector and,
once the data is stored, compares what it found with the declared ``disk_format``
(``glance/location.py`` ``ImageProxy.set_data``). This module is our own small
re-statement of that decision, written from the published format layouts (qcow2 spec,
VMDK sparse extent and descriptor, Microsoft VHD/VHDX, VirtualBox VDI, ISO 9660/UDF,
the PC MBR, LUKS1) and from Glance's rules; it copies no code.

Pure: it never opens a file. ``inspect`` reads through a ``read(offset, length)`` callback
that the caller backs with whatever holds the bytes (the upload's temp file, or a bytes
object in tests). Only the few regions each format needs are read.

oslo's inspector sees the upload as a stream of ``STREAM_CHUNK`` reads, and some of its
answers depend on that: a text VMDK descriptor is what the first read brought in; a VHDX
structure is captured only from the chunk in which the inspector learnt where it is; an
inspector that gives up on a corrupt structure has read up to the end of that chunk. Those
cases follow the chunks here too (``tests/differential`` compares them with oslo itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from emulator.image.domain.format_detectors import DETECTORS
from emulator.image.domain.format_findings import INSPECTION_FAILED, Finding, Read

__all__ = ["INSPECTABLE", "SAFETY_CHECKS_FAILED", "Finding", "Read", "Verdict", "inspect", "judge"]

#: oslo.utils ``format_inspector.ALL_FORMATS``: formats Glance can recognise. A declared
#: disk_format outside this list (ami, ari, aki, ploop...) cannot be checked.
INSPECTABLE = ("raw", "qcow2", "vhd", "vhdx", "vmdk", "vdi", "qed", "iso", "gpt", "luks")
#: Glance's refusal of content its format's safety checks reject.
SAFETY_CHECKS_FAILED = "Image failed safety checks"


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    #: Why the upload is refused (Glance's words), or None.
    reason: str | None = None
    virtual_size: int | None = None


def inspect(read: Read, size: int) -> tuple[Finding, ...]:
    """Every specific format the content matches; empty means raw (unrecognised) data."""
    found = (detector(read, size) for detector in DETECTORS)
    return tuple(finding for finding in found if finding is not None)


def judge(
    disk_format: str | None,
    container_format: str | None,
    findings: Sequence[Finding],
    size: int,
    require_match: bool = True,
) -> Verdict:
    """Glance's decision after storing an upload (``ImageProxy.set_data``).

    ``require_match`` is Glance's ``[image_format]/require_image_format_match``: when off,
    content that does not match is accepted (without a virtual size). Safety-check failures
    of recognised content are refused either way, as in Glance.
    """
    if container_format != "bare":
        return Verdict(True)  # only bare images are inspected

    def mismatch(reason: str, virtual_size: int | None = None) -> Verdict:
        if require_match:
            return Verdict(False, reason)
        return Verdict(True, None, virtual_size)

    names = sorted(finding.name for finding in findings)
    if names == ["gpt", "iso"]:
        # A bootable ISO may carry a partition table in front: it counts as ISO.
        chosen = next(finding for finding in findings if finding.name == "iso")
    elif len(findings) > 1:
        return mismatch(f"Multiple formats detected: {','.join(names)}")
    elif findings:
        chosen = findings[0]
    else:
        chosen = Finding("raw", size)

    virtual_size = 0
    if chosen.name == disk_format:
        if chosen.size_error:
            return mismatch(INSPECTION_FAILED)
        virtual_size = chosen.virtual_size
    elif chosen.name == "raw" and disk_format not in INSPECTABLE:
        pass  # e.g. ami: nothing recognisable inside, nothing to check
    elif disk_format == "raw":
        if len(findings) > 1:
            # Glance logs ``data.format`` on this path, and reading it refuses the ISO+GPT
            # pair let through above (glance/location.py set_data).
            return mismatch(f"Multiple formats detected: {','.join(names)}")
        # raw accepts any content, sized by the bytes the format's inspector read.
        virtual_size = size if chosen.consumed is None else chosen.consumed
    else:
        return mismatch(f"Image disk_format {disk_format} does not match stream data {chosen.name}")

    if not chosen.complete:
        return mismatch("Incomplete file cannot be safety checked", virtual_size or None)
    if chosen.failures:
        return Verdict(False, SAFETY_CHECKS_FAILED)
    return Verdict(True, None, virtual_size or None)
