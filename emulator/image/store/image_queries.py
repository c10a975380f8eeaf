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
# Glance lists deleted=False, which its DB layer widens to "and not killed". The unary ``+``
# keeps SQLite (which has no statistics here) from choosing idx_images_visibility for these
# near-constant columns and then sorting every row: without it, it walks the sort index
# (created_at, id) and stops at LIMIT, or seeks a selective filter's index (name, owner,
# size, protected...). 20,000 images: ~0.1 ms a page instead of ~25 ms.
_BASE = "+i.deleted = 0 AND i.status != 'killed' AND +i.os_hidden = ?"
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
    clauses = [_BASE]
    params: list[Any] = [int(query.os_hidden)]
    _add_scope(scope, clauses, params)
    for condition in query.conditions:
        clauses.append(_condition(condition, params))
    for name, value in query.properties:
        clauses.append(_HAS_PROPERTY)
        params += [name, value]
    for tag in query.tags:
        clauses.append(_HAS_TAG)
        params.append(tag)
    if marker is not None:
        clauses.append(_keyset(query.sort, marker, params))
    order = ", ".join(f"i.{key} {direction.upper()}" for key, direction in query.sort)
    sql = f"SELECT i.id FROM images AS i WHERE {' AND '.join(clauses)} ORDER BY {order} LIMIT ?"
    params.append(query.limit)
    return sql, params


def _add_scope(scope: Scope, clauses: list[str], params: list[Any]) -> None:
    if not scope.everything:
        parts = []
        if scope.public_and_community:
            parts.append("i.visibility IN ('public', 'community')")
        if scope.owner is not None:
            parts.append("i.owner = ?")
            params.append(scope.owner)
        if scope.member is not None:
            probe = _SHARED_WITH
            if scope.member != list_scope.ANY_MEMBER:
                probe += " AND m.member = ?"
                params.append(scope.member)
            if scope.member_statuses is not None:
                probe += f" AND m.status IN ({', '.join('?' * len(scope.member_statuses))})"
                params.extend(scope.member_statuses)
            parts.append(f"(i.visibility = 'shared' AND EXISTS ({probe}))")
        clauses.append(f"({' OR '.join(parts)})" if parts else "0")
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
