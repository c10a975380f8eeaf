"""write_hashed: the digests and the stored bytes are the upload's, however its chunks fall
across hashing batches; a refusal or a failed write mid-stream leaves no helper running; a
slow disk holds the body back instead of piling batches up in memory."""

from __future__ import annotations

import hashlib
import threading

import pytest

from emulator.core import errors
from emulator.core.blobs import PendingBlob
from emulator.image.services import hashed_write, image_data

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


class FailingBlob(PendingBlob):
    """A pending file whose ``fail_at``-th write fails as a full disk does."""

    def __init__(self, root, fail_at: int):
        super().__init__(root)
        self.writes = 0
        self.fail_at = fail_at

    def write(self, chunk):
        self.writes += 1
        if self.writes == self.fail_at:
            raise OSError(28, "No space left on device")
        super().write(chunk)


def test_a_failed_write_is_raised_to_the_uploader_and_the_helpers_stop(tmp_path):
    pending = FailingBlob(tmp_path, fail_at=2)
    before = threading.active_count()
    with pytest.raises(OSError, match="No space left"):
        image_data.write_hashed(pending, pieces(b"z" * (3 * BATCH), [BATCH]), 3 * BATCH, 1 << 40)
    assert threading.active_count() == before
    pending.discard()


class StalledBlob(PendingBlob):
    """A pending file whose writes wait until ``go`` is set (a slow disk)."""

    def __init__(self, root):
        super().__init__(root)
        self.go = threading.Event()

    def write(self, chunk):
        assert self.go.wait(10)
        super().write(chunk)


def test_a_slow_disk_holds_the_body_back_so_memory_stays_flat(tmp_path):
    pending = StalledBlob(tmp_path)
    pulled = 0
    total = 20 * BATCH

    def body():
        nonlocal pulled
        for offset in range(0, total, BATCH):
            pulled += 1
            yield bytes([offset // BATCH]) * BATCH

    done = []
    uploader = threading.Thread(
        target=lambda: done.append(image_data.write_hashed(pending, body(), total, 1 << 40))
    )
    uploader.start()
    uploader.join(0.5)  # the uploader stops pulling once IN_FLIGHT batches wait for the disk
    assert pulled <= min(hashed_write.IN_FLIGHT + 2, 19)
    pending.go.set()
    uploader.join(10)
    assert pulled == 20 and done
    expected = b"".join(bytes([n]) * BATCH for n in range(20))
    assert done[0][0].hexdigest() == hashlib.md5(expected).hexdigest()
    assert pending.read_at(0, total) == expected
    pending.discard()
