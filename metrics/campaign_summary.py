"""The Campaigns page's rates for every campaign, from the summary's counts (no I/O).

`data.queries.campaign_summary` returns plain counts per campaign; this turns them into the
figures the page shows with the same definitions the report uses (`metrics.delivery`,
`metrics.rates`), column-wise, so the table of 1,000 campaigns costs one Polars
expression per figure instead of one `campaign_kpis` per campaign, and each row equals
that campaign's `kpis` exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Literal

import polars as pl

from metrics.delivery import delivered_expr
from metrics.rates import ratio_expr

HEADLINE_RATES: dict[str, str] = {
    "push": "open_rate",
    "in_app": "ctr",
    "email": "open_rate",
    "sms": "click_rate",
}
"""Each channel's main engagement rate: the Campaigns table's headline column."""

DEFAULT_HEADLINE = "click_rate"
"""The headline rate of a channel not in HEADLINE_RATES."""

Status = Literal["Scheduled", "Running", "Ended"]

TABLE_COLUMNS: tuple[str, ...] = (
    "campaign_id",
    "name",
    "channel",
    "start",
    "end",
    "status",
    "audience_size",
    "messages_sent",
    "headline_figure",
    "headline_rate",
    "conversion_rate",
    "click_rate",
    "delivery_rate",
)
"""The Campaigns table's columns, in its order (and its CSV's)."""

RATE_COLUMNS: tuple[str, ...] = (
    "open_rate",
    "ctr",
    "click_rate",
    "delivery_rate",
    "conversion_rate",
)


def summary_figures(counts: pl.DataFrame) -> pl.DataFrame:
    """Add the glossary's delivered, recipients and the page's rates to the counts.

    delivered: `delivered` events if C has any, else sent minus bounces; recipients: users
    with a `delivered` event if C has any, else sent and not bounced; open and click rates
    over recipients, ctr over impressions, delivery_rate over sends, conversion_rate
    converted_users / receivers. Without a goal (conversion_event null), receivers,
    converted_users and conversion_rate are null, never 0. Rates over 0 are null.
    """
    has_delivered = pl.col("has_delivered")
    has_goal = pl.col("conversion_event").is_not_null()
    figures = counts.with_columns(
        pl.when(has_delivered)
        .then(delivered_expr(has_delivered=True))
        .otherwise(delivered_expr(has_delivered=False))
        .alias("delivered"),
        pl.when(has_delivered)
        .then(pl.col("delivered_users"))
        .otherwise(pl.col("sent_unbounced_users"))
        .alias("recipients"),
        pl.when(has_goal).then(pl.col("receivers")).alias("receivers"),
        pl.when(has_goal).then(pl.col("converted_users")).alias("converted_users"),
    )
    return figures.with_columns(
        ratio_expr(pl.col("unique_opens"), pl.col("recipients")).alias("open_rate"),
        ratio_expr(pl.col("clicks"), pl.col("impressions")).alias("ctr"),
        ratio_expr(pl.col("unique_clicks"), pl.col("recipients")).alias("click_rate"),
        ratio_expr(pl.col("delivered"), pl.col("messages_sent")).alias("delivery_rate"),
        ratio_expr(pl.col("converted_users"), pl.col("receivers")).alias("conversion_rate"),
    )


def with_headline(
    figures: pl.DataFrame, headline: Mapping[str, str], default: str = "click_rate"
) -> pl.DataFrame:
    """Add `headline_rate`: per row, the rate named by `headline[channel]` (else `default`).

    >>> frame = pl.DataFrame({"channel": ["push", "sms"], "open_rate": [0.5, 0.1],
    ...                       "click_rate": [0.2, 0.3]})
    >>> with_headline(frame, {"push": "open_rate"})["headline_rate"].to_list()
    [0.5, 0.3]
    """
    rate = pl.col(default)
    for channel, key in headline.items():
        rate = pl.when(pl.col("channel") == channel).then(pl.col(key)).otherwise(rate)
    return figures.with_columns(rate.cast(pl.Float64).alias("headline_rate"))


def status_expr(now: dt.datetime) -> pl.Expr:
    """A campaign's status at `now` from its started_at and ended_at columns: Scheduled
    (not started), Running (no end, or its end ahead) or Ended.

    >>> now = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
    >>> frame = pl.DataFrame({
    ...     "started_at": [dt.datetime(2026, 3, d, tzinfo=dt.UTC) for d in (11, 1, 1, 1)],
    ...     "ended_at": [None, None, dt.datetime(2026, 3, 12, tzinfo=dt.UTC),
    ...                  dt.datetime(2026, 3, 9, tzinfo=dt.UTC)]})
    >>> frame.select(status_expr(now))["status"].to_list()
    ['Scheduled', 'Running', 'Running', 'Ended']
    """
    started, ended = pl.col("started_at"), pl.col("ended_at")
    return (
        pl.when(started > now)
        .then(pl.lit("Scheduled"))
        .when(ended.is_null() | (ended > now))
        .then(pl.lit("Running"))
        .otherwise(pl.lit("Ended"))
        .alias("status")
    )


def campaign_rows(summary: pl.DataFrame, now: dt.datetime) -> pl.DataFrame:
    """The Campaigns table: one row per campaign of `data.queries.campaign_summary`, columns
    TABLE_COLUMNS, in the summary's order.

    `headline_figure` names the channel's main engagement rate (HEADLINE_RATES) and
    `headline_rate` is its value; `status` is the campaign's at `now` (an argument, so the
    rows are the same for a test or a notebook on any day). Channels and figures are keys;
    the page puts their labels on them.
    """
    headline_figure = pl.col("channel").replace_strict(
        HEADLINE_RATES, default=pl.lit(DEFAULT_HEADLINE), return_dtype=pl.String
    )
    return with_headline(summary, HEADLINE_RATES, default=DEFAULT_HEADLINE).select(
        *TABLE_COLUMNS[:5],
        status_expr(now),
        "audience_size",
        "messages_sent",
        headline_figure.alias("headline_figure"),
        *TABLE_COLUMNS[9:],
    )
