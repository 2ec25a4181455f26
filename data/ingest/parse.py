"""Turn a column of cells into typed values, a whole column at a time (no Python loop per row).

Each parser returns the typed values and a mask of cells that had a value but could not be
read; the validator turns that mask into a reason. A cell that is NULL stays NULL and is not
"bad": whether it may be NULL is the contract's business, not the parser's.

>>> parse_timestamps(pl.Series(["2026-03-01T09:30:00", "2026-03-01T09:30:00Z",
...     "2026-03-01T15:00:00+05:30"])).values.n_unique()
1
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from data.contracts import Kind

UTC_MICROSECONDS = pl.Datetime("us", "UTC")
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1  # the tables' INTEGER is 4 bytes on both backends

_ISO_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%#z"
# Everything else ISO 8601 allows that we accept: a space for the `T`, no seconds, no time
# (midnight), no offset (UTC), an offset without a colon or without minutes.
_ISO_PATTERN = (
    r"^\s*(?<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?<hm>\d{2}:\d{2})(?<sec>:\d{2}(?:\.\d+)?)?)?"
    r"\s*(?<offset>[Zz]|[+-]\d{2}(?::?\d{2})?)?\s*$"
)
_TRUE = ("true", "1")
_FALSE = ("false", "0")


@dataclass(frozen=True)
class Parsed:
    """Typed values of one column and which non-NULL cells could not be read."""

    values: pl.Series
    bad: pl.Series | None
    """None when no cell can fail (any value is valid text)."""


def parse_column(cells: pl.Series, kind: Kind) -> Parsed:
    """Read `cells` (text, or an already typed Parquet/JSON column) as `kind`."""
    match kind:
        case Kind.TEXT:
            values = cells if cells.dtype == pl.String else cells.cast(pl.String)
            return Parsed(values, None)
        case Kind.TIMESTAMP:
            return parse_timestamps(cells)
        case Kind.INTEGER:
            return _parse_integers(cells)
        case Kind.DOUBLE:
            return _parse_doubles(cells)
        case Kind.BOOLEAN:
            return _parse_booleans(cells)
    raise ValueError(f"unknown kind {kind}")


def _bad(cells: pl.Series, values: pl.Series) -> pl.Series:
    return (cells.is_not_null() & values.is_null()).alias(cells.name)


def parse_timestamps(cells: pl.Series) -> Parsed:
    """ISO 8601 to UTC: an offset or `Z` is converted, a naive time is taken as UTC.

    The common shape (`T`, seconds, an offset or `Z`) is parsed in one pass; only the cells
    it misses go through the slower normalising pattern.
    """
    if isinstance(cells.dtype, pl.Datetime):
        if cells.dtype.time_zone is None:
            values = cells.dt.replace_time_zone("UTC")
        else:
            values = cells.dt.convert_time_zone("UTC")
        return Parsed(values.cast(UTC_MICROSECONDS), _bad(cells, values))
    if cells.dtype == pl.Date:
        values = cells.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        return Parsed(values, _bad(cells, values))
    text = cells if cells.dtype == pl.String else cells.cast(pl.String)
    values = text.str.to_datetime(_ISO_FORMAT, strict=False, time_zone="UTC", time_unit="us")
    missed = text.is_not_null() & values.is_null()
    if missed.any():
        indices = missed.arg_true()
        retried = _parse_other_iso_forms(text.gather(indices))
        # `scatter` does not take zoned datetimes: scatter the microseconds instead.
        micros = values.to_physical().scatter(indices, retried.to_physical())
        values = micros.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    return Parsed(values.alias(cells.name), _bad(cells, values))


def _parse_other_iso_forms(text: pl.Series) -> pl.Series:
    parts = text.str.extract_groups(_ISO_PATTERN).struct.unnest()
    normalised = parts.select(
        pl.concat_str(
            pl.col("date"),
            pl.lit("T"),
            pl.col("hm").fill_null("00:00"),
            pl.col("sec").fill_null(":00"),
            pl.col("offset").fill_null("+00:00"),
        )
    ).to_series()
    return normalised.str.to_datetime(_ISO_FORMAT, strict=False, time_zone="UTC", time_unit="us")


def _parse_integers(cells: pl.Series) -> Parsed:
    if cells.dtype.is_integer():
        values = cells.cast(pl.Int64)
    else:
        text = cells if cells.dtype == pl.String else cells.cast(pl.String)
        values = text.str.strip_chars().cast(pl.Int64, strict=False)
    in_range = values.is_between(INTEGER_MIN, INTEGER_MAX)
    values = values.set(~in_range.fill_null(True), None)
    return Parsed(values.alias(cells.name), _bad(cells, values))


def _parse_doubles(cells: pl.Series) -> Parsed:
    if cells.dtype.is_numeric():
        values = cells.cast(pl.Float64)
    else:
        text = cells if cells.dtype == pl.String else cells.cast(pl.String)
        values = text.str.strip_chars().cast(pl.Float64, strict=False)
    # NaN and infinity are not figures anyone measured: they would poison every sum.
    values = values.set(~values.is_finite().fill_null(True), None)
    return Parsed(values.alias(cells.name), _bad(cells, values))


def _parse_booleans(cells: pl.Series) -> Parsed:
    if cells.dtype == pl.Boolean:
        return Parsed(cells, _bad(cells, cells))
    text = cells if cells.dtype == pl.String else cells.cast(pl.String)
    lowered = text.str.strip_chars().str.to_lowercase()
    values = (
        pl.select(
            pl.when(lowered.is_in(_TRUE))
            .then(pl.lit(True))
            .when(lowered.is_in(_FALSE))
            .then(pl.lit(False))
            .otherwise(pl.lit(None, pl.Boolean))
        )
        .to_series()
        .alias(cells.name)
    )
    return Parsed(values, _bad(cells, values))
