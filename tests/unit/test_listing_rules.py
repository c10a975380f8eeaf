"""``GET /v2/images`` rules: query parsing (every 400), filters, sorting, links, who sees what.

Expected values come from Glance's source: glance/api/v2/images.py (RequestDeserializer.index,
ImagesController.index, ResponseSerializer.index), glance/db/sqlalchemy/api.py
(_make_conditions_from_filters, _image_get_all, _select_images_query), glance/common/utils.py
and the functional tests glance/tests/functional/v2/test_images.py and test_image_members.py.
"""

from __future__ import annotations

import ast
import datetime as dt
import operator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from emulator.core import clock, errors
from emulator.core.context import RequestContext
from emulator.image.api import list_links
from emulator.image.domain import filter_syntax, list_filters, list_query, list_scope
from emulator.image.domain.list_filters import NEVER, AnyOf, Compare, OneOf

SORT_KEY_LIST = "name, status, container_format, disk_format, size, id, created_at, updated_at"
CHANGES_SINCE = 'The "changes-since" filter is no longer available on v2.'


def bad_sort_key(key: str) -> str:
    return f"Invalid sort key: {key}. It must be one of the following: {SORT_KEY_LIST}."


def bad_flag(name: str, value: str) -> str:
    return f"Invalid value '{value}' for '{name}' filter. Valid values are 'true' or 'false'."


def bad_time(column: str) -> str:
    return f'Bad "{column}" query filter format. Use ISO 8601 DateTime notation.'


def parse(query: str, default_limit: int = 25, max_limit: int = 1000) -> list_query.ListQuery:
    return list_query.parse(parse_qsl(query, keep_blank_values=True), default_limit, max_limit)


# --- defaults and limit ------------------------------------------------------------------


def test_defaults() -> None:
    query = parse("")
    assert query == list_query.ListQuery(
        limit=25,
        marker=None,
        member_status="accepted",
        visibility=None,
        os_hidden=False,
        conditions=(),
        properties=(),
        tags=(),
        sort=(("created_at", "desc"), ("id", "desc")),
    )


@pytest.mark.parametrize(
    ("query", "default", "maximum", "expected"),
    [
        ("", 25, 1000, 25),
        ("", 25, 10, 10),  # the default is clamped too
        ("limit=0", 25, 1000, 0),
        ("limit=7", 25, 1000, 7),
        ("limit=1000", 25, 1000, 1000),
        ("limit=1001", 25, 1000, 1000),
        ("limit=99999999999999999999999", 25, 1000, 1000),
        ("limit=%2B5", 25, 1000, 5),  # Python's int(): '+5', ' 5 ' are integers
        ("limit=+5+", 25, 1000, 5),
        ("limit=3&limit=9", 25, 1000, 3),  # webob MultiDict.pop: the first one
    ],
)
def test_limit(query: str, default: int, maximum: int, expected: int) -> None:
    assert parse(query, default, maximum).limit == expected


# --- every 400 ----------------------------------------------------------------------------

BAD_REQUESTS = [
    ("limit=abc", "limit param must be an integer"),
    ("limit=1.5", "limit param must be an integer"),
    ("limit=", "limit param must be an integer"),
    ("limit=-1", "limit param must be positive"),
    ("visibility=bogus", "Invalid visibility value: bogus"),
    ("visibility=Public", "Invalid visibility value: Public"),
    ("visibility=public&visibility=bogus", "Invalid visibility value: bogus"),
    ("member_status=bogus", "Invalid status: bogus"),
    ("member_status=", "Invalid status: "),
    ("member_status=Accepted", "Invalid status: Accepted"),
    ("changes-since=2020-01-01T00:00:00Z", CHANGES_SINCE),
    ("changes-since=", CHANGES_SINCE),
    ("sort_key=bogus", bad_sort_key("bogus")),
    ("sort_key=owner", bad_sort_key("owner")),
    ("sort_key=", bad_sort_key("")),
    ("sort_dir=up", "Invalid sort direction: up"),
    ("sort_key=name&sort_dir=ASC", "Invalid sort direction: ASC"),
    ("sort=bogus:asc", bad_sort_key("bogus")),
    ("sort=", bad_sort_key("")),
    ("sort=name:up", "Invalid sort direction: up"),
    ("sort=name:asc:x", "Invalid sort direction: asc:x"),
    ("sort=name,", bad_sort_key("")),
    ("sort=name&sort_key=id", "Old and new sorting syntax cannot be combined"),
    ("sort_dir=asc&sort=name", "Old and new sorting syntax cannot be combined"),
    (
        "sort_key=name&sort_dir=asc&sort_dir=desc",
        "Number of sort dirs does not match the number of sort keys",
    ),
    ("sort_dir=asc&sort_dir=desc", "Number of sort dirs does not match the number of sort keys"),
    ("os_hidden=yes", bad_flag("os_hidden", "yes")),
    ("os_hidden=NOPE", bad_flag("os_hidden", "nope")),
    ("os_hidden=", bad_flag("os_hidden", "")),
    ("protected=TRUE", bad_flag("protected", "TRUE")),
    ("protected=1", bad_flag("protected", "1")),
    ("protected=", bad_flag("protected", "")),
    ("size_min=big", "Unable to filter on a range with a non-numeric value."),
    ("size_max=1.5", "Unable to filter on a range with a non-numeric value."),
    ("size_min=", "Unable to filter on a range with a non-numeric value."),
    ("min_ram_min=x", "Unable to filter on a range with a non-numeric value."),
    ("os_distro_max=x", "Unable to filter on a range with a non-numeric value."),
    # Glance: a 500 (AttributeError) or a meaningless text comparison; ours: a clear 400.
    (
        "name_min=3",
        "Unable to filter on a range of 'name': range filters apply to "
        "size, virtual_size, min_disk, min_ram.",
    ),
    (
        "os_distro_max=3",
        "Unable to filter on a range of 'os_distro': range filters apply to "
        "size, virtual_size, min_disk, min_ram.",
    ),
    ("created_at=gt:yesterday", bad_time("created_at")),
    ("created_at=", bad_time("created_at")),
    ("updated_at=lte:2020-13-01T00:00:00Z", bad_time("updated_at")),
    ("updated_at=2020-01-01T00:00:00%2B25:00", bad_time("updated_at")),
    (
        "created_at=gt:0001-01-01T00:00:00%2B01:00",  # Glance: OverflowError, a 500
        bad_time("created_at"),
    ),
    ("created_at=after:2020-01-01T00:00:00Z", "Unable to filter on a unknown operator."),
    ("created_at=in:2020-01-01", "Unable to filter on a unknown operator."),
    ("name=like:foo", "Unable to filter by unknown operator 'like'."),
    ("name=foo:bar", "Unable to filter by unknown operator 'foo'."),
    ("status=neq:active", "Unable to filter by unknown operator 'neq'."),
    ("disk_format=gt:raw", "Unable to filter by unknown operator 'gt'."),
    ('name=in:a"b"', 'Invalid filter value a"b". There is no comma before opening quotation mark.'),
    ('id=in:"a"b', 'Invalid filter value "a"b. There is no comma after closing quotation mark.'),
    ('container_format=in:"a,b', 'Invalid filter value "a,b. The quote is not closed.'),
    # Relationships of models.Image: Glance fails with a 500.
    ("properties=x", "Unable to filter on attribute 'properties'."),
    ("locations=x", "Unable to filter on attribute 'locations'."),
    ("members=x", "Unable to filter on attribute 'members'."),
    ("tags=a&tags=b", "Unable to filter on attribute 'tags'."),
]


@pytest.mark.parametrize(("query", "message"), BAD_REQUESTS)
def test_bad_request(query: str, message: str) -> None:
    with pytest.raises(errors.BadRequest) as caught:
        parse(query)
    assert caught.value.message == message
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("query", "winner"),
    [
        # Deserializer: filters (visibility, changes-since), member_status, limit, sorting;
        # then the controller (os_hidden, protected); then DB filters in query-string order.
        ("limit=x&visibility=bogus", "Invalid visibility value: bogus"),
        ("changes-since=1&visibility=bogus", "Invalid visibility value: bogus"),
        ("limit=x&member_status=x", "Invalid status: x"),
        ("sort_key=bogus&limit=x", "limit param must be an integer"),
        ("os_hidden=x&sort_key=bogus", bad_sort_key("bogus")),
        ("protected=x&os_hidden=x", bad_flag("os_hidden", "x")),
        ("size_min=x&protected=x", bad_flag("protected", "x")),
        ("size_min=x&created_at=x", "Unable to filter on a range with a non-numeric value."),
        (
            "created_at=x&size_min=x",
            'Bad "created_at" query filter format. Use ISO 8601 DateTime notation.',
        ),
        ("locations=x&name=bad:op", "Unable to filter by unknown operator 'bad'."),
    ],
)
def test_which_error_comes_first(query: str, winner: str) -> None:
    with pytest.raises(errors.BadRequest) as caught:
        parse(query)
    assert caught.value.message == winner


# --- filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "conditions"),
    [
        ("name=cirros", (Compare("name", "=", "cirros"),)),
        ("name=eq:a:b", (Compare("name", "=", "a:b"),)),
        ("name=eq:", (Compare("name", "=", ""),)),
        ("name=", (Compare("name", "=", ""),)),
        # A value that is itself an ISO 8601 time is not split at its colons.
        ("name=2020-01-01T10:00:00", (Compare("name", "=", "2020-01-01T10:00:00"),)),
        ('name=in:"glass, darkly",share me', (OneOf("name", ("glass, darkly", "share me")),)),
        ("id=in:a,b", (OneOf("id", ("a", "b")),)),
        ("id=in:", (OneOf("id", ()),)),
        ("status=active", (Compare("status", "=", "active"),)),
        ("disk_format=in:raw,qcow2", (OneOf("disk_format", ("raw", "qcow2")),)),
        ("container_format=eq:bare", (Compare("container_format", "=", "bare"),)),
        ("owner=p1", (Compare("owner", "=", "p1"),)),
        ("protected=true", (Compare("protected", "=", 1),)),
        ("protected=false", (Compare("protected", "=", 0),)),
        ("checksum=abc", (Compare("checksum", "=", "abc"),)),
        ("os_hash_value=abc", (Compare("os_hash_value", "=", "abc"),)),
        ("size_min=5&size_max=10", (Compare("size", ">=", 5), Compare("size", "<=", 10))),
        ("min_ram_min=512", (Compare("min_ram", ">=", 512),)),
        ("virtual_size=5", (Compare("virtual_size", "=", "5"),)),
        ("size_min=99999999999999999999", (NEVER,)),
        ("size_max=99999999999999999999", (Compare("size", "<=", 2**63 - 1),)),
        ("size_max=-99999999999999999999", (NEVER,)),
        ("size_min=-99999999999999999999", (Compare("size", ">=", -(2**63)),)),
        # Repeated keys: the last value, except checksum/os_hash_value whose first value is
        # popped first and whose last one then becomes a plain equality too.
        ("name=a&name=b", (Compare("name", "=", "b"),)),
        ("checksum=a&checksum=b", (Compare("checksum", "=", "a"), Compare("checksum", "=", "b"))),
        # The DB layer pops the first visibility; a second one is a column equality.
        ("visibility=private&visibility=public", (Compare("visibility", "=", "public"),)),
    ],
)
def test_conditions(query: str, conditions: tuple[object, ...]) -> None:
    assert parse(query).conditions == conditions


def test_visibility_checked_last_used_first() -> None:
    # visibility: webob's get() (last) is validated, the DB pops the first.
    query = parse("visibility=bogus&visibility=public")
    assert query.visibility == "bogus"
    assert query.conditions == (Compare("visibility", "=", "public"),)
    assert parse("visibility=").visibility == ""  # unchecked (falsy), then no image matches


@pytest.mark.parametrize(
    ("query", "properties"),
    [
        ("os_distro=ubuntu", (("os_distro", "ubuntu"),)),
        ("os_distro=ubuntu&os_distro=fedora", (("os_distro", "fedora"),)),
        ("hw_disk_bus=scsi&os_distro=ubuntu", (("hw_disk_bus", "scsi"), ("os_distro", "ubuntu"))),
        ("os_distro=in:a,b", (("os_distro", "in:a,b"),)),  # no operators on properties
        # Second copies of popped parameters stay behind as property filters, as in Glance.
        ("limit=2&limit=5", (("limit", "5"),)),
        ("marker=a&marker=b", (("marker", "b"),)),
        ("member_status=pending&member_status=all", (("member_status", "all"),)),
        ("sort=name&sort=size", (("sort", "size"),)),
        ("deleted=true", ()),  # the controller forces deleted=False
    ],
)
def test_properties(query: str, properties: tuple[tuple[str, str], ...]) -> None:
    assert parse(query).properties == properties


@pytest.mark.parametrize(
    ("query", "tags"),
    [
        ("tag=a", ("a",)),
        ("tag=a&tag=b", ("a", "b")),
        ("tag=+a+", ("a",)),  # stripped
        ("tag=", ("",)),
        ("tags=ab", ("a", "b")),  # a string the DB layer iterates
        ("tag=x&tags=ab", ("x",)),  # the deserializer's tags replace it
    ],
)
def test_tags(query: str, tags: tuple[str, ...]) -> None:
    assert parse(query).tags == tags


@pytest.mark.parametrize(
    ("query", "os_hidden"),
    [
        ("", False),
        ("os_hidden=true", True),
        ("os_hidden=TRUE", True),
        ("os_hidden=False", False),
        ("os_hidden=true&os_hidden=false", False),
    ],
)
def test_os_hidden(query: str, os_hidden: bool) -> None:
    assert parse(query).os_hidden is os_hidden


@pytest.mark.parametrize(
    ("query", "member_status", "marker"),
    [
        ("", "accepted", None),
        ("member_status=all&marker=m", "all", "m"),
        ("marker=", "accepted", ""),
        ("member_status=rejected", "rejected", None),
    ],
)
def test_member_status_and_marker(query: str, member_status: str, marker: str | None) -> None:
    parsed = parse(query)
    assert (parsed.member_status, parsed.marker) == (member_status, marker)


# --- filter value grammar -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("foo", ("eq", "foo")),
        ("in:a,b", ("in", "a,b")),
        ("eq:a:b", ("eq", "a:b")),
        ("gt:2020", ("gt", "2020")),
        (":x", ("", "x")),
        ("2020-01-01T00:00:00Z", ("eq", "2020-01-01T00:00:00Z")),
        ("2020-01-01T00:00:00+01:00", ("eq", "2020-01-01T00:00:00+01:00")),
        ("gte:2020-01-01T00:00:00Z", ("gte", "2020-01-01T00:00:00Z")),
    ],
)
def test_split_filter_op(value: str, expected: tuple[str, str]) -> None:
    assert filter_syntax.split_filter_op(value) == expected


@pytest.mark.parametrize(
    ("value", "items"),
    [
        ("a", ["a"]),
        ("a,b", ["a", "b"]),
        ("a,,b", ["a", "", "b"]),
        ("a,", ["a"]),
        (",a", ["", "a"]),
        ("", []),
        ('""', [""]),
        ('"a,b",c', ["a,b", "c"]),
        ('"glass, darkly",share me', ["glass, darkly", "share me"]),
        ('c,"a,b"', ["c", "a,b"]),
        ('"a\\"b"', ['a\\"b']),  # escapes are kept verbatim
        ('\\"a', ['\\"a']),  # an escaped quote does not open
        ("a b, c", ["a b", " c"]),
    ],
)
def test_split_in_list(value: str, items: list[str]) -> None:
    assert filter_syntax.split_in_list(value) == items


ISO_SAMPLES = [
    "2020",
    "2020-01",
    "202001",
    "20200102",
    "2020-1-2",
    "2020-01-02T03",
    "2020-01-02T0304",
    "2020-01-02T03:04",
    "2020-01-02T03:04:05",
    "2020-01-02T03:04:05Z",
    "2020-01-02T03:04:05.123456789Z",
    "2020-01-02T03:04:05,5Z",
    "2020-01-02 03:04:05+01:00",
    "2020-01-02T03:04:05-0130",
    "2020-01-02T03:04:05+01",
    "2020-01-02T101",
    "20200102T030405Z",
    "2020-01-02T24:00:00",
    "2020-02-30",
    "2020-01-02T03:04:05+25:00",
    "0000-01-01",
    "2020\n",
    "2020-01-02T03:04:05Zjunk",
    "garbage",
    "",
    "20",
    "2020-01-02T03:04:5",
    "2020-01-02t03:04:05",
    "2020-01-02T03:04:05.Z",
    "9999-12-31T23:59:59.999999Z",
    "2020-01-02T03:04:05-00:00",
    "١٢٣٤-01-01",
]


@pytest.mark.parametrize("value", ISO_SAMPLES)
def test_parse_isotime_agrees_with_iso8601(value: str) -> None:
    """Glance parses with oslo_utils.timeutils.parse_isotime = iso8601.parse_date."""
    iso8601 = pytest.importorskip("iso8601")
    try:
        expected: dt.datetime | None = iso8601.parse_date(value)
    except iso8601.ParseError:
        expected = None
    try:
        ours: dt.datetime | None = filter_syntax.parse_isotime(value)
    except ValueError:
        ours = None
    assert ours == expected
    if ours is not None and expected is not None:
        assert ours.utcoffset() == expected.utcoffset()


STORED = [
    "2024-05-01T11:59:59.999999Z",
    "2024-05-01T12:00:00.000000Z",
    "2024-05-01T12:00:00.500000Z",
    "2024-05-01T12:00:00.999999Z",
    "2024-05-01T12:00:01.000000Z",
    "2024-05-01T12:00:01.000001Z",
]
THRESHOLDS = [
    "2024-05-01T12:00:00Z",
    "2024-05-01T12:00:00.5Z",
    "2024-05-01T13:00:00+01:00",
    "2024-05-01T11:59:59.999999Z",
]
_OPS = {"=": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_GLANCE_OPS = {
    "gt": operator.gt,
    "gte": operator.ge,
    "eq": operator.eq,
    "neq": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
}


def _holds(condition: object, row: dict[str, object]) -> bool:
    if isinstance(condition, Compare):
        return bool(_OPS[condition.op](row[condition.column], condition.value))
    if isinstance(condition, OneOf):
        return row[condition.column] in condition.values
    assert isinstance(condition, AnyOf)
    return any(_holds(term, row) for term in condition.terms)


@pytest.mark.parametrize("op", list(_GLANCE_OPS))
@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_time_filters_compare_the_second_we_show(op: str, threshold: str) -> None:
    """Glance's column holds whole seconds; ours holds microseconds but shows the second."""
    limit = filter_syntax.to_utc(filter_syntax.parse_isotime(threshold))
    conditions = parse(f"created_at={op}:{threshold.replace('+', '%2B')}").conditions
    for stored in STORED:
        shown = clock.from_storage(stored).replace(microsecond=0, tzinfo=None)
        expected = _GLANCE_OPS[op](shown, limit)
        assert all(_holds(c, {"created_at": stored}) for c in conditions) is expected, stored


def test_time_filter_without_operator_is_equality() -> None:
    assert parse("updated_at=2024-05-01T12:00:00Z").conditions == (
        Compare("updated_at", ">=", "2024-05-01T12:00:00.000000Z"),
        Compare("updated_at", "<", "2024-05-01T12:00:01.000000Z"),
    )


def test_time_filter_at_the_end_of_time() -> None:
    assert parse("created_at=gt:9999-12-31T23:59:59Z").conditions == (NEVER,)
    assert parse("created_at=lte:9999-12-31T23:59:59Z").conditions == ()


def test_storage_format_matches_the_clock() -> None:
    moment = dt.datetime(2024, 5, 1, 12, 0, 0, 1234, tzinfo=dt.UTC)
    stored = list_filters._storage(moment.replace(tzinfo=None))
    assert stored == clock.to_storage(moment)


# --- sorting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "sort"),
    [
        ("", "created_at:desc id:desc"),
        ("sort_key=name", "name:desc created_at:desc id:desc"),
        ("sort_key=name&sort_dir=asc", "name:asc created_at:asc id:asc"),
        ("sort_dir=asc", "created_at:asc id:asc"),
        ("sort_key=+name+&sort_dir=+asc+", "name:asc created_at:asc id:asc"),
        ("sort_key=name&sort_key=size&sort_dir=asc", "name:asc size:asc created_at:asc id:asc"),
        (
            "sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc",
            "name:asc size:desc created_at:desc id:desc",
        ),
        ("sort_key=id&sort_dir=asc", "id:asc created_at:asc"),
        ("sort_key=created_at&sort_key=id", "created_at:desc id:desc"),
        ("sort=name:asc", "name:asc created_at:asc id:asc"),
        ("sort=name:asc,size", "name:asc size:desc created_at:desc id:desc"),
        ("sort=+name+:+asc+,+status", "name:asc status:desc created_at:desc id:desc"),
        ("sort=updated_at", "updated_at:desc created_at:desc id:desc"),
        (
            "sort=disk_format:asc,container_format:asc",
            "disk_format:asc container_format:asc created_at:desc id:desc",
        ),
    ],
)
def test_sorting(query: str, sort: str) -> None:
    expected = tuple(tuple(item.split(":")) for item in sort.split())
    assert parse(query).sort == expected


# --- links ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "first", "next_"),
    [
        ("", "/v2/images", "/v2/images?marker=M"),
        ("marker=x", "/v2/images", "/v2/images?marker=M"),
        (
            "limit=2&marker=x&name=a b",
            "/v2/images?limit=2&name=a+b",
            "/v2/images?limit=2&name=a+b&marker=M",
        ),
        ("marker=x&limit=2", "/v2/images?limit=2", "/v2/images?limit=2&marker=M"),
        # dict(request.params): first-seen order, last value of a repeated key.
        ("tag=a&limit=1&tag=b", "/v2/images?tag=b&limit=1", "/v2/images?tag=b&limit=1&marker=M"),
        (
            'name=in:"a, b",c',
            "/v2/images?name=in%3A%22a%2C+b%22%2Cc",
            "/v2/images?name=in%3A%22a%2C+b%22%2Cc&marker=M",
        ),
        ("limit=5000", "/v2/images?limit=5000", "/v2/images?limit=5000&marker=M"),
    ],
)
def test_links(query: str, first: str, next_: str) -> None:
    pairs = parse_qsl(query, keep_blank_values=True)
    assert list_links.first_link(pairs) == first
    assert list_links.next_link(pairs, "M") == next_


# --- who sees what -------------------------------------------------------------------------

OWNERS = ("admin", "tenant1", "tenant2", None)
VISIBILITIES = ("public", "private", "shared", "community")
IMAGES = [(owner, visibility) for owner in OWNERS for visibility in VISIBILITIES]


def _context(project: str | None, role: str) -> RequestContext:
    roles = {"admin": {"admin", "member", "reader"}, "reader": {"reader"}}[role]
    return RequestContext(project_id=project, roles=frozenset(roles))


def _listed(
    context: RequestContext,
    visibility: str | None = None,
    member_status: str = "accepted",
    profile: str = "glance",
    images: list[tuple[str | None, str]] | None = None,
    members: dict[int, dict[str, str]] | None = None,
) -> list[tuple[str | None, str]]:
    scope = list_scope.scope_for(context, visibility, member_status, profile)
    chosen = IMAGES if images is None else images
    return [
        image
        for index, image in enumerate(chosen)
        if list_scope.in_scope(scope, image[0], image[1], (members or {}).get(index, {}))
    ]


# glance/tests/functional/v2/test_images.py test_image_visibility_to_different_users:
# (caller project, role, visibility) -> how many of the 16 images.
VISIBILITY_MATRIX = [
    ("tenant1", "reader", None, 7),
    ("tenant1", "reader", "public", 4),
    ("tenant1", "reader", "private", 1),
    ("tenant1", "reader", "shared", 1),
    ("tenant1", "reader", "community", 4),
    (None, "reader", None, 4),
    (None, "reader", "public", 4),
    (None, "reader", "private", 0),
    (None, "reader", "shared", 0),
    (None, "reader", "community", 4),
    (None, "admin", None, 12),
    (None, "admin", "public", 4),
    (None, "admin", "private", 4),
    (None, "admin", "shared", 4),
    (None, "admin", "community", 4),
    ("admin", "admin", None, 13),
    ("admin", "admin", "public", 4),
    ("admin", "admin", "private", 4),
    ("admin", "admin", "shared", 4),
    ("admin", "admin", "community", 4),
    # visibility=all (not in that test): no post-filter at all.
    ("tenant1", "reader", "all", 10),  # 4 public, 4 community, own private and shared
    ("admin", "admin", "all", 16),
]


@pytest.mark.parametrize(("project", "role", "visibility", "count"), VISIBILITY_MATRIX)
def test_visibility_matrix(
    project: str | None, role: str, visibility: str | None, count: int
) -> None:
    listed = _listed(_context(project, role), visibility)
    assert len(listed) == count
    if visibility not in (None, "all"):
        assert all(v == visibility for _, v in listed)
    if role == "reader" and project is not None and visibility is None:
        assert all(v == "public" or owner == project for owner, v in listed)


# glance/tests/functional/v2/test_image_members.py test_image_member_lifecycle: tenant1,
# tenant2 and admin own one image of each visibility; tenant1-shared (index 3) gets TENANT3.
MEMBER_IMAGES = [
    (o, v)
    for o in ("tenant1", "tenant2", "admin")
    for v in ("community", "private", "public", "shared")
]
SHARING_MATRIX = [
    # (member status of TENANT3 or None, member_status, visibility, count, profile)
    (None, "accepted", None, 3, "glance"),
    ("pending", "accepted", None, 3, "glance"),
    ("pending", "accepted", "shared", 0, "glance"),
    ("pending", "pending", None, 4, "glance"),
    ("pending", "all", None, 4, "glance"),
    ("pending", "pending", "shared", 1, "glance"),
    ("pending", "rejected", "shared", 0, "glance"),
    ("pending", "accepted", "shared", 0, "glance"),
    ("pending", "accepted", "private", 0, "glance"),
    ("accepted", "accepted", None, 4, "glance"),
    ("rejected", "rejected", None, 4, "glance"),
    # strict: only accepted shares ever count.
    ("pending", "pending", None, 3, "strict"),
    ("pending", "all", None, 3, "strict"),
    ("rejected", "rejected", "shared", 0, "strict"),
    ("accepted", "accepted", None, 4, "strict"),
    ("accepted", "all", "shared", 1, "strict"),
    ("accepted", "pending", "shared", 0, "strict"),
]


@pytest.mark.parametrize(
    ("status", "member_status", "visibility", "count", "profile"), SHARING_MATRIX
)
def test_sharing_matrix(
    status: str | None, member_status: str, visibility: str | None, count: int, profile: str
) -> None:
    members = {} if status is None else {3: {"tenant3": status}}
    listed = _listed(
        _context("tenant3", "reader"), visibility, member_status, profile, MEMBER_IMAGES, members
    )
    assert len(listed) == count
    assert _listed(
        _context("tenant1", "reader"), images=MEMBER_IMAGES, members=members, profile=profile
    ) == [(o, v) for o, v in MEMBER_IMAGES if v == "public" or o == "tenant1"]


def test_a_project_less_caller_sees_every_shared_image_with_members() -> None:
    """Glance drops the member and status tests when context.owner is None."""
    images = [("p1", "shared"), ("p2", "shared"), ("p3", "private")]
    members = {0: {"x": "pending"}, 2: {"y": "accepted"}}
    caller = _context(None, "reader")
    assert _listed(caller, images=images, members=members) == [("p1", "shared")]
    assert _listed(caller, "shared", "rejected", images=images, members=members) == [
        ("p1", "shared")
    ]
    assert _listed(caller, images=images, members=members, profile="strict") == []


def test_member_rows_of_non_shared_images_do_not_count() -> None:
    images = [("p1", "private"), ("p1", "community")]
    members = {0: {"me": "accepted"}, 1: {"me": "accepted"}}
    assert _listed(_context("me", "reader"), images=images, members=members) == []


@pytest.mark.parametrize(
    ("project", "role", "owner", "visibility", "status", "profile", "visible"),
    [
        ("p", "reader", "p", "private", None, "glance", True),
        ("p", "reader", "q", "private", None, "glance", False),
        ("p", "reader", None, "private", None, "glance", True),  # no owner: visible
        ("p", "reader", "q", "public", None, "glance", True),
        ("p", "reader", "q", "community", None, "glance", True),
        ("p", "reader", "q", "shared", None, "glance", False),
        ("p", "reader", "q", "shared", "pending", "glance", True),  # any status
        ("p", "reader", "q", "shared", "rejected", "glance", True),
        ("p", "reader", "q", "shared", "pending", "strict", False),
        ("p", "reader", "q", "shared", "accepted", "strict", True),
        ("p", "reader", "q", "private", "accepted", "glance", False),
        ("p", "admin", "q", "private", None, "glance", True),
        (None, "reader", "q", "shared", None, "glance", False),
    ],
)
def test_marker_visible(
    project: str | None,
    role: str,
    owner: str | None,
    visibility: str,
    status: str | None,
    profile: str,
    visible: bool,
) -> None:
    context = _context(project, role)
    assert list_scope.marker_visible(context, owner, visibility, status, profile) is visible


@pytest.mark.parametrize(("marker", "refused"), [("a" * 36, False), ("a" * 37, True)])
def test_marker_longer_than_an_id_is_not_found(marker: str, refused: bool) -> None:
    if refused:
        with pytest.raises(errors.BadRequest) as caught:
            list_query.check_marker_length(marker)
        # ImageNotFound() raised without arguments: Glance shows its template as is.
        assert caught.value.message == "Image with the given id %(image_id)s was not found"
    else:
        list_query.check_marker_length(marker)


@pytest.mark.parametrize(
    "module", ["list_query.py", "list_scope.py", "list_filters.py", "filter_syntax.py"]
)
def test_rules_stay_pure(module: str) -> None:
    source = (Path(list_query.__file__).parent / module).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"flask", "werkzeug", "sqlite_utils", "sqlite3", "marshmallow"}
