"""Every plain event count of a view in one statement: by type, local day, variant and action.

Counts by type cost DuckDB 23 ms over a campaign's 4 million events, where one distinct
count costs 500 (measured on the 10M demo), so every figure that is only a count comes
from this one pass: the totals behind the KPI cards, the daily (weekly, monthly) series,
the per-variant message counts, the per-action clicks, the open-time scatter and the
errors by code. It is one flat GROUP BY (event type, local day, variant, action, bounce
type, local hour of an open, error code of a failure): 131 ms and 2,594 rows for the
10M demo's largest campaign, which Polars rolls up into every frame the report needs.
(The same reductions as GROUPING SETS took 275 ms: DuckDB aggregates each set apart.)

The distinct counts (users) come from `data.queries.user_pass`, which groups by user once.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa

from data.frames import fetch_frame
from data.local_time import (
    SECONDS_PER_DAY,
    SECONDS_PER_HOUR,
    date_of_day_number,
    local_seconds,
    range_segments,
    whole_units,
)
from data.queries.events import UNKNOWN, e, scoped_events
from data.scope import Scope
from data.vocabulary import EVENT_TYPES

EVENT_TYPE_COUNTS: tuple[str, ...] = tuple(
    name for name in EVENT_TYPES if name not in ("control", "received")
)
"""Event types whose counts the figures use; bounces are also split hard / soft."""

COUNT_COLUMNS: tuple[str, ...] = (*EVENT_TYPE_COUNTS, "hard_bounced", "soft_bounced")

ROWS_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "event_type": pl.String,
    "day": pl.Int64,
    "variant_id": pl.String,
    "action_id": pl.String,
    "bounce_type": pl.String,
    "open_hour": pl.Int64,
    "error_code": pl.String,
    "events": pl.Int64,
}


@dataclass(frozen=True)
class EventCounts:
    """The counts of one view: one row per (type, local day, variant, action, bounce type,
    local hour of an open, error code of a failure) with its event count.

    The methods roll it up; each result is as small as its dimensions.
    """

    rows: pl.DataFrame

    def by_day(self) -> pl.DataFrame:
        """date, variant_id, action_id and one count column per COUNT_COLUMNS name."""
        rows = self.rows
        kinds = [
            rows.select(
                "day", "variant_id", "action_id", pl.col("event_type").alias("kind"), "events"
            ),
            rows.filter(pl.col("event_type") == "bounced").select(
                "day",
                "variant_id",
                "action_id",
                pl.when(pl.col("bounce_type") == "soft")
                .then(pl.lit("soft_bounced"))
                .when(pl.col("bounce_type").is_null() | (pl.col("bounce_type") == "hard"))
                .then(pl.lit("hard_bounced"))
                .alias("kind"),
                "events",
            ),
        ]
        long = pl.concat(kinds).filter(pl.col("kind").is_in(COUNT_COLUMNS))
        keys = ["day", "variant_id", "action_id"]
        wide = (
            long.group_by([*keys, "kind"])
            .agg(pl.col("events").sum())
            .pivot(on="kind", index=keys, values="events")
        )
        missing = [name for name in COUNT_COLUMNS if name not in wide.columns]
        wide = wide.with_columns(pl.lit(0, dtype=pl.Int64).alias(name) for name in missing)
        return wide.select(
            date_of_day_number(pl.col("day")).alias("date"),
            "variant_id",
            "action_id",
            *(pl.col(name).fill_null(0).cast(pl.Int64) for name in COUNT_COLUMNS),
        ).sort("date", "variant_id", "action_id", nulls_last=True)

    def totals(self) -> dict[str, int]:
        """Every count over the whole view: {event type (and hard/soft_bounced): count}."""
        sums = self.by_day().select(pl.col(COUNT_COLUMNS).sum())
        return {name: int(sums[name][0] or 0) for name in COUNT_COLUMNS}

    def opens_by_hour(self) -> pl.DataFrame:
        """date, hour (local), opens: `opened` events per local date and hour."""
        return (
            self.rows.filter(pl.col("event_type") == "opened")
            .group_by("day", "open_hour")
            .agg(pl.col("events").sum().alias("opens"))
            .select(
                date_of_day_number(pl.col("day")).alias("date"),
                pl.col("open_hour").alias("hour"),
                "opens",
            )
            .sort("date", "hour")
        )

    def errors_by_code(self) -> pl.DataFrame:
        """error_code (NULL as `unknown`), errors: `failed` events, most frequent first."""
        return (
            self.rows.filter(pl.col("event_type") == "failed")
            .group_by(pl.col("error_code").fill_null(UNKNOWN))
            .agg(pl.col("events").sum().alias("errors"))
            .sort(["errors", "error_code"], descending=[True, False])
        )

    def seen(self, column: str) -> list[str]:
        """The variant or action ids that appear on in-range events, sorted."""
        return sorted(self.rows[column].drop_nulls().unique().to_list())


def event_counts(connection: sa.Connection, scope: Scope) -> EventCounts:
    """Run the counting pass for `scope` (one statement)."""
    events = scoped_events(
        scope, derived={"local_seconds": local_seconds(e.c.occurred_at, range_segments(scope))}
    )
    day = whole_units(events.c.local_seconds, SECONDS_PER_DAY)
    hour_of_day = whole_units(events.c.local_seconds, SECONDS_PER_HOUR) - day * 24
    keyed = sa.select(
        events.c.event_type,
        day.label("day"),
        events.c.variant_id,
        events.c.action_id,
        events.c.bounce_type,
        sa.case((events.c.event_type == "opened", hour_of_day)).label("open_hour"),
        sa.case((events.c.event_type == "failed", events.c.error_code)).label("error_code"),
    ).subquery("keyed")
    keys = list(keyed.c)
    query = sa.select(*keys, sa.func.count().label("events")).group_by(*keys)
    return EventCounts(rows=fetch_frame(connection, query, schema=ROWS_SCHEMA))
