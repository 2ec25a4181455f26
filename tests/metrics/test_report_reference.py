"""The engine's report equals a plain-Polars reading of the glossary, figure for figure.

Hypothesis draws a small campaign (variants with a control group, a few actions, users
with and without `users` rows, test users, automated opens and clicks, events without a
variant or an action, conversions with and without revenue, sessions) and a random scope
(a range that may cut the campaign, a zone, the filters), loads it on each backend and
compares `build_report` with `tests.metrics.reference_report`, an independent
implementation written from the glossary. Times sit on a 30-minute grid so that ties
(attribution, window ends, range bounds, Kolkata's half-hour midnight) actually occur.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from data.ingest.bulk import bulk_insert
from data.scope import Scope
from data.vocabulary import Granularity
from metrics.report import build_report
from tests.metrics import reference_report as ref
from tests.metrics.builders import EVENT_SCHEMA, clear

UTC = dt.UTC
SLOT = dt.timedelta(minutes=30)
# a campaign around New York's spring-forward day (03-08) or Paris's (03-29)
BASES = [dt.datetime(2026, 3, 4, tzinfo=UTC), dt.datetime(2026, 3, 25, tzinfo=UTC)]
ZONES = ["UTC", "Europe/Paris", "Asia/Kolkata", "America/New_York"]
EVENT_TYPES = [
    "sent",
    "delivered",
    "received",
    "bounced",
    "failed",
    "impression",
    "opened",
    "clicked",
    "dismissed",
    "unsubscribed",
    "complained",
]
ACTION_IDS = ["a1", "a2", "a10"]  # "a10" < "a2" as strings: ties must go to "a2"
GOAL = "purchase"
DETAILS = {
    "bounced": ["hard", "soft", None],
    "failed": ["InvalidToken", "FrequencyCapped", None],
    "clicked": ["https://a.example/x", "https://b.example/y", None],
}
DETAIL_COLUMN = {"bounced": "bounce_type", "failed": "error_code", "clicked": "link_url"}
SLOTS_BEFORE, SLOTS_AFTER = 48, 11 * 48  # events from a day before to 11 days after the base

maybe = st.one_of  # readability: maybe(st.none(), x)


@st.composite
def campaigns(draw: st.DrawFn) -> dict[str, Any]:
    """One random campaign c1 with every table's rows, plus a little noise in c2."""
    base = draw(st.sampled_from(BASES))
    slot = st.integers(-SLOTS_BEFORE, SLOTS_AFTER)

    def when(n: int) -> dt.datetime:
        return base + n * SLOT

    treatment = draw(st.sampled_from([["v1", "v2"], ["v1", "v2", "v10"], ["v2"]]))
    controls = draw(st.sampled_from([["ctl"], [], ["ctl", "ctl0"]]))
    variant_ids = treatment + controls
    allocation = maybe(st.none(), st.sampled_from([0.0, 0.25, 0.5]))
    variants = [
        {
            "campaign_id": "c1",
            "variant_id": v,
            "name": f"Variant {v}",
            "is_control": v in controls,
            "allocation": draw(allocation),
        }
        for v in variant_ids
    ]
    action_ids = draw(st.sampled_from([ACTION_IDS, ACTION_IDS[:2], ["a2", "a10"]]))
    positions = draw(st.permutations(range(1, len(action_ids) + 1)))
    actions = [
        {"campaign_id": "c1", "action_id": a, "name": f"Step {a}", "channel": "push", "position": p}
        for a, p in zip(action_ids, positions, strict=True)
    ]
    started_at = when(draw(st.integers(-4, 96)))
    ended_at = draw(maybe(st.none(), st.integers(96, SLOTS_AFTER).map(when)))
    campaign = {
        "campaign_id": "c1",
        "name": "Campaign c1",
        "channel": "push",
        "started_at": started_at,
        "ended_at": ended_at,
        "conversion_event": draw(st.sampled_from([GOAL, GOAL, GOAL, None])),
        "conversion_window_hours": draw(st.sampled_from([24, 72, 6, 1, 0])),
    }

    platform = maybe(st.none(), st.sampled_from(["ios", "android"]))
    device = maybe(st.none(), st.sampled_from(["Pixel 8", "iPhone 15"]))
    n_users = draw(st.integers(5, 30))
    user_ids = [f"u{n}" for n in range(n_users)]
    users = [
        {
            "user_id": u,
            "platform": draw(platform),
            "device_model": draw(device),
            "is_test": draw(st.booleans()),
        }
        for u in user_ids
        if draw(st.integers(0, 5))  # one user in six has no users row
    ]
    ids = itertools.count()
    events: list[dict[str, Any]] = []

    def add(user_id: str, event_type: str, at: dt.datetime, **columns: Any) -> None:
        row: dict[str, Any] = dict.fromkeys(EVENT_SCHEMA)
        row |= {
            "event_id": f"e{next(ids)}",
            "campaign_id": "c1",
            "user_id": user_id,
            "event_type": event_type,
            "occurred_at": at,
            "is_machine": False,
        }
        events.append(row | columns)

    run = st.sampled_from(["r1", None, "r2"])
    labels = st.sampled_from(
        list(itertools.product([True, False], [*action_ids, None], ["r1", None], [False, True]))
    )
    for user_id in user_ids:
        group = draw(st.sampled_from(variant_ids))
        in_control = group in controls
        if draw(st.integers(0, 4)):  # most users entered; entries carry no action
            for _ in range(draw(st.integers(1, 2))):
                add(
                    user_id,
                    "entered",
                    when(draw(slot)),
                    variant_id=draw(maybe(st.none(), st.just(group))),
                    run_id=draw(run),
                )
        if in_control:
            if draw(st.booleans()):
                add(
                    user_id,
                    "control",
                    when(draw(slot)),
                    variant_id=draw(maybe(st.none(), st.just(group))),
                )
            continue
        for _ in range(draw(st.integers(0, 7))):
            event_type = draw(st.sampled_from(EVENT_TYPES))
            # one draw for the carried ids and the device: shrinks to "all present"
            variant, action, run_id, web = draw(labels)
            columns: dict[str, Any] = {
                "variant_id": group if variant else None,
                "action_id": action,
                "run_id": run_id,
                "platform": "web" if web else None,
                "device_model": "Chrome" if web else None,
            }
            detail = st.sampled_from(DETAILS.get(event_type, [None]))
            if event_type in DETAILS:
                columns[DETAIL_COLUMN[event_type]] = draw(detail)
            if event_type in ("opened", "clicked"):
                columns["is_machine"] = draw(st.booleans())
            add(user_id, event_type, when(draw(slot)), **columns)
    add("u0", "sent", when(draw(slot)), campaign_id="c2")  # another campaign: never counted
    add("u1", "delivered", when(draw(slot)), campaign_id="c2")

    conversion_users = st.sampled_from([*user_ids, "stranger"])
    anchoring = {*ref.RECEIPTS, "control", "entered"}  # treatment and control anchors
    receipts = [e for e in events if e["event_type"] in anchoring] or events
    window_hours = campaign["conversion_window_hours"]
    assert isinstance(window_hours, int)
    window_slots = 2 * window_hours
    conversions = []
    for n in range(draw(st.integers(2, 25))):
        # most conversions follow one of the user's receipts or entries within the window (or just
        # outside it, or exactly on its end); one in five falls anywhere
        user_id, at = draw(st.sampled_from([(e["user_id"], e["occurred_at"]) for e in receipts]))
        if draw(st.booleans()):  # from the user's first receipt: their likely anchor
            at = min(e["occurred_at"] for e in receipts if e["user_id"] == user_id)
        at += draw(st.sampled_from([0, 1, window_slots, window_slots + 1, -1])) * SLOT
        if not draw(st.integers(0, 4)):
            user_id, at = draw(conversion_users), when(draw(slot))
        conversions.append(
            {
                "conversion_id": f"k{n}",
                "user_id": user_id,
                "event_name": draw(st.sampled_from([GOAL, GOAL, "signup"])),
                "occurred_at": at,
                "revenue": draw(maybe(st.none(), st.sampled_from([0.0, 19.99, 5.5]))),
            }
        )
    sessions = [
        {
            "session_id": f"s{n}",
            "user_id": draw(conversion_users),
            "started_at": when(draw(st.integers(-16 * 48, SLOTS_AFTER))),
            "duration_seconds": float(draw(st.integers(0, 600))),
        }
        for n in range(draw(st.integers(0, 20)))
    ]
    return {
        "base": base,
        "campaign": campaign,
        "variants": variants,
        "actions": actions,
        "users": users,
        "events": events,
        "conversions": conversions,
        "sessions": sessions,
    }


DRAWN_GRANULARITIES: list[Granularity] = ["day", "day", "day", "week"]
"""What the property test draws a granularity from: days three times as often as weeks."""


@st.composite
def scopes(
    draw: st.DrawFn, data: dict[str, Any], *, drill_down: bool
) -> tuple[ref.Filters, Granularity]:
    """A random range (often cutting the campaign), zone and exclusions, and a granularity;
    with `drill_down`, a variant or an action filter (or both) too."""
    base_date = data["base"].date()
    if draw(st.integers(0, 3)):  # a range that may cut the campaign anywhere
        start = base_date + dt.timedelta(days=draw(st.integers(-2, 8)))
        end = start + dt.timedelta(days=draw(st.integers(0, 12)))
    else:  # the whole campaign, a day's margin on each side
        start, end = base_date - dt.timedelta(days=2), base_date + dt.timedelta(days=12)
    variant_ids = [v["variant_id"] for v in data["variants"]]
    action_ids = [a["action_id"] for a in data["actions"]]
    filters = ref.Filters(
        start=start,
        end=end,
        tz=draw(st.sampled_from(ZONES)),
        exclude_test_users=draw(st.booleans()),
        exclude_machine=draw(st.booleans()),
    )
    if drill_down:  # a variant, an action, or (rarely: it narrows a lot) both
        kind = draw(st.sampled_from(["variant", "action", "variant", "action", "both"]))
        filters = dataclasses.replace(
            filters,
            variant=draw(st.sampled_from(variant_ids)) if kind != "action" else None,
            action=draw(st.sampled_from(action_ids)) if kind != "variant" else None,
        )
    return filters, draw(st.sampled_from(DRAWN_GRANULARITIES))


def _tables(data: dict[str, Any]) -> ref.Tables:
    """The drawn rows as typed frames: what the engine's tables hold."""
    stamp = pl.Datetime("us", "UTC")
    return ref.Tables(
        campaign=data["campaign"],
        events=pl.DataFrame(data["events"], schema=EVENT_SCHEMA),
        users=pl.DataFrame(
            data["users"],
            schema={
                "user_id": pl.String,
                "platform": pl.String,
                "device_model": pl.String,
                "is_test": pl.Boolean,
            },
        ),
        variants=pl.DataFrame(
            data["variants"],
            schema={
                "campaign_id": pl.String,
                "variant_id": pl.String,
                "name": pl.String,
                "is_control": pl.Boolean,
                "allocation": pl.Float64,
            },
        ),
        actions=pl.DataFrame(
            data["actions"],
            schema={
                "campaign_id": pl.String,
                "action_id": pl.String,
                "name": pl.String,
                "channel": pl.String,
                "position": pl.Int32,
            },
        ),
        conversions=pl.DataFrame(
            data["conversions"],
            schema={
                "conversion_id": pl.String,
                "user_id": pl.String,
                "event_name": pl.String,
                "occurred_at": stamp,
                "revenue": pl.Float64,
            },
        ),
        sessions=pl.DataFrame(
            data["sessions"],
            schema={
                "session_id": pl.String,
                "user_id": pl.String,
                "started_at": stamp,
                "duration_seconds": pl.Float64,
            },
        ),
    )


def _load(engine: sa.Engine, data: dict[str, Any], tables: ref.Tables) -> None:
    """Replace the database's rows with the drawn campaign (and campaign c2 for the noise)."""
    clear(engine)
    other = data["campaign"] | {"campaign_id": "c2", "name": "Campaign c2"}
    campaign_rows = pl.DataFrame(
        [data["campaign"], other],
        schema_overrides={
            "started_at": pl.Datetime("us", "UTC"),
            "ended_at": pl.Datetime("us", "UTC"),
            "conversion_event": pl.String,
        },
    )
    with engine.begin() as connection:
        bulk_insert(connection, "campaigns", campaign_rows)
        bulk_insert(connection, "message_events", tables.events)
        bulk_insert(connection, "users", tables.users)
        bulk_insert(connection, "variants", tables.variants)
        bulk_insert(connection, "actions", tables.actions)
        bulk_insert(connection, "conversions", tables.conversions)
        bulk_insert(connection, "sessions", tables.sessions)


def _same(actual: Any, expected: Any, where: str) -> None:
    """Equal, floats within 1e-9 (relative or absolute), and null only where null."""
    if isinstance(expected, float) and actual is not None:
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9), (where, actual, expected)
    else:
        assert actual == expected, (where, actual, expected)


def _same_rows(
    actual: dict[Any, dict[str, Any]], expected: dict[Any, dict[str, Any]], what: str
) -> None:
    assert sorted(actual) == sorted(expected), (what, sorted(actual), sorted(expected))
    for key, row in expected.items():
        for name, value in row.items():
            _same(actual[key][name], value, f"{what}[{key}].{name}")


REFERENCE_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@REFERENCE_SETTINGS
@given(data=st.data())
def test_report_equals_a_plain_polars_reading_of_the_glossary(
    engine: sa.Engine, data: st.DataObject
) -> None:
    """Any range, zone and exclusions, the whole campaign's events (no drill-down)."""
    drawn = data.draw(campaigns(), label="campaign")
    filters, granularity = data.draw(scopes(drawn, drill_down=False), label="scope")
    check_report(engine, drawn, filters, granularity)


@settings(
    REFERENCE_SETTINGS,
    max_examples=10,
    # No shrinking: a drill-down disagreement shrinks for over five minutes; the failing
    # example prints as drawn and the assertion names the figure and both values.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(data=st.data())
def test_drill_down_report_equals_a_plain_polars_reading_of_the_glossary(
    engine: sa.Engine, data: st.DataObject
) -> None:
    """The same under a variant or action filter: the glossary's Scope rules for a filter
    (the variant table and SRM check never narrowed; under an action filter the users of
    C are that action's receivers and the control figures null). Kept apart from the test
    above so that a drill-down reading and the plain figures fail on their own."""
    drawn = data.draw(campaigns(), label="campaign")
    filters, granularity = data.draw(scopes(drawn, drill_down=True), label="scope")
    check_report(engine, drawn, filters, granularity)


def check_report(
    engine: sa.Engine, drawn: dict[str, Any], filters: ref.Filters, granularity: Granularity
) -> None:
    """Load the drawn campaign, build its report and compare every family of figures."""
    tables = _tables(drawn)
    _load(engine, drawn, tables)
    scope = Scope(campaign_id="c1", **vars(filters))
    with engine.connect() as connection:
        report = build_report(connection, scope, granularity)

    kpis = report.kpis.model_dump()
    expected = ref.kpis(tables, filters)
    assert sorted(kpis) == sorted(expected)
    for key, value in expected.items():
        _same(kpis[key], value, f"kpis.{key}")

    _same_rows(
        {row.variant_id: row.model_dump() for row in report.variants},
        ref.variant_rows(tables, filters),
        "variants",
    )

    _same(report.srm_p_value, ref.srm_p_value(tables, filters), "srm_p_value")

    actions = [row.model_dump() for row in report.actions]
    expected_actions = ref.action_rows(tables, filters)
    assert [a["action_id"] for a in actions] == [a["action_id"] for a in expected_actions]
    _same_rows(
        {a["action_id"]: a for a in actions},
        {a["action_id"]: a for a in expected_actions},
        "actions",
    )

    daily = [row.model_dump() for row in report.daily]
    expected_daily = ref.daily_rows(tables, filters, granularity)
    assert [row["date"] for row in daily] == [row["date"] for row in expected_daily]
    _same_rows(
        {row["date"]: row for row in daily},
        {row["date"]: row for row in expected_daily},
        f"daily ({granularity})",
    )

    open_times, punch_card = ref.open_times(tables, filters)
    assert [(r.date, r.hour, r.opens) for r in report.open_times] == open_times
    assert (
        sorted((r.weekday, r.hour, r.opens) for r in report.open_punch_card if r.opens)
        == punch_card
    )

    _same_rows(
        {row.run_id: row.model_dump() for row in report.runs}, ref.run_rows(tables, filters), "runs"
    )
    links = ref.link_rows(tables, filters)
    assert {r.link_url: (r.clicks, r.unique_clicks) for r in report.links} == links
    assert [r.clicks for r in report.links] == sorted(
        (r.clicks for r in report.links), reverse=True
    )
    platforms = {r.platform: (r.impressions, r.opens, r.clicks) for r in report.platforms}
    assert {k: v for k, v in platforms.items() if any(v)} == ref.split_rows(
        tables, filters, "platform"
    )
    devices = {r.device_model: (r.impressions, r.opens, r.clicks) for r in report.devices}
    assert {k: v for k, v in devices.items() if any(v)} == ref.split_rows(
        tables, filters, "device_model"
    )

    sessions = report.sessions.model_dump()
    expected_sessions = ref.sessions_summary(tables, filters)
    expected_days = expected_sessions.pop("daily")
    for key, value in expected_sessions.items():
        _same(sessions[key], value, f"sessions.{key}")
    days = [(row["date"], row["sessions"], row["avg_session_seconds"]) for row in sessions["daily"]]
    assert [d[:2] for d in days] == [d[:2] for d in expected_days]
    for (day, _, mean), (_, _, expected_mean) in zip(days, expected_days, strict=True):
        _same(mean, expected_mean, f"sessions.daily[{day}].avg_session_seconds")


def _tiny_campaign() -> dict[str, Any]:
    """Two treatment users (v1, v2) sent action a1, a converted control user, a session:
    the smallest data on which every drill-down rule of the Scope section shows."""
    start = dt.datetime(2026, 3, 1, tzinfo=UTC)

    def row(n: int, user_id: str, event_type: str, hour: int, **columns: Any) -> dict[str, Any]:
        base = dict.fromkeys(EVENT_SCHEMA) | {"event_id": f"e{n}", "campaign_id": "c1"}
        at = start + dt.timedelta(hours=hour)
        return (
            base
            | {"user_id": user_id, "event_type": event_type, "occurred_at": at}
            | {"is_machine": False}
            | columns
        )

    variant = {"campaign_id": "c1", "allocation": None}
    return {
        "base": start,
        "campaign": {
            "campaign_id": "c1",
            "name": "Campaign c1",
            "channel": "push",
            "started_at": start,
            "ended_at": None,
            "conversion_event": GOAL,
            "conversion_window_hours": 72,
        },
        "variants": [
            variant | {"variant_id": v, "name": v, "is_control": v == "ctl"}
            for v in ("ctl", "v1", "v2")
        ],
        "actions": [
            {"campaign_id": "c1", "action_id": "a1", "name": "a1", "channel": "push", "position": 1}
        ],
        "users": [],
        "events": [
            row(1, "u1", "entered", 9, variant_id="v1"),
            row(2, "u1", "sent", 10, variant_id="v1", action_id="a1"),
            row(3, "u2", "entered", 9, variant_id="v2"),
            row(4, "u2", "sent", 10, variant_id="v2", action_id="a1"),
            row(5, "u3", "control", 9, variant_id="ctl"),
        ],
        "conversions": [
            {
                "conversion_id": "k1",
                "user_id": "u3",
                "event_name": GOAL,
                "occurred_at": start + dt.timedelta(hours=12),
                "revenue": None,
            }
        ],
        "sessions": [
            {
                "session_id": "s1",
                "user_id": "u1",
                "started_at": start + dt.timedelta(hours=12),
                "duration_seconds": 60.0,
            }
        ],
    }


@pytest.mark.parametrize(
    "drill_down",
    [{"variant": "v1"}, {"action": "a1"}],
    ids=["variant-table-and-srm-never-narrowed", "action-users-are-its-receivers"],
)
def test_drill_down_rules_on_the_smallest_campaign(
    engine: sa.Engine, drill_down: dict[str, str]
) -> None:
    """The drill-down rules checked on fixed data, since random data meets them rarely in
    a few examples: under variant v1 the variant table still shows v2 and the control;
    under action a1, entries, audience and the sessions population are a1's receivers (u1,
    u2) and the control figures null."""
    filters = ref.Filters(
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 2),
        "UTC",
        variant=drill_down.get("variant"),
        action=drill_down.get("action"),
    )
    check_report(engine, _tiny_campaign(), filters, "day")
