"""Who engaged, by platform, device model and variant: the report's breakdown tables.

Platform and device come from the event, else the user's profile, else `unknown`, so an
event recorded without a platform still lands in a row. Per-variant event counts are
combined here with the conversions side's users and converted users, for the A/B table.
"""

from __future__ import annotations

import polars as pl

from metrics.report_model import DeviceRow, PlatformRow
from metrics.view_data import ViewData

SPLIT_COUNTS: tuple[str, ...] = ("impressions", "opens", "clicks")


def _rolled_up(counts: pl.DataFrame, key: str) -> pl.DataFrame:
    """Sum the (platform, device_model) counts over `key`, busiest first."""
    return (
        counts.group_by(key)
        .agg(pl.col(name).sum() for name in SPLIT_COUNTS)
        .sort(
            [pl.col("impressions") + pl.col("opens") + pl.col("clicks"), pl.col(key)],
            descending=[True, False],
        )
    )


def platform_rows(counts: pl.DataFrame) -> list[PlatformRow]:
    """`platforms`: {platform, impressions, opens, clicks}, busiest platform first."""
    return [PlatformRow(**row) for row in _rolled_up(counts, "platform").iter_rows(named=True)]


def device_rows(counts: pl.DataFrame) -> list[DeviceRow]:
    """`devices`: {device_model, impressions, opens, clicks}, busiest device first."""
    return [DeviceRow(**row) for row in _rolled_up(counts, "device_model").iter_rows(named=True)]


VARIANT_COUNT_COLUMNS: tuple[str, ...] = (
    "variant_id",
    "users",
    "messages_sent",
    "impressions",
    "opens",
    "clicks",
    "errors",
    "converted_users",
)


def variant_counts_table(
    event_counts: pl.DataFrame, population: pl.DataFrame | None
) -> pl.DataFrame:
    """Per-variant counts for `metrics.experiments.variant_rows`.

    `event_counts` (from `data.queries.breakdowns.variant_counts`) gives the in-range event
    counts; `population` (the conversions side's [variant_id, users, converted_users]) the
    variant's users and converted users. Without it, users and converted_users are null.
    """
    if population is None:
        population = pl.DataFrame(
            schema={"variant_id": pl.String, "users": pl.Int64, "converted_users": pl.Int64}
        )
    population = population.select(
        pl.col("variant_id").cast(pl.String),
        pl.col("users").cast(pl.Int64),
        pl.col("converted_users").cast(pl.Int64),
    )
    return (
        event_counts.drop("entered_users")
        .join(population, on="variant_id", how="full", coalesce=True)
        .with_columns(
            pl.col("messages_sent", "impressions", "opens", "clicks", "errors").fill_null(0)
        )
        .select(VARIANT_COUNT_COLUMNS)
        .sort("variant_id")
    )


def entered_by_variant(event_counts: pl.DataFrame) -> dict[str, int]:
    """Users who entered under each variant in range: the sample-ratio check's input."""
    return dict(
        zip(
            event_counts["variant_id"].to_list(),
            event_counts["entered_users"].to_list(),
            strict=True,
        )
    )


def variant_event_counts(view: ViewData) -> pl.DataFrame:
    """Per variant of the view: in-range sent, impressions, opens, clicks and errors, and
    the users who entered under it (the sample-ratio check's counts), zeros included."""
    counted = (
        view.counts.by_day()
        .filter(pl.col("variant_id").is_not_null())
        .group_by("variant_id")
        .agg(
            pl.col("sent").sum().alias("messages_sent"),
            pl.col("impression").sum().alias("impressions"),
            pl.col("opened").sum().alias("opens"),
            pl.col("clicked").sum().alias("clicks"),
            pl.col("failed").sum().alias("errors"),
        )
    )
    return (
        view.users.variants.select("variant_id", "entered_users")
        .join(counted, on="variant_id", how="left")
        .with_columns(
            pl.col("messages_sent", "impressions", "opens", "clicks", "errors").fill_null(0)
        )
        .select(
            "variant_id",
            "messages_sent",
            "impressions",
            "opens",
            "clicks",
            "errors",
            "entered_users",
        )
    )
