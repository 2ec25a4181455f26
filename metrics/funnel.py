"""The delivery funnel in users, per channel: each step a subset of the one before.

A funnel that mixes messages and users (34,839 sent messages under 20,854 entered users)
cannot be read as drop-off, and a step the channel never has (sent or delivered for an
in-app message) draws an empty bar mid-funnel. As in Amplitude's or Braze's funnels, every
step here counts treatment users (the control group is held out and never sent anything)
who reached it and every step before it in the range: entered, then sent, delivered,
opened and clicked for push and email; viewed and clicked for in-app; then converted when
the campaign has a goal. Steps are not ordered in time within a user (a click logged
before its delivery receipt still counts).

The per-user flags come from the user pass (`data.queries.user_pass`, one grouping by user);
converted users from the qualifying conversion rows, each carrying its user's in-range
event types, so "converted" uses the very same step rule.
"""

from __future__ import annotations

import polars as pl

from data.queries.user_pass import TYPE_BITS, FunnelStep, passes_step

STEP_HELP: dict[str, str] = {
    "Entered": "Treatment users with an entered event in the range (the control group is "
    "held out, so it is not in the funnel). Under an action filter: users who received "
    "that action.",
    "Sent": "Of those, users who were sent the message in the range.",
    "Delivered": "Of those, users with a delivered event (or, for a campaign without delivery "
    "receipts, users none of whose messages bounced).",
    "Viewed": "Of those, users who saw the message (an impression).",
    "Opened": "Of those, users who opened the message.",
    "Clicked": "Of those, users who clicked.",
    "Converted": "Of those, users with a qualifying conversion (the campaign's goal, inside "
    "their conversion window).",
}
"""What each step counts: the words under the funnel and in its table's help."""

CHANNEL_STEPS: dict[str, tuple[str, ...]] = {
    "push": ("Entered", "Sent", "Delivered", "Opened", "Clicked"),
    "email": ("Entered", "Sent", "Delivered", "Opened", "Clicked"),
    "sms": ("Entered", "Sent", "Delivered", "Clicked"),
    "in_app": ("Entered", "Viewed", "Clicked"),
}
"""The steps each channel has before conversion (an in-app message is never sent or
delivered; a push or an email makes no impression in this data model)."""


def funnel_steps(channel: str, has_delivered: bool) -> tuple[FunnelStep, ...]:
    """The user pass's steps for a campaign of `channel` (unknown channels: push's).

    Delivered follows the glossary's recipients: a `delivered` event when the campaign has
    any, else a `sent` event and no `bounced` one.

    >>> [step.name for step in funnel_steps("in_app", has_delivered=False)]
    ['Entered', 'Viewed', 'Clicked']
    """
    delivered = (
        FunnelStep("Delivered", TYPE_BITS["delivered"])
        if has_delivered
        else FunnelStep("Delivered", TYPE_BITS["sent"], none_of=TYPE_BITS["bounced"])
    )
    known = {
        "Entered": FunnelStep("Entered", 0),
        "Sent": FunnelStep("Sent", TYPE_BITS["sent"]),
        "Delivered": delivered,
        "Viewed": FunnelStep("Viewed", TYPE_BITS["impression"]),
        "Opened": FunnelStep("Opened", TYPE_BITS["opened"]),
        "Clicked": FunnelStep("Clicked", TYPE_BITS["clicked"]),
    }
    return tuple(known[name] for name in CHANNEL_STEPS.get(channel, CHANNEL_STEPS["push"]))


def funnel_frame(
    users: pl.DataFrame,
    steps: tuple[FunnelStep, ...],
    conversion_rows: pl.DataFrame | None,
    entered_bits: int,
) -> pl.DataFrame:
    """The funnel's rows: step, users, share of the first step, share of the step before.

    `users` is the user pass's funnel (step, users); `conversion_rows` (None without a goal)
    adds Converted: treatment users with a qualifying conversion whose in-range types reach
    every step (`entered_bits`: what makes a user of C, `entered` or, under an action
    filter, a receipt).
    """
    frame = users.select("step", pl.col("users").cast(pl.Int64))
    if conversion_rows is not None:
        # Every channel's steps start with Entered, whose rule is `entered_bits` itself.
        reached = pl.all_horizontal(
            passes_step(pl.col("types"), step, entered_bits) for step in steps
        )
        converted = (
            conversion_rows.filter(~pl.col("is_control") & reached)["user_id"].n_unique()
            if conversion_rows.height
            else 0
        )
        frame = pl.concat(
            [frame, pl.DataFrame({"step": ["Converted"], "users": [converted]})],
            how="vertical_relaxed",
        )
    first = frame["users"][0] if frame.height else 0
    return frame.with_columns(
        (pl.col("users") / first if first else pl.lit(None, pl.Float64)).alias("of_first"),
        (pl.col("users") / pl.col("users").shift(1)).fill_nan(None).alias("of_previous"),
    )
