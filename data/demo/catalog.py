"""The demo campaigns, their variants and actions: the ids every part of the app may rely on.

These rows are the shared contract for the demo: `push_black_friday` (A/B/control),
`inapp_onboarding` (three cards), `email_weekly_digest` (weekly runs) and
`push_flash_no_goal` (no conversion goal, no variants, no actions).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from data.demo import email as demo_email
from data.demo import inapp as demo_inapp
from data.demo import push as demo_push
from data.demo.world import CALENDAR_START
from data.schema import actions, campaigns, frame_schema, variants


def _utc(t: int) -> dt.datetime:
    return CALENDAR_START + dt.timedelta(seconds=t)


def campaigns_frame() -> pl.DataFrame:
    """The `campaigns` table of the demo."""
    rows = [
        (
            demo_push.BLACK_FRIDAY,
            "Black Friday teaser (A/B test)",
            "push",
            _utc(demo_push.BLACK_FRIDAY_START),
            None,
            "purchase",
            72,
        ),
        (
            demo_inapp.ONBOARDING,
            "Onboarding cards",
            "in_app",
            _utc(demo_inapp.START),
            _utc(demo_inapp.END),
            "tutorial_completed",
            48,
        ),
        (
            demo_email.DIGEST,
            "Weekly digest",
            "email",
            _utc(demo_email.START),
            None,
            "article_read",
            168,
        ),
        (
            demo_push.FLASH,
            "Flash sale (no goal)",
            "push",
            _utc(demo_push.FLASH_START),
            _utc(demo_push.FLASH_END),
            None,
            72,
        ),
    ]
    return pl.DataFrame(
        rows,
        schema=frame_schema(campaigns),
        orient="row",
    )


def variants_frame() -> pl.DataFrame:
    """The `variants` table: only the Black Friday push is an experiment."""
    return pl.DataFrame(
        [
            (demo_push.BLACK_FRIDAY, "A", "A: 'Early access'", False, 0.45),
            (demo_push.BLACK_FRIDAY, "B", "B: 'Your cart misses you'", False, 0.45),
            (demo_push.BLACK_FRIDAY, "control", "Control (no message)", True, 0.10),
        ],
        schema=frame_schema(variants),
        orient="row",
    )


def actions_frame() -> pl.DataFrame:
    """The `actions` table: the steps of each campaign's flow, in position order."""
    rows = [
        (demo_push.BLACK_FRIDAY, "push_teaser", "Teaser push", "push", 1),
        (demo_push.BLACK_FRIDAY, "push_reminder", "Reminder push", "push", 2),
        *(
            (demo_inapp.ONBOARDING, card, card.removeprefix("card_").title() + " card", "in_app", i)
            for i, card in enumerate(demo_inapp.CARDS, start=1)
        ),
        (demo_email.DIGEST, demo_email.ACTION, "Digest email", "email", 1),
    ]
    return pl.DataFrame(
        rows,
        schema=frame_schema(actions),
        orient="row",
    )
