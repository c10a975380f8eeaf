"""A list page costs the same in a big catalog as in a small one.

The cost is counted in SQLite virtual-machine steps (a progress handler called every 100
instructions), which measures the rows a query walks and does not depend on the machine's
load. Each caller's default page and a shared-only page are counted at 500 and at 10,000
images, where what the caller sees grows with the catalog, and with the images shared with
the caller both the newest and the oldest (where a walk of the whole sort index would find
them last). (Another sort key sorts what the caller sees, which grows with that, not with
the catalog: an index per sort key and kind of image would be 24 more indexes.)
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from emulator.app import create_app
from emulator.core.config import Config
from emulator.core.context import RequestContext
from emulator.image.domain import list_query, list_scope
from emulator.image.store import image_queries

READER = frozenset({"reader", "member"})
ME, FRIEND = "my-project", "friend-project"


def catalog(data_dir: Path, others: int, mine_first: bool) -> Any:
    """``others`` images (1 in 10 public, 1 in 20 mine, 1 in 10 shared with projects other
    than mine, 1 in 10 of mine deleted, the rest private images of 50 other projects), and a
    block of 30 of mine, 30 shared with me (accepted) and 30 public ones,
    either all older or all newer than the others."""
    app = create_app(Config(data_dir=data_dir))
    store = app.extensions["emulator.store"]
    rows, members = [], []

    def add(owner: str, visibility: str, second: int, deleted: bool = False) -> str:
        image_id = str(uuid.uuid4())
        stamp = f"2026-01-01T00:00:00.{second:06d}"
        rows.append(
            {
                "id": image_id,
                "name": f"image-{second}",
                "status": "deleted" if deleted else "active",
                "deleted": int(deleted),
                "visibility": visibility,
                "owner": owner,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        return image_id

    def member(image_id: str, project: str, status: str) -> dict[str, str]:
        return {
            "image_id": image_id,
            "member": project,
            "status": status,
            "created_at": "2026-01-01T00:00:00",
            "updated_at": "2026-01-01T00:00:00",
        }

    second = 0
    visible_first = not mine_first
    for block in ("visible", "others") if visible_first else ("others", "visible"):
        if block == "others":
            for n in range(others):
                if n % 10 == 0:
                    add(f"other-{n % 50}", "public", second)
                elif n % 20 == 5:
                    add(ME, "private", second)
                elif n % 10 == 3:
                    offered = add(f"other-{n % 50}", "shared", second)
                    members.append(member(offered, f"other-{(n + 1) % 50}", "pending"))
                elif n % 10 == 7:
                    add(ME, "shared", second, deleted=True)
                else:
                    add(f"other-{n % 50}", "private", second)
                second += 1
            continue
        for _ in range(30):
            add(ME, "private", second)
            shared = add(FRIEND, "shared", second + 1)
            members.append(member(shared, ME, "accepted"))
            add(FRIEND, "public", second + 2)
            second += 3
    with store.session() as db:
        db.table("images").insert_all(rows)
        db.table("image_members").insert_all(members)
    return store


def steps(store: Any, query: str, context: RequestContext) -> tuple[int, int]:
    """(VM steps / 100, rows) of the page's SELECT."""
    parsed = list_query.parse([tuple(p.split("=", 1)) for p in query.split("&") if p], 25, 1000)
    scope = list_scope.scope_for(context, parsed.visibility, parsed.member_status, "glance")
    sql, params = image_queries.build_select(parsed, scope)
    counter = [0]

    def tick() -> int:
        counter[0] += 1
        return 0

    with store.session() as db:
        db.conn.set_progress_handler(tick, 100)
        rows = db.execute(sql, params).fetchall()
        db.conn.set_progress_handler(None, 0)
    return counter[0], len(rows)


CALLERS = {
    "member": RequestContext(ME, roles=READER),
    "project-less": RequestContext(None, roles=READER),
}


@pytest.mark.parametrize("mine_first", [True, False], ids=["mine-oldest", "mine-newest"])
def test_a_page_costs_no_more_in_a_bigger_catalog(tmp_path: Path, mine_first: bool) -> None:
    small = catalog(tmp_path / "small", 500, mine_first)
    large = catalog(tmp_path / "large", 10_000, mine_first)
    for who, context in CALLERS.items():
        for query in (
            "",
            "visibility=shared",
            "visibility=shared&member_status=all",
            "visibility=public",
            "visibility=private",
        ):
            small_steps, small_rows = steps(small, query, context)
            large_steps, large_rows = steps(large, query, context)
            assert small_rows == large_rows > 0 or (
                who == "project-less" and query != "" and small_rows == large_rows
            ), (who, query)
            # 20x the catalog; the walk may grow by a little (deeper indexes), not with it.
            assert large_steps <= 2 * small_steps + 5, (who, query, small_steps, large_steps)
