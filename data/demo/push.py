"""Demo push campaigns: the Black Friday A/B test with a control group, and a flash sale.

`push_black_friday` is the experiment story: variant B's copy is opened and converts
clearly more than A's, and the 10 % control group (sent nothing) converts least, so the
uplift and the variant comparison both have something to show. `push_flash_no_goal` is
a short campaign without a conversion goal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from data.demo.events import (
    CampaignEvents,
    Labels,
    conversion_batch,
    event_batch,
    masked,
    purchase_revenue,
)
from data.demo.world import (
    DAY,
    HOUR,
    Population,
    at,
    audience,
    evening_opens,
    pick,
)

BLACK_FRIDAY = "push_black_friday"
FLASH = "push_flash_no_goal"
BLACK_FRIDAY_START = at(2026, 11, 2, 14)
FLASH_START = at(2026, 10, 20, 16)
FLASH_END = at(2026, 10, 23)

VARIANTS = ("A", "B", "control")
VARIANT_SHARES = (0.45, 0.45, 0.10)
# Per variant A, B: chance to open the teaser, the reminder; to convert after an open
# or without one. The control group converts at CONTROL_CONVERSION (nothing sent).
TEASER_OPEN = np.array([0.10, 0.15])
REMINDER_OPEN = np.array([0.07, 0.10])
CONVERSION_AFTER_OPEN = np.array([0.25, 0.35])
CONVERSION_WITHOUT_OPEN = np.array([0.035, 0.055])
CONTROL_CONVERSION = 0.025
LATE_CONVERSION_SHARE = 0.06
"""Converters who buy only after the 72 h window: they must not count."""

ERROR_CODES = ("InvalidToken", "FrequencyCapped", "ProviderError", "Throttled")
ERROR_SHARES = (0.45, 0.25, 0.15, 0.15)
FAILURE_RATE = 0.03
BOUNCE_RATE = 0.035
BOUNCE_TYPES = ("hard", "soft", None)
BOUNCE_SHARES = (0.5, 0.2, 0.3)  # NULL counts as hard: some providers do not say
RECEIPT_BY_PLATFORM = np.array([0.4, 0.8, 0.0])  # SDK receipts: ios, android, web
CLICK_AFTER_OPEN = 0.35

EVENTS_PER_BLACK_FRIDAY_USER = 3.85
EVENTS_PER_FLASH_USER = 2.7


@dataclass
class PushOutcome:
    """Per user of one push message: when it was sent and opened (-1 when it was not)."""

    sent: np.ndarray
    opened: np.ndarray


def push_message(
    rng: np.random.Generator,
    population: Population,
    out: CampaignEvents,
    campaign_id: str,
    users: np.ndarray,
    attempt_at: np.ndarray,
    open_chance: np.ndarray,
    *,
    action_id: str | None,
    variant_id: pl.Series | None,
) -> PushOutcome:
    """Send one push to `users` (attempt_at -1: not attempted) and record what follows.

    A few attempts fail before sending (error codes, no `sent`); some sends bounce; the
    rest may get an SDK receipt (platform-dependent) and an evening open, and some opens
    a click on the notification's action.
    """
    size: int = users.shape[0]
    attempted = attempt_at >= 0
    failed = attempted & (rng.random(size) < FAILURE_RATE)
    sent = attempted & ~failed
    bounced = sent & (rng.random(size) < BOUNCE_RATE)
    delivered = sent & ~bounced
    received = delivered & (rng.random(size) < RECEIPT_BY_PLATFORM[population.platform[users]])
    open_at, on_a_good_day = evening_opens(rng, attempt_at, population.zone[users])
    opened = delivered & on_a_good_day & (rng.random(size) < open_chance)
    clicked = opened & (rng.random(size) < CLICK_AFTER_OPEN)

    def add(event_type: str, mask: np.ndarray, t: np.ndarray, **labels: Labels) -> None:
        out.events.append(
            event_batch(
                campaign_id,
                event_type,
                users[mask],
                t[mask],
                action_id=action_id,
                variant_id=None if variant_id is None else masked(variant_id, mask),
                is_machine=False,  # push has no machine opens (`labels` holds text columns only)
                **labels,
            )
        )

    error = pick(ERROR_CODES, rng.choice(len(ERROR_CODES), size=size, p=np.asarray(ERROR_SHARES)))
    bounce = pick(BOUNCE_TYPES, rng.choice(len(BOUNCE_TYPES), size=size, p=BOUNCE_SHARES))
    add("failed", failed, attempt_at, error_code=masked(error, failed))
    add("sent", sent, attempt_at)
    add(
        "bounced",
        bounced,
        attempt_at + rng.integers(1, 60, size),
        bounce_type=masked(bounce, bounced),
    )
    add("received", received, attempt_at + rng.integers(1, 30, size))
    add("opened", opened, open_at)
    add("clicked", clicked, open_at + rng.integers(2, 40, size))
    return PushOutcome(
        sent=np.where(sent, attempt_at, -1),
        opened=np.where(opened, open_at, -1),
    )


def _first(*times: np.ndarray) -> np.ndarray:
    """Earliest of several per-user times where -1 means "never"; -1 if all are."""
    stacked = np.stack([np.where(t >= 0, t, np.iinfo(np.int64).max) for t in times])
    earliest = stacked.min(axis=0)
    return np.where(earliest == np.iinfo(np.int64).max, -1, earliest)


def black_friday(rng: np.random.Generator, population: Population, events: int) -> CampaignEvents:
    """The A/B/control push campaign, sized to about `events` message events."""
    out = CampaignEvents()
    users = audience(rng, population, max(50, round(events / EVENTS_PER_BLACK_FRIDAY_USER)))
    out.population = users
    size: int = users.shape[0]
    variant = rng.choice(len(VARIANTS), size=size, p=np.asarray(VARIANT_SHARES))
    variant_ids = pick(VARIANTS, variant)
    # A third enter at launch, the rest trickle in as they qualify over the next 18 days.
    day = np.where(rng.random(size) < 0.35, 0, rng.integers(0, 18, size))
    entered = BLACK_FRIDAY_START + day * DAY + rng.integers(0, 8 * HOUR, size)
    out.events.append(event_batch(BLACK_FRIDAY, "entered", users, entered, variant_id=variant_ids))
    control = variant == 2
    out.events.append(
        event_batch(
            BLACK_FRIDAY,
            "control",
            users[control],
            entered[control] + 1,
            variant_id="control",
        )
    )
    treated = ~control
    arm = np.minimum(variant, 1)  # 0 = A, 1 = B (control rows are masked out below)
    teaser = push_message(
        rng,
        population,
        out,
        BLACK_FRIDAY,
        users,
        np.where(treated, entered + rng.integers(60, 600, size), -1),
        TEASER_OPEN[arm],
        action_id="push_teaser",
        variant_id=variant_ids,
    )
    # The reminder goes three days later to everyone who did not open the teaser.
    reminder = push_message(
        rng,
        population,
        out,
        BLACK_FRIDAY,
        users,
        np.where(treated & (teaser.opened < 0), entered + 3 * DAY, -1),
        REMINDER_OPEN[arm],
        action_id="push_reminder",
        variant_id=variant_ids,
    )
    anchor = np.where(treated, _first(teaser.sent, reminder.sent), entered)
    first_open = _first(teaser.opened, reminder.opened)
    chance = np.where(first_open >= 0, CONVERSION_AFTER_OPEN[arm], CONVERSION_WITHOUT_OPEN[arm])
    chance = np.where(control, CONTROL_CONVERSION, chance)
    converts = (anchor >= 0) & (rng.random(size) < chance)
    delay = np.where(
        first_open >= 0,
        first_open - anchor + rng.exponential(3 * HOUR, size),
        rng.exponential(20 * HOUR, size),
    ).astype(np.int64)
    late = rng.random(size) < LATE_CONVERSION_SHARE
    delay = np.where(late, rng.integers(73 * HOUR, 160 * HOUR, size), delay)
    buyers = users[converts]
    out.conversions.append(
        conversion_batch(
            "purchase",
            buyers,
            (anchor + delay)[converts],
            purchase_revenue(rng, buyers.shape[0]),
        )
    )
    # Some of the audience bought anyway, often before the push reached them.
    early = rng.random(size) < 0.03
    out.conversions.append(
        conversion_batch(
            "purchase",
            users[early],
            rng.integers(at(2026, 10, 20), at(2026, 11, 22), int(early.sum())),
            purchase_revenue(rng, int(early.sum())),
        )
    )
    return out


def flash_sale(rng: np.random.Generator, population: Population, events: int) -> CampaignEvents:
    """A three-day push with no conversion goal and no variants or actions."""
    out = CampaignEvents()
    users = audience(rng, population, max(30, round(events / EVENTS_PER_FLASH_USER)))
    out.population = users
    size: int = users.shape[0]
    entered = FLASH_START + rng.integers(0, 2 * HOUR, size)
    out.events.append(event_batch(FLASH, "entered", users, entered))
    push_message(
        rng,
        population,
        out,
        FLASH,
        users,
        entered + rng.integers(30, 300, size),
        np.full(size, 0.12),
        action_id=None,
        variant_id=None,
    )
    return out
