"""Check every row of a file against its table's contract, a whole column at a time.

The result splits the file three ways, so that `read = loaded + already present + rejected`
can hold: typed rows ready to load (one per key), exact repeats of a row earlier in the same
file (already present: an at-least-once export may send a row twice), and rejected rows with
their reasons. Reasons are built only for the rows that fail, so a clean 10-million-row file
costs one pass of typed parsing and one duplicate check.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from data.contracts import ColumnContract, TableContract
from data.ingest.parse import parse_column

LINE = "source_line"
"""Column carrying each row's line number in its file (see `data.ingest.read`)."""
REASON = "reason"


@dataclass(frozen=True)
class Validated:
    """A file's rows after the checks: what to load, what repeats, what is rejected."""

    rows: pl.DataFrame
    """Typed, in table column order plus `LINE`; one row per key."""
    repeated: int
    """Exact copies of an earlier row of the same file: counted as already present."""
    rejects: pl.DataFrame
    """`LINE` and `REASON` of every rejected row."""


@dataclass(frozen=True)
class _Check:
    mask: pl.Series
    message: str
    cells: pl.Series | None
    """The cells to quote after the message (cast to text only for the failing rows)."""


def validate(source: pl.DataFrame, contract: TableContract) -> Validated:
    """Parse and check `source` (columns named as the table's, plus `LINE`)."""
    typed: dict[str, pl.Series] = {}
    checks: list[_Check] = []
    for column in contract.columns:
        column_typed, column_checks = _column(source, column)
        typed[column.name] = column_typed
        checks.extend(column_checks)
    frame = pl.DataFrame([*typed.values(), source[LINE]])
    failing = pl.DataFrame([check.mask.alias(f"c{i}") for i, check in enumerate(checks)])
    any_bad = failing.select(pl.any_horizontal(pl.all())).to_series()
    rejects = _reasons(source[LINE], checks, any_bad)
    rows, repeated, repeat_rejects = _one_row_per_key(frame.filter(~any_bad), contract)
    return Validated(
        rows=rows,
        repeated=repeated,
        rejects=pl.concat([rejects, repeat_rejects]).sort(LINE),
    )


def _column(source: pl.DataFrame, column: ColumnContract) -> tuple[pl.Series, list[_Check]]:
    """Typed values of one column (its default filled in) and the checks on it."""
    if column.name in source.columns:
        cells = source[column.name]
        if cells.dtype == pl.String:
            cells = cells.set(cells == "", None)  # empty cell = NULL
    else:
        cells = pl.repeat(None, source.height, dtype=pl.String, eager=True).alias(column.name)
    parsed = parse_column(cells, column.kind)
    values = parsed.values.alias(column.name)
    checks = []
    if parsed.bad is not None:
        checks.append(_Check(parsed.bad, f"{column.name} is not {_kind_phrase(column)}: ", cells))
    if column.default is not None:
        values = values.fill_null(pl.lit(column.default, values.dtype))
    if column.required:
        checks.append(_Check(cells.is_null(), f"{column.name} is missing", None))
    rule = column.rule
    if rule.allowed is not None:
        outside = values.is_not_null() & ~values.is_in(rule.allowed)
        allowed = ", ".join(rule.allowed)
        checks.append(_Check(outside, f"{column.name} is not one of {allowed}: ", cells))
    if rule.minimum is not None:
        below = (values < rule.minimum).fill_null(False)
        phrase = "is negative" if rule.minimum == 0 else f"is below {rule.minimum:g}"
        checks.append(_Check(below, f"{column.name} {phrase}: ", cells))
    if rule.maximum is not None:
        above = (values > rule.maximum).fill_null(False)
        checks.append(_Check(above, f"{column.name} is above {rule.maximum:g}: ", cells))
    return values, checks


def _kind_phrase(column: ColumnContract) -> str:
    return {
        "timestamp": "an ISO 8601 timestamp",
        "integer": "a whole number (32-bit)",
        "double": "a finite number",
        "boolean": "a boolean (true/false/1/0)",
    }[column.kind.value]


def _reasons(lines: pl.Series, checks: list[_Check], any_bad: pl.Series) -> pl.DataFrame:
    """One row per failing line with every reason it fails, joined by `; `."""
    if not any_bad.any():
        return pl.DataFrame({LINE: [], REASON: []}, schema={LINE: pl.Int64, REASON: pl.String})
    parts = []
    for check in checks:
        mask = check.mask.filter(any_bad)
        message = pl.lit(check.message)
        if check.cells is not None:
            quoted = check.cells.filter(any_bad).cast(pl.String)
            message = pl.concat_str(message, pl.lit(quoted))
        parts.append(pl.when(pl.lit(mask)).then(message))
    return pl.DataFrame({LINE: lines.filter(any_bad)}).with_columns(
        pl.concat_str(parts, separator="; ", ignore_nulls=True).alias(REASON)
    )


def _one_row_per_key(
    frame: pl.DataFrame, contract: TableContract
) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """Collapse exact repeats of a key; reject every row of a key seen with different values.

    Rows compare by their typed values, so `09:30:00Z` and `15:00:00+05:30` are the same
    row. Only rows that passed every other check take part: a malformed row is rejected for
    its own reasons and does not take a good row with the same key down with it.
    """
    key = list(contract.key)
    empty_rejects = pl.DataFrame(schema={LINE: pl.Int64, REASON: pl.String})
    key_value = pl.col(key[0]) if len(key) == 1 else pl.struct(key)
    # Comparing 64-bit hashes is ~25x faster than comparing text keys on 10 M rows; the
    # exact comparison then runs only on the few rows whose hashes repeat.
    candidates = frame.select(key_value.hash().is_duplicated()).to_series()
    if not candidates.any():
        return frame, 0, empty_rejects
    unique = frame.filter(~candidates)
    possible = frame.filter(candidates)
    repeats = possible.select(key_value.is_duplicated()).to_series()
    unique = pl.concat([unique, possible.filter(~repeats)])
    shared = possible.filter(repeats).with_columns(
        pl.struct(contract.names).n_unique().over(key).alias("_versions"),
        (pl.col(LINE) == pl.col(LINE).min().over(key)).alias("_first"),
    )
    differing = shared.filter(pl.col("_versions") > 1)
    identical = shared.filter(pl.col("_versions") == 1)
    kept = identical.filter(pl.col("_first")).drop("_versions", "_first")
    key_text = pl.concat_str(
        [pl.concat_str(pl.lit(f"{name}="), pl.col(name)) for name in key], separator=", "
    )
    lines_per_key = differing.group_by(key).agg(
        pl.col(LINE).sort().cast(pl.String).str.join(", ").alias("_lines")
    )
    rejects = differing.join(lines_per_key, on=key, nulls_equal=True).select(
        pl.col(LINE),
        pl.concat_str(
            key_text,
            pl.lit(" is repeated in this file with different values (lines "),
            pl.col("_lines"),
            pl.lit(")"),
        ).alias(REASON),
    )
    rows = pl.concat([unique, kept]).sort(LINE)
    return rows, identical.height - kept.height, rejects
