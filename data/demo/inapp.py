"""Demo in-app campaign: onboarding cards shown again and again until the audience tires.

The saturation story: most users first see the cards in the first days, then keep seeing
them. Each repeat is less likely tapped, so the tap-through rate decays week by week, and
cumulative unique impressions flatten while cumulative total impressions keep rising.
"""

from __future__ import annotations

import numpy as np

from data.demo.events import CampaignEvents, conversion_batch, event_batch, masked
from data.demo.world import DAY, HOUR, Population, at, audience, pick

ONBOARDING = "inapp_onboarding"
START = at(2026, 10, 12)
END = at(2026, 11, 15)
CARDS = ("card_welcome", "card_profile", "card_invite")
FIRST_SEEN_MEAN_DAYS = 5.0
REPEATS_PER_DAY = 0.2
FIRST_TAP_CHANCE = 0.16
TAP_DECAY = 0.7
"""Each repeat impression is tapped 30 % less often than the one before."""
MIN_TAP_CHANCE = 0.01
DISMISS_CHANCE = 0.55
COMPLETION_AFTER_TAP = 0.45
COMPLETION_WITHOUT_TAP = 0.06
LATE_COMPLETION_SHARE = 0.05
EVENTS_PER_USER = 11.7


def onboarding(rng: np.random.Generator, population: Population, events: int) -> CampaignEvents:
    """The in-app campaign, sized to about `events` message events."""
    out = CampaignEvents()
    users = audience(rng, population, max(40, round(events / EVENTS_PER_USER)))
    out.population = users
    size: int = users.shape[0]
    span = END - START
    first_seen = START + np.minimum(
        (rng.exponential(FIRST_SEEN_MEAN_DAYS, size) * DAY).astype(np.int64), span - HOUR
    )
    repeats = rng.poisson(REPEATS_PER_DAY * (END - first_seen) / DAY)
    viewer = np.repeat(np.arange(size), 1 + repeats)
    t = np.where(
        np.r_[True, viewer[1:] != viewer[:-1]],  # each user's first row is the first view
        first_seen[viewer],
        rng.integers(first_seen[viewer], END),
    )
    order = np.lexsort((t, viewer))
    viewer, t = viewer[order], t[order]
    starts = np.r_[0, np.cumsum(1 + repeats)[:-1]]
    nth = np.arange(viewer.shape[0]) - starts[viewer]  # 0 for a user's first view
    card = pick(CARDS, nth % len(CARDS))
    tap_chance = np.maximum(FIRST_TAP_CHANCE * TAP_DECAY**nth, MIN_TAP_CHANCE)
    tapped = rng.random(t.shape[0]) < tap_chance
    dismissed = ~tapped & (rng.random(t.shape[0]) < DISMISS_CHANCE)
    who = users[viewer]

    out.events.append(event_batch(ONBOARDING, "entered", users, first_seen - 1))
    out.events.append(event_batch(ONBOARDING, "impression", who, t, action_id=card))
    for event_type, mask, lag in (
        ("clicked", tapped, rng.integers(3, 30, t.shape[0])),
        ("dismissed", dismissed, rng.integers(2, 20, t.shape[0])),
    ):
        out.events.append(
            event_batch(
                ONBOARDING,
                event_type,
                who[mask],
                (t + lag)[mask],
                action_id=masked(card, mask),
            )
        )

    first_tap = np.full(size, -1, dtype=np.int64)
    tapped_viewers = viewer[tapped]
    # Taps are in time order per user, so the first write per user must win: reverse.
    first_tap[tapped_viewers[::-1]] = t[tapped][::-1]
    completes = rng.random(size) < np.where(
        first_tap >= 0, COMPLETION_AFTER_TAP, COMPLETION_WITHOUT_TAP
    )
    completed_at = np.where(
        first_tap >= 0,
        first_tap + rng.exponential(2 * HOUR, size).astype(np.int64),
        first_seen + rng.exponential(12 * HOUR, size).astype(np.int64),
    )
    late = rng.random(size) < LATE_COMPLETION_SHARE
    completed_at = np.where(
        late, first_seen + rng.integers(49 * HOUR, 96 * HOUR, size), completed_at
    )
    out.conversions.append(
        conversion_batch("tutorial_completed", users[completes], completed_at[completes])
    )
    return out
