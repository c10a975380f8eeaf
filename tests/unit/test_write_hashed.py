"""write_hashed: the digests and the stored bytes are the upload's, however its chunks fall
across hashing batches, and a refusal mid-stream leaves no md5 work running."""

from __future__ import annotations

import hashlib
import threading

import pytest

from emulator.core import errors
from emulator.core.blobs import PendingBlob
from emulator.image.services import image_data

BATCH = image_data.HASH_BATCH_SIZE


def pieces(data: bytes, sizes: list[int]):
    offset, index = 0, 0
    while offset < len(data):
        size = sizes[index % len(sizes)]
        yield data[offset : offset + size]
        offset += size
        index += 1


@pytest.mark.parametrize(
    "total, sizes",
    [
        (0, [1]),
        (1, [1]),
        (BATCH, [BATCH]),
        (BATCH + 1, [65536]),
        (5 * BATCH + 12345, [65536, 1, 0, 300_001]),
        (3 * BATCH, [3 * BATCH]),
    ],
)
def test_digests_and_file_are_the_uploads(tmp_path, total, sizes):
    data = bytes((i * 7 + i // 251) % 256 for i in range(total))
    pending = PendingBlob(tmp_path)
    md5, sha = image_data.write_hashed(pending, pieces(data, sizes), total, 1 << 40)
    assert md5.hexdigest() == hashlib.md5(data).hexdigest()
    assert sha.hexdigest() == hashlib.sha512(data).hexdigest()
    assert pending.size == total
    assert pending.read_at(0, total + 1) == data
    pending.discard()


def test_too_many_bytes_is_refused_with_glances_count_and_md5_stops(tmp_path):
    pending = PendingBlob(tmp_path)
    chunks = pieces(b"x" * (4 * BATCH), [65536])
    before = threading.active_count()
    with pytest.raises(errors.BadRequest) as refused:
        image_data.write_hashed(pending, chunks, 2 * BATCH + 100, 1 << 40)
    assert f"got {2 * BATCH + 65536} bytes" in str(refused.value)
    assert threading.active_count() == before  # the md5 helper has finished
    pending.discard()


def test_a_short_body_is_a_size_mismatch(tmp_path):
    pending = PendingBlob(tmp_path)
    with pytest.raises(errors.BadRequest, match="Size mismatch"):
        image_data.write_hashed(pending, pieces(b"y" * (BATCH + 5), [4096]), BATCH + 6, 1 << 40)
    pending.discard()
