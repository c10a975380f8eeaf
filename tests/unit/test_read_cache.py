"""What a connection keeps between reads (core/read_cache.py) is never older than the file.

Two connections on one SQLite file stand for two serving threads (or two ``--workers``
processes): whatever one of them commits, the other's next read must see, cache or not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlite_utils

from emulator.core import clock, read_cache
from emulator.core.db import Store, atomic
from emulator.identity.services import tokens
from emulator.image.domain.images import Image
from emulator.image.domain.members import Membership
from emulator.image.store import images as image_store
from emulator.image.store import members as member_store

NOW = "2026-12-04T12:00:00.000000Z"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store(tmp_path / "emulator.db", tmp_path / "images")
    opened.open()
    return opened


@pytest.fixture
def pair(store: Store) -> Iterator[tuple[sqlite_utils.Database, sqlite_utils.Database]]:
    """A reader and a writer on the same file, with a table of their own to write to."""
    reader, writer = store.connect(), store.connect()
    writer.execute("CREATE TABLE scratch (x INTEGER)")
    yield reader, writer
    reader.close()
    writer.close()


def test_kept_while_nothing_changes(pair: tuple[sqlite_utils.Database, ...]) -> None:
    reader, _ = pair
    read_cache.fresh(reader)["answer"] = 42
    assert read_cache.fresh(reader).get("answer") == 42
    reader.execute("SELECT count(*) FROM scratch").fetchone()  # reads change nothing
    assert read_cache.fresh(reader).get("answer") == 42


def test_emptied_by_a_commit_of_another_connection(
    pair: tuple[sqlite_utils.Database, ...],
) -> None:
    reader, writer = pair
    read_cache.fresh(reader)["answer"] = 42
    with atomic(writer):
        writer.execute("INSERT INTO scratch VALUES (1)")
    assert "answer" not in read_cache.fresh(reader)


def test_emptied_by_its_own_change_even_rolled_back(
    pair: tuple[sqlite_utils.Database, ...],
) -> None:
    reader, _ = pair
    read_cache.fresh(reader)["answer"] = 42
    reader.execute("INSERT INTO scratch VALUES (1)")
    assert "answer" not in read_cache.fresh(reader)

    read_cache.fresh(reader)["answer"] = 43
    with pytest.raises(RuntimeError), atomic(reader):
        reader.execute("DELETE FROM scratch")
        raise RuntimeError("rolled back")
    assert "answer" not in read_cache.fresh(reader)


def test_starts_again_when_full(
    pair: tuple[sqlite_utils.Database, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    reader, _ = pair
    monkeypatch.setattr(read_cache, "MAX_ENTRIES", 3)
    for n in range(3):
        read_cache.fresh(reader)[n] = n
    assert len(read_cache.fresh(reader)) == 0


def _token(db: sqlite_utils.Database) -> str:
    token, _ = tokens.issue(
        db, user_id="u1", project_id="p1", roles=["member"], methods=["password"], ttl_seconds=60
    )
    return token


def test_a_revoked_token_is_refused_at_once_by_every_connection(
    pair: tuple[sqlite_utils.Database, ...],
) -> None:
    reader, writer = pair
    token = _token(writer)
    first = tokens.context_for_token(reader, token)
    assert first is not None and first.project_id == "p1" and first.roles == {"member"}
    assert tokens.context_for_token(reader, token) is first  # kept, not read again
    assert tokens.revoke(writer, token)
    assert tokens.context_for_token(reader, token) is None


def test_a_kept_token_still_expires(
    pair: tuple[sqlite_utils.Database, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    reader, writer = pair
    token = _token(writer)
    assert tokens.context_for_token(reader, token) is not None
    later = clock.now() + dt.timedelta(seconds=61)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert tokens.context_for_token(reader, token) is None


def _image(db: sqlite_utils.Database) -> Image:
    image = Image(
        id="6b1c2d3e-0000-4000-8000-000000000001",
        owner="p1",
        created_at=NOW,
        updated_at=NOW,
        name="first",
        tags=["a"],
        extra_properties={"k": "v"},
    )
    with atomic(db):
        image_store.insert(db, image)
    return image


def test_each_reader_of_an_image_gets_its_own_copy(
    pair: tuple[sqlite_utils.Database, ...],
) -> None:
    reader, writer = pair
    image = _image(writer)
    first = image_store.get(reader, image.id)
    assert first is not None
    first.name = "changed in memory"
    first.tags.append("b")
    first.extra_properties["k"] = "w"
    again = image_store.get(reader, image.id)
    assert again is not None
    assert (again.name, again.tags, again.extra_properties) == ("first", ["a"], {"k": "v"})


def test_an_image_changed_elsewhere_is_read_anew(
    pair: tuple[sqlite_utils.Database, ...],
) -> None:
    reader, writer = pair
    image = _image(writer)
    assert image_store.get(reader, image.id).name == "first"  # type: ignore[union-attr]
    assert image_store.member_status(reader, image.id, "p2") is None
    with atomic(writer):
        image_store.update_fields(writer, image.id, name="second", updated_at=NOW)
        member_store.insert(
            writer,
            Membership(image.id, "p2", "accepted", NOW, NOW),
        )
    assert image_store.get(reader, image.id).name == "second"  # type: ignore[union-attr]
    assert image_store.member_status(reader, image.id, "p2") == "accepted"
    with atomic(writer):
        writer.execute("UPDATE images SET deleted = 1 WHERE id = ?", [image.id])
    assert image_store.get(reader, image.id) is None


def test_a_write_transaction_reads_what_was_committed_before_it(
    pair: tuple[sqlite_utils.Database, ...],
) -> None:
    """An upload or a PATCH reads the image again inside its transaction: a change another
    connection committed before that transaction began must be what it reads."""
    reader, writer = pair
    image = _image(writer)
    assert image_store.get(reader, image.id).name == "first"  # type: ignore[union-attr]
    with atomic(writer):
        image_store.update_fields(writer, image.id, name="second", updated_at=NOW)
    with atomic(reader):
        assert image_store.get(reader, image.id).name == "second"  # type: ignore[union-attr]


def _rename(writer: sqlite_utils.Database, image_id: str, name: str) -> None:
    with atomic(writer):
        image_store.update_fields(writer, image_id, name=name, updated_at=NOW)


@contextmanager
def _request(db: sqlite_utils.Database) -> Iterator[None]:
    """A request on ``db``'s connection, as request_scope marks one."""
    read_cache.request_began(db)
    try:
        yield
    finally:
        read_cache.request_ended(db)


@contextmanager
def _statements(db: sqlite_utils.Database) -> Iterator[list[str]]:
    """The statements ``db`` runs meanwhile."""
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        yield statements
    finally:
        db.conn.set_trace_callback(None)


def _name(db: sqlite_utils.Database, image_id: str) -> str | None:
    found = image_store.get(db, image_id)
    assert found is not None
    return found.name


def test_a_request_checks_once_and_reads_as_of_its_first_look(
    pair: tuple[sqlite_utils.Database, ...],
) -> None:
    reader, writer = pair
    image = _image(writer)
    with _request(reader):
        assert _name(reader, image.id) == "first"
        _rename(writer, image.id, "second")
        with _statements(reader) as statements:
            # Later looks in the same request, outside a transaction, trust the first one.
            assert _name(reader, image.id) == "first"
            assert image_store.member_status(reader, image.id, "p2") is None
        assert statements == [
            f"SELECT status FROM image_members WHERE image_id = '{image.id}' AND member = 'p2'"
        ]
    with _request(reader):  # the next request sees the commit
        assert _name(reader, image.id) == "second"


def test_in_a_request_a_write_transaction_still_sees_every_commit_before_it(
    pair: tuple[sqlite_utils.Database, ...],
) -> None:
    reader, writer = pair
    image = _image(writer)
    with _request(reader):
        assert _name(reader, image.id) == "first"
        _rename(writer, image.id, "second")
        with atomic(reader):
            assert _name(reader, image.id) == "second"
        # After the transaction, the request's looks check again (and then trust that look).
        _rename(writer, image.id, "third")
        assert _name(reader, image.id) == "third"


def test_in_a_request_its_own_write_is_read_back(
    pair: tuple[sqlite_utils.Database, ...],
) -> None:
    reader, writer = pair
    image = _image(writer)
    with _request(reader):
        assert _name(reader, image.id) == "first"
        _rename(reader, image.id, "mine")
        assert _name(reader, image.id) == "mine"


def test_outside_a_request_every_look_checks(
    pair: tuple[sqlite_utils.Database, ...],
) -> None:
    """The CLI and background tasks never begin a request: they see each commit at once."""
    reader, writer = pair
    image = _image(writer)
    with _request(reader):
        pass
    assert _name(reader, image.id) == "first"
    _rename(writer, image.id, "second")
    assert _name(reader, image.id) == "second"


def _listed_names(db: sqlite_utils.Database, image_id: str) -> list[str | None]:
    return [image.name for image in image_store.get_many(db, [image_id, "no-such-image"])]


def test_a_page_is_kept_and_read_again_only_after_a_change(
    pair: tuple[sqlite_utils.Database, ...],
) -> None:
    reader, writer = pair
    image = _image(writer)
    assert _listed_names(reader, image.id) == ["first"]
    with _statements(reader) as sent:
        page = image_store.get_many(reader, [image.id])
    assert sent == ["PRAGMA data_version"]  # the look; nothing read again
    page[0].name, page[0].tags[0] = "changed in memory", "b"
    kept = image_store.get_many(reader, [image.id])[0]
    assert (kept.name, kept.tags, kept.extra_properties) == ("first", ["a"], {"k": "v"})
    _rename(writer, image.id, "second")
    assert _listed_names(reader, image.id) == ["second"]


def test_a_page_read_in_a_snapshot_is_the_snapshots_and_then_read_anew(
    pair: tuple[sqlite_utils.Database, ...],
) -> None:
    """A list reads its page in one read transaction. What it keeps there is what the
    snapshot holds, even when another connection commits meanwhile; the first look after
    the snapshot ends reads the change."""
    reader, writer = pair
    image = _image(writer)
    reader.execute("BEGIN")
    try:
        reader.execute("SELECT count(*) FROM images").fetchone()  # the snapshot starts
        _rename(writer, image.id, "second")
        assert _listed_names(reader, image.id) == ["first"]
        assert _name(reader, image.id) == "first"
    finally:
        reader.execute("COMMIT")
    assert _listed_names(reader, image.id) == ["second"]
    assert _name(reader, image.id) == "second"


def test_a_batch_larger_than_the_cache_is_read_whole_in_order(
    pair: tuple[sqlite_utils.Database, ...],
) -> None:
    reader, writer = pair
    count = read_cache.MAX_ENTRIES + 5
    ids = [f"6b1c2d3e-0000-4000-8000-{n:012d}" for n in range(count)]
    with atomic(writer):
        for number, image_id in enumerate(ids):
            image_store.insert(
                writer,
                Image(id=image_id, owner="p1", created_at=NOW, updated_at=NOW, name=str(number)),
            )
    wanted = list(reversed(ids))
    listed = image_store.get_many(reader, wanted)
    assert [image.id for image in listed] == wanted
    assert [image.name for image in listed[:2]] == [str(count - 1), str(count - 2)]
    assert len(read_cache.fresh(reader)) == 0  # nothing of it kept
