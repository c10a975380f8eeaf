"""What a format detector reports, and how it reads: shared by ``format_detectors`` (one
function per format) and ``disk_formats`` (Glance's decision over their findings). Pure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: ``read(offset, length)``: up to ``length`` bytes at ``offset`` (fewer at end of data).
Read = Callable[[int, int], bytes]

KiB = 1024
#: glance_store's filesystem driver reads an upload 64 KiB at a time (``WRITE_CHUNKSIZE``),
#: and oslo's inspector sees the stream in those chunks.
STREAM_CHUNK = 64 * KiB
#: Glance's answer when reading what the inspector found raises an unexpected error.
INSPECTION_FAILED = "Image format inspection failed"


@dataclass(frozen=True)
class Finding:
    """One format the content matched."""

    name: str
    #: What the format's header says the disk holds; 0 = unknown.
    virtual_size: int = 0
    #: Enough bytes were present for the format's safety checks to run.
    complete: bool = True
    #: Names of the safety checks that failed.
    failures: tuple[str, ...] = ()
    #: oslo raises reading this content's virtual size (Glance: "Image format inspection
    #: failed" when it is the declared format).
    size_error: bool = False
    #: Bytes oslo had read when it gave up on a corrupt structure; a ``raw`` upload records
    #: that as its virtual size. None: it read the whole upload.
    consumed: int | None = None
