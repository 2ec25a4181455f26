"""When people open: per local date and hour, and folded into a weekday x hour punch card.

Hours are local to the scope's zone (Asia/Kolkata hours start at :30 UTC), so "9 in the
morning" means the reader's morning. The punch card is derived from the date x hour
counts, so both views always agree.
"""

from __future__ import annotations

import polars as pl

from metrics.report_model import OpenTimeRow, PunchCardRow


def open_time_rows(open_hours: pl.DataFrame) -> list[OpenTimeRow]:
    """`open_times`: {date, hour, opens} with opens > 0, by date then hour."""
    frame = open_hours.filter(pl.col("opens") > 0).sort("date", "hour")
    return [OpenTimeRow(**row) for row in frame.iter_rows(named=True)]


def punch_card(open_hours: pl.DataFrame) -> pl.DataFrame:
    """Opens per local weekday (0 = Monday) and hour: columns weekday, hour, opens."""
    return (
        open_hours.with_columns((pl.col("date").dt.weekday() - 1).cast(pl.Int64).alias("weekday"))
        .group_by("weekday", "hour")
        .agg(pl.col("opens").sum())
        .filter(pl.col("opens") > 0)
        .sort("weekday", "hour")
    )


def punch_card_rows(open_hours: pl.DataFrame) -> list[PunchCardRow]:
    """`open_punch_card`: {weekday, hour, opens} for every weekday x hour with opens."""
    return [PunchCardRow(**row) for row in punch_card(open_hours).iter_rows(named=True)]
