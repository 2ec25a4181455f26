"""Time series: the report's `daily` rows and the Explore page's figure-over-time frames.

Buckets are local to the scope's zone: days, weeks starting on Monday, months starting
on the 1st, each labelled by its first local date. Every bucket of the range is present,
zeros included, so a quiet day shows as a dip, not as a missing point. Unique impressions
are users in that bucket (a week's users, not a sum of its days); cumulative unique
impressions count each user once, in the bucket of their first impression in the range.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from data.local_time import date_of_day_number
from data.scope import Scope
from data.vocabulary import SPLIT_COLUMNS, Granularity
from metrics.attribution import NO_ACTION
from metrics.delivery import delivered_expr
from metrics.figures import series_figures
from metrics.rates import ratio_expr
from metrics.view_data import ViewData

EXPLORABLE_FIGURES: dict[str, str] = {each.key: each.label for each in series_figures()}
"""Every figure of the glossary's time-series list, with the label a chart shows (from the
registry, `metrics.figures`: the figures the report's `daily` rows carry)."""

FIRSTS_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "date": pl.Date,
    "split": pl.String,
    "new_users": pl.Int64,
}

SERIES_COLUMNS: tuple[str, ...] = (
    "date",
    *(each.key for each in series_figures() if "daily" in each.tables),
)
"""Columns of a series frame, in the order of the report's `daily` rows."""

USER_SERIES: tuple[str, ...] = tuple(
    each.key for each in series_figures() if "daily" not in each.tables
)
"""Figures Explore computes per bucket for itself (users, engaged users, open and conversion
rates, revenue): not columns of the report's `daily` rows (see `user_series_frame`)."""


def bucket_start(day: dt.date, granularity: Granularity) -> dt.date:
    """The first local date of the bucket holding `day`: itself, its Monday or its 1st.

    >>> bucket_start(dt.date(2026, 11, 5), "week"), bucket_start(dt.date(2026, 11, 5), "month")
    (datetime.date(2026, 11, 2), datetime.date(2026, 11, 1))
    """
    if granularity == "week":
        return day - dt.timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def bucket_starts(scope: Scope, granularity: Granularity) -> list[dt.date]:
    """Every bucket of the range, in order (the first may start before the range does)."""
    return sorted({bucket_start(day, granularity) for day in scope.local_dates()})


def bucket_dates(frame: pl.DataFrame, granularity: Granularity) -> pl.DataFrame:
    """Move a frame's local `date` column to the start of its bucket (day, week, month)."""
    if granularity == "week":
        return frame.with_columns(pl.col("date").dt.truncate("1w"))
    if granularity == "month":
        return frame.with_columns(pl.col("date").dt.truncate("1mo"))
    return frame


def build_series(
    counts: pl.DataFrame,
    first_impressions: pl.DataFrame,
    buckets: list[dt.date],
    *,
    has_delivered: bool,
    conversions: pl.DataFrame | None,
    splits: list[str] | None = None,
) -> pl.DataFrame:
    """The series frame: one row per bucket x split value, every figure a column.

    `counts` and `first_impressions` come from `data.queries.events` (columns date, split,
    ...); `conversions` has date, split, conversions (None when C has no conversion goal,
    which makes the column null). `splits` fixes the split values (default: those seen).
    """
    if splits is None:
        seen = set(counts["split"].to_list()) | set(first_impressions["split"].to_list())
        splits = sorted(seen) or ["all"]
    grid = pl.DataFrame({"date": buckets}, schema={"date": pl.Date}).join(
        pl.DataFrame({"split": splits}, schema={"split": pl.String}), how="cross"
    )
    series = (
        grid.join(counts, on=["date", "split"], how="left")
        .join(first_impressions, on=["date", "split"], how="left")
        .with_columns(pl.exclude("date", "split").fill_null(0))
        .sort("split", "date")
        .with_columns(
            delivered_expr(has_delivered=has_delivered).alias("delivered"),
            pl.col("impressions").cum_sum().over("split").alias("cumulative_impressions"),
            pl.col("new_users").cum_sum().over("split").alias("cumulative_unique_impressions"),
            ratio_expr(pl.col("clicks"), pl.col("impressions")).alias("ctr"),
            ratio_expr(pl.col("dismissals"), pl.col("impressions")).alias("dismissal_rate"),
        )
    )
    if conversions is None:
        series = series.with_columns(pl.lit(None, dtype=pl.Int64).alias("conversions"))
    else:
        series = series.join(
            conversions.select("date", "split", pl.col("conversions").cast(pl.Int64)),
            on=["date", "split"],
            how="left",
        ).with_columns(pl.col("conversions").fill_null(0))
    return series.select("split", *SERIES_COLUMNS)


def conversions_by_bucket(
    daily_conversions: pl.DataFrame, granularity: Granularity, split: str = "all"
) -> pl.DataFrame:
    """Conversions per local date (conversions helper) summed into buckets, with a split."""
    return (
        bucket_dates(daily_conversions, granularity)
        .group_by("date")
        .agg(pl.col("conversions").sum())
        .with_columns(pl.lit(split).alias("split"))
    )


COUNT_NAMES: dict[str, str] = {
    "sent": "messages_sent",
    "delivered": "delivered_events",
    "hard_bounced": "hard_bounces",
    "soft_bounced": "soft_bounces",
    "impression": "impressions",
    "opened": "opens",
    "clicked": "clicks",
    "dismissed": "dismissals",
}
"""The event counts of `data.queries.event_counts` under the series' column names."""


def counts_by_bucket(
    by_day: pl.DataFrame, granularity: Granularity, split_column: str | None = None
) -> pl.DataFrame:
    """Per-day counts (date, variant_id, action_id, counts) summed into buckets and a split.

    Columns: date, split (the variant or action id, `(none)` for events without one, or
    "all"), and the series' count columns. Counts add up across days, so any bucket is
    the sum of its days.
    """
    split = (pl.col(split_column).fill_null("(none)") if split_column else pl.lit("all")).alias(
        "split"
    )
    return (
        bucket_dates(by_day.with_columns(split), granularity)
        .group_by("date", "split")
        .agg(pl.col(name).sum().alias(alias) for name, alias in COUNT_NAMES.items())
    )


def report_series(
    view: ViewData,
    impression_users: pl.DataFrame,
    buckets: list[dt.date],
    granularity: Granularity,
    *,
    daily_conversions: pl.DataFrame | None,
) -> pl.DataFrame:
    """The report's `daily` rows (any granularity) as a frame, columns SERIES_COLUMNS.

    `impression_users` (date, split, unique_impressions) is the one distinct count per
    bucket the view's passes do not give.
    """
    counts = counts_by_bucket(view.counts.by_day(), granularity).join(
        impression_users, on=["date", "split"], how="full", coalesce=True
    )
    firsts = view.users.first_impressions.with_columns(pl.lit("all").alias("split"))
    conversions = (
        None if daily_conversions is None else conversions_by_bucket(daily_conversions, granularity)
    )
    series = build_series(
        counts,
        firsts.select("date", "split", "new_users"),
        buckets,
        has_delivered=view.has_delivered,
        conversions=conversions,
        splits=["all"],
    )
    return series.drop("split")


def check_explorable(figure: str, split_by: str | None) -> None:
    """Refuse a figure Explore does not draw or a split it does not know, before any read."""
    if figure not in EXPLORABLE_FIGURES:
        raise ValueError(f"unknown figure {figure!r}: use one of {', '.join(EXPLORABLE_FIGURES)}")
    if split_by is not None and split_by not in SPLIT_COLUMNS:
        raise ValueError(f"cannot split by {split_by!r}: use one of {', '.join(SPLIT_COLUMNS)}")


def split_values(
    split_by: str | None,
    counts: pl.DataFrame,
    firsts: pl.DataFrame,
    declared: list[str],
    chosen: str | None,
) -> list[str]:
    """The split values seen in range, plus every variant or action of C (`declared`, zeros
    included), so a variant without in-range messages still gets its line; a filter on that
    dimension (`chosen`) keeps only its own.

    >>> seen = pl.DataFrame({"split": ["B"]})
    >>> split_values("variant_id", seen, seen.clear(), ["A", "B"], None)
    ['A', 'B']
    >>> split_values("variant_id", seen, seen.clear(), ["A", "B"], "B")
    ['B']
    """
    if split_by is None:
        return ["all"]
    values = set(counts["split"].to_list()) | set(firsts["split"].to_list())
    values |= {value for value in declared if chosen in (None, value)}
    return sorted(values) or ["all"]


def explore_frame(
    figure: str,
    counts: pl.DataFrame,
    firsts: pl.DataFrame,
    buckets: list[dt.date],
    *,
    has_delivered: bool,
    conversions: pl.DataFrame | None,
    splits: list[str],
) -> pl.DataFrame:
    """One of the `daily` figures over every bucket and split value: date, split, value.

    `counts` and `firsts` are per (bucket, split) as `data.queries.events` gives them
    (`firsts` may be empty when the figure is not cumulative reach); `conversions` is None
    when the figure has none to show (no goal, or a split a conversion does not carry).
    """
    series = build_series(
        counts,
        firsts,
        buckets,
        has_delivered=has_delivered,
        conversions=conversions,
        splits=splits or ["all"],
    )
    return series.select("date", "split", pl.col(figure).alias("value"))


def with_unclaimed_split(
    splits: list[str], split_by: str | None, conversions: pl.DataFrame | None
) -> list[str]:
    """Split by action, conversions no action can claim get their own `(none)` line, so
    the lines add up to the campaign's conversions; any other split keeps its values."""
    if conversions is None or split_by != "action_id":
        return splits
    return sorted(set(splits) | set(conversions["split"].to_list()))


def control_variant_ids(variants: pl.DataFrame) -> set[str]:
    """The variant ids of C's control variants (a catalog frame with is_control)."""
    return set(variants.filter(pl.col("is_control"))["variant_id"].to_list())


def split_conversion_frame(
    counts: pl.DataFrame, control_variants: set[str], splits: list[str]
) -> pl.DataFrame:
    """date, split, conversions from the per-(bucket, split, side) counts: the treatment
    side's, except for a control variant, whose line counts the control group's."""
    chosen = counts.filter(
        pl.col("split").is_in(splits)
        & (pl.col("is_control") == pl.col("split").is_in(list(control_variants)))
    )
    return chosen.select(date_of_day_number(pl.col("bucket")).alias("date"), "split", "conversions")


def converted_by_bucket(
    conversion_rows: pl.DataFrame, tz: str, granularity: Granularity, *, by_action: bool
) -> pl.DataFrame:
    """Treatment converters and revenue per local bucket of the conversion (and attributed
    action, NO_ACTION when none): date, split, converted_users, revenue."""
    local = pl.col("occurred_at").dt.convert_time_zone(tz).dt.date()
    every = {"week": "1w", "month": "1mo"}.get(granularity)
    split = pl.col("action_id").fill_null(NO_ACTION) if by_action else pl.lit("all")
    return (
        conversion_rows.filter(~pl.col("is_control"))
        .group_by(
            (local.dt.truncate(every) if every else local).alias("date"), split.alias("split")
        )
        .agg(
            pl.col("user_id").n_unique().cast(pl.Int64).alias("converted_users"),
            pl.col("revenue").fill_null(0.0).sort().sum().cast(pl.Float64).alias("revenue"),
        )
    )


def user_series_frame(
    figure: str, users: pl.DataFrame, converted: pl.DataFrame | None, buckets: list[dt.date]
) -> pl.DataFrame:
    """The value of `figure` on every bucket x split value from the per-bucket users and
    converters (None: the figure is n/a, no goal or a split a conversion does not carry).

    >>> users = pl.DataFrame({"date": [dt.date(2026, 11, 2)], "split": ["all"], "users": [4],
    ...     "engaged_users": [2], "unique_opens": [1], "recipients": [4], "receivers": [4]})
    >>> converted = pl.DataFrame({"date": [dt.date(2026, 11, 3)], "split": ["all"],
    ...     "converted_users": [1], "revenue": [9.5]})
    >>> days = [dt.date(2026, 11, 2), dt.date(2026, 11, 3)]
    >>> user_series_frame("open_rate", users, converted, days)["value"].to_list()
    [0.25, None]
    >>> user_series_frame("revenue", users, converted, days)["value"].to_list()
    [0.0, 9.5]
    """
    splits = set(users["split"].to_list())
    if converted is not None:
        splits |= set(converted["split"].to_list())
    grid = pl.DataFrame({"date": buckets}, schema={"date": pl.Date}).join(
        pl.DataFrame({"split": sorted(splits) or ["all"]}, schema={"split": pl.String}),
        how="cross",
    )
    frame = grid.join(users, on=["date", "split"], how="left").with_columns(
        pl.exclude("date", "split").fill_null(0)
    )
    if converted is None:
        frame = frame.with_columns(
            pl.lit(None, pl.Int64).alias("converted_users"),
            pl.lit(None, pl.Float64).alias("revenue"),
        )
    else:
        frame = frame.join(converted, on=["date", "split"], how="left").with_columns(
            pl.col("converted_users").fill_null(0), pl.col("revenue").fill_null(0.0)
        )
    values = {
        "audience_size": pl.col("users").cast(pl.Float64),
        "engaged_users": pl.col("engaged_users").cast(pl.Float64),
        "open_rate": ratio_expr(pl.col("unique_opens"), pl.col("recipients")),
        "conversion_rate": ratio_expr(pl.col("converted_users"), pl.col("receivers")),
        "revenue": pl.col("revenue"),
    }
    return frame.sort("split", "date").select("date", "split", values[figure].alias("value"))
