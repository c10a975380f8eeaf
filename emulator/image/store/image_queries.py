"""SQL for ``GET /v2/images``: a ListQuery and a Scope become one SELECT of image ids.

Mirrors glance/db/sqlalchemy/api.py ``_image_get_all``: Glance's UNION of "public or
community", "owned" and "shared with me" is written as one OR (same rows, and SQLite can walk
an index in sort order and stop at LIMIT); custom properties, tags and membership are
EXISTS probes on their primary keys; pagination is a keyset on the marker row's values with
Glance's NULL defaults (``_paginate_query``). Column names only ever come from the domain's
fixed tables, never from the request.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from emulator.image.domain import list_filters, list_query, list_scope
from emulator.image.domain.list_filters import AnyOf, Compare, Condition, OneOf
from emulator.image.domain.list_query import ListQuery
from emulator.image.domain.list_scope import Scope

_FILTER_COLUMNS = frozenset(
    (
        *list_filters.OPERATOR_COLUMNS,
        *list_filters.TIME_COLUMNS,
        *list_filters.EQUALITY_COLUMNS,
        *list_filters.RANGE_COLUMNS,
    )
)
_OPERATORS = frozenset(("=", "<", "<=", ">", ">="))
_MARKER_COLUMNS = ("owner", "visibility", *list_query.SORT_KEYS)
_MARKER_SQL = f"SELECT {', '.join(_MARKER_COLUMNS)} FROM images WHERE id = ? COLLATE NOCASE"


def _sort_expression(key: str) -> str:
    default = list_query.SORT_NULL_DEFAULTS[key]
    return f"i.{key}" if default is None else f"COALESCE(i.{key}, {default!r})"


# Keyset comparisons use Glance's case(column IS NOT NULL, column, default); ORDER BY uses
# the bare column (NULLs first when ascending, in SQLite as in MySQL).
_KEYSET_EXPRESSION = {key: _sort_expression(key) for key in list_query.SORT_KEYS}
_NOT_NULL_SORT_KEYS = frozenset(k for k, d in list_query.SORT_NULL_DEFAULTS.items() if d is None)
# Glance lists deleted=False, which its DB layer widens to "and not killed". The listing
# indexes hold live rows only (migration 12), and SQLite uses such a partial index when the
# query says ``deleted = 0`` as written here. The unary ``+`` on os_hidden, nearly constant,
# keeps SQLite (which has no statistics here) from preferring a filter on it: it walks a
# sort index ((created_at, id) by default) and stops at LIMIT, or seeks a selective filter's
# index (name, owner, size, protected...).
_BASE = "i.deleted = 0 AND i.status != 'killed' AND +i.os_hidden = ?"
_SHARED_WITH = "SELECT 1 FROM image_members AS m WHERE m.image_id = i.id"
_HAS_PROPERTY = (
    "EXISTS (SELECT 1 FROM image_properties AS p "
    "WHERE p.image_id = i.id AND p.name = ? AND p.value = ?)"
)
_HAS_TAG = "EXISTS (SELECT 1 FROM image_tags AS t WHERE t.image_id = i.id AND t.value = ?)"


@contextmanager
def snapshot(db: sqlite_utils.Database) -> Iterator[None]:
    """One read transaction: the marker, the ids and their rows come from one moment."""
    conn = db.conn
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def marker_row(
    db: sqlite_utils.Database, image_id: str, include_deleted: bool
) -> dict[str, Any] | None:
    """The marker's owner, visibility and sort values. Admins may page from a deleted image
    (Glance: ``context.can_see_deleted``)."""
    sql = _MARKER_SQL if include_deleted else _MARKER_SQL + " AND deleted = 0"
    row = db.execute(sql, [image_id]).fetchone()
    return None if row is None else dict(zip(_MARKER_COLUMNS, row, strict=True))


def select_ids(
    db: sqlite_utils.Database,
    query: ListQuery,
    scope: Scope,
    marker: Mapping[str, Any] | None = None,
) -> list[str]:
    """The page's image ids, in order."""
    sql, params = build_select(query, scope, marker)
    return [row[0] for row in db.execute(sql, params)]


def build_select(
    query: ListQuery, scope: Scope, marker: Mapping[str, Any] | None = None
) -> tuple[str, list[Any]]:
    """One SELECT of the page's ids.

    A scope of several kinds of images (owned, public or community, shared with me) becomes
    a UNION of one branch per kind, each walking its own index in sort order and stopping
    at the page size; the union is then sorted and cut once more. One query with an OR
    would either walk the whole sort index when the caller sees few images, or collect and
    sort every image of every kind (SQLite's multi-index OR): both grow with the catalog.
    """
    common: list[str] = []
    common_params: list[Any] = []
    for condition in query.conditions:
        common.append(_condition(condition, common_params))
    for name, value in query.properties:
        common.append(_HAS_PROPERTY)
        common_params += [name, value]
    for tag in query.tags:
        common.append(_HAS_TAG)
        common_params.append(tag)
    if marker is not None:
        common.append(_keyset(query.sort, marker, common_params))
    order = ", ".join(f"{key} {direction.upper()}" for key, direction in query.sort)
    selects: list[tuple[str, list[Any]]] = []  # (WHERE, its parameters) per branch
    for branch in _scope_branches(scope):
        clauses, params = [_BASE, *branch.clauses], [int(query.os_hidden), *branch.params]
        if not branch.fixes_visibility:
            _add_visibility_limits(scope, clauses, params)
        selects.append((" AND ".join([*clauses, *common]), [*params, *common_params]))
    if len(selects) == 1:
        where, params = selects[0]
        sql = f"SELECT i.id FROM images AS i WHERE {where} ORDER BY {_prefixed(order)} LIMIT ?"
        return sql, [*params, query.limit]
    columns = ", ".join(["i.id", *(f"i.{key}" for key, _ in query.sort if key != "id")])
    parts, all_params = [], []
    for where, params in selects:
        parts.append(
            f"SELECT * FROM (SELECT {columns} FROM images AS i WHERE {where} "
            f"ORDER BY {_prefixed(order)} LIMIT ?)"
        )
        all_params += [*params, query.limit]
    sql = f"SELECT id FROM ({' UNION '.join(parts)}) ORDER BY {order} LIMIT ?"
    return sql, [*all_params, query.limit]


def _prefixed(order: str) -> str:
    return ", ".join(f"i.{term}" for term in order.split(", "))


@dataclass(frozen=True)
class Branch:
    """One kind of image a scope admits: its conditions, and whether they fix the visibility
    (public, community, shared), which makes the scope's own visibility limits redundant.
    Repeating them is not harmless: ``i.visibility = 'shared'`` written again without the
    unary ``+`` let SQLite walk every shared image of the catalog and probe each for the
    member, instead of starting from the member's own rows."""

    clauses: list[str]
    params: list[Any] = field(default_factory=list)
    fixes_visibility: bool = False


def _scope_branches(scope: Scope) -> list[Branch]:
    """The kinds of images a scope admits, each as conditions of its own."""
    if scope.everything:
        return [Branch([])]
    branches: list[Branch] = []
    only = scope.only_visibility
    if scope.public_and_community:
        if only in (None, "public"):
            branches.append(Branch(["i.visibility = 'public'"], fixes_visibility=True))
        # Without community images, or only the owner's (which the owner's walk finds).
        if only == "community" or (only is None and not scope.drop_community):
            branches.append(Branch(["i.visibility = 'community'"], fixes_visibility=True))
    if scope.owner is not None:
        branches.append(Branch(["i.owner = ?"], [scope.owner]))
    if scope.member is not None and only in (None, "shared"):
        statuses, params = "", []
        if scope.member_statuses is not None:
            statuses = f" AND m.status IN ({', '.join('?' * len(scope.member_statuses))})"
            params = list(scope.member_statuses)
        if scope.member == list_scope.ANY_MEMBER:
            visibility = "i.visibility = 'shared'"
            shared = f"EXISTS ({_SHARED_WITH}{statuses})"
        else:
            visibility = "+i.visibility = 'shared'"  # not that index: the member's rows lead
            # Driven from the member's own rows (idx_image_members_member), not by probing
            # every shared image of the catalog.
            shared = (
                f"i.id IN (SELECT m.image_id FROM image_members AS m WHERE m.member = ?{statuses})"
            )
            params = [scope.member, *params]
        branches.append(Branch([visibility, shared], params, fixes_visibility=True))
    return branches or [Branch(["0"])]


def _add_visibility_limits(scope: Scope, clauses: list[str], params: list[Any]) -> None:
    if scope.only_visibility is not None:
        clauses.append("i.visibility = ?")
        params.append(scope.only_visibility)
    elif scope.drop_community:
        if scope.community_owner is None:
            clauses.append("i.visibility != 'community'")
        else:
            clauses.append("(i.owner = ? OR i.visibility != 'community')")
            params.append(scope.community_owner)


def _column(name: str) -> str:
    if name not in _FILTER_COLUMNS:  # the domain only hands out known columns
        raise ValueError(f"not a filterable column: {name!r}")
    return f"i.{name}"


def _condition(condition: Condition, params: list[Any]) -> str:
    if isinstance(condition, Compare):
        if condition.op not in _OPERATORS:
            raise ValueError(f"unknown operator {condition.op!r}")
        params.append(condition.value)
        return f"{_column(condition.column)} {condition.op} ?"
    if isinstance(condition, OneOf):
        if not condition.values:
            return "0"
        params.extend(condition.values)
        return f"{_column(condition.column)} IN ({', '.join('?' * len(condition.values))})"
    if isinstance(condition, AnyOf):
        if not condition.terms:
            return "0"
        return "(" + " OR ".join(_condition(term, params) for term in condition.terms) + ")"
    raise TypeError(condition)


def _keyset(sort: tuple[tuple[str, str], ...], marker: Mapping[str, Any], params: list[Any]) -> str:
    """Rows strictly after the marker in the sort order (glance _paginate_query)."""
    keys = [key for key, _ in sort]
    values = [_marker_value(key, marker[key]) for key in keys]
    directions = {direction for _, direction in sort}
    if len(directions) == 1 and _NOT_NULL_SORT_KEYS.issuperset(keys):
        # Same rows as the OR form below; a row value lets SQLite seek in the index.
        op = "<" if directions == {"desc"} else ">"
        params.extend(values)
        columns = ", ".join(f"i.{key}" for key in keys)
        return f"(({columns}) {op} ({', '.join('?' * len(keys))}))"
    alternatives = []
    for i, (key, direction) in enumerate(sort):
        terms = [f"{_KEYSET_EXPRESSION[k]} = ?" for k in keys[:i]]
        terms.append(f"{_KEYSET_EXPRESSION[key]} {'<' if direction == 'desc' else '>'} ?")
        params.extend(values[:i])
        params.append(values[i])
        alternatives.append("(" + " AND ".join(terms) + ")")
    return "(" + " OR ".join(alternatives) + ")"


def _marker_value(key: str, value: Any) -> Any:
    # Glance puts '' for a NULL marker value; MySQL reads '' as 0 against an integer column,
    # so the column's own default gives the same comparison here.
    if value is None:
        default = list_query.SORT_NULL_DEFAULTS[key]
        return "" if default is None else default
    return value
