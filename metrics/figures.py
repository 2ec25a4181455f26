"""The one registry of figures: what each is called, what it means and how it reads.

Every figure the glossary defines is declared here once, as datasette declares each column
type once (a registered class holding its name, description and rendering): its JSON key,
its label on screen, its help sentence (the glossary's meaning in plain words), its kind
(which decides how it is formatted), the report tables that carry it (whether it has a
time series is whether `daily` carries it) and the channels whose Overview shows it as a
card. Tooltips, formatters, KPI cards, Explore's figure list and rate handling, chart
legends and the Experiment table's columns all read these declarations, so a figure's
words cannot drift apart between screens, and adding a figure touches this registry, its
query and its computation, nothing else (`tests/metrics/test_figures.py` holds the app
to that).

A key used in several tables with the same meaning (clicks in `kpis`, `variants`, `runs`)
has one declaration; where a table's figure means something else than the KPI of the same
name (a variant's conversion rate is over the variant's users, not over receivers), that
table has a declaration of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

from pydantic import BaseModel

from metrics import report_model

Kind = Literal[
    "count",
    "rate",
    "points",
    "relative",
    "probability",
    "p_value",
    "money",
    "seconds",
    "per_day",
    "breakdown",
    "time",
    "date",
    "hour",
    "weekday",
    "ordinal",
    "dimension",
    "flag",
    "text",
]
"""How a figure's value reads. count: a number of events or users; rate: a fraction shown
in percent; points: a difference of two rates, in percentage points; relative: a relative
change (lift); probability: a chance, in percent; p_value: a test's p-value; money:
revenue; seconds: a duration; per_day: an average per day; breakdown: counts per code;
time, date, hour, weekday: when; ordinal: a place in an order; dimension: what a row is
about (a variant, a link); flag: yes or no; text: words made for the screen."""

KINDS: tuple[Kind, ...] = get_args(Kind)

RATE_KINDS: frozenset[Kind] = frozenset({"rate", "probability"})
"""Kinds whose values are fractions that a screen shows in percent."""

Table = Literal[
    "kpis",
    "variants",
    "actions",
    "runs",
    "links",
    "platforms",
    "devices",
    "daily",
    "open_times",
    "open_punch_card",
    "sessions",
    "sessions_daily",
    "report",
    "variant_table",
    "explore",
]
"""Where a figure appears: a table of the JSON report (`sessions_daily` is
`sessions.daily`; `report` is the report's top level), `variant_table`, the columns the
Experiment page's variant table adds to the report's (its verdict and intervals in words),
or `explore`, a series Explore computes for itself per bucket (not a `daily` column)."""

REPORT_TABLES: dict[Table, type[BaseModel]] = {
    "kpis": report_model.Kpis,
    "variants": report_model.VariantRow,
    "actions": report_model.ActionRow,
    "runs": report_model.RunRow,
    "links": report_model.LinkRow,
    "platforms": report_model.PlatformRow,
    "devices": report_model.DeviceRow,
    "daily": report_model.DailyRow,
    "open_times": report_model.OpenTimeRow,
    "open_punch_card": report_model.PunchCardRow,
    "sessions": report_model.SessionsSummary,
    "sessions_daily": report_model.SessionDayRow,
    "report": report_model.CampaignReport,
}
"""The report's tables and the model of their rows."""

NOT_FIGURES: frozenset[str] = frozenset({"name", "granularity"})
"""Report fields that are no figure: a row's display name, and the bucket width of the
series (a setting of the view)."""


@dataclass(frozen=True)
class Figure:
    """One figure of the glossary: everything a screen needs to name, explain and show it."""

    key: str
    """The glossary's (and the JSON report's) key."""
    label: str
    """Its name on screen: card, picker, chart title, table heading."""
    help: str
    """What it means, in the glossary's words: every tooltip of this figure."""
    kind: Kind = "count"
    tables: tuple[Table, ...] = ("kpis",)
    """The report tables holding it; `daily` means it has a time series (Explore)."""
    short: str = ""
    """A shorter label for narrow table columns and chart legends (default: the label)."""
    channels: Mapping[str, int] = field(default_factory=dict)
    """The channels whose Overview shows it as a KPI card, with the card's place in the row."""
    note: str | None = None
    """A figure shown small beneath this one's card on a channel with no card of its own."""

    @property
    def heading(self) -> str:
        """The label where room is short: the short label if there is one."""
        return self.short or self.label

    @property
    def has_series(self) -> bool:
        """Whether the figure has a time series (a column of the report's `daily` rows, or
        one Explore computes per bucket)."""
        return "daily" in self.tables or "explore" in self.tables

    @property
    def is_rate(self) -> bool:
        """Whether its values are fractions that a screen shows in percent."""
        return self.kind in RATE_KINDS


KPI_DAILY: tuple[Table, ...] = ("kpis", "daily")
MESSAGE_TABLES: tuple[Table, ...] = ("kpis", "variants", "runs", "daily")
"""messages_sent: a KPI, a variant's, a run's and a day's (in-range sent events of the row)."""
EVENT_SPLITS: tuple[Table, ...] = ("kpis", "variants", "platforms", "devices", "daily")

FIGURES: tuple[Figure, ...] = (
    # Delivery
    Figure(
        "entries", "Entries", "How many times users entered the campaign (count of entered events)."
    ),
    Figure(
        "audience_size",
        "Audience size",
        "Users who entered the campaign, treatment and control.",
        tables=("kpis", "explore"),
        short="Audience",
        channels={"push": 3, "in_app": 3},
    ),
    Figure(
        "control_users",
        "Control users",
        "Users in the control group (assigned, sent nothing) with an entered or control "
        "event in the range.",
    ),
    Figure(
        "messages_sent",
        "Messages sent",
        "Messages sent (count of sent events).",
        tables=MESSAGE_TABLES,
        short="Sent",
        channels={"push": 1, "email": 1, "sms": 1},
        note="bounce_rate",
    ),
    Figure(
        "hard_bounces",
        "Hard bounces",
        "Bounces that are permanent: bounce type hard, or no type given.",
        tables=("kpis", "runs"),
    ),
    Figure("soft_bounces", "Soft bounces", "Bounces that are temporary: bounce type soft."),
    Figure(
        "bounce_rate",
        "Bounce rate",
        "Hard bounces divided by messages sent.",
        "rate",
        channels={"email": 6},
    ),
    Figure(
        "errors",
        "Errors",
        "Send attempts that failed and were never sent (count of failed events).",
        tables=("kpis", "variants"),
    ),
    Figure(
        "errors_by_code",
        "Errors by code",
        "Failed send attempts per error code (no code shows as unknown).",
        "breakdown",
    ),
    Figure(
        "delivered",
        "Delivered",
        "Delivery receipts if the campaign has any at all; otherwise messages sent minus "
        "hard and soft bounces.",
        tables=("kpis", "runs", "daily"),
        channels={"email": 2},
    ),
    Figure(
        "delivery_rate",
        "Delivery rate",
        "Delivered divided by messages sent.",
        "rate",
        channels={"email": 3, "sms": 2},
    ),
    Figure(
        "recipients",
        "Recipients",
        "Users the message reached: users with a delivery receipt if the campaign has any; "
        "otherwise users sent a message that did not bounce.",
    ),
    Figure("complaints", "Complaints", "Times recipients reported the message as spam."),
    # Engagement
    Figure(
        "impressions",
        "Impressions",
        "Times the message was displayed (count of impression events).",
        tables=EVENT_SPLITS,
        channels={"in_app": 1},
    ),
    Figure(
        "unique_impressions",
        "Unique impressions",
        "Users who saw the message at least once.",
        tables=KPI_DAILY,
    ),
    Figure(
        "opens",
        "Opens",
        "Opens, repeat opens included.",
        tables=(*EVENT_SPLITS, "runs", "open_times", "open_punch_card"),
    ),
    Figure(
        "unique_opens",
        "Unique opens",
        "Users who opened the message at least once.",
        tables=("kpis", "runs"),
    ),
    Figure(
        "open_rate",
        "Open rate",
        "Unique opens divided by recipients.",
        "rate",
        tables=("kpis", "explore"),
        channels={"push": 2, "email": 4},
    ),
    Figure(
        "clicks",
        "Clicks",
        "Clicks and taps, repeat clicks included.",
        tables=(*EVENT_SPLITS, "actions", "runs", "links"),
        channels={"push": 5, "email": 5},
    ),
    Figure(
        "unique_clicks",
        "Unique clicks",
        "Users who clicked at least once.",
        tables=("kpis", "links"),
    ),
    Figure(
        "click_rate",
        "Click rate",
        "Unique clicks divided by recipients.",
        "rate",
        channels={"push": 6, "sms": 3},
    ),
    Figure(
        "ctr",
        "Tap-through rate",
        "Clicks divided by impressions (tap-through rate for in-app messages); n/a "
        "without impressions.",
        "rate",
        tables=("kpis", "variants", "daily"),
        channels={"in_app": 2},
    ),
    Figure("dismissals", "Dismissals", "Times the in-app message was dismissed.", tables=KPI_DAILY),
    Figure(
        "dismissal_rate",
        "Dismissal rate",
        "Dismissals divided by impressions.",
        "rate",
        tables=KPI_DAILY,
    ),
    Figure(
        "engaged_users",
        "Engaged users",
        "Users who opened or clicked.",
        tables=("kpis", "explore"),
        short="Engaged",
    ),
    Figure("unsubscribes", "Unsubscribes", "Times users opted out through the message."),
    # Conversions
    Figure(
        "receivers",
        "Receivers",
        "Users outside the control group who received the message in the range.",
    ),
    Figure(
        "conversions",
        "Conversions",
        "Conversion goal events of treatment users within the conversion window after "
        "they first received the message.",
        tables=KPI_DAILY,
    ),
    Figure(
        "converted_users",
        "Converted users",
        "Treatment users with at least one conversion in the window.",
        short="Converted",
    ),
    Figure(
        "conversion_rate",
        "Conversion rate",
        "Converted users divided by receivers.",
        "rate",
        tables=("kpis", "explore"),
        channels={"push": 4, "in_app": 4, "sms": 4},
    ),
    Figure(
        "revenue",
        "Revenue",
        "Revenue of the treatment users' conversions (no revenue counts as 0).",
        "money",
        tables=("kpis", "explore"),
    ),
    Figure(
        "click_through_conversions",
        "Click-through conversions",
        "Converted users who clicked the message at or before their first conversion.",
    ),
    Figure(
        "view_through_conversions",
        "View-through conversions",
        "Converted users who saw or opened the message, without clicking it, at or before "
        "their first conversion.",
    ),
    Figure(
        "click_through_conversion_rate",
        "Click-through conversion rate",
        "Click-through conversions divided by users sent a message in the range.",
        "rate",
    ),
    Figure(
        "view_through_conversion_rate",
        "View-through conversion rate",
        "View-through conversions divided by users sent a message in the range.",
        "rate",
    ),
    Figure(
        "control_converted_users",
        "Control converted users",
        "Control users who converted within the window.",
    ),
    Figure(
        "control_conversion_rate",
        "Control conversion rate",
        "Control converted users divided by control users.",
        "rate",
    ),
    Figure(
        "uplift",
        "Uplift (absolute)",
        "Conversion rate minus the control group's conversion rate (absolute difference).",
        "points",
    ),
    Figure(
        "uplift_ci_low",
        "Uplift, 95 % interval from",
        "Lower end of the 95 % interval of the uplift.",
        "points",
    ),
    Figure(
        "uplift_ci_high",
        "Uplift, 95 % interval to",
        "Upper end of the 95 % interval of the uplift.",
        "points",
    ),
    Figure(
        "uplift_p_value",
        "p-value",
        "Chance of an uplift at least this large if the message made no difference "
        "(two-sided z-test).",
        "p_value",
    ),
    # Per variant
    Figure(
        "variant_id",
        "Variant",
        "The A/B variant (or control group).",
        "dimension",
        tables=("variants",),
    ),
    Figure(
        "is_control",
        "Control group",
        "Whether this variant is the control group, sent nothing.",
        "flag",
        tables=("variants",),
    ),
    Figure(
        "is_baseline",
        "Baseline",
        "The variant the others are compared with: the control, else the first variant.",
        "flag",
        tables=("variants",),
    ),
    Figure(
        "users",
        "Users",
        "Users of the variant: those who received a message of it in the range (control: "
        "control users who entered in the range).",
        tables=("variants",),
    ),
    Figure(
        "converted_users",
        "Converted users",
        "The variant's users with a qualifying conversion (for the control group, control "
        "users who converted).",
        tables=("variants",),
        short="Converted",
    ),
    Figure(
        "conversion_rate",
        "Conversion rate",
        "Converted users divided by the variant's users.",
        "rate",
        tables=("variants",),
    ),
    Figure(
        "lift",
        "Lift",
        "How much higher the variant's conversion rate is than the baseline's (relative).",
        "relative",
        tables=("variants",),
    ),
    Figure(
        "lift_ci_low",
        "Lift, 95 % interval from",
        "Lower end of the 95 % interval of the lift.",
        "relative",
        tables=("variants",),
    ),
    Figure(
        "lift_ci_high",
        "Lift, 95 % interval to",
        "Upper end of the 95 % interval of the lift.",
        "relative",
        tables=("variants",),
    ),
    Figure(
        "diff",
        "Difference",
        "Variant's conversion rate minus the baseline's (absolute).",
        "points",
        tables=("variants",),
    ),
    Figure(
        "diff_ci_low",
        "Difference, 95 % interval from",
        "Lower end of the 95 % interval of the difference.",
        "points",
        tables=("variants",),
    ),
    Figure(
        "diff_ci_high",
        "Difference, 95 % interval to",
        "Upper end of the 95 % interval of the difference.",
        "points",
        tables=("variants",),
    ),
    Figure(
        "p_value",
        "p-value",
        "Chance of a difference at least this large if the variants convert equally "
        "(two-sided z-test).",
        "p_value",
        tables=("variants",),
    ),
    Figure(
        "chance_to_beat_control",
        "Chance to beat the baseline",
        "Probability that the variant's true conversion rate is higher than the baseline's.",
        "probability",
        tables=("variants",),
        short="Chance to beat",
    ),
    Figure(
        "srm_p_value",
        "Sample-ratio p-value",
        "Sample-ratio check: chance of a split this far from the planned allocation. Below "
        "0.001 the split is broken and the comparison is not to be trusted.",
        "p_value",
        tables=("report",),
    ),
    # The Experiment page's variant table: the report's intervals and verdict in words
    Figure(
        "verdict",
        "Verdict",
        "At 95 % confidence: better or worse than the baseline when the two-sided p-value is "
        "below 0.05, otherwise not yet clear (the difference could still be chance).",
        "text",
        tables=("variant_table",),
    ),
    Figure(
        "lift_interval",
        "Lift, 95 % interval",
        "95 % interval of the lift (delta method): the true lift lies in it with 95 % confidence.",
        "text",
        tables=("variant_table",),
    ),
    Figure(
        "diff_interval",
        "Difference, 95 % interval",
        "95 % interval of the difference (Wald, unpooled), in percentage points.",
        "text",
        tables=("variant_table",),
    ),
    # Per action
    Figure(
        "action_id",
        "Action",
        "The step of the campaign's flow.",
        "dimension",
        tables=("actions",),
    ),
    Figure(
        "position", "Position", "Order of the step in the flow.", "ordinal", tables=("actions",)
    ),
    Figure(
        "received_users",
        "Received users",
        "Users who received this step in the range.",
        tables=("actions",),
    ),
    Figure(
        "attributed_conversions",
        "Attributed conversions",
        "Conversions credited to this step: the last one opened or clicked before the "
        "conversion, else the last one received.",
        tables=("actions",),
    ),
    # Per run
    Figure("run_id", "Run", "One run of a recurring campaign.", "dimension", tables=("runs",)),
    Figure(
        "endpoints_targeted",
        "Endpoints targeted",
        "Users who entered the run.",
        tables=("runs",),
    ),
    Figure(
        "first_event_at",
        "First event",
        "Time of the run's earliest event in the range.",
        "time",
        tables=("runs",),
    ),
    # Links and splits
    Figure("link_url", "Link", "A link in the message.", "dimension", tables=("links",)),
    Figure(
        "platform",
        "Platform",
        "Device platform of the event, else of the user's profile.",
        "dimension",
        tables=("platforms",),
    ),
    Figure(
        "device_model",
        "Device model",
        "Device model of the event, else of the user's profile.",
        "dimension",
        tables=("devices",),
    ),
    # Time series
    Figure(
        "date",
        "Date",
        "First local date of the day, week (Monday) or month.",
        "date",
        tables=("daily", "open_times", "sessions_daily"),
    ),
    Figure(
        "cumulative_impressions",
        "Cumulative impressions",
        "Impressions from the start of the range through this date.",
        tables=("daily",),
        short="Total impressions",
    ),
    Figure(
        "cumulative_unique_impressions",
        "Cumulative unique impressions",
        "Users who saw the message from the start of the range through this date, each "
        "counted once.",
        tables=("daily",),
        short="Unique impressions",
    ),
    # Open times
    Figure(
        "hour",
        "Hour",
        "Local hour of the day (0-23) in the chosen time zone.",
        "hour",
        tables=("open_times", "open_punch_card"),
    ),
    Figure(
        "weekday",
        "Weekday",
        "Local day of the week (0 = Monday).",
        "weekday",
        tables=("open_punch_card",),
    ),
    # Sessions
    Figure(
        "sessions",
        "Sessions",
        "App sessions started by the campaign's users that day.",
        tables=("sessions_daily",),
    ),
    Figure(
        "avg_session_seconds",
        "Average session",
        "Average length of those sessions, in seconds.",
        "seconds",
        tables=("sessions_daily",),
    ),
    Figure(
        "before_start",
        "Before window start",
        "Start of the before window, which ends when the campaign starts.",
        "time",
        tables=("sessions",),
    ),
    Figure(
        "during_start",
        "During window start",
        "Start of the during window: the campaign's start.",
        "time",
        tables=("sessions",),
    ),
    Figure(
        "during_end",
        "During window end",
        "End of the during window: the range end, or the campaign's end if earlier.",
        "time",
        tables=("sessions",),
    ),
    Figure(
        "sessions_per_day_before",
        "Sessions per day, before",
        "Sessions of the campaign's users per day before it started (a window a quarter as "
        "long as the campaign, 1 to 14 days).",
        "per_day",
        tables=("sessions",),
    ),
    Figure(
        "sessions_per_day_during",
        "Sessions per day, during",
        "Sessions of the campaign's users per day while it ran.",
        "per_day",
        tables=("sessions",),
    ),
    Figure(
        "avg_session_seconds_before",
        "Average session, before",
        "Average session length before the campaign, in seconds.",
        "seconds",
        tables=("sessions",),
    ),
    Figure(
        "avg_session_seconds_during",
        "Average session, during",
        "Average session length while the campaign ran, in seconds.",
        "seconds",
        tables=("sessions",),
    ),
    # Report header
    Figure(
        "data_as_of",
        "Data as of",
        "Time of the newest event in the database: how fresh the figures are.",
        "time",
        tables=("report",),
    ),
)
"""Every figure, in the glossary's order."""


def declarations(key: str) -> list[Figure]:
    """Every declaration of a key (two where a table's figure differs from the KPI's)."""
    return [figure for figure in FIGURES if figure.key == key]


def figure(key: str, table: Table | None = None) -> Figure:
    """The declaration of `key` in `table`; without a table, the KPI's (else the only one).

    >>> figure("ctr").label, figure("conversion_rate", "variants").help
    ('Tap-through rate', "Converted users divided by the variant's users.")
    """
    found = declarations(key)
    if table is not None:
        found = [each for each in found if table in each.tables]
    elif len(found) > 1:
        found = [each for each in found if "kpis" in each.tables]
    if len(found) != 1:
        raise KeyError(f"no single figure {key!r}" + (f" in {table}" if table else ""))
    return found[0]


def label(key: str, table: Table | None = None) -> str:
    """The figure's name on screen."""
    return figure(key, table).label


def heading(key: str, table: Table | None = None) -> str:
    """The figure's name where room is short (a narrow column, a legend)."""
    return figure(key, table).heading


def help_for(key: str, table: Table | None = None) -> str:
    """The figure's help sentence; an empty string for a key that is no figure (no tooltip)."""
    try:
        return figure(key, table).help
    except KeyError:
        return ""


def is_rate(key: str) -> bool:
    """Whether a figure's values are fractions shown in percent (Explore's rate handling)."""
    return figure(key).is_rate


def channel_cards(channel: str) -> list[Figure]:
    """The Overview's KPI cards of a channel, in their places."""
    shown = [each for each in FIGURES if channel in each.channels]
    return sorted(shown, key=lambda each: each.channels[channel])


def channels() -> list[str]:
    """Every channel some figure is shown on as a card."""
    return sorted({channel for each in FIGURES for channel in each.channels})


def series_figures() -> list[Figure]:
    """The figures with a time series, in the order of the report's `daily` columns.

    >>> [each.key for each in series_figures()][:3]
    ['messages_sent', 'delivered', 'impressions']
    """
    order = {key: place for place, key in enumerate(report_model.DailyRow.model_fields)}
    shown = [each for each in FIGURES if each.has_series and each.key != "date"]
    return sorted(shown, key=lambda each: order.get(each.key, len(order)))


def report_fields() -> set[tuple[Table, str]]:
    """Every (table, key) of the JSON report that holds a figure: what needs a declaration.

    Fields holding other models (the campaign row, the range, a table's rows) are tables
    of their own, not figures.
    """
    fields: set[tuple[Table, str]] = set()
    for table, model in REPORT_TABLES.items():
        for key, info in model.model_fields.items():
            if key not in NOT_FIGURES and not _holds_models(info.annotation):
                fields.add((table, key))
    return fields


def _holds_models(annotation: object) -> bool:
    """Whether a field's type is a model or a container of models (a table, not a figure)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_models(argument) for argument in get_args(annotation))
