"""Assemble demo events and conversions from numpy arrays into the schema's frames.

The campaign generators describe events as batches of aligned arrays (user numbers,
times in seconds, a few labels); this module turns them into `message_events` and
`conversions` frames in one vectorised pass: text ids, UTC timestamps, the device the
event carries, and nothing after `DATA_END`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from data.demo.world import (
    CALENDAR_START,
    DEVICES,
    END,
    EVENT_DEVICE_SHARE,
    PLATFORMS,
    Population,
    user_ids,
)

Labels = str | pl.Series | None
"""One label for the whole batch, one per event, or none (NULL)."""

EVENT_LABELS = (
    "run_id",
    "action_id",
    "variant_id",
    "bounce_type",
    "error_code",
    "link_url",
)
EVENT_COLUMNS = ("campaign_id", "user", "event_type", "t", *EVENT_LABELS, "is_machine")
CALENDAR_START_US = int(CALENDAR_START.timestamp()) * 1_000_000


@dataclass
class CampaignEvents:
    """What one campaign generator produced: event and conversion batches, its audience.

    `population` (user numbers) is who the campaign reached: their sessions get the lift
    that the before/after charts are meant to show.
    """

    events: list[pl.DataFrame] = field(default_factory=list)
    conversions: list[pl.DataFrame] = field(default_factory=list)
    population: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def masked(labels: pl.Series, mask: np.ndarray) -> pl.Series:
    """The labels of the rows where `mask` is true, to go with `users[mask]`."""
    return labels.filter(pl.Series(mask))


def event_batch(
    campaign_id: str | pl.Series,
    event_type: str,
    users: np.ndarray,
    t: np.ndarray,
    *,
    is_machine: bool | np.ndarray = False,
    **labels: Labels,
) -> pl.DataFrame:
    """Events of one type for `users` at times `t` (seconds on the calendar axis).

    `campaign_id` is one id for the batch, or a Series aligned with `users` (the many
    small campaigns of `data.demo.extra` are generated together).

    `labels` are the optional text columns (run_id, action_id, variant_id, bounce_type,
    error_code, link_url), each a constant, a Series aligned with `users`, or None.
    """
    unknown = set(labels) - set(EVENT_LABELS)
    if unknown:
        raise ValueError(f"not an event label: {sorted(unknown)}")
    size = users.shape[0]
    frame = pl.DataFrame(
        {
            "user": pl.Series(users, dtype=pl.Int64),
            "t": pl.Series(t, dtype=pl.Int64),
            "is_machine": pl.Series(np.broadcast_to(is_machine, (size,)), dtype=pl.Boolean),
        }
    )
    columns = [pl.lit(campaign_id).alias("campaign_id"), pl.lit(event_type).alias("event_type")]
    for name in EVENT_LABELS:
        value = labels.get(name)
        if isinstance(value, pl.Series):
            columns.append(pl.lit(value.cast(pl.String)).alias(name))
        else:
            columns.append(pl.lit(value, dtype=pl.String).alias(name))
    return frame.with_columns(columns).select(EVENT_COLUMNS)


def conversion_batch(
    event_name: str, users: np.ndarray, t: np.ndarray, revenue: np.ndarray | None = None
) -> pl.DataFrame:
    """Conversion rows; `revenue` uses NaN for a conversion without revenue."""
    size = users.shape[0]
    amounts = np.full(size, np.nan) if revenue is None else revenue
    return pl.DataFrame(
        {
            "user": pl.Series(users, dtype=pl.Int64),
            "t": pl.Series(t, dtype=pl.Int64),
            "revenue": pl.Series(amounts, dtype=pl.Float64).fill_nan(None),
        }
    ).select("user", pl.lit(event_name).alias("event_name"), "t", "revenue")


def purchase_revenue(rng: np.random.Generator, size: int) -> np.ndarray:
    """Basket values around 50 (long right tail), in cents; about 5 % have none (NaN)."""
    amounts = np.round(rng.lognormal(mean=3.8, sigma=0.6, size=size), 2)
    return np.where(rng.random(size) < 0.05, np.nan, amounts)


def timestamps(t: pl.Expr) -> pl.Expr:
    """UTC timestamps of calendar-axis seconds."""
    return (t * 1_000_000 + CALENDAR_START_US).cast(pl.Datetime("us", "UTC"))


def numbered(prefix: str, size: int) -> pl.Expr:
    """Ids like `e000000001` in row order: sortable as text, stable for a seed."""
    return pl.lit(prefix) + pl.int_range(1, size + 1, dtype=pl.Int64).cast(pl.String).str.zfill(9)


def finish_events(
    rng: np.random.Generator, batches: list[pl.DataFrame], population: Population
) -> pl.DataFrame:
    """The `message_events` table from every batch: ids in time order, devices attached.

    Events at or after DATA_END are dropped (the demo's "now" is the end of 2026-11-22).
    Most events carry the user's platform and device, as SDK events do; the rest leave
    them NULL so the user's own values are the fallback.
    """
    events = (
        pl.concat(batches, how="vertical").filter(pl.col("t") < END).sort("t", maintain_order=True)
    )
    users = events["user"].to_numpy()
    carries = rng.random(events.height) < EVENT_DEVICE_SHARE
    platform = pl.Series(PLATFORMS, dtype=pl.String).gather(population.platform[users])
    device = pl.Series(DEVICES, dtype=pl.String).gather(population.device[users])
    return events.select(
        event_id=numbered("e", events.height),
        campaign_id="campaign_id",
        user_id=pl.lit(user_ids(users)),
        event_type="event_type",
        occurred_at=timestamps(pl.col("t")),
        run_id="run_id",
        action_id="action_id",
        variant_id="variant_id",
        platform=pl.when(pl.lit(pl.Series(carries))).then(pl.lit(platform)),
        device_model=pl.when(pl.lit(pl.Series(carries))).then(pl.lit(device)),
        bounce_type="bounce_type",
        error_code="error_code",
        link_url="link_url",
        is_machine="is_machine",
    )


def finish_conversions(batches: list[pl.DataFrame]) -> pl.DataFrame:
    """The `conversions` table: ids in time order, nothing at or after DATA_END."""
    conversions = (
        pl.concat(batches, how="vertical").filter(pl.col("t") < END).sort("t", maintain_order=True)
    )
    return conversions.select(
        conversion_id=numbered("c", conversions.height),
        user_id=pl.lit(user_ids(conversions["user"].to_numpy())),
        event_name="event_name",
        occurred_at=timestamps(pl.col("t")),
        revenue="revenue",
    )
