"""Which action earned a conversion, and whether a click or only a view preceded it.

The database already picked each conversion's candidate action and flagged the clicks and
views before it (`data.queries.conversions.load_conversion_rows`); these functions turn
those rows into the glossary's per-action attributed_conversions and the click-through /
view-through counts. Control conversions are never attributed: the control group was sent
nothing, so no action can claim them.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

ATTRIBUTED_SCHEMA = pl.Schema(
    {
        "action_id": pl.String,
        "attributed_conversions": pl.Int64,
    }
)


def attributed_conversions(conversion_rows: pl.DataFrame) -> pl.DataFrame:
    """Per action_id: qualifying treatment conversions attributed to it.

    A conversion with no candidate event (every receipt before the range, or none with an
    action_id) is attributed to no action, so the column may sum to less than
    `conversions`.

    >>> rows = pl.DataFrame({"is_control": [False, False, True], "action_id": ["a", None, "a"]})
    >>> attributed_conversions(rows).to_dicts()
    [{'action_id': 'a', 'attributed_conversions': 1}]
    """
    return (
        conversion_rows.filter(~pl.col("is_control") & pl.col("action_id").is_not_null())
        .group_by("action_id")
        .agg(pl.len().cast(pl.Int64).alias("attributed_conversions"))
        .sort("action_id")
        .select(list(ATTRIBUTED_SCHEMA))
        .cast(ATTRIBUTED_SCHEMA)
    )


def first_conversions(conversion_rows: pl.DataFrame) -> pl.DataFrame:
    """Each treatment converter's first qualifying conversion (earliest, then by id)."""
    return (
        conversion_rows.filter(~pl.col("is_control"))
        .sort("occurred_at", "conversion_id")
        .unique("user_id", keep="first", maintain_order=True)
    )


def through_conversions(conversion_rows: pl.DataFrame) -> tuple[int, int]:
    """(click_through_conversions, view_through_conversions) over treatment converters.

    Click-through: a `clicked` event of C in range at or before the user's first qualifying
    conversion. View-through: an `impression` or `opened` one there, and no click.

    >>> rows = pl.DataFrame({
    ...     "conversion_id": ["c1", "c2"], "user_id": ["u1", "u2"], "occurred_at": [1, 2],
    ...     "is_control": [False, False],
    ...     "clicked_before": [True, False], "viewed_before": [True, True]})
    >>> through_conversions(rows)
    (1, 1)
    """
    firsts = first_conversions(conversion_rows)
    clicked = int(firsts.filter(pl.col("clicked_before")).height)
    viewed = int(firsts.filter(~pl.col("clicked_before") & pl.col("viewed_before")).height)
    return clicked, viewed


NO_ACTION = "(none)"
"""The split value of conversions no action can claim (as for events without an action)."""


def attributed_by_bucket(conversion_rows: pl.DataFrame, tz: str, granularity: str) -> pl.DataFrame:
    """Treatment conversions per local bucket and attributed action: date, split, conversions.

    The split the Conversions page's action cards make: each conversion credited to one
    action (NO_ACTION when none can claim it), so the lines add up to `conversions`. Buckets
    are the local date in `tz` of the conversion, truncated to its Monday or 1st.

    >>> import datetime as dt
    >>> rows = pl.DataFrame({
    ...     "occurred_at": [dt.datetime(2026, 11, 2, 23, 30, tzinfo=dt.UTC)] * 3,
    ...     "is_control": [False, False, True], "action_id": ["a", None, "a"]})
    >>> attributed_by_bucket(rows, "Europe/Paris", "day").sort("split").to_dicts()
    [{'date': datetime.date(2026, 11, 3), 'split': '(none)', 'conversions': 1}, \
{'date': datetime.date(2026, 11, 3), 'split': 'a', 'conversions': 1}]
    """
    local = pl.col("occurred_at").dt.convert_time_zone(tz).dt.date()
    every = {"week": "1w", "month": "1mo"}.get(granularity)
    bucket = local.dt.truncate(every) if every else local
    return (
        conversion_rows.filter(~pl.col("is_control"))
        .group_by(bucket.alias("date"), pl.col("action_id").fill_null(NO_ACTION).alias("split"))
        .agg(pl.len().cast(pl.Int64).alias("conversions"))
        .sort("date", "split")
    )


def revenue_by_bucket(
    conversion_rows: pl.DataFrame, tz: str, granularity: str, buckets: list[dt.date]
) -> pl.DataFrame:
    """Treatment revenue per local bucket of the conversion: date, revenue, every bucket of
    `buckets` present (0.0 where nothing converted; NULL revenue counts 0, as in `revenue`),
    so the buckets add up to the `revenue` card.

    >>> rows = pl.DataFrame({
    ...     "occurred_at": [dt.datetime(2026, 11, 2, 23, 30, tzinfo=dt.UTC)] * 3,
    ...     "is_control": [False, False, True], "revenue": [10.0, None, 5.0]})
    >>> days = [dt.date(2026, 11, 2), dt.date(2026, 11, 3)]
    >>> revenue_by_bucket(rows, "Europe/Paris", "day", days).to_dicts()
    [{'date': datetime.date(2026, 11, 2), 'revenue': 0.0}, \
{'date': datetime.date(2026, 11, 3), 'revenue': 10.0}]
    """
    local = pl.col("occurred_at").dt.convert_time_zone(tz).dt.date()
    every = {"week": "1w", "month": "1mo"}.get(granularity)
    bucket = local.dt.truncate(every) if every else local
    sums = (
        conversion_rows.filter(~pl.col("is_control"))
        .group_by(bucket.alias("date"))
        .agg(pl.col("revenue").fill_null(0.0).sort().sum().cast(pl.Float64).alias("revenue"))
    )
    grid = pl.DataFrame({"date": buckets}, schema={"date": pl.Date})
    return (
        grid.join(sums, on="date", how="left")
        .with_columns(pl.col("revenue").fill_null(0.0))
        .sort("date")
    )
