"""Chart builders with nothing to draw give an empty state (None), and the message trend
draws the figures its channel has (issue 10)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from ui import charts

NOV = [dt.date(2026, 11, day) for day in (1, 2, 3)]


def _daily(**columns: list[object]) -> pl.DataFrame:
    base: dict[str, list[object]] = {
        "date": [*NOV],
        "messages_sent": [10, 20, 30],
        "delivered": [9, 18, 30],
        "impressions": [0, 0, 0],
        "opens": [3, 4, 5],
        "clicks": [1, 0, 2],
        "dismissals": [0, 0, 0],
        "ctr": [None, None, None],
        "dismissal_rate": [None, None, None],
    }
    return pl.DataFrame(base | columns)


EMPTY_DAILY = _daily().head(0)


def _measures(spec: dict[str, Any]) -> list[str]:
    measures: list[str] = spec["encoding"]["color"]["sort"]
    return measures


@pytest.mark.parametrize(
    "build",
    [
        lambda frame: charts.message_trend(frame),
        lambda frame: charts.message_trend(frame, "push"),
        charts.rate_trend,
        charts.cumulative_impressions,
        lambda frame: charts.sessions_chart(frame, NOV[0]),
        lambda frame: charts.explore_line(frame, "Clicks"),
        lambda frame: charts.funnel(frame),
        lambda frame: charts.breakdown_bars(frame, "platform", "By platform", "Platform"),
    ],
)
def test_an_empty_frame_gives_an_empty_state_not_a_chart(
    build: Callable[[pl.DataFrame], object],
) -> None:
    empty = pl.DataFrame(
        schema={
            "date": pl.Date,
            "split": pl.String,
            "value": pl.Float64,
            "step": pl.String,
            "count": pl.Int64,
            "platform": pl.String,
            "sessions": pl.Int64,
            "avg_session_seconds": pl.Float64,
            **dict.fromkeys(charts.TREND_MEASURES, pl.Int64),
            "cumulative_impressions": pl.Int64,
            "cumulative_unique_impressions": pl.Int64,
            "ctr": pl.Float64,
            "dismissal_rate": pl.Float64,
        }
    )
    assert build(empty) is None


def test_a_rate_that_is_na_everywhere_gives_an_empty_state() -> None:
    # a push campaign has no impressions: its tap-through rate is n/a on every day
    assert charts.rate_trend(_daily()) is None
    frame = pl.DataFrame({"date": NOV, "split": ["all"] * 3, "value": [None, None, None]})
    assert charts.explore_line(frame, "Tap-through rate", percent=True) is None


def test_a_split_of_zeros_gives_an_empty_state() -> None:
    frame = pl.DataFrame(
        {"date": NOV * 2, "split": ["ios"] * 3 + ["android"] * 3, "value": [0.0] * 6}
    )
    assert charts.explore_line(frame, "Conversions", split_title="Platform") is None


def test_funnels_and_breakdowns_of_zeros_give_an_empty_state() -> None:
    funnel = pl.DataFrame({"step": ["Entered", "Sent"], "count": [0, 0]})
    assert charts.funnel(funnel) is None
    platforms = pl.DataFrame(
        {"platform": ["ios", "android"], "impressions": [0, 0], "opens": [0, 0], "clicks": [0, 0]}
    )
    assert charts.breakdown_bars(platforms, "platform", "By platform", "Platform") is None


def test_the_push_and_email_trend_draws_opens_and_no_impressions() -> None:
    for channel in ("push", "email", None):
        chart = charts.message_trend(_daily(), channel)
        assert chart is not None
        assert _measures(chart.to_dict()) == ["Sent", "Delivered", "Opens", "Clicks"]


def test_the_in_app_trend_draws_impressions_and_clicks_but_not_sent_or_delivered() -> None:
    frame = _daily(messages_sent=[0, 0, 0], delivered=[0, 0, 0], impressions=[5, 6, 7])
    frame = frame.with_columns(opens=pl.lit(0))
    for channel in ("in_app", None):
        chart = charts.message_trend(frame, channel)
        assert chart is not None
        assert _measures(chart.to_dict()) == ["Impressions", "Clicks"]


def _draw(spec: object) -> None:
    """The page script AppTest runs: its source is copied alone, so it imports for itself
    (and its annotation must be a builtin)."""
    import altair as alt

    from ui import widgets

    assert spec is None or isinstance(spec, alt.TopLevelMixin)
    widgets.chart(spec)


def test_drawing_nothing_shows_why_and_what_to_do() -> None:
    app = AppTest.from_function(_draw, kwargs={"spec": None})
    app.run(timeout=30)
    assert not app.exception
    assert not app.get("vega_lite_chart")
    assert "Nothing to draw" in app.info[0].value
    assert "Widen the date range" in app.info[0].value


@pytest.mark.parametrize(
    ("granularity", "words", "axis_title", "tick_format"),
    [
        ("day", "by day", "Date", "%b %d"),
        ("week", "by week", "Week (from Monday)", "%b %d"),
        ("month", "by month", "Month", "%b %Y"),
    ],
)
def test_charts_over_time_are_labelled_for_their_granularity(
    granularity: str, words: str, axis_title: str, tick_format: str
) -> None:
    from ui.experiment_charts import variant_trend_chart

    frame = pl.DataFrame({"date": NOV, "split": ["A", "B", "A"], "value": [1.0, 2.0, 3.0]})
    spec = variant_trend_chart(frame, "Conversions", granularity).to_dict()
    assert spec["title"] == f"Conversions per variant, {words}"
    assert spec["encoding"]["x"]["title"] == axis_title
    assert spec["encoding"]["x"]["axis"]["format"] == tick_format  # one format, never mixed
    line = charts.explore_line(frame, "Clicks", granularity=granularity)
    assert line is not None
    explored = line.to_dict()
    assert explored["title"] == f"Clicks, {words}"
    assert explored["encoding"]["x"]["axis"]["format"] == tick_format


def test_partial_first_and_last_buckets_are_marked() -> None:
    frame = pl.DataFrame({"date": NOV, "split": ["all"] * 3, "value": [66.0, 250.0, 4.0]})
    chart = charts.explore_line(frame, "Sessions", partial={NOV[0], NOV[2]})
    assert chart is not None
    spec = chart.to_dict()  # validated against the Vega-Lite schema
    rows = next(iter(spec["datasets"].values()))
    # the whole day, then each partial day with the whole day it is joined to
    assert [(row["date"][:10], row["partial"]) for row in rows] == [
        ("2026-11-02", False),
        ("2026-11-01", True),
        ("2026-11-02", False),
        ("2026-11-03", True),
        ("2026-11-02", False),
    ]
    assert rows[1]["note"] == "Partial day: the campaign covers only part of it"
    assert rows[0]["note"] == ""
    assert spec["encoding"]["strokeDash"]["field"] == "dashed"
    assert "note" in [item["field"] for item in spec["encoding"]["tooltip"]]
    unmarked = charts.explore_line(frame, "Sessions")
    assert unmarked is not None
    assert "strokeDash" not in unmarked.to_dict()["encoding"]


def test_partial_buckets_follow_the_campaign_span_in_the_zone() -> None:
    from data.scope import Scope
    from metrics.partial import partial_buckets

    utc = dt.UTC
    scope = Scope(
        campaign_id="c", start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 3), tz="Europe/Paris"
    )
    started = dt.datetime(2026, 10, 31, 23, tzinfo=utc)  # 00:00 in Paris: a whole first day
    ended = dt.datetime(2026, 11, 3, 0, tzinfo=utc)  # 01:00 in Paris: a one-hour last day
    assert partial_buckets(NOV, "day", scope, started, ended) == {NOV[2]}
    weeks = partial_buckets([dt.date(2026, 10, 26), dt.date(2026, 11, 2)], "week", scope, started)
    assert weeks == {dt.date(2026, 10, 26), dt.date(2026, 11, 2)}  # the range cuts both weeks
