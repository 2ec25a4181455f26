"""What each figure means, in the glossary's words: the one source of the app's tooltips.

Keys are the report's JSON keys (kpis, variants, actions, runs, links, platforms and
devices, daily, open times, sessions). A key used in several tables with the same meaning
(clicks, opens, impressions) has one text; where a table's figure differs from the KPI of
the same name (a variant's `users`), the table's rows say so in their own key.
"""

from __future__ import annotations

HELP: dict[str, str] = {
    # Delivery
    "entries": "How many times users entered the campaign (count of entered events).",
    "audience_size": "Users who entered the campaign, treatment and control.",
    "control_users": (
        "Users in the control group (assigned, sent nothing) with an entered or control "
        "event in the range."
    ),
    "messages_sent": "Messages sent (count of sent events).",
    "hard_bounces": "Bounces that are permanent: bounce type hard, or no type given.",
    "soft_bounces": "Bounces that are temporary: bounce type soft.",
    "bounce_rate": "Hard bounces divided by messages sent.",
    "errors": "Send attempts that failed and were never sent (count of failed events).",
    "errors_by_code": "Failed send attempts per error code (no code shows as unknown).",
    "delivered": (
        "Delivery receipts if the campaign has any at all; otherwise messages sent minus "
        "hard and soft bounces."
    ),
    "delivery_rate": "Delivered divided by messages sent.",
    "recipients": (
        "Users the message reached: users with a delivery receipt if the campaign has any; "
        "otherwise users sent a message that did not bounce."
    ),
    "complaints": "Times recipients reported the message as spam.",
    # Engagement
    "impressions": "Times the message was displayed (count of impression events).",
    "unique_impressions": "Users who saw the message at least once.",
    "opens": "Opens, repeat opens included.",
    "unique_opens": "Users who opened the message at least once.",
    "open_rate": "Unique opens divided by recipients.",
    "clicks": "Clicks and taps, repeat clicks included.",
    "unique_clicks": "Users who clicked at least once.",
    "click_rate": "Unique clicks divided by recipients.",
    "ctr": (
        "Clicks divided by impressions (tap-through rate for in-app messages); n/a "
        "without impressions."
    ),
    "dismissals": "Times the in-app message was dismissed.",
    "dismissal_rate": "Dismissals divided by impressions.",
    "engaged_users": "Users who opened or clicked.",
    "unsubscribes": "Times users opted out through the message.",
    # Conversions
    "receivers": "Users outside the control group who received the message in the range.",
    "conversions": (
        "Conversion goal events of treatment users within the conversion window after "
        "they first received the message."
    ),
    "converted_users": "Treatment users with at least one conversion in the window.",
    "conversion_rate": "Converted users divided by receivers.",
    "revenue": "Revenue of the treatment users' conversions (no revenue counts as 0).",
    "click_through_conversions": (
        "Converted users who clicked the message at or before their first conversion."
    ),
    "view_through_conversions": (
        "Converted users who saw or opened the message, without clicking it, at or before "
        "their first conversion."
    ),
    "click_through_conversion_rate": (
        "Click-through conversions divided by users sent a message in the range."
    ),
    "view_through_conversion_rate": (
        "View-through conversions divided by users sent a message in the range."
    ),
    "control_converted_users": "Control users who converted within the window.",
    "control_conversion_rate": "Control converted users divided by control users.",
    "uplift": ("Conversion rate minus the control group's conversion rate (absolute difference)."),
    "uplift_ci_low": "Lower end of the 95 % interval of the uplift.",
    "uplift_ci_high": "Upper end of the 95 % interval of the uplift.",
    "uplift_p_value": (
        "Chance of an uplift at least this large if the message made no difference "
        "(two-sided z-test)."
    ),
    # Per variant
    "variant_id": "The A/B variant (or control group).",
    "is_control": "Whether this variant is the control group, sent nothing.",
    "is_baseline": (
        "The variant the others are compared with: the control, else the first variant."
    ),
    "users": (
        "Users of the variant: those who received a message of it in the range (control: "
        "control users who entered in the range)."
    ),
    "lift": "How much higher the variant's conversion rate is than the baseline's (relative).",
    "lift_ci_low": "Lower end of the 95 % interval of the lift.",
    "lift_ci_high": "Upper end of the 95 % interval of the lift.",
    "diff": "Variant's conversion rate minus the baseline's (absolute).",
    "diff_ci_low": "Lower end of the 95 % interval of the difference.",
    "diff_ci_high": "Upper end of the 95 % interval of the difference.",
    "p_value": (
        "Chance of a difference at least this large if the variants convert equally "
        "(two-sided z-test)."
    ),
    "chance_to_beat_control": (
        "Probability that the variant's true conversion rate is higher than the baseline's."
    ),
    "srm_p_value": (
        "Sample-ratio check: chance of a split this far from the planned allocation. Below "
        "0.001 the split is broken and the comparison is not to be trusted."
    ),
    # Per action
    "action_id": "The step of the campaign's flow.",
    "position": "Order of the step in the flow.",
    "received_users": "Users who received this step in the range.",
    "attributed_conversions": (
        "Conversions credited to this step: the last one opened or clicked before the "
        "conversion, else the last one received."
    ),
    # Per run
    "run_id": "One run of a recurring campaign.",
    "endpoints_targeted": "Users who entered the run.",
    "first_event_at": "Time of the run's earliest event in the range.",
    # Links and splits
    "link_url": "A link in the message.",
    "platform": "Device platform of the event, else of the user's profile.",
    "device_model": "Device model of the event, else of the user's profile.",
    # Time series
    "date": "First local date of the day, week (Monday) or month.",
    "cumulative_impressions": "Impressions from the start of the range through this date.",
    "cumulative_unique_impressions": (
        "Users who saw the message from the start of the range through this date, each "
        "counted once."
    ),
    # Open times
    "hour": "Local hour of the day (0-23) in the chosen time zone.",
    "weekday": "Local day of the week (0 = Monday).",
    # Sessions
    "sessions": "App sessions started by the campaign's users that day.",
    "avg_session_seconds": "Average length of those sessions, in seconds.",
    "before_start": "Start of the before window, which ends when the campaign starts.",
    "during_start": "Start of the during window: the campaign's start.",
    "during_end": "End of the during window: the range end, or the campaign's end if earlier.",
    "sessions_per_day_before": (
        "Sessions of the campaign's users per day before it started (a window a quarter as "
        "long as the campaign, 1 to 14 days)."
    ),
    "sessions_per_day_during": "Sessions of the campaign's users per day while it ran.",
    "avg_session_seconds_before": "Average session length before the campaign, in seconds.",
    "avg_session_seconds_during": "Average session length while the campaign ran, in seconds.",
    # Report header
    "data_as_of": "Time of the newest event in the database: how fresh the figures are.",
}
"""Figure key -> the glossary's sentence in plain words."""


def help_for(key: str) -> str:
    """The help text of a figure key; an empty string for a key with none (no tooltip)."""
    return HELP.get(key, "")
