"""The report joins the conversions, experiments and sessions figures into its rows."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data.scope import Scope
from data.vocabulary import Granularity
from metrics.explore_data import explore_series
from metrics.report import UnknownCampaignError, build_report, campaign_kpis, default_scope
from metrics.report_model import CampaignReport
from tests.metrics.builders import campaign_row, event, load


def _load_ab_test(engine: sa.Engine) -> None:
    load(
        engine,
        campaigns=[campaign_row(conversion_event="purchase", started_at="2026-03-01 08:00")],
        variants=[
            {
                "campaign_id": "c1",
                "variant_id": "A",
                "name": "Offer",
                "is_control": False,
                "allocation": 0.5,
            },
            {
                "campaign_id": "c1",
                "variant_id": "ctl",
                "name": "Holdout",
                "is_control": True,
                "allocation": 0.5,
            },
        ],
        actions=[
            {
                "campaign_id": "c1",
                "action_id": "a1",
                "name": "Push",
                "channel": "push",
                "position": 1,
            },
        ],
        events=[
            event("u1", "entered", "2026-03-01 09:00", variant_id="A"),
            event("u1", "sent", "2026-03-01 10:00", variant_id="A", action_id="a1"),
            event("u1", "clicked", "2026-03-01 10:05", variant_id="A", action_id="a1"),
            event("u2", "entered", "2026-03-01 09:00", variant_id="A"),
            event("u2", "sent", "2026-03-01 10:00", variant_id="A", action_id="a1"),
            event("u3", "entered", "2026-03-01 09:00", variant_id="ctl"),
            event("u4", "control", "2026-03-01 09:00", variant_id="ctl"),
        ],
        conversions=[
            # u1: 26 h after the send, in the window and the range
            {
                "conversion_id": "k1",
                "user_id": "u1",
                "event_name": "purchase",
                "occurred_at": "2026-03-02 12:00",
                "revenue": 10.0,
            },
            # u3 (control): 47 h after entering
            {
                "conversion_id": "k2",
                "user_id": "u3",
                "event_name": "purchase",
                "occurred_at": "2026-03-03 08:00",
                "revenue": 5.0,
            },
            # u2: after the 72 h window and the range
            {
                "conversion_id": "k3",
                "user_id": "u2",
                "event_name": "purchase",
                "occurred_at": "2026-03-10 08:00",
                "revenue": 7.0,
            },
        ],
    )


def report(engine: sa.Engine, granularity: Granularity = "day") -> CampaignReport:
    scope = Scope(campaign_id="c1", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 4))
    with engine.connect() as connection:
        return build_report(connection, scope, granularity)


def test_conversion_figures_reach_kpis_actions_variants_and_daily(engine: sa.Engine) -> None:
    _load_ab_test(engine)
    rep = report(engine)
    kpis = rep.kpis
    # receivers u1, u2; converted u1 (1 conversion, 10.0); control u3, u4, converted u3
    assert (kpis.receivers, kpis.conversions, kpis.converted_users) == (2, 1, 1)
    assert (kpis.conversion_rate, kpis.revenue) == (0.5, 10.0)
    assert (kpis.control_users, kpis.control_converted_users) == (2, 1)
    assert kpis.control_conversion_rate == 0.5
    assert kpis.uplift == 0.0  # 1/2 - 1/2
    assert kpis.click_through_conversions == 1  # u1 clicked before converting
    assert [row.conversions for row in rep.daily] == [0, 1, 0, 0]
    assert [
        (a.action_id, a.received_users, a.clicks, a.attributed_conversions) for a in rep.actions
    ] == [("a1", 2, 1, 1)]
    variants = {v.variant_id: v for v in rep.variants}
    assert variants["ctl"].is_baseline and variants["ctl"].diff is None
    assert (variants["A"].users, variants["A"].converted_users) == (2, 1)
    assert (variants["ctl"].users, variants["ctl"].converted_users) == (2, 1)
    assert variants["A"].diff == 0.0 and variants["A"].lift == 0.0
    # entered under A: u1, u2; under ctl: u3 (u4 has only a control event); planned 50/50:
    # chi2 = 2 * (0.5^2 / 1.5) = 1/3 with 1 dof
    assert rep.srm_p_value == pytest.approx(0.5637028616507731)
    assert rep.sessions.during_start == dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


def test_weekly_conversions_are_summed_into_their_monday(engine: sa.Engine) -> None:
    _load_ab_test(engine)
    rep = report(engine, granularity="week")
    # 03-01 (Sunday) is in the week of 02-23; the 03-02 conversion in the week of 03-02
    assert [(row.date, row.conversions) for row in rep.daily] == [
        (dt.date(2026, 2, 23), 0),
        (dt.date(2026, 3, 2), 1),
    ]


def test_unknown_campaign_raises(engine: sa.Engine) -> None:
    _load_ab_test(engine)
    scope = Scope(campaign_id="nope", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 1))
    with engine.connect() as connection, pytest.raises(UnknownCampaignError):
        build_report(connection, scope)


def test_default_scope_runs_from_local_start_to_the_newest_event(engine: sa.Engine) -> None:
    _load_ab_test(engine)
    with engine.connect() as connection:
        utc = default_scope(connection, "c1")
        honolulu = default_scope(connection, "c1", "Pacific/Honolulu", exclude_test_users=True)
    # started 2026-03-01 08:00 UTC, newest event 2026-03-01 10:05 UTC
    assert (utc.start, utc.end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    # in Honolulu (UTC-10): started 02-28 22:00, newest event 03-01 00:05
    assert (honolulu.start, honolulu.end) == (dt.date(2026, 2, 28), dt.date(2026, 3, 1))
    assert honolulu.exclude_test_users


def test_explore_series_splits_conversions_by_variant_with_control_conversions_for_control(
    engine: sa.Engine,
) -> None:
    _load_ab_test(engine)
    scope = Scope(campaign_id="c1", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 4))
    with engine.connect() as connection:
        by_variant = explore_series(connection, scope, "conversions", "variant_id", "day")
        by_platform = explore_series(connection, scope, "conversions", "platform", "day")
    values = {
        split: group.sort("date")["value"].to_list()
        for (split,), group in by_variant.group_by("split")
    }
    # u1 (variant A) converts on 03-02; the holdout's line shows its control conversions
    # (u3 on 03-03): its users are sent nothing, so treatment conversions would be a flat 0
    assert values == {"A": [0, 1, 0, 0], "ctl": [0, 0, 1, 0]}
    # a conversion has no platform: that split has no conversion values
    assert by_platform["value"].null_count() == by_platform.height == 4


def test_campaign_kpis_alone_equal_the_full_reports_kpis(engine: sa.Engine) -> None:
    _load_ab_test(engine)
    scope = Scope(campaign_id="c1", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 4))
    with engine.connect() as connection:
        alone = campaign_kpis(connection, scope)
    full = report(engine).kpis
    assert alone == full
    # u1 of A's two receivers converts; u3 of the two holdout users converts
    assert (alone.converted_users, alone.receivers) == (1, 2)
    assert (alone.control_converted_users, alone.control_users) == (1, 2)
