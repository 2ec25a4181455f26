"""Subqueries that only rename and filter a table's rows, merged into the query above them.

The app's queries read the campaign's events through a subquery (`scoped_events`) and
compute per-row columns in another one before grouping. On DuckDB and PostgreSQL the
planner merges such layers. ClickHouse 18.16 does not: a query over a `Distributed`
table is sent to the shards as written, so in
`SELECT user_id, groupBitOr(...) FROM (SELECT ... FROM message_events WHERE ...) GROUP BY
user_id` the shards send every event row (all nine columns the subquery names) to the
node that got the query, which groups them alone. Profiled on the 10M demo in the
two-shard cluster (`system.query_log`), the report's user pass read 4.1 million rows on
the initiator with 2.0 million rows sent by the other shard, for 8.2 s of the report's 20.
With the layers merged, the GROUP BY reads the Distributed table itself, so each shard
groups its own events and sends its groups.

`flattened` merges a subquery into the query reading it when the subquery is a plain
projection and filter of one table (no grouping, aggregate, window, DISTINCT, LIMIT or
ORDER BY): the outer query's references to its columns become the subquery's
expressions and its WHERE joins the outer one, which gives the same rows by definition.
Anything else is left as written.

ClickHouse resolves an alias anywhere in a query, before columns, and drops a column's
table prefix: `CASE ... error_code END AS error_code` makes `message_events.error_code`
mean the alias. When a merged query would carry such a label, its labels are renamed and
a thin outer query gives the columns their names back (it runs on the grouped rows).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import (
    FunctionFilter,
    Grouping,
    Label,
    Over,
    WithinGroup,
    _anonymous_label,
)
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import ScalarSelect, Select, Subquery

AGGREGATES = frozenset(
    {
        "count",
        "sum",
        "min",
        "max",
        "avg",
        "bit_or",
        "bit_and",
        "bool_or",
        "bool_and",
        "array_agg",
        "string_agg",
        "any_value",
        "arg_max",
        "arg_min",
        "median",
        "mode",
        "percentile_cont",
        "percentile_disc",
        "stddev",
        "stddev_pop",
        "stddev_samp",
        "variance",
        "var_pop",
        "var_samp",
        "first",
        "last",
        "list",
        "groupbitor",
        "uniqexact",
    }
)
"""Aggregate function names (lower case): a subquery computing one is not merged."""

RENAMED_PREFIX = "flat_"


def row_wise(element: sa.ClauseElement) -> bool:
    """Whether `element` computes a value per row: no aggregate, window or subquery."""
    for node in visitors.iterate(element):
        if isinstance(node, FunctionFilter | Over | WithinGroup | ScalarSelect | Select):
            return False
        if isinstance(node, FunctionElement) and node.name.lower() in AGGREGATES:
            return False
    return True


def _plain(select: Select[Any]) -> bool:
    """A projection and filter of one table: what `flattened` may merge upwards."""
    froms = select.get_final_froms()
    return (
        len(froms) == 1
        and isinstance(froms[0], sa.Table)
        and not select._group_by_clauses
        and not select._having_criteria
        and not select._distinct
        and not select._distinct_on
        and select._limit_clause is None
        and select._offset_clause is None
        and not select._order_by_clauses
        and not select._prefixes
        and not select._hints
        and not select._statement_hints
        and not select._suffixes
        and not select._setup_joins
        and all(row_wise(column) for column in select.selected_columns)
    )


def _unlabeled(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    while isinstance(column, Label):
        column = column.element
    return column


def _operand(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A subquery's column as it may stand where a reference to it stood: in parentheses
    unless it is a column or a value (`local_seconds / 86400` must not become
    `ts + 0 / 86400`)."""
    column = _unlabeled(column)
    if isinstance(column, sa.ColumnClause | sa.BindParameter | Grouping):
        return column
    return Grouping(column)


def _named(select: Select[Any]) -> list[tuple[str, sa.ColumnElement[Any]]] | None:
    """(name, column) of every output column, or None if one has no name of its own
    (an anonymous label would be named differently once rebuilt)."""
    named: list[tuple[str, sa.ColumnElement[Any]]] = []
    for column in select.selected_columns:
        labeled = isinstance(column, Label) and not isinstance(column.name, _anonymous_label)
        if not (labeled or (isinstance(column, sa.ColumnClause) and not column.is_literal)):
            return None
        named.append((column.name, column))
    return named


def _merged(select: Select[Any]) -> Select[Any]:
    """`select` with a plain subquery in its FROM merged into it, repeatedly; its labels
    may clash with the table's columns (see `flattened`)."""
    froms = select.get_final_froms()
    if len(froms) != 1 or not isinstance(froms[0], Subquery):
        return select
    subquery = froms[0]
    if not isinstance(subquery.element, Select):
        return select
    inner = _merged(subquery.element)
    named = _named(select)
    if (
        named is None
        or not _plain(inner)
        or select._setup_joins
        or select._suffixes
        or len(subquery.c) != len(inner.selected_columns)
    ):
        return select
    replacements = {
        id(outer): _operand(column)
        for outer, column in zip(subquery.c, inner.selected_columns, strict=True)
    }

    def replacement(element: Any, **_: Any) -> sa.ColumnElement[Any] | None:
        return replacements.get(id(element))

    def adapt(element: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        adapted: sa.ColumnElement[Any] = visitors.replacement_traverse(element, {}, replacement)
        return adapted

    merged = sa.select(*(adapt(column).label(name) for name, column in named)).select_from(
        inner.get_final_froms()[0]
    )
    for condition in (inner.whereclause, select.whereclause):
        if condition is not None:
            merged = merged.where(adapt(condition))
    if select._group_by_clauses:
        merged = merged.group_by(*(adapt(clause) for clause in select._group_by_clauses))
    if select._having_criteria:
        merged = merged.having(*(adapt(clause) for clause in select._having_criteria))
    if select._order_by_clauses:
        merged = merged.order_by(*(adapt(clause) for clause in select._order_by_clauses))
    if select._distinct:
        merged = merged.distinct()
    if select._limit_clause is not None:
        merged = merged.limit(select._limit_clause)
    if select._offset_clause is not None:
        merged = merged.offset(select._offset_clause)
    return merged


def flattened(select: Select[Any]) -> Select[Any]:
    """`select` with the plain subqueries under it merged into it, else as it is."""
    merged = _merged(select)
    if merged is select:
        return select
    table = merged.get_final_froms()[0]
    columns = [(column.name, _unlabeled(column)) for column in merged.selected_columns]
    bare = [
        (name, expression.element if isinstance(expression, Grouping) else expression)
        for name, expression in columns
    ]
    clashes = [
        name for name, expression in bare if name in table.c and expression is not table.c[name]
    ]
    if not clashes:
        return merged
    if merged._order_by_clauses:
        return select
    renamed = merged.with_only_columns(
        *(expression.label(RENAMED_PREFIX + name) for name, expression in columns),
        maintain_column_froms=False,
    ).subquery("flat")
    return sa.select(*(renamed.c[RENAMED_PREFIX + name].label(name) for name, _ in columns))
