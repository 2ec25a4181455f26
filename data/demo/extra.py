"""Many small extra campaigns for the demo (`python -m data.demo --campaigns N`).

The Campaigns page must list a workspace of 1,000 campaigns in under 2 s; this fills one.
Each extra campaign is small (a few hundred events, a few conversions) and picks its
channel (push, email, in-app), whether it has a conversion goal, and whether it is an
A/B test (some with a control group) at random. They are generated all at once with
numpy from their own random stream, after the four story campaigns, so the default demo's
rows stay exactly what they were, and a seed always gives the same extras.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from data.demo.events import CampaignEvents, conversion_batch, event_batch, masked
from data.demo.world import CALENDAR_START, DAY, HOUR, Population, at, pick
from data.schema import campaigns, frame_schema, variants

CHANNELS = ("push", "email", "in_app")
GOALS = ("purchase", "signup", "article_read")
FIRST_START = at(2026, 8, 15)
LAST_START = at(2026, 11, 15)
USERS_PER_CAMPAIGN = (40, 120)
"""About 3-5 events each: a few hundred events per campaign."""
GOAL_SHARE = 0.6
AB_SHARE = 0.3
CONTROL_SHARE = 0.5
"""Of the A/B tests, those with a 10 % control group."""


@dataclass(frozen=True)
class ExtraCampaigns:
    """The extra campaigns' catalog rows and their events and conversions."""

    campaigns: pl.DataFrame
    variants: pl.DataFrame
    produced: CampaignEvents


def extra_campaign_ids(count: int, first_number: int = 5) -> list[str]:
    """`demo_0005`, `demo_0006`, ...: sortable, and clearly not one of the story campaigns."""
    return [f"demo_{number:04d}" for number in range(first_number, first_number + count)]


def extra_campaigns(rng: np.random.Generator, population: Population, count: int) -> ExtraCampaigns:
    """`count` small campaigns over the demo's calendar (see the module docstring)."""
    ids = np.array(extra_campaign_ids(count), dtype=object)
    channel = rng.integers(0, len(CHANNELS), count)
    has_goal = rng.random(count) < GOAL_SHARE
    goal = rng.integers(0, len(GOALS), count)
    window_hours = rng.choice(np.array([24, 48, 72, 168]), count)
    is_ab = rng.random(count) < AB_SHARE
    has_control = is_ab & (rng.random(count) < CONTROL_SHARE)
    start = rng.integers(FIRST_START, LAST_START, count)
    length = rng.integers(1, 15, count) * DAY
    ended = rng.random(count) < 0.7
    catalog = pl.DataFrame(
        {
            "campaign_id": ids.tolist(),
            "name": [
                f"{CHANNELS[c].replace('_', '-').title()} campaign {i[5:]}"
                for i, c in zip(ids, channel, strict=True)
            ],
            "channel": pick(CHANNELS, channel),
            "started_at": _times(start),
            "ended_at": _times(np.where(ended, start + length, -1)),
            "conversion_event": pl.Series(
                [GOALS[g] if h else None for g, h in zip(goal, has_goal, strict=True)],
                dtype=pl.String,
            ),
            "conversion_window_hours": window_hours,
        }
    ).cast(pl.Schema(frame_schema(campaigns)))
    variant_rows = [
        (campaign_id, variant_id, f"Variant {variant_id}", variant_id == "control", share)
        for campaign_id, ab, control in zip(ids, is_ab, has_control, strict=True)
        if ab
        for variant_id, share in (
            (("A", 0.45), ("B", 0.45), ("control", 0.1)) if control else (("A", 0.5), ("B", 0.5))
        )
    ]
    variant_frame = pl.DataFrame(variant_rows, schema=frame_schema(variants), orient="row")

    sizes = rng.integers(*USERS_PER_CAMPAIGN, count)
    campaign = np.repeat(np.arange(count), sizes)
    users = rng.integers(0, population.size, campaign.shape[0])
    _, first = np.unique(campaign * population.size + users, return_index=True)
    keep = np.sort(first)  # one entry per (campaign, user)
    campaign, users = campaign[keep], users[keep]
    rows = campaign.shape[0]
    entered = start[campaign] + (rng.random(rows) * length[campaign]).astype(np.int64)
    arm = np.where(is_ab[campaign], rng.integers(0, 2, rows), -1)
    control = has_control[campaign] & (rng.random(rows) < 0.1)
    variant = pick(("A", "B", "control", None), np.where(control, 2, np.where(arm < 0, 3, arm)))
    out = CampaignEvents(population=np.unique(users))
    names = pl.Series(ids[campaign].tolist(), dtype=pl.String)
    kind = channel[campaign]

    def add(
        event_type: str,
        mask: np.ndarray,
        t: np.ndarray,
        is_machine: np.ndarray | None = None,
        **columns: pl.Series,
    ) -> None:
        out.events.append(
            event_batch(
                masked(names, mask),
                event_type,
                users[mask],
                t[mask],
                is_machine=False if is_machine is None else is_machine[mask],
                variant_id=masked(variant, mask),
                **{name: masked(value, mask) for name, value in columns.items()},
            )
        )

    every = np.ones(rows, dtype=bool)
    add("entered", every, entered)
    add("control", control, entered + 1)
    treated = ~control
    send_at = entered + rng.integers(60, 900, rows)
    messaged = treated & (kind != 2)
    failed = messaged & (rng.random(rows) < 0.03)
    sent = messaged & ~failed
    bounced = sent & (rng.random(rows) < 0.04)
    bounce = pick(("hard", "soft"), rng.integers(0, 2, rows))
    error = pick(("InvalidToken", "Throttled"), rng.integers(0, 2, rows))
    add("failed", failed, send_at, error_code=error)
    add("sent", sent, send_at)
    add("bounced", bounced, send_at + rng.integers(1, 60, rows), bounce_type=bounce)
    reached = sent & ~bounced
    # Email providers send receipts; push campaigns have none (recipients are sends
    # without a bounce), so both of the glossary's recipient rules are on the page.
    add("delivered", reached & (kind == 1), send_at + rng.integers(1, 120, rows))
    shown = treated & (kind == 2)
    add("impression", shown, send_at)
    second_view = shown & (rng.random(rows) < 0.5)
    add("impression", second_view, send_at + rng.integers(HOUR, 3 * DAY, rows))
    open_at = send_at + rng.integers(5 * 60, 30 * HOUR, rows)
    opened = reached & (rng.random(rows) < np.where(kind == 1, 0.25, 0.12))
    machine = opened & (kind == 1) & (rng.random(rows) < 0.2)
    add("opened", opened, np.where(machine, send_at + 2, open_at), is_machine=machine)
    clicked = (opened & ~machine & (rng.random(rows) < 0.3)) | (shown & (rng.random(rows) < 0.12))
    click_at = np.where(shown, send_at + rng.integers(3, 60, rows), open_at + 20)
    add("clicked", clicked, click_at)
    add("dismissed", shown & ~clicked & (rng.random(rows) < 0.4), send_at + 30)

    converts = has_goal[campaign] & (rng.random(rows) < np.where(clicked, 0.3, 0.04))
    anchor = np.where(control, entered, send_at)
    late = rng.random(rows) < 0.1
    delay = np.where(
        late,
        window_hours[campaign] * HOUR + rng.integers(HOUR, 2 * DAY, rows),
        rng.integers(60, 20 * HOUR, rows),
    )
    for index, name in enumerate(GOALS):
        mine = converts & (goal[campaign] == index)
        out.conversions.append(
            conversion_batch(
                name, users[mine], (anchor + delay)[mine], np.round(rng.uniform(5, 80, rows))[mine]
            )
        )
    return ExtraCampaigns(campaigns=catalog, variants=variant_frame, produced=out)


def _times(t: np.ndarray) -> pl.Series:
    """UTC timestamps of calendar-axis seconds; -1 (none) as null."""
    seconds = pl.Series(t, dtype=pl.Int64)
    micros = pl.select(
        pl.when(seconds >= 0).then(seconds * 1_000_000 + int(CALENDAR_START.timestamp() * 1e6))
    ).to_series()
    return micros.cast(pl.Datetime("us", "UTC"))
