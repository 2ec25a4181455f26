"""Demo recurring email: a weekly digest with runs, receipts, bounces and list hygiene.

Each Monday run goes to the current subscribers: `entered` and `sent` per run, a
`delivered` receipt or a hard/soft bounce, evening opens by people plus instant opens by
privacy proxies (`is_machine`), clicks spread over several links, and the occasional
unsubscribe or spam complaint. Hard bounces, unsubscribes and complaints leave the list,
so later runs target slightly different endpoints, as on the Pinpoint runs table.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from data.demo.events import CampaignEvents, Labels, conversion_batch, event_batch, masked
from data.demo.world import HOUR, Population, at, audience, evening_opens, pick

DIGEST = "email_weekly_digest"
ACTION = "digest_email"
FIRST_RUN = dt.date(2026, 9, 7)
RUNS = 11  # every Monday from 2026-09-07 through 2026-11-16
SEND_HOUR = 14
START = at(FIRST_RUN.year, FIRST_RUN.month, FIRST_RUN.day, SEND_HOUR)
LINKS = (
    "https://example.com/digest/top-story",
    "https://example.com/digest/deals",
    "https://example.com/digest/new-features",
    "https://example.com/account/preferences",
)
LINK_SHARES = (0.45, 0.25, 0.2, 0.1)
HARD_BOUNCE = 0.008
SOFT_BOUNCE = 0.02
PROXY_OPENERS = 0.15
"""Share of subscribers behind a mail privacy proxy, which opens every delivered email."""
CLICK_AFTER_OPEN = 0.22
SECOND_LINK = 0.25
SECOND_OPEN = 0.2
LINK_SCANNED = 0.01
UNSUBSCRIBE = 0.004
COMPLAIN = 0.0007
NEW_SUBSCRIBERS_PER_RUN = 0.03
READ_AFTER_CLICK = 0.45
READ_WITHOUT_CLICK = 0.02
EVENTS_PER_SUBSCRIBER = 4.0 * RUNS


def weekly_digest(rng: np.random.Generator, population: Population, events: int) -> CampaignEvents:
    """The weekly email, sized to about `events` message events over its RUNS runs."""
    out = CampaignEvents()
    base = max(30, round(events / EVENTS_PER_SUBSCRIBER))
    pool = audience(rng, population, round(base * (1 + NEW_SUBSCRIBERS_PER_RUN * RUNS)))
    out.population = pool
    size: int = pool.shape[0]
    joins_at_run = np.where(
        rng.random(size) < base / size, 0, rng.integers(1, RUNS, size)
    )  # most were subscribed before the first run, the rest join later
    left = np.zeros(size, dtype=bool)
    behind_proxy = rng.random(size) < PROXY_OPENERS
    interest = rng.beta(2.0, 6.0, size)  # each reader's own open habit, mean 25 %
    zone = population.zone[pool]

    for run in range(RUNS):
        day = FIRST_RUN + dt.timedelta(weeks=run)
        run_id = day.isoformat()
        send = at(day.year, day.month, day.day, SEND_HOUR)
        listed = np.flatnonzero((joins_at_run <= run) & ~left)
        n: int = listed.shape[0]
        users = pool[listed]

        def add(
            event_type: str,
            mask: np.ndarray,
            t: np.ndarray,
            *,
            users: np.ndarray = users,
            run_id: str = run_id,
            is_machine: bool = False,
            **labels: Labels,
        ) -> None:
            out.events.append(
                event_batch(
                    DIGEST,
                    event_type,
                    users[mask],
                    t[mask],
                    is_machine=is_machine,
                    run_id=run_id,
                    action_id=ACTION,
                    **labels,
                )
            )

        everyone = np.ones(n, dtype=bool)
        sent_at = send + rng.integers(0, 1800, n)
        add("entered", everyone, sent_at - 300)
        add("sent", everyone, sent_at)
        draw = rng.random(n)
        hard = draw < HARD_BOUNCE
        soft = (draw >= HARD_BOUNCE) & (draw < HARD_BOUNCE + SOFT_BOUNCE)
        delivered = ~hard & ~soft
        bounce_at = sent_at + rng.integers(5, 600, n)
        add("bounced", hard, bounce_at, bounce_type="hard")
        add("bounced", soft, bounce_at, bounce_type="soft")
        delivered_at = sent_at + rng.integers(1, 120, n)
        add("delivered", delivered, delivered_at)

        proxy = delivered & behind_proxy[listed]
        add("opened", proxy, delivered_at + rng.integers(30, 300, n), is_machine=True)
        open_at, on_a_good_day = evening_opens(
            rng, delivered_at, zone[listed], (0.5, 0.25, 0.15, 0.1)
        )
        opened = delivered & on_a_good_day & (rng.random(n) < interest[listed])
        add("opened", opened, open_at)
        reopened = opened & (rng.random(n) < SECOND_OPEN)
        add("opened", reopened, open_at + rng.integers(HOUR, 48 * HOUR, n))

        clicked = opened & (rng.random(n) < CLICK_AFTER_OPEN)
        click_at = open_at + rng.integers(10, 120, n)
        link = pick(LINKS, rng.choice(len(LINKS), size=n, p=np.asarray(LINK_SHARES)))
        add("clicked", clicked, click_at, link_url=masked(link, clicked))
        again = clicked & (rng.random(n) < SECOND_LINK)
        other = pick(LINKS, rng.choice(len(LINKS), size=n, p=np.asarray(LINK_SHARES)))
        add("clicked", again, click_at + rng.integers(30, 600, n), link_url=masked(other, again))
        scanned = delivered & (rng.random(n) < LINK_SCANNED)
        add(
            "clicked",
            scanned,
            delivered_at + rng.integers(5, 60, n),
            link_url=LINKS[0],
            is_machine=True,
        )

        unsubscribed = delivered & (rng.random(n) < UNSUBSCRIBE)
        add("unsubscribed", unsubscribed, open_at + rng.integers(60, 900, n))
        complained = delivered & ~unsubscribed & (rng.random(n) < COMPLAIN)
        add("complained", complained, delivered_at + rng.integers(HOUR, 24 * HOUR, n))
        left[listed] |= hard | unsubscribed | complained

        reads = rng.random(n) < np.where(clicked, READ_AFTER_CLICK, READ_WITHOUT_CLICK)
        read_at = np.where(
            clicked,
            click_at + rng.exponential(1.5 * HOUR, n).astype(np.int64),
            delivered_at + rng.integers(HOUR, 200 * HOUR, n),
        )
        out.conversions.append(conversion_batch("article_read", users[reads], read_at[reads]))
    return out
