"""``GET /v2/images`` through the API: who sees what, every filter, sorting, paging, links, errors.

Images and member rows are written straight into the store (the members API is tested on its
own); every assertion goes through the HTTP surface. The matrices reproduce Glance's functional
tests glance/tests/functional/v2/test_images.py (test_image_visibility_to_different_users) and
test_image_members.py (test_image_member_lifecycle).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator.app import create_app
from emulator.core import clock
from emulator.core.config import Config
from emulator.core.context import RequestContext
from emulator.core.db import atomic
from emulator.core.unit_of_work import UnitOfWork
from emulator.identity.domain.roles import expand
from emulator.identity.services import tokens
from emulator.image.domain import list_query, list_scope
from emulator.image.domain.images import Image
from emulator.image.services import listing as list_service
from emulator.image.store import image_queries
from emulator.image.store import images as image_store

T0 = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
READER = ("reader",)
MEMBER = ("member",)
ADMIN = ("admin",)


class Seed:
    """Rows written directly, with creation times one second apart (oldest first)."""

    def __init__(self, app: Flask):
        self.app = app
        self.client = app.test_client()
        self.store = app.extensions["emulator.store"]
        self.count = 0

    def image(
        self, name: str | None, owner: str | None, visibility: str = "shared", **fields: Any
    ) -> str:
        self.count += 1
        created = fields.pop("created_at", None) or clock.to_storage(
            T0 + dt.timedelta(seconds=self.count)
        )
        image = Image(
            id=fields.pop("id", None) or str(uuid.uuid4()),
            owner=owner,
            created_at=created,
            updated_at=fields.pop("updated_at", created),
            name=name,
            visibility=visibility,
            **fields,
        )
        with self.store.session() as db, atomic(db):
            image_store.insert(db, image)
        return image.id

    def member(self, image_id: str, project: str, status: str = "pending") -> None:
        now = clock.to_storage(clock.now())
        with self.store.session() as db, atomic(db):
            db.execute(
                "INSERT OR REPLACE INTO image_members (image_id, member, status, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?)",
                [image_id, project, status, now, now],
            )

    def forget_members(self, image_id: str) -> None:
        with self.store.session() as db, atomic(db):
            db.execute("DELETE FROM image_members WHERE image_id = ?", [image_id])

    def delete(self, image_id: str) -> None:
        with self.store.session() as db, atomic(db):
            image_store.mark_deleted(db, image_id, clock.to_storage(clock.now()))

    def headers(self, project: str | None, roles: tuple[str, ...]) -> dict[str, str]:
        with self.store.session() as db:
            token, _ = tokens.issue(
                db,
                user_id="list-tester",
                project_id=project,
                roles=expand(list(roles)),
                methods=["password"],
                ttl_seconds=3600,
            )
        return {"X-Auth-Token": token, "Accept": "application/json"}


@pytest.fixture
def seed(app: Flask) -> Seed:
    return Seed(app)


def world(factory: pytest.TempPathFactory, **changes: Any) -> Seed:
    """A store shared by one module's read-only tests (building an app per test is slow)."""
    app = create_app(Config(data_dir=factory.mktemp("listing"), **changes))
    app.config["TESTING"] = True
    return Seed(app)


def names(response: Any) -> list[str | None]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [image["name"] for image in response.get_json()["images"]]


def glance_error(message: str, status: str = "400 Bad Request") -> dict[str, str]:
    title = status.split(" ", 1)[1]
    return {"message": f"{message}<br /><br />\n\n\n", "code": status, "title": title}


# --- who sees what -------------------------------------------------------------------------

OWNERS = ("admin", "tenant1", "tenant2", "none")
VISIBILITIES = ("public", "private", "shared", "community")


@pytest.fixture(scope="module")
def sixteen(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    """test_images.py: one image per owner and visibility; 'none' is an image without owner."""
    seed = world(tmp_path_factory)
    for owner in OWNERS:
        for visibility in VISIBILITIES:
            seed.image(f"{owner}-{visibility}", None if owner == "none" else owner, visibility)
    return seed


# (caller project, caller role, visibility param, count), as in Glance's test; "none" is a
# token without a project (Glance's fake auth "user:none:<role>").
VISIBILITY_MATRIX = [
    ("tenant1", READER, None, 7),
    ("tenant1", READER, "public", 4),
    ("tenant1", READER, "private", 1),
    ("tenant1", READER, "shared", 1),
    ("tenant1", READER, "community", 4),
    ("none", READER, None, 4),
    ("none", READER, "public", 4),
    ("none", READER, "private", 0),
    ("none", READER, "shared", 0),
    ("none", READER, "community", 4),
    ("none", ADMIN, None, 12),
    ("none", ADMIN, "public", 4),
    ("none", ADMIN, "private", 4),
    ("none", ADMIN, "shared", 4),
    ("none", ADMIN, "community", 4),
    ("admin", ADMIN, None, 13),
    ("admin", ADMIN, "public", 4),
    ("admin", ADMIN, "private", 4),
    ("admin", ADMIN, "shared", 4),
    ("admin", ADMIN, "community", 4),
    # Not in Glance's test: visibility=all lifts the community rule.
    ("tenant1", READER, "all", 10),
    ("admin", ADMIN, "all", 16),
    ("none", READER, "all", 8),
]


@pytest.mark.parametrize(("caller", "roles", "visibility", "count"), VISIBILITY_MATRIX)
def test_visibility_matrix(
    sixteen: Seed, caller: str, roles: tuple[str, ...], visibility: str | None, count: int
) -> None:
    url = "/v2/images" if visibility is None else f"/v2/images?visibility={visibility}"
    project = None if caller == "none" else caller
    response = sixteen.client.get(url, headers=sixteen.headers(project, roles))
    listed = response.get_json()["images"]
    assert response.status_code == 200
    assert len(listed) == count
    if visibility not in (None, "all"):
        assert all(image["visibility"] == visibility for image in listed)
    if caller == "tenant1" and visibility is None:
        assert all(i["visibility"] == "public" or "tenant1" in i["name"] for i in listed)
    if caller == "admin" and visibility is None:
        assert sorted(i["name"] for i in listed if i["visibility"] == "community") == [
            "admin-community"
        ]


MEMBER_OWNERS = ("tenant1", "tenant2", "admin")
MEMBER_VISIBILITIES = ("community", "private", "public", "shared")


@pytest.fixture(scope="module")
def twelve(tmp_path_factory: pytest.TempPathFactory) -> tuple[Seed, str]:
    """test_image_members.py: tenant1, tenant2 and admin own one image of each visibility."""
    seed = world(tmp_path_factory)
    ids = {}
    for owner in MEMBER_OWNERS:
        for visibility in MEMBER_VISIBILITIES:
            ids[(owner, visibility)] = seed.image(f"{owner}-{visibility}", owner, visibility)
    return seed, ids[("tenant1", "shared")]


# (TENANT3's member status on tenant1-shared, query, count) in the order of Glance's test.
SHARING_STEPS = [
    (None, "", 3),
    ("pending", "", 3),
    ("pending", "visibility=shared", 0),
    ("pending", "member_status=pending", 4),
    ("pending", "member_status=all", 4),
    ("pending", "member_status=pending&visibility=shared", 1),
    ("pending", "member_status=rejected&visibility=shared", 0),
    ("pending", "member_status=accepted&visibility=shared", 0),
    ("pending", "visibility=private", 0),
    ("accepted", "", 4),
    # Beyond the test: the other statuses.
    ("accepted", "visibility=shared", 1),
    ("accepted", "member_status=pending", 3),
    ("rejected", "", 3),
    ("rejected", "member_status=rejected", 4),
    ("rejected", "member_status=all&visibility=shared", 1),
]


@pytest.mark.parametrize(("status", "query", "count"), SHARING_STEPS)
def test_sharing_counts(
    twelve: tuple[Seed, str], status: str | None, query: str, count: int
) -> None:
    seed, shared = twelve
    seed.forget_members(shared)
    if status is not None:
        seed.member(shared, "tenant3", status)
    listed = names(seed.client.get(f"/v2/images?{query}", headers=seed.headers("tenant3", READER)))
    assert len(listed) == count
    assert all(name == "tenant1-shared" or name.endswith("-public") for name in listed)
    # The owner's view never depends on its members: 3 public + its own 3 others.
    owner_view = seed.client.get("/v2/images", headers=seed.headers("tenant1", READER))
    assert len(names(owner_view)) == 6


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> tuple[Seed, str]:
    seed = world(tmp_path_factory, sharing_profile="strict")
    shared = seed.image("shared-one", "owner-project", "shared")
    seed.image("private-one", "owner-project", "private")
    return seed, shared


# Strict profile: the "shared with me" part only ever yields accepted shares.
STRICT_STEPS = [
    ("pending", "", 0),
    ("pending", "member_status=pending", 0),
    ("pending", "member_status=all", 0),
    ("rejected", "member_status=rejected", 0),
    ("accepted", "", 1),
    ("accepted", "member_status=all", 1),
    ("accepted", "member_status=pending", 0),
    ("accepted", "visibility=shared", 1),
]


@pytest.mark.parametrize(("status", "query", "count"), STRICT_STEPS)
def test_strict_profile_lists_accepted_shares_only(
    strict: tuple[Seed, str], status: str, query: str, count: int
) -> None:
    seed, shared = strict
    seed.forget_members(shared)
    seed.member(shared, "member-project", status)
    headers = seed.headers("member-project", READER)
    response = seed.client.get(f"/v2/images?{query}", headers=headers)
    assert names(response) == ["shared-one"] * count


def test_pending_member_can_page_from_its_share_in_glance_profile(
    client: FlaskClient, seed: Seed, users: Any
) -> None:
    """The marker check is is_image_visible: a member row in any status will do."""
    shared = seed.image("shared", users.project("producer"), "shared")
    seed.image(
        "older-public", users.project("admin"), "public", created_at="2000-01-01T00:00:00.000000Z"
    )
    seed.member(shared, users.project("consumer"), "pending")
    response = client.get(f"/v2/images?marker={shared}", headers=users.headers("consumer"))
    assert names(response) == ["older-public"]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Seed, list[dict[str, Any]]]:
    """Every owner x visibility, each with a different set of member rows."""
    seed = world(tmp_path_factory)
    member_sets = [
        {},
        {"p1": "pending"},
        {"p1": "accepted", "p2": "rejected"},
        {"p2": "accepted"},
        {"p1": "rejected", "p3": "pending"},
    ]
    rows = []
    for owner in ("p1", "p2", None):
        for visibility in VISIBILITIES:
            for members in member_sets:
                image_id = seed.image("x", owner, visibility)
                for project, status in members.items():
                    seed.member(image_id, project, status)
                rows.append(
                    {"id": image_id, "owner": owner, "visibility": visibility, "members": members}
                )
    return seed, rows


@pytest.mark.parametrize("profile", ["glance", "strict"])
@pytest.mark.parametrize("member_status", ["accepted", "pending", "rejected", "all"])
@pytest.mark.parametrize("visibility", [None, "public", "private", "shared", "community", "all"])
@pytest.mark.parametrize(
    "caller", [("p1", READER), ("p3", READER), (None, READER), ("p2", ADMIN), (None, ADMIN)]
)
def test_sql_agrees_with_the_rule_table(
    mixed: tuple[Seed, list[dict[str, Any]]],
    caller: tuple[str | None, tuple[str, ...]],
    visibility: str | None,
    member_status: str,
    profile: str,
) -> None:
    seed, rows = mixed
    context = RequestContext(caller[0], roles=frozenset(expand(list(caller[1]))))
    args = {"limit": "1000", "member_status": member_status}
    if visibility is not None:
        args["visibility"] = visibility
    config = seed.app.config["EMULATOR"].replace(sharing_profile=profile)
    with seed.store.session() as db:
        uow = UnitOfWork(db, config, seed.app.extensions["emulator.blobs"], context)
        page = list_service.list_images(uow, list(args.items()))
    scope = list_scope.scope_for(context, visibility, member_status, profile)
    expected = [
        r["id"]
        for r in reversed(rows)
        if list_scope.in_scope(scope, r["owner"], r["visibility"], r["members"])
    ]
    assert [image.id for image in page.images] == expected


# --- filters -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> tuple[Seed, dict[str, str]]:
    seed = world(tmp_path_factory)
    base = "2024-05-01T12:00:"
    rows = {
        "alpha": dict(
            status="active",
            disk_format="raw",
            container_format="bare",
            size=10,
            checksum="c-alpha",
            os_hash_value="h-alpha",
            tags=["x86", "64bit"],
            extra_properties={"os_distro": "ubuntu"},
            created_at=base + "00.250000Z",
            updated_at="2024-06-01T00:00:00.000000Z",
        ),
        "glass, darkly": dict(
            status="active",
            disk_format="qcow2",
            container_format="bare",
            size=200,
            tags=["x86"],
            extra_properties={"os_distro": "fedora"},
            created_at=base + "01.000000Z",
        ),
        "share me": dict(
            status="queued",
            disk_format="qcow2",
            container_format="ovf",
            protected=True,
            tags=["64bit"],
            created_at=base + "01.999999Z",
        ),
        "a:b": dict(
            status="active",
            disk_format="iso",
            container_format="bare",
            size=3000,
            min_ram=512,
            created_at=base + "02.000000Z",
        ),
        "hidden": dict(
            status="active",
            os_hidden=True,
            disk_format="raw",
            container_format="bare",
            size=10,
            created_at=base + "03.000000Z",
        ),
    }
    ids = {name: seed.image(name, "producer", "private", **fields) for name, fields in rows.items()}
    ids["killed"] = seed.image("killed", "producer", "private", status="killed")
    ids["gone"] = seed.image("gone", "producer", "private", status="active")
    seed.delete(ids["gone"])
    ids["someone-elses"] = seed.image(
        "someone-elses", "consumer", "public", status="active", created_at=base + "04.000000Z"
    )
    return seed, ids


ALL_VISIBLE = ["someone-elses", "a:b", "share me", "glass, darkly", "alpha"]
FILTER_CASES = [
    ("", ALL_VISIBLE),  # no killed, deleted or hidden images
    ("name=alpha", ["alpha"]),
    ("name=ALPHA", []),
    ("name=eq:a:b", ["a:b"]),
    ("name=in:%22glass,%20darkly%22,share%20me", ["share me", "glass, darkly"]),
    ("name=in:alpha,nothing", ["alpha"]),
    ("name=in:", []),
    ("name=killed", []),
    ("status=queued", ["share me"]),
    ("status=in:queued,killed", ["share me"]),
    ("disk_format=qcow2", ["share me", "glass, darkly"]),
    ("container_format=eq:ovf", ["share me"]),
    ("owner=consumer", ["someone-elses"]),
    ("protected=true", ["share me"]),
    ("protected=false", ["someone-elses", "a:b", "glass, darkly", "alpha"]),
    ("os_hidden=true", ["hidden"]),
    ("os_hidden=TRUE&name=alpha", []),
    ("tag=x86", ["glass, darkly", "alpha"]),
    ("tag=x86&tag=64bit", ["alpha"]),
    ("tag=x86&tag=nothing", []),
    ("tag=%2064bit%20", ["share me", "alpha"]),
    ("size_min=200", ["a:b", "glass, darkly"]),
    ("size_max=200", ["glass, darkly", "alpha"]),
    ("size_min=11&size_max=200", ["glass, darkly"]),
    ("min_ram_min=1", ["a:b"]),
    ("checksum=c-alpha", ["alpha"]),
    ("os_hash_value=h-alpha", ["alpha"]),
    ("os_distro=ubuntu", ["alpha"]),
    ("os_distro=ubuntu&name=glass,%20darkly", []),
    ("os_distro=debian", []),
    ("visibility=private&name=in:alpha,someone-elses", ["alpha"]),
    # Timestamps compare as the whole second the API shows (Glance stores whole seconds).
    ("created_at=eq:2024-05-01T12:00:01Z", ["share me", "glass, darkly"]),
    ("created_at=2024-05-01T12:00:01Z", ["share me", "glass, darkly"]),
    ("created_at=eq:2024-05-01T12:00:01.5Z", []),
    ("created_at=gt:2024-05-01T12:00:01Z", ["someone-elses", "a:b"]),
    ("created_at=gte:2024-05-01T12:00:01Z", ["someone-elses", "a:b", "share me", "glass, darkly"]),
    ("created_at=lt:2024-05-01T12:00:01Z", ["alpha"]),
    ("created_at=lte:2024-05-01T12:00:01Z", ["share me", "glass, darkly", "alpha"]),
    ("created_at=neq:2024-05-01T12:00:01Z", ["someone-elses", "a:b", "alpha"]),
    ("created_at=lt:2024-05-01T13:00:01%2B01:00", ["alpha"]),
    ("updated_at=gte:2024-06-01T00:00:00Z", ["alpha"]),
    # A second ``limit`` is left over as a custom property filter, as in Glance.
    ("limit=25&limit=3", []),
    # An empty visibility skips the deserializer's check, then matches no image.
    ("visibility=", []),
]


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES)
def test_filters(catalogue: tuple[Seed, dict[str, str]], query: str, expected: list[str]) -> None:
    seed, _ = catalogue
    response = seed.client.get(f"/v2/images?{query}", headers=seed.headers("producer", READER))
    assert names(response) == expected


def test_id_filter(catalogue: tuple[Seed, dict[str, str]]) -> None:
    seed, ids = catalogue
    headers = seed.headers("producer", READER)
    wanted = f"{ids['alpha']},{ids['killed']},{ids['a:b']}"
    assert names(seed.client.get(f"/v2/images?id=in:{wanted}", headers=headers)) == ["a:b", "alpha"]
    assert names(seed.client.get(f"/v2/images?id={ids['alpha']}", headers=headers)) == ["alpha"]


def test_list_documents_match_show(catalogue: tuple[Seed, dict[str, str]]) -> None:
    seed, ids = catalogue
    headers = seed.headers("producer", READER)
    body = seed.client.get("/v2/images?name=alpha", headers=headers).get_json()
    assert body["schema"] == "/v2/schemas/images"
    assert body["first"] == "/v2/images?name=alpha"
    assert "next" not in body
    shown = seed.client.get(f"/v2/images/{ids['alpha']}", headers=headers).get_json()
    assert body["images"] == [shown]
    assert shown["tags"] == ["x86", "64bit"] and shown["os_distro"] == "ubuntu"


# --- sorting and paging --------------------------------------------------------------------


@pytest.fixture(scope="module")
def sortable(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    seed = world(tmp_path_factory)
    # NULLs and real values, but no NULL next to its keyset default ('' name, 0 size): see
    # test_paging_quirk_of_null_and_default for what Glance does then.
    rows = [
        ("b", 5, "raw"),
        ("a", None, "qcow2"),
        (None, 5, None),
        ("c", 1, "raw"),
        ("a", 7, "iso"),
        ("d", 2, "raw"),
        ("b", None, None),
        (None, 3, "raw"),
    ]
    for name, size, disk in rows:
        seed.image(name, "producer", "private", size=size, disk_format=disk, status="active")
    return seed


def _expected_order(rows: list[dict[str, Any]], sort: list[tuple[str, str]]) -> list[str]:
    """Sort like SQL does (NULLs lowest), key by key, with stable multi-pass sorting."""
    ordered = list(rows)
    for key, direction in reversed(sort):
        ordered.sort(
            key=lambda r, k=key: (r[k] is not None, r[k] if r[k] is not None else 0),
            reverse=direction == "desc",
        )
    return [r["id"] for r in ordered]


SORTS = [
    "",
    "sort_key=name&sort_dir=asc",
    "sort_key=name",
    "sort=size:asc,name:desc",
    "sort=disk_format:asc,size",
    "sort=size:asc,name:asc",
    "sort_key=updated_at&sort_dir=asc",
    "sort_key=id",
    "sort=status,container_format:asc",
]


@pytest.mark.parametrize("query", SORTS)
@pytest.mark.parametrize("limit", [1, 2, 3, 8])
def test_paging_walks_every_image_once_in_order(sortable: Seed, query: str, limit: int) -> None:
    headers = sortable.headers("producer", READER)
    whole = sortable.client.get(f"/v2/images?{query}&limit=100", headers=headers)
    listed = whole.get_json()["images"]
    assert len(listed) == 8
    sort = list_query.parse([tuple(p.split("=", 1)) for p in query.split("&") if p], 25, 1000).sort
    assert [i["id"] for i in listed] == _expected_order(listed, list(sort))
    seen: list[str] = []
    url: str | None = f"/v2/images?{query}&limit={limit}"
    pages = 0
    while url is not None:
        body = sortable.client.get(url, headers=headers).get_json()
        seen += [i["id"] for i in body["images"]]
        assert len(body["images"]) <= limit
        url = body.get("next")
        pages += 1
        assert pages <= 20
    assert seen == [i["id"] for i in listed]


def test_next_link_keeps_the_last_of_repeated_parameters(sortable: Seed) -> None:
    """Glance builds links from dict(request.params): a repeated sort_key keeps its last value
    only, so page two of ``sort_key=size&sort_key=name`` is sorted by name alone. Clients
    that need several keys across pages use ``sort=size:asc,name:desc``."""
    headers = sortable.headers("producer", READER)
    query = "sort_key=size&sort_key=name&sort_dir=asc&sort_dir=desc&limit=1"
    body = sortable.client.get(f"/v2/images?{query}", headers=headers).get_json()
    marker = body["images"][0]["id"]
    assert body["first"] == "/v2/images?sort_key=name&sort_dir=desc&limit=1"
    assert body["next"] == f"/v2/images?sort_key=name&sort_dir=desc&limit=1&marker={marker}"


def test_paging_quirk_of_null_and_default(seed: Seed) -> None:
    """Glance orders by the bare column (NULL first) but compares the marker as
    ``case(col IS NOT NULL, col, else 0)``: after a NULL-size marker, an older 0-size image
    counts as already seen (glance/db/sqlalchemy/api.py _paginate_query). We do the same."""
    empty = seed.image("empty", "p", "private", size=0)
    queued = seed.image("queued", "p", "private", size=None)
    headers = seed.headers("p", READER)
    whole = seed.client.get("/v2/images?sort=size:asc", headers=headers).get_json()
    assert [i["id"] for i in whole["images"]] == [queued, empty]
    page = seed.client.get("/v2/images?sort=size:asc&limit=1", headers=headers).get_json()
    assert [i["id"] for i in page["images"]] == [queued]
    assert seed.client.get(page["next"], headers=headers).get_json()["images"] == []


def test_next_link_whenever_the_page_is_full(seed: Seed) -> None:
    headers = seed.headers("p", READER)
    ids = [seed.image(f"n{i}", "p", "private") for i in range(4)]
    first = seed.client.get("/v2/images?limit=2&name=in:n0,n1,n2,n3", headers=headers).get_json()
    assert [i["id"] for i in first["images"]] == [ids[3], ids[2]]
    assert first["first"] == "/v2/images?limit=2&name=in%3An0%2Cn1%2Cn2%2Cn3"
    assert first["next"] == f"/v2/images?limit=2&name=in%3An0%2Cn1%2Cn2%2Cn3&marker={ids[2]}"
    second = seed.client.get(first["next"], headers=headers).get_json()
    assert [i["id"] for i in second["images"]] == [ids[1], ids[0]]
    assert second["first"] == first["first"]
    assert second["next"] == f"/v2/images?limit=2&name=in%3An0%2Cn1%2Cn2%2Cn3&marker={ids[0]}"
    third = seed.client.get(second["next"], headers=headers).get_json()
    assert third == {"images": [], "first": first["first"], "schema": "/v2/schemas/images"}


@pytest.mark.parametrize(
    ("query", "link"),
    [
        ("", "/v2/images"),
        ("marker={m}", "/v2/images"),
        ("sort=name:asc&marker={m}&tag=a&tag=b", "/v2/images?sort=name%3Aasc&tag=b"),
        ("limit=0", "/v2/images?limit=0"),
    ],
)
def test_first_link(seed: Seed, query: str, link: str) -> None:
    marker = seed.image("m", "p", "private")
    response = seed.client.get(
        f"/v2/images?{query.format(m=marker)}", headers=seed.headers("p", READER)
    )
    body = response.get_json()
    assert response.status_code == 200
    assert body["first"] == link
    assert "next" not in body


def test_limit_defaults_and_clamps(seed: Seed) -> None:
    for i in range(30):
        seed.image(f"img{i}", "p", "private")
    headers = seed.headers("p", READER)
    assert len(names(seed.client.get("/v2/images", headers=headers))) == 25
    assert len(names(seed.client.get("/v2/images?limit=5000", headers=headers))) == 30
    assert names(seed.client.get("/v2/images?limit=0", headers=headers)) == []


def test_limit_clamped_by_api_limit_max(tmp_path_factory: pytest.TempPathFactory) -> None:
    seed = world(tmp_path_factory, api_limit_max=3, limit_param_default=2)
    for i in range(5):
        seed.image(f"img{i}", "p", "private")
    headers = seed.headers("p", READER)
    assert len(names(seed.client.get("/v2/images", headers=headers))) == 2
    body = seed.client.get("/v2/images?limit=4", headers=headers).get_json()
    assert len(body["images"]) == 3
    assert body["next"] == f"/v2/images?limit=4&marker={body['images'][-1]['id']}"


# --- the marker ----------------------------------------------------------------------------


def test_marker_errors(client: FlaskClient, seed: Seed, users: Any) -> None:
    headers = users.headers("producer")
    secret = seed.image("secret", users.project("consumer"), "private")
    missing = str(uuid.uuid4())
    cases = [
        (missing, 400, glance_error(f"No image found with ID {missing}")),
        ("", 400, glance_error("No image found with ID ")),
        ("x" * 37, 400, glance_error("Image with the given id %(image_id)s was not found")),
        (
            secret,
            403,
            glance_error(f"Forbidding request, image {secret} not visible", "403 Forbidden"),
        ),
    ]
    for marker, status, body in cases:
        response = client.get(f"/v2/images?marker={marker}", headers=headers)
        assert (response.status_code, response.get_json()) == (status, body), marker


def test_deleted_marker(client: FlaskClient, seed: Seed, users: Any) -> None:
    older = seed.image("older", users.project("producer"), "public")
    gone = seed.image("gone", users.project("producer"), "public")
    seed.delete(gone)
    response = client.get(f"/v2/images?marker={gone}", headers=users.headers("producer"))
    assert response.status_code == 400
    # Admins can see deleted rows (context.can_see_deleted), so they page on from it.
    response = client.get(f"/v2/images?marker={gone}", headers=users.headers("admin"))
    assert [i["id"] for i in response.get_json()["images"]] == [older]


def test_marker_need_not_match_the_filters(client: FlaskClient, seed: Seed, users: Any) -> None:
    project = users.project("producer")
    first = seed.image("keep", project, "private")
    middle = seed.image("other", project, "private")
    seed.image("keep", project, "private")
    response = client.get(
        f"/v2/images?name=keep&marker={middle}", headers=users.headers("producer")
    )
    assert [i["id"] for i in response.get_json()["images"]] == [first]


# --- errors --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    seed = world(tmp_path_factory)
    seed.image("marker", "p", "public", size=3)
    return seed


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=ten", "limit param must be an integer"),
        ("limit=-2", "limit param must be positive"),
        ("visibility=everyone", "Invalid visibility value: everyone"),
        ("member_status=maybe", "Invalid status: maybe"),
        ("changes-since=2020-01-01", 'The "changes-since" filter is no longer available on v2.'),
        (
            "os_hidden=1",
            "Invalid value '1' for 'os_hidden' filter. Valid values are 'true' or 'false'.",
        ),
        (
            "protected=yes",
            "Invalid value 'yes' for 'protected' filter. Valid values are 'true' or 'false'.",
        ),
        ("size_min=small", "Unable to filter on a range with a non-numeric value."),
        (
            "created_at=gt:soon",
            'Bad "created_at" query filter format. Use ISO 8601 DateTime notation.',
        ),
        ("updated_at=since:2020-01-01T00:00:00Z", "Unable to filter on a unknown operator."),
        ("name=like:cirros", "Unable to filter by unknown operator 'like'."),
        (
            "sort_key=owner",
            "Invalid sort key: owner. It must be one of the following: name, status, "
            "container_format, disk_format, size, id, created_at, updated_at.",
        ),
        ("sort_dir=sideways", "Invalid sort direction: sideways"),
        ("sort=name&sort_dir=asc", "Old and new sorting syntax cannot be combined"),
        (
            "sort_key=name&sort_dir=asc&sort_dir=desc",
            "Number of sort dirs does not match the number of sort keys",
        ),
        ("name=in:%22open", 'Invalid filter value "open. The quote is not closed.'),
        ("locations=x", "Unable to filter on attribute 'locations'."),
    ],
)
def test_bad_queries(plain: Seed, query: str, message: str) -> None:
    response = plain.client.get(f"/v2/images?{query}", headers=plain.headers("p", READER))
    assert response.status_code == 400
    assert response.get_json() == glance_error(message)
    assert response.headers["x-openstack-request-id"].startswith("req-")


def test_bad_query_as_html(client: FlaskClient, users: Any) -> None:
    """The body format is the renderer's business; the words are the listing's."""
    headers = {"X-Auth-Token": users.tokens["producer"], "Accept": "text/html"}
    response = client.get("/v2/images?limit=x", headers=headers)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "limit param must be an integer" in response.get_data(as_text=True)


def test_listing_needs_the_reader_role(client: FlaskClient, seed: Seed) -> None:
    headers = seed.headers("some-project", ("observer",))
    response = client.get("/v2/images", headers=headers)
    assert response.status_code == 403
    assert response.get_json() == glance_error(
        "You are not authorized to complete get_images action.", "403 Forbidden"
    )
    # The deserializer's and the controller's 400s come before the policy check...
    for query in ("limit=x", "sort_key=x", "visibility=x", "os_hidden=x", "protected=x"):
        assert client.get(f"/v2/images?{query}", headers=headers).status_code == 400, query
    # ...the DB layer's filter errors and the marker lookup after it.
    for query in ("size_min=x", "created_at=x", "name=op:x", "name=in:%22x", "marker=nope"):
        assert client.get(f"/v2/images?{query}", headers=headers).status_code == 403, query


def test_needs_a_token(client: FlaskClient) -> None:
    assert client.get("/v2/images", headers={"Accept": "application/json"}).status_code == 401


def test_body_refused(client: FlaskClient, users: Any) -> None:
    response = client.get("/v2/images", headers=users.headers("producer"), data=b"{}")
    assert response.status_code == 400


# --- every filter and sort uses an index ---------------------------------------------------

PLANNED = [
    "",
    "name=x",
    "id=in:a,b",
    "status=active",
    "disk_format=raw",
    "container_format=bare",
    "owner=p",
    "protected=true",
    "checksum=c",
    "os_hash_value=h",
    "size_min=1&size_max=9",
    "created_at=gte:2024-01-01T00:00:00Z",
    "updated_at=lt:2024-01-01T00:00:00Z",
    "tag=a&tag=b",
    "os_distro=ubuntu",
    "visibility=shared&member_status=all",
    "visibility=community",
    "os_hidden=true",
    "sort_key=name&sort_dir=asc",
    "sort=size:desc,disk_format:asc",
    "sort_key=status",
    "sort_key=container_format",
    "sort_key=updated_at",
    "sort_key=id",
]


@pytest.mark.parametrize("who", ["member", "admin", "project-less"])
@pytest.mark.parametrize("query", PLANNED)
def test_query_plans_use_indexes(plain: Seed, query: str, who: str) -> None:
    context = {
        "member": RequestContext("p", roles=frozenset(READER)),
        "admin": RequestContext("p", roles=frozenset({"admin", "reader"})),
        "project-less": RequestContext(None, roles=frozenset(READER)),
    }[who]
    parsed = list_query.parse([tuple(p.split("=", 1)) for p in query.split("&") if p], 25, 1000)
    scope = list_scope.scope_for(context, parsed.visibility, parsed.member_status, "glance")
    with plain.store.session() as db:
        marker_id = db.execute("SELECT id FROM images WHERE name = 'marker'").fetchone()[0]
        for marker in (None, image_queries.marker_row(db, marker_id, True)):
            sql, params = image_queries.build_select(parsed, scope, marker)
            plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            # A "SCAN (subquery-N)" reads a union branch's own page (at most `limit` rows).
            tables = [
                step
                for step in plan
                if step.startswith(("SCAN", "SEARCH")) and not step.startswith("SCAN (subquery")
            ]
            assert tables, plan
            assert all("USING" in step for step in tables), plan  # never a full table scan
            if query == "" and who == "admin":
                assert not any("TEMP B-TREE" in step for step in plan), plan
            # (The other callers' default list is a union of index walks; that it does not
            # grow with the catalog is tested in test_list_scaling.py.)
