"""How the app's backend-neutral SQLAlchemy queries are written for ClickHouse 18.16.

The queries (`data.queries.event_counts`, `data.queries.user_pass`,
`data.queries.conversions`, ...) use standard SQL that DuckDB and PostgreSQL share.
Debian's ClickHouse (release 18.16, the one we can run here) spells several of those
constructs differently, and clickhouse-sqlalchemy 0.3.2 compiles some of them into SQL
it rejects. Rather than branch in every query, the
ClickHouse engines of the app compile with the subclasses below (`data.dialect
.prepare_engine` installs them on the engine's own dialect, nothing global):

- `count(*) FILTER (WHERE c)` → `countIf(c)`; `count(DISTINCT x) FILTER (WHERE c)` →
  `uniqExactIf(x, c)`; `count(DISTINCT x)` → `uniqExact(x)`. Exact only: never `uniq`
  or `uniqCombined`, which are approximate.
- `bit_or(x)` → `groupBitOr(x)`; `a & b` → `bitAnd(a, b)` (18.16 has no `&`).
- `EXTRACT(epoch FROM ts)` → `toUnixTimestamp(ts)`: our columns are `DateTime('UTC')`,
  whole seconds, so the integer is exact (the driver's `extract` dropped the field).
- `TRUE`/`FALSE` → `1`/`0` (booleans are UInt8).
- types in casts: `BIGINT` → `Int64`, `INTEGER` → `Int32`, `FLOAT`/`NUMERIC` → `Float64`,
  `BOOLEAN` → `UInt8`, `TIMESTAMP WITH TIME ZONE` → `DateTime('UTC')` (the driver wrote
  `Bool`, `Decimal(None, None)` and `DateTime('True')`, none of which 18.16 knows).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from clickhouse_sqlalchemy.drivers.compilers.sqlcompiler import ClickHouseSQLCompiler
from clickhouse_sqlalchemy.drivers.compilers.typecompiler import ClickHouseTypeCompiler
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnClause, False_, True_, UnaryExpression

from data.clickhouse_flatten import flattened
from data.clickhouse_shards import NO_MERGE, classify, finishes_on_shards, read_sharding


def _distinct_argument(function: sa.sql.functions.Function[Any]) -> sa.ColumnElement[Any] | None:
    """`x` of `count(DISTINCT x)`, else None."""
    arguments = list(function.clauses)
    if (
        len(arguments) == 1
        and isinstance(arguments[0], UnaryExpression)
        and arguments[0].operator is operators.distinct_op
    ):
        return arguments[0].element
    return None


def _is_star(argument: Any) -> bool:
    """The `*` of `count(*)`."""
    return isinstance(argument, ColumnClause) and argument.is_literal and argument.name == "*"


def _constant(element: Any, kinds: tuple[type, ...]) -> bool:
    """A bound value (not an expanding list) of one of `kinds`, booleans excluded."""
    return (
        isinstance(element, sa.BindParameter)
        and not element.expanding
        and isinstance(element.value, kinds)
        and not isinstance(element.value, bool)
    )


def _constant_lookup(clause: Any) -> bool:
    """Whether a CASE maps one value through constants: `CASE x WHEN k THEN n ... ELSE m`,
    keys all text or all integers, results and ELSE integers."""
    if clause.value is None or clause.else_ is None or not clause.whens:
        return False
    keys = [when for when, _ in clause.whens]
    same_kind = all(_constant(key, (str,)) for key in keys) or all(
        _constant(key, (int,)) for key in keys
    )
    return (
        same_kind
        and all(_constant(then, (int,)) for _, then in clause.whens)
        and _constant(clause.else_, (int,))
    )


class CampaignClickHouseCompiler(ClickHouseSQLCompiler):
    """The driver's compiler with the app's constructs in 18.16's spelling."""

    def visit_funcfilter(self, funcfilter: Any, **kw: Any) -> str:
        function = funcfilter.func
        condition = self.process(funcfilter.criterion, **kw)
        name = function.name.lower()
        if name == "count":
            distinct = _distinct_argument(function)
            if distinct is not None:
                return f"uniqExactIf({self.process(distinct, **kw)}, {condition})"
            arguments = list(function.clauses)
            if not arguments or _is_star(arguments[0]):
                return f"countIf({condition})"
            counted = self.process(arguments[0], **kw)
            return f"countIf(({counted}) IS NOT NULL AND ({condition}))"
        listed = ", ".join(self.process(argument, **kw) for argument in function.clauses)
        return f"{function.name}If({listed}, {condition})"

    def visit_count_func(self, fn: Any, **kw: Any) -> str:
        distinct = _distinct_argument(fn)
        if distinct is not None:
            return f"uniqExact({self.process(distinct, **kw)})"
        written: str = super().visit_count_func(fn, **kw)
        return written

    def visit_bit_or_func(self, fn: Any, **kw: Any) -> str:
        return f"groupBitOr{self.function_argspec(fn, **kw)}"

    def visit_bitwise_and_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return f"bitAnd({self.process(binary.left, **kw)}, {self.process(binary.right, **kw)})"

    def visit_bitwise_or_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return f"bitOr({self.process(binary.left, **kw)}, {self.process(binary.right, **kw)})"

    def visit_extract(self, extract: Any, **kw: Any) -> str:
        if extract.field == "epoch":
            return f"toUnixTimestamp({self.process(extract.expr, **kw)})"
        written: str = super().visit_extract(extract, **kw)
        return written

    def visit_select(self, select_stmt: Any, **kw: Any) -> str:
        """Plain subqueries merged into the query reading them (`data.clickhouse_flatten`),
        so a GROUP BY over the events runs on each shard; a statement whose groupings are
        all per user finishes them there (`data.clickhouse_shards`)."""
        toplevel = not self.stack
        reads = self.__dict__.setdefault("_shard_reads", [])
        if isinstance(select_stmt, sa.Select):
            select_stmt = flattened(select_stmt)
            reads.append(classify(select_stmt, getattr(self.dialect, "campaign_sharding", {})))
        written: str = super().visit_select(select_stmt, **kw)
        if toplevel and finishes_on_shards(reads):
            written += NO_MERGE
        return written

    def visit_join(self, join: Any, asfrom: bool = False, **kw: Any) -> str:
        """`a JOIN b ON ...`, with a table on the left read through a subquery of its own.

        With a Distributed table on the left, 18.16 sends the whole join to the shards and
        (with `distributed_product_mode = 'global'`) the right side as a temporary table,
        after which `ON right.col = ...` fails with "Unknown identifier: right.col". As
        `(SELECT * FROM t) AS t` the join runs on the node that got the query, each side
        read over the shards.
        """
        left = join.left._compiler_dispatch(self, asfrom=True, **kw)
        if isinstance(join.left, sa.Table):
            left = f"(SELECT * FROM {left}) AS {left}"
        if join.full:
            kind = "FULL OUTER"
        elif join.isouter:
            kind = "LEFT OUTER"
        else:
            kind = "INNER"
        right = join.right._compiler_dispatch(self, asfrom=True, **kw)
        return f"{left} {kind} JOIN {right} ON {join.onclause._compiler_dispatch(self, **kw)}"

    def visit_cast(self, cast: Any, **kw: Any) -> str:
        """`CAST(x AS Nullable(T))`: standard SQL casts NULL to NULL, 18.16 refuses a NULL
        into a plain type (a user without in-range impressions has no first-impression
        bucket)."""
        target = self.dialect.type_compiler_instance.process(cast.typeclause.type)
        return f"CAST({self.process(cast.clause, **kw)} AS Nullable({target}))"

    def visit_is__binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        """`x IS TRUE` / `x IS FALSE` → `x = 1` / `x = 0` (NULL fails both, as in SQL)."""
        if isinstance(binary.right, True_ | False_):
            value = 1 if isinstance(binary.right, True_) else 0
            return f"({self.process(binary.left, **kw)}) = {value}"
        return f"{self.process(binary.left, **kw)} IS {self.process(binary.right, **kw)}"

    def visit_is_not_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        """`x IS NOT TRUE` → true for NULL and for anything but 1."""
        if isinstance(binary.right, True_ | False_):
            value = 1 if isinstance(binary.right, True_) else 0
            left = self.process(binary.left, **kw)
            return f"(({left}) IS NULL OR ({left}) != {value})"
        return f"{self.process(binary.left, **kw)} IS NOT {self.process(binary.right, **kw)}"

    def visit_values(self, element: Any, asfrom: bool = False, **kw: Any) -> str:
        """`(VALUES (...), ...) AS name (cols)` as a UNION ALL of one-row SELECTs.

        18.16 has no VALUES list in FROM. Every value stays a bound parameter; instants
        are wrapped in `toDateTime(..., 'UTC')`, since the driver sends them as text and
        a text column cannot be compared with a `DateTime` one.
        """
        kw.pop("from_linter", None)
        kw.pop("visiting_cte", None)
        selects = []
        for chunk in element._data:
            for row in chunk:
                parts = []
                for value, column in zip(row, element.columns, strict=True):
                    bound = self.process(
                        sa.bindparam(None, value, type_=column.type, unique=True), **kw
                    )
                    if isinstance(column.type, sa.DateTime):
                        bound = f"toDateTime({bound}, 'UTC')"
                    parts.append(f"{bound} AS {self.preparer.quote(column.name)}")
                selects.append("SELECT " + ", ".join(parts))
        text = "(" + " UNION ALL ".join(selects) + ")"
        if asfrom and element.name:
            text += f" AS {self.preparer.quote(element.name)}"
        return text

    def visit_cte(self, cte: Any, asfrom: bool = False, **kw: Any) -> str:
        """A CTE written where it is read, as a subquery: 18.16's `WITH` names
        expressions, not subqueries. (A CTE read twice is computed twice.)"""
        kw.pop("visiting_cte", None)
        linter = kw.pop("from_linter", None)
        if linter is not None:
            # The joins name the CTE: the cartesian-product linter must see it, not the
            # subquery made here.
            linter.froms[cte._de_clone()] = cte.name
        written: str = self.process(cte.element.subquery(cte.name), asfrom=True, **kw)
        return written

    def visit_case(self, clause: Any, **kw: Any) -> str:
        """`CASE x WHEN 'a' THEN 1 ... ELSE 0 END`, every WHEN and THEN a constant, as
        `transform(x, ['a', ...], [1, ...], 0)`: one hash look-up per row where 18.16 ran
        a chain of comparisons (`multiIf`). A NULL `x` takes the ELSE, as in SQL."""
        if not _constant_lookup(clause):
            written: str = super().visit_case(clause, **kw)
            return written
        value = self.process(clause.value, **kw)
        keys = ", ".join(self.process(when, **kw) for when, _ in clause.whens)
        results = ", ".join(self.process(then, **kw) for _, then in clause.whens)
        other = self.process(clause.else_, **kw)
        return (
            f"if(isNull({value}), {other}, "
            f"transform(assumeNotNull({value}), [{keys}], [{results}], {other}))"
        )

    def visit_true(self, expr: Any, **kw: Any) -> str:
        return "1"

    def visit_false(self, expr: Any, **kw: Any) -> str:
        return "0"


class CampaignClickHouseTypeCompiler(ClickHouseTypeCompiler):
    """SQL standard types, as 18.16 names them in `CAST`."""

    def visit_big_integer(self, type_: Any, **kw: Any) -> str:
        return "Int64"

    def visit_BIGINT(self, type_: Any, **kw: Any) -> str:  # noqa: N802 (SQLAlchemy's name)
        return "Int64"

    def visit_integer(self, type_: Any, **kw: Any) -> str:
        return "Int32"

    def visit_INTEGER(self, type_: Any, **kw: Any) -> str:  # noqa: N802
        return "Int32"

    def visit_small_integer(self, type_: Any, **kw: Any) -> str:
        return "Int16"

    def visit_float(self, type_: Any, **kw: Any) -> str:
        return "Float64"

    def visit_double(self, type_: Any, **kw: Any) -> str:
        return "Float64"

    def visit_DOUBLE(self, type_: Any, **kw: Any) -> str:  # noqa: N802
        return "Float64"

    def visit_numeric(self, type_: Any, **kw: Any) -> str:
        return "Float64"

    def visit_boolean(self, type_: Any, **kw: Any) -> str:
        return "UInt8"

    def visit_datetime(self, type_: Any, **kw: Any) -> str:
        return "DateTime('UTC')"

    def visit_text(self, type_: Any, **kw: Any) -> str:
        return "String"

    def visit_string(self, type_: Any, **kw: Any) -> str:
        return "String"

    def visit_interval(self, type_: Any, **kw: Any) -> str:
        return "Int64"


class SecondsInterval(sa.types.TypeDecorator[Any]):
    """An interval bound as whole seconds: `DateTime + n` adds n seconds in ClickHouse.

    Without it SQLAlchemy binds a `timedelta` as the datetime 1970-01-01 + delta on a
    dialect without native intervals, and `anchor + window` would add a date.
    """

    impl = sa.BigInteger
    cache_ok = True

    def __init__(self, *_: Any, **__: Any) -> None:
        super().__init__()

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        return None if value is None else int(value.total_seconds())


SETTINGS: dict[str, str] = {
    # A subquery over a Distributed table inside IN or JOIN of another (the converters'
    # events, the control variants) runs once on the initiator and is sent to the shards
    # (GLOBAL): exact whatever the tables' sharding keys. 18.16's default refuses.
    "distributed_product_mode": "global",
    # Non-matching rows of a LEFT JOIN get NULLs, as in standard SQL, not 0 and ''.
    "join_use_nulls": "1",
    # An insert through a Distributed table returns once the shards have the rows, so the
    # importer's next batch (and its accounting) sees them.
    "insert_distributed_sync": "1",
    # 18.16 moves WHERE conditions to PREWHERE on its own and then, for a query over a
    # Distributed table whose select list has no column (`SELECT 1 ... LIMIT 1`, the
    # "has any delivered event" check), fails: "Cannot find column `equals(event_type,
    # 'delivered')` in source stream". Off, the same query answers.
    "optimize_move_to_prewhere": "0",
}
"""Session settings sent with every request of the app's ClickHouse engines."""


def connect_args(reader: bool, timeout_seconds: float | None) -> dict[str, Any]:
    """clickhouse-sqlalchemy's `ch_settings`: our settings, read-only and the timeout."""
    settings = dict(SETTINGS)
    if reader:
        settings["readonly"] = "2"  # reads and settings only, like the other backends
        if timeout_seconds is not None:
            settings["max_execution_time"] = str(max(1, round(timeout_seconds)))
    return {"ch_settings": settings}


def install(dialect: sa.engine.Dialect) -> None:
    """Compile this engine's statements and types with the classes above.

    `/` is true division in ClickHouse (as in DuckDB), so SQLAlchemy need not cast an
    integer divisor to NUMERIC (which the driver wrote as `Decimal(None, None)`).
    """
    dialect.statement_compiler = CampaignClickHouseCompiler
    type_compiler = CampaignClickHouseTypeCompiler(dialect)
    dialect.type_compiler_instance = type_compiler
    dialect.type_compiler = type_compiler
    dialect.div_is_floordiv = False
    # Our own attribute on this engine's dialect instance (the compiler reads it with
    # getattr), which SQLAlchemy's Dialect does not declare.
    dialect.campaign_sharding = {}  # type: ignore[attr-defined]
    initialize = dialect.initialize

    def initialize_and_read_sharding(connection: sa.Connection) -> None:
        """The driver's first-connection set-up, then which tables are sharded by user."""
        initialize(connection)
        dialect.campaign_sharding = read_sharding(connection)  # type: ignore[attr-defined]  # as above

    # Wraps the method on this one dialect instance (not the class, which other engines
    # share): the checker refuses assigning to a method.
    dialect.initialize = initialize_and_read_sharding  # type: ignore[method-assign]
    dialect.colspecs = {**dialect.colspecs, sa.Interval: SecondsInterval}
