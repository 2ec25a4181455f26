"""A second, plain-Polars reading of the metrics glossary: the oracle of the reference test.

Written from `/work/shared/metrics-glossary.md` and `docs/decisions.md` alone, never from
the engine: each function computes one family of figures straight from the raw frames
(message_events, users, variants, actions, conversions, sessions) in the most obvious way,
so a difference from `build_report` points at one of the two readings. Speed does not
matter here (a campaign has a few hundred events); clarity does. Quotes in docstrings are
the glossary's lines (or a decision's) that the function follows.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

Z = 1.959963984540054
RECEIPTS = ["sent", "delivered", "received", "impression", "opened", "clicked"]
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Tables:
    """The raw rows of every table, as the engine's database holds them."""

    campaign: dict[str, Any]
    events: pl.DataFrame
    users: pl.DataFrame
    variants: pl.DataFrame
    actions: pl.DataFrame
    conversions: pl.DataFrame
    sessions: pl.DataFrame


@dataclass(frozen=True)
class Filters:
    """The scope of every figure (glossary, "Scope of every figure")."""

    start: dt.date
    end: dt.date
    tz: str
    exclude_test_users: bool = False
    exclude_machine: bool = False
    variant: str | None = None
    action: str | None = None

    @property
    def range_start(self) -> dt.datetime:
        """ "[start date 00:00 in Z, ..." as a UTC instant."""
        return _local_midnight(self.start, self.tz)

    @property
    def range_end(self) -> dt.datetime:
        """ "..., day after end date 00:00 in Z)" as a UTC instant."""
        return _local_midnight(self.end + DAY, self.tz)


def _local_midnight(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(tz)).astimezone(dt.UTC)


def _rate(numerator: float | None, denominator: float | None) -> float | None:
    """ "A rate whose denominator is 0 is null / "n/a", never 0 and never an error." """
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def _users(frame: pl.DataFrame) -> set[str]:
    return set(frame["user_id"].to_list())


def _of_type(frame: pl.DataFrame, *types: str) -> pl.DataFrame:
    return frame.filter(pl.col("event_type").is_in(list(types)))


def _local_date(column: str, tz: str) -> pl.Expr:
    return pl.col(column).dt.convert_time_zone(tz).dt.date()


# --- the events a figure reads ------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """C's events as one scope reads them: `any_time` for the glossary's "any time" reads
    (anchors, control membership, the sessions population), `in_range` for the rest."""

    filters: Filters
    any_time: pl.DataFrame
    in_range: pl.DataFrame
    has_delivered: bool
    test_users: set[str]


def read_events(tables: Tables, filters: Filters, *, apply_variant: bool = True) -> Reading:
    """Apply the scope's filters to C's message events.

    "Exclude test users ... every figure ignores users with users.is_test = true";
    "Exclude automated opens and clicks ... ignored by every figure"; a variant or action
    filter: "C is read as if its only message events were those carrying that variant_id
    (or action_id); every figure, anchors included, follows from those events".
    `apply_variant=False` is the variant table's reading: "a variant filter narrows the
    other figures, never the experiment itself".
    "C has any delivered event" follows the variant and action filters but ignores the
    range and the test-user exclusion (docs/decisions.md).
    """
    campaign_id = tables.campaign["campaign_id"]
    events = tables.events.filter(pl.col("campaign_id") == campaign_id)
    if apply_variant and filters.variant is not None:
        events = events.filter(pl.col("variant_id") == filters.variant)
    if filters.action is not None:
        events = events.filter(pl.col("action_id") == filters.action)
    has_delivered = (events["event_type"] == "delivered").any()
    test_users: set[str] = set()
    if filters.exclude_test_users:
        test_users = set(tables.users.filter(pl.col("is_test"))["user_id"].to_list())
        events = events.filter(~pl.col("user_id").is_in(list(test_users)))
    if filters.exclude_machine:
        events = events.filter(
            ~(pl.col("event_type").is_in(["opened", "clicked"]) & pl.col("is_machine"))
        )
    in_range = events.filter(
        (pl.col("occurred_at") >= filters.range_start) & (pl.col("occurred_at") < filters.range_end)
    )
    return Reading(filters, events, in_range, bool(has_delivered), test_users)


# --- Delivery and Engagement ---------------------------------------------------------------


def _hard(frame: pl.DataFrame) -> int:
    """ "hard_bounces: count of bounced events with bounce_type hard or NULL"."""
    bounced = _of_type(frame, "bounced")
    return bounced.filter(
        pl.col("bounce_type").is_null() | (pl.col("bounce_type") == "hard")
    ).height


def _soft(frame: pl.DataFrame) -> int:
    return _of_type(frame, "bounced").filter(pl.col("bounce_type") == "soft").height


def _delivered(frame: pl.DataFrame, has_delivered: bool) -> int:
    """ "count of delivered events if C has any delivered event at all (any time, any
    user); otherwise messages_sent - hard_bounces - soft_bounces. The same rule applies
    inside each day and run" (not clamped at 0: docs/decisions.md)."""
    if has_delivered:
        return _of_type(frame, "delivered").height
    return _of_type(frame, "sent").height - _hard(frame) - _soft(frame)


def audience(reading: Reading) -> set[str]:
    """ "audience_size: users with an entered event"; under an action filter "the users of
    C are those with an in-range receipt event carrying that action"."""
    if reading.filters.action is not None:
        return _users(_of_type(reading.in_range, *RECEIPTS))
    return _users(_of_type(reading.in_range, "entered"))


def recipients(reading: Reading) -> set[str]:
    """ "users with a delivered event if C has any (any time); otherwise users with a sent
    event and no bounced event in range"."""
    events = reading.in_range
    if reading.has_delivered:
        return _users(_of_type(events, "delivered"))
    return _users(_of_type(events, "sent")) - _users(_of_type(events, "bounced"))


def delivery(reading: Reading) -> dict[str, Any]:
    """The glossary's Delivery table, except control_users (see `conversion_kpis`)."""
    events = reading.in_range
    sent = _of_type(events, "sent").height
    hard, soft = _hard(events), _soft(events)
    delivered = _delivered(events, reading.has_delivered)
    failed = _of_type(events, "failed").with_columns(pl.col("error_code").fill_null("unknown"))
    entries = (
        len(audience(reading))  # "entries ... count them" under an action filter
        if reading.filters.action is not None
        else _of_type(events, "entered").height
    )
    return {
        "entries": entries,
        "audience_size": len(audience(reading)),
        "messages_sent": sent,
        "hard_bounces": hard,
        "soft_bounces": soft,
        "bounce_rate": _rate(hard, sent),
        "errors": failed.height,
        "errors_by_code": dict(failed["error_code"].value_counts().iter_rows()),
        "delivered": delivered,
        "delivery_rate": _rate(delivered, sent),
        "recipients": len(recipients(reading)),
        "complaints": _of_type(events, "complained").height,
    }


def engagement(reading: Reading) -> dict[str, Any]:
    """The glossary's Engagement table; open and click rates over `recipients`."""
    events = reading.in_range
    receivers = len(recipients(reading))
    impressions = _of_type(events, "impression").height
    clicks = _of_type(events, "clicked").height
    dismissals = _of_type(events, "dismissed").height
    unique_opens = len(_users(_of_type(events, "opened")))
    unique_clicks = len(_users(_of_type(events, "clicked")))
    return {
        "impressions": impressions,
        "unique_impressions": len(_users(_of_type(events, "impression"))),
        "opens": _of_type(events, "opened").height,
        "unique_opens": unique_opens,
        "open_rate": _rate(unique_opens, receivers),
        "clicks": clicks,
        "unique_clicks": unique_clicks,
        "click_rate": _rate(unique_clicks, receivers),
        "ctr": _rate(clicks, impressions),
        "dismissals": dismissals,
        "dismissal_rate": _rate(dismissals, impressions),
        "engaged_users": len(_users(_of_type(events, "opened", "clicked"))),
        "unsubscribes": _of_type(events, "unsubscribed").height,
    }


# --- Conversions ---------------------------------------------------------------------------


def control_variants(tables: Tables) -> set[str]:
    return set(tables.variants.filter(pl.col("is_control"))["variant_id"].to_list())


def control_members(tables: Tables, reading: Reading) -> set[str]:
    """ "Control users: users with a control event of C, or an entered event of C carrying
    a variant with is_control = true, at any time" (following the filters: decisions)."""
    events = reading.any_time
    controls = control_variants(tables)
    marked = _of_type(events, "control")
    entered = _of_type(events, "entered").filter(pl.col("variant_id").is_in(list(controls)))
    return _users(marked) | _users(entered)


def anchors(tables: Tables, reading: Reading, control: set[str]) -> dict[str, dt.datetime]:
    """ "Anchor of a treatment user: the time of their first receipt event of C (over all
    time ...). Anchor of a control user: their first control or entered event of C"."""
    events = reading.any_time
    treatment = _of_type(events, *RECEIPTS).filter(~pl.col("user_id").is_in(list(control)))
    controls = _of_type(events, "control", "entered").filter(pl.col("user_id").is_in(list(control)))
    first = pl.concat([treatment, controls]).group_by("user_id").agg(pl.col("occurred_at").min())
    return dict(first.iter_rows())


def qualifying_conversions(tables: Tables, reading: Reading, control: set[str]) -> pl.DataFrame:
    """Conversion rows with a column `is_control`: "A conversion row (conversions table,
    event_name = C.conversion_event) of user u at time t qualifies when anchor(u) <= t <=
    anchor(u) + conversion_window_hours and t falls in the range"."""
    window = dt.timedelta(hours=tables.campaign["conversion_window_hours"])
    anchor = pl.DataFrame(
        list(anchors(tables, reading, control).items()),
        schema={"user_id": pl.String, "anchor": pl.Datetime("us", "UTC")},
        orient="row",
    )
    filters = reading.filters
    return (
        tables.conversions.filter(
            (pl.col("event_name") == tables.campaign["conversion_event"])
            & ~pl.col("user_id").is_in(list(reading.test_users))
            & (pl.col("occurred_at") >= filters.range_start)
            & (pl.col("occurred_at") < filters.range_end)
        )
        .join(anchor, on="user_id")
        .filter(
            (pl.col("occurred_at") >= pl.col("anchor"))
            & (pl.col("occurred_at") <= pl.col("anchor") + window)
        )
        .with_columns(pl.col("user_id").is_in(list(control)).alias("is_control"))
    )


def _through(reading: Reading, converted: pl.DataFrame) -> tuple[int, int]:
    """ "click_through_conversions: converted users with a clicked event of C at or before
    their first qualifying conversion"; view-through: "an impression or opened event, and
    no clicked event, at or before" it. "The events behind click-/view-through conversions
    ... must be in the range too"."""
    first = converted.group_by("user_id").agg(pl.col("occurred_at").min().alias("first"))
    before = reading.in_range.join(first, on="user_id").filter(
        pl.col("occurred_at") <= pl.col("first")
    )
    clickers = _users(_of_type(before, "clicked"))
    viewers = _users(_of_type(before, "impression", "opened")) - clickers
    return len(clickers), len(viewers)


def diff_test(x_v: int, n_v: int, x_c: int, n_c: int) -> dict[str, float | None]:
    """ "diff = rate_v - rate_control (absolute), diff_ci_low / diff_ci_high: 95 % Wald
    interval, unpooled variance; p_value: two-sided pooled two-proportion z-test", with the
    degenerate cases: "either side with 0 users: every comparison field null. Pooled rate
    0 or 1: p_value null. Zero unpooled variance: the interval is [diff, diff]"."""
    if n_v == 0 or n_c == 0:
        return {"diff": None, "diff_ci_low": None, "diff_ci_high": None, "p_value": None}
    p_v, p_c = x_v / n_v, x_c / n_c
    diff = p_v - p_c
    spread = Z * math.sqrt(p_v * (1 - p_v) / n_v + p_c * (1 - p_c) / n_c)
    pooled = (x_v + x_c) / (n_v + n_c)
    p_value = None
    if 0 < pooled < 1:
        z = diff / math.sqrt(pooled * (1 - pooled) * (1 / n_v + 1 / n_c))
        p_value = math.erfc(abs(z) / math.sqrt(2))
    return {
        "diff": diff,
        "diff_ci_low": diff - spread,
        "diff_ci_high": diff + spread,
        "p_value": p_value,
    }


def conversion_kpis(tables: Tables, reading: Reading) -> dict[str, Any]:
    """The Conversions table with control_users and the uplift row.

    "If C has no conversion_event, every figure of this table is null"; under an action
    filter "control-group figures and uplift are null (the control group receives no
    action)". "Revenue is 0.0 (not null) when the campaign has a goal but no qualifying
    conversion" (decisions).
    """
    control = control_members(tables, reading)
    events = reading.in_range
    in_range_control = _users(_of_type(events, "entered", "control")) & control
    figures: dict[str, Any] = {"control_users": len(in_range_control)}
    keys = [
        "receivers",
        "conversions",
        "converted_users",
        "conversion_rate",
        "revenue",
        "click_through_conversions",
        "view_through_conversions",
        "click_through_conversion_rate",
        "view_through_conversion_rate",
        "control_converted_users",
        "control_conversion_rate",
        "uplift",
        "uplift_ci_low",
        "uplift_ci_high",
        "uplift_p_value",
    ]
    figures |= dict.fromkeys(keys)
    if tables.campaign["conversion_event"] is None:
        return figures
    receivers = _users(_of_type(events, *RECEIPTS)) - control
    qualifying = qualifying_conversions(tables, reading, control)
    treated = qualifying.filter(~pl.col("is_control"))
    converted = _users(treated)
    senders = len(_users(_of_type(events, "sent")))
    clicked, viewed = _through(reading, treated)
    figures |= {
        "receivers": len(receivers),
        "conversions": treated.height,
        "converted_users": len(converted),
        "conversion_rate": _rate(len(converted), len(receivers)),
        "revenue": float(treated["revenue"].fill_null(0.0).sum()),
        "click_through_conversions": clicked,
        "view_through_conversions": viewed,
        "click_through_conversion_rate": _rate(clicked, senders),
        "view_through_conversion_rate": _rate(viewed, senders),
    }
    if reading.filters.action is not None:
        return figures
    control_converted = len(_users(qualifying.filter(pl.col("is_control"))))
    figures["control_converted_users"] = control_converted
    figures["control_conversion_rate"] = _rate(control_converted, len(in_range_control))
    test = diff_test(len(converted), len(receivers), control_converted, len(in_range_control))
    figures |= {
        "uplift": test["diff"],
        "uplift_ci_low": test["diff_ci_low"],
        "uplift_ci_high": test["diff_ci_high"],
        "uplift_p_value": test["p_value"],
    }
    return figures


def kpis(tables: Tables, filters: Filters) -> dict[str, Any]:
    """ "kpis: every key of the Delivery, Engagement and Conversions tables above, flat"."""
    reading = read_events(tables, filters)
    return delivery(reading) | engagement(reading) | conversion_kpis(tables, reading)


# --- Per variant and per action --------------------------------------------------------------


def variant_rows(tables: Tables, filters: Filters) -> dict[str, dict[str, Any]]:
    """ "For each variant v: users (treatment variant: users with an in-range receipt event
    carrying v; control variant: control users with an in-range entered or control event
    carrying v), messages_sent, impressions, opens, clicks, ctr, errors (in-range events
    carrying v), converted_users (the variant's users who are converted_users, or
    control_converted_users for the control), conversion_rate (= converted_users / users)".
    Read without the variant filter: it "never [narrows] the experiment itself".
    The baseline: "the control variant (the first by variant_id if several), else the
    first variant by variant_id in string order"."""
    reading = read_events(tables, filters, apply_variant=False)
    has_goal = tables.campaign["conversion_event"] is not None
    control = control_members(tables, reading)
    converted: dict[bool, set[str]] = {True: set(), False: set()}
    if has_goal:
        qualifying = qualifying_conversions(tables, reading, control)
        converted = {
            flag: _users(qualifying.filter(pl.col("is_control") == flag)) for flag in (True, False)
        }
    if filters.action is not None:
        converted[True] = set()  # no control figures under an action filter
    ids = sorted(tables.variants["variant_id"].to_list())
    controls = sorted(control_variants(tables))
    baseline = controls[0] if controls else (ids[0] if ids else None)
    rows = {}
    for variant_id in ids:
        is_control = variant_id in controls
        events = reading.in_range.filter(pl.col("variant_id") == variant_id)
        if is_control:
            users = _users(_of_type(events, "entered", "control")) & control
        else:
            users = _users(_of_type(events, *RECEIPTS))
        won = len(users & converted[is_control]) if has_goal else None
        impressions = _of_type(events, "impression").height
        clicks = _of_type(events, "clicked").height
        rows[variant_id] = {
            "is_control": is_control,
            "is_baseline": variant_id == baseline,
            "users": len(users),
            "messages_sent": _of_type(events, "sent").height,
            "impressions": impressions,
            "opens": _of_type(events, "opened").height,
            "clicks": clicks,
            "ctr": _rate(clicks, impressions),
            "errors": _of_type(events, "failed").height,
            "converted_users": won,
            "conversion_rate": _rate(won, len(users)),
        }
    if baseline is not None:
        control_row = rows[baseline]
        for variant_id, row in rows.items():
            compared = has_goal and variant_id != baseline
            rows[variant_id] |= comparison(
                row["converted_users"] if compared else 0,
                row["users"] if compared else 0,
                control_row["converted_users"] or 0,
                control_row["users"],
            )
    return rows


def chance_to_beat(x_v: int, n_v: int, x_c: int, n_c: int) -> float:
    """ "chance_to_beat_control: Bayesian, Beta(1,1) priors, P(rate_v > rate_control)", by
    the closed-form sum for integer Beta parameters (Evan Miller's formula)."""
    a_v, b_v, a_c, b_c = 1 + x_v, 1 + n_v - x_v, 1 + x_c, 1 + n_c - x_c

    def log_beta(a: float, b: float) -> float:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

    return sum(
        math.exp(
            log_beta(a_c + i, b_c + b_v)
            - math.log(b_v + i)
            - log_beta(1 + i, b_v)
            - log_beta(a_c, b_c)
        )
        for i in range(a_v)
    )


def comparison(x_v: int, n_v: int, x_c: int, n_c: int) -> dict[str, float | None]:
    """A variant against the baseline on conversion_rate: "lift = rate_v / rate_control -
    1 (relative); lift_ci_low / lift_ci_high: 95 % interval by the delta method, lift +- z *
    sqrt(p_v(1-p_v)/(n_v*p_c^2) + p_v^2*p_c(1-p_c)/(n_c*p_c^4)) (null when rate_control = 0)",
    diff and p_value as `diff_test`, and chance_to_beat_control. "Either side with 0
    users: every comparison field null"; "Baseline rate 0: lift and its interval null"."""
    fields = ["lift", "lift_ci_low", "lift_ci_high", "chance_to_beat_control"]
    result: dict[str, float | None] = dict.fromkeys(fields) | diff_test(x_v, n_v, x_c, n_c)
    if n_v == 0 or n_c == 0:
        return result
    p_v, p_c = x_v / n_v, x_c / n_c
    result["chance_to_beat_control"] = chance_to_beat(x_v, n_v, x_c, n_c)
    if p_c == 0:
        return result
    lift = p_v / p_c - 1
    spread = Z * math.sqrt(
        p_v * (1 - p_v) / (n_v * p_c**2) + p_v**2 * p_c * (1 - p_c) / (n_c * p_c**4)
    )
    return result | {"lift": lift, "lift_ci_low": lift - spread, "lift_ci_high": lift + spread}


def srm_p_value(tables: Tables, filters: Filters) -> float | None:
    """ "Pearson chi-square goodness of fit (k - 1 degrees of freedom) of the users with an
    in-range entered event, counted under that event's variant_id (entered events without a
    variant are ignored), over every variant of C, against variants.allocation normalised
    to sum 1 (equal shares for all when any is NULL; a variant with allocation 0 is left
    out of the test). Null with fewer than two variants or nobody entered." Allocation-0
    variants are dropped before the NULL rule (decisions); never narrowed by the variant
    filter ("the sample-ratio check always compare[s] every variant")."""
    reading = read_events(tables, filters, apply_variant=False)
    entered = _of_type(reading.in_range, "entered")
    planned = [
        (row["variant_id"], row["allocation"])
        for row in tables.variants.iter_rows(named=True)
        if row["allocation"] != 0
    ]
    if any(share is None for _, share in planned):
        planned = [(variant_id, 1.0) for variant_id, _ in planned]
    counts = [
        len(_users(entered.filter(pl.col("variant_id") == variant_id))) for variant_id, _ in planned
    ]
    total = sum(counts)
    if len(planned) < 2 or total == 0:
        return None
    shares = sum(share for _, share in planned)
    expected = [total * share / shares for _, share in planned]
    statistic = sum((o - e) ** 2 / e for o, e in zip(counts, expected, strict=True))
    return chi_square_survival(statistic, len(planned) - 1)


def chi_square_survival(x: float, degrees: int) -> float:
    """P(X >= x) for a chi-square variable with integer `degrees`: the regularised upper
    gamma Q(k/2, x/2) by its recurrence Q(s + 1, y) = Q(s, y) + y^s e^-y / Gamma(s + 1),
    from Q(1/2, y) = erfc(sqrt y) or Q(1, y) = e^-y (exact for the few degrees used)."""
    y = x / 2
    s, q = (0.5, math.erfc(math.sqrt(y))) if degrees % 2 else (1.0, math.exp(-y))
    while s < degrees / 2:
        q += math.exp(s * math.log(y) - y - math.lgamma(s + 1)) if y > 0 else 0.0
        s += 1
    return q


def attributed_actions(tables: Tables, reading: Reading) -> pl.DataFrame:
    """One row (conversion_id, action_id) per attributed conversion: "each qualifying
    conversion of a treatment user is attributed to the action of the user's last in-range
    opened or clicked event of C at or before the conversion; if there is none, to the
    action of their last in-range receipt event of C at or before it. Events with no
    action_id are not candidates". Ties: "the greatest action_id wins" (decisions)."""
    control = control_members(tables, reading)
    treated = qualifying_conversions(tables, reading, control).filter(~pl.col("is_control"))
    candidates = (
        _of_type(reading.in_range, *RECEIPTS)
        .filter(pl.col("action_id").is_not_null())
        .select(
            "user_id",
            pl.col("occurred_at").alias("event_at"),
            "action_id",
            pl.col("event_type").is_in(["opened", "clicked"]).alias("interaction"),
        )
    )
    pairs = treated.select("conversion_id", "user_id", "occurred_at").join(candidates, on="user_id")
    return (
        pairs.filter(pl.col("event_at") <= pl.col("occurred_at"))
        .sort(["conversion_id", "interaction", "event_at", "action_id"])
        .group_by("conversion_id")
        .agg(pl.col("action_id").last())
    )


def action_rows(tables: Tables, filters: Filters) -> list[dict[str, Any]]:
    """ "Every row of the actions table for C, in position order, zeros included:
    action_id, name, position, received_users (users with an in-range receipt event
    carrying that action), clicks, attributed_conversions"."""
    reading = read_events(tables, filters)
    has_goal = tables.campaign["conversion_event"] is not None
    attributed = attributed_actions(tables, reading) if has_goal else None
    rows = []
    for action in tables.actions.sort("position").iter_rows(named=True):
        events = reading.in_range.filter(pl.col("action_id") == action["action_id"])
        rows.append(
            {
                "action_id": action["action_id"],
                "name": action["name"],
                "position": action["position"],
                "received_users": len(_users(_of_type(events, *RECEIPTS))),
                "clicks": _of_type(events, "clicked").height,
                "attributed_conversions": (
                    None
                    if attributed is None
                    else attributed.filter(pl.col("action_id") == action["action_id"]).height
                ),
            }
        )
    return rows


# --- Time series and open times --------------------------------------------------------------


def bucket_of(day: dt.date, granularity: str) -> dt.date:
    """ "Weekly buckets start on Monday; monthly on the 1st"; labelled by that local date
    even before the range start (decisions)."""
    if granularity == "week":
        return day - dt.timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def _bucket(column: str, granularity: str) -> pl.Expr:
    """The local bucket label of a date column, as `bucket_of` reads it."""
    return pl.col(column).map_elements(lambda day: bucket_of(day, granularity), pl.Date)


def daily_rows(tables: Tables, filters: Filters, granularity: str) -> list[dict[str, Any]]:
    """ "One row per local date in Z across the range, days without events included:
    messages_sent, delivered, impressions, unique_impressions (users that day),
    cumulative_impressions, cumulative_unique_impressions (distinct users from range
    start through that day: not a sum of daily uniques), opens, clicks, dismissals, ctr,
    dismissal_rate, conversions"."""
    reading = read_events(tables, filters)
    events = reading.in_range.with_columns(
        _local_date("occurred_at", filters.tz).alias("day")
    ).with_columns(_bucket("day", granularity).alias("bucket"))
    conversions = None
    if tables.campaign["conversion_event"] is not None:
        control = control_members(tables, reading)
        conversions = (
            qualifying_conversions(tables, reading, control)
            .filter(~pl.col("is_control"))
            .with_columns(_local_date("occurred_at", filters.tz).alias("day"))
            .with_columns(_bucket("day", granularity).alias("bucket"))
        )
    days = [
        filters.start + dt.timedelta(days=n) for n in range((filters.end - filters.start).days + 1)
    ]
    buckets = sorted({bucket_of(day, granularity) for day in days})
    rows, seen, cumulative = [], set(), 0
    for bucket in buckets:
        day_events = events.filter(pl.col("bucket") == bucket)
        impressions = _of_type(day_events, "impression")
        clicks = _of_type(day_events, "clicked").height
        dismissals = _of_type(day_events, "dismissed").height
        seen |= _users(impressions)
        cumulative += impressions.height
        rows.append(
            {
                "date": bucket,
                "messages_sent": _of_type(day_events, "sent").height,
                "delivered": _delivered(day_events, reading.has_delivered),
                "impressions": impressions.height,
                "unique_impressions": len(_users(impressions)),
                "cumulative_impressions": cumulative,
                "cumulative_unique_impressions": len(seen),
                "opens": _of_type(day_events, "opened").height,
                "clicks": clicks,
                "dismissals": dismissals,
                "ctr": _rate(clicks, impressions.height),
                "dismissal_rate": _rate(dismissals, impressions.height),
                "conversions": (
                    None
                    if conversions is None
                    else conversions.filter(pl.col("bucket") == bucket).height
                ),
            }
        )
    return rows


def open_times(tables: Tables, filters: Filters) -> tuple[list[tuple], list[tuple]]:
    """ "open_times: rows {date, hour (0-23), opens} per local date and hour in Z with opens
    > 0", and "open_punch_card: rows {weekday (0 = Monday), hour, opens}"."""
    opened = _of_type(read_events(tables, filters).in_range, "opened").with_columns(
        pl.col("occurred_at").dt.convert_time_zone(filters.tz).alias("local")
    )
    by_hour = (
        opened.group_by(
            pl.col("local").dt.date().alias("date"), pl.col("local").dt.hour().alias("hour")
        )
        .len()
        .sort("date", "hour")
    )
    by_weekday = (
        opened.group_by(
            (pl.col("local").dt.weekday() - 1).alias("weekday"),
            pl.col("local").dt.hour().alias("hour"),
        )
        .len()
        .sort("weekday", "hour")
    )
    return (
        [(d, int(h), n) for d, h, n in by_hour.iter_rows()],
        [(int(w), int(h), n) for w, h, n in by_weekday.iter_rows()],
    )


# --- Runs, links, splits -----------------------------------------------------------------------


def run_rows(tables: Tables, filters: Filters) -> dict[str, dict[str, Any]]:
    """ "A row per run_id with at least one in-range event: run_id, endpoints_targeted
    (users with an entered event in the run), messages_sent, delivered, opens,
    unique_opens, clicks, hard_bounces, first_event_at (earliest in-range event of the run,
    any type)"."""
    reading = read_events(tables, filters)
    rows = {}
    for (run_id,), events in reading.in_range.filter(pl.col("run_id").is_not_null()).group_by(
        "run_id"
    ):
        rows[run_id] = {
            "endpoints_targeted": len(_users(_of_type(events, "entered"))),
            "messages_sent": _of_type(events, "sent").height,
            "delivered": _delivered(events, reading.has_delivered),
            "opens": _of_type(events, "opened").height,
            "unique_opens": len(_users(_of_type(events, "opened"))),
            "clicks": _of_type(events, "clicked").height,
            "hard_bounces": _hard(events),
            "first_event_at": events["occurred_at"].min(),
        }
    return rows


def link_rows(tables: Tables, filters: Filters) -> dict[str, tuple[int, int]]:
    """ "Rows {link_url, clicks, unique_clicks} over clicked events that carry a link_url,
    most clicked first"."""
    clicked = _of_type(read_events(tables, filters).in_range, "clicked").filter(
        pl.col("link_url").is_not_null()
    )
    counts = clicked.group_by("link_url").agg(pl.len(), pl.col("user_id").n_unique())
    return {url: (n, users) for url, n, users in counts.iter_rows()}


def split_rows(tables: Tables, filters: Filters, key: str) -> dict[str, tuple[int, int, int]]:
    """ "platforms: rows {platform, impressions, opens, clicks} per platform (the event's,
    else the user's, else unknown). devices: the same with key device_model"."""
    events = read_events(tables, filters).in_range.join(
        tables.users.select("user_id", pl.col(key).alias("user_value")), on="user_id", how="left"
    )
    events = events.with_columns(
        pl.coalesce(pl.col(key), pl.col("user_value"), pl.lit("unknown")).alias("value")
    )
    rows: dict[str, tuple[int, int, int]] = {}
    for (value,), group in events.group_by("value"):
        impressions, opens, clicks = (
            _of_type(group, t).height for t in ("impression", "opened", "clicked")
        )
        counts = (impressions, opens, clicks)
        if any(counts):
            rows[value] = counts
    return rows


# --- Sessions ------------------------------------------------------------------------------------


def sessions_summary(tables: Tables, filters: Filters) -> dict[str, Any]:
    """ "Population: users with an entered event of C (any time). During window:
    [C.started_at, min(range end, C.ended_at or range end)); the range start does not move
    it. Before window: length L x 0.25 clamped to [1 day, 14 days], ending at
    C.started_at." Under an action filter the population is the users "with an in-range
    receipt event carrying that action". Daily rows run "through the local date of the
    during window's last instant" and a range ending before the start gives "an empty
    during window (rates null) and a 1-day before window" (decisions)."""
    reading = read_events(tables, filters)
    if filters.action is not None:
        population = audience(reading)
    else:
        population = _users(_of_type(reading.any_time, "entered"))
    started = tables.campaign["started_at"]
    ended = tables.campaign["ended_at"]
    during_end = filters.range_end if ended is None else min(filters.range_end, ended)
    during_end = max(during_end, started)
    length = (during_end - started).total_seconds() / 86400
    before_days = min(max(length * 0.25, 1.0), 14.0)
    before_start = started - dt.timedelta(days=before_days)
    sessions = tables.sessions.filter(pl.col("user_id").is_in(list(population)))

    def window(low: dt.datetime, high: dt.datetime) -> pl.DataFrame:
        return sessions.filter((pl.col("started_at") >= low) & (pl.col("started_at") < high))

    before, during = window(before_start, started), window(started, during_end)
    shown = window(before_start, during_end).with_columns(
        _local_date("started_at", filters.tz).alias("day")
    )
    first = before_start.astimezone(ZoneInfo(filters.tz)).date()
    last = (during_end - dt.timedelta(microseconds=1)).astimezone(ZoneInfo(filters.tz)).date()
    daily = []
    for n in range((last - first).days + 1):
        day = first + dt.timedelta(days=n)
        durations = shown.filter(pl.col("day") == day)["duration_seconds"]
        daily.append((day, durations.len(), durations.mean() if durations.len() else None))
    return {
        "before_start": before_start,
        "during_start": started,
        "during_end": during_end,
        "sessions_per_day_before": _rate(before.height, before_days),
        "sessions_per_day_during": _rate(during.height, length),
        "avg_session_seconds_before": before["duration_seconds"].mean() if before.height else None,
        "avg_session_seconds_during": during["duration_seconds"].mean() if during.height else None,
        "daily": daily,
    }
