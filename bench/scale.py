"""Data dirs with many images, written straight into the database (the API would take minutes
for 100,000), for the "as fast at 100,000 images as at 1,000" figure.

The mix, at any size N: the producer owns 1 in 100 images, 1 in 100 are public (owned by
other projects), 30 of the producer's are shared with the consumer and accepted, and the rest
are private images of 100 other projects. Creation times rise with the row, so a list walks
the newest first as Glance's default sort does.
"""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000


def build(data_dir: Path, total: int) -> None:
    """A data dir with demo accounts and ``total`` images in the mix above."""
    sys.path.insert(0, str(ROOT))
    from emulator.app import create_app
    from emulator.identity.services import accounts

    app = create_app(data_dir=data_dir)
    store = app.extensions["emulator.store"]
    with store.session() as db:
        projects = {}
        for name in ("producer", "consumer"):
            user = accounts.find_user(db, name, accounts.DEFAULT_DOMAIN_ID)
            assert user is not None and user.default_project_id is not None
            projects[name] = user.default_project_id
        others = [uuid.uuid4().hex for _ in range(100)]
        start = datetime(2026, 1, 1, tzinfo=UTC)
        share_every = max(1, total // 30)
        rows, members = [], []
        for n in range(total):
            stamp = (start + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S.%f")
            image_id = str(uuid.uuid4())
            if n % 100 == 0:
                owner, visibility = projects["producer"], "private"
            elif n % 100 == 50:
                owner, visibility = others[n % 100], "public"
            else:
                owner, visibility = others[n % 100], "private"
            if n % share_every == 1 and len(members) < 30:
                owner, visibility = projects["producer"], "shared"
                members.append(
                    {
                        "image_id": image_id,
                        "member": projects["consumer"],
                        "status": "accepted",
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                )
            rows.append(
                {
                    "id": image_id,
                    "name": f"scale-{n}",
                    "status": "active",
                    "visibility": visibility,
                    "owner": owner,
                    "size": 1024 + n,
                    "disk_format": "raw",
                    "container_format": "bare",
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
            if len(rows) == BATCH:
                db.table("images").insert_all(rows)
                rows = []
        db.table("images").insert_all(rows)
        db.table("image_members").insert_all(members)
