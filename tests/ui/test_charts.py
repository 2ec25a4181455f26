"""The chart builders, checked on their Vega-Lite spec: what the browser is asked to draw."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import polars as pl

from ui import charts

if TYPE_CHECKING:
    import altair as alt


def drawn(chart: alt.TopLevelMixin | None) -> dict[str, Any]:
    """The spec of a chart the builder drew (None, "nothing to draw", fails the test)."""
    assert chart is not None
    return chart.to_dict()


NOV = [dt.date(2026, 11, day) for day in (1, 2, 3)]


def _tooltip_fields(spec: dict[str, Any]) -> list[str]:
    return [item["field"] for item in spec["encoding"]["tooltip"]]


def _dataset(spec: dict[str, Any], layer: dict[str, Any]) -> list[dict[str, Any]]:
    return spec["datasets"][layer["data"]["name"]]


def _daily() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "date": NOV,
            "messages_sent": [10, 20, 30],
            "delivered": [9, 18, 30],
            "impressions": [4, 8, 0],
            "clicks": [1, 2, 0],
            "cumulative_impressions": [4, 12, 12],
            "cumulative_unique_impressions": [3, 5, 5],
            "ctr": [0.25, 0.25, None],
            "dismissal_rate": [0.5, 0.125, None],
        }
    )


def test_open_time_scatter_puts_local_date_on_x_hour_on_y_and_opens_as_size() -> None:
    frame = pl.DataFrame({"date": NOV[:2], "hour": [9, 21], "opens": [5, 1]})
    spec = charts.open_time_scatter(frame).to_dict()
    encoding = spec["encoding"]
    assert (encoding["x"]["field"], encoding["x"]["type"]) == ("date", "temporal")
    assert (encoding["y"]["field"], encoding["y"]["title"]) == ("hour", "Local hour")
    assert encoding["size"]["field"] == "opens"
    assert _tooltip_fields(spec) == ["date", "hour", "opens"]
    assert spec["mark"]["type"] == "circle"


def test_punch_card_names_weekdays_from_monday_and_orders_them() -> None:
    frame = pl.DataFrame({"weekday": [0, 6], "hour": [8, 23], "opens": [3, 4]})
    spec = charts.punch_card(frame).to_dict()
    rows = next(iter(spec["datasets"].values()))
    # weekday 0 is Monday and 6 is Sunday (glossary: 0 = Monday)
    assert [row["day"] for row in rows] == ["Monday", "Sunday"]
    assert spec["encoding"]["y"]["sort"][0] == "Monday"
    assert spec["encoding"]["x"]["title"] == "Local hour"
    assert _tooltip_fields(spec) == ["day", "hour", "opens"]


def test_rate_trend_folds_ctr_and_dismissal_rate_into_percent_lines() -> None:
    spec = drawn(charts.rate_trend(_daily()))
    rows = next(iter(spec["datasets"].values()))
    # 3 days x 2 rates = 6 points, named for the screen
    assert len(rows) == 6
    assert {row["measure"] for row in rows} == {"Tap-through rate", "Dismissal rate"}
    assert spec["encoding"]["y"]["axis"]["format"] == ".1%"
    assert spec["encoding"]["y"]["title"] == "Rate"
    assert _tooltip_fields(spec) == ["date", "measure", "value"]


def test_cumulative_impressions_shows_total_and_unique_side_by_side() -> None:
    spec = drawn(charts.cumulative_impressions(_daily()))
    rows = next(iter(spec["datasets"].values()))
    unique = [row["value"] for row in rows if row["measure"] == "Unique impressions"]
    assert unique == [3, 5, 5]


def test_message_trend_has_sent_delivered_impressions_and_clicks() -> None:
    spec = drawn(charts.message_trend(_daily()))
    assert spec["encoding"]["color"]["sort"] == ["Sent", "Delivered", "Impressions", "Clicks"]
    assert spec["encoding"]["x"]["title"] == "Local date"


def test_deliveries_per_day_draws_the_daily_average_rule() -> None:
    spec = charts.deliveries_per_day(_daily()).to_dict()
    bars, rule = spec["layer"]  # the average is in the title, not written over the bars
    assert bars["mark"]["type"] == "bar"
    assert rule["mark"]["type"] == "rule"
    # (9 + 18 + 30) / 3 = 19.0 deliveries a day
    assert _dataset(spec, rule) == [{"average": 19.0, "label": "Daily average"}]
    assert rule["mark"]["strokeDash"] == [6, 4]
    assert _tooltip_fields(bars) == ["date", "deliveries"]


def test_sessions_chart_marks_the_campaign_start_with_a_labelled_dashed_rule() -> None:
    frame = pl.DataFrame(
        {"date": NOV, "sessions": [3, 5, 8], "avg_session_seconds": [60.0, None, 30.0]}
    )
    spec = drawn(charts.sessions_chart(frame, dt.date(2026, 11, 2)))
    line, rule, label = spec["layer"]
    assert line["encoding"]["y"]["field"] == "sessions"
    assert rule["mark"]["type"] == "rule"
    assert rule["mark"]["strokeDash"] == [6, 4]
    marker = _dataset(spec, rule)
    assert marker == [{"date": "2026-11-02T00:00:00", "label": "Campaign start"}]
    assert label["mark"]["type"] == "text"
    assert label["encoding"]["text"]["field"] == "label"
    assert spec["title"] == "Sessions per day"


def test_sessions_chart_can_show_average_length_as_bars() -> None:
    frame = pl.DataFrame(
        {"date": NOV, "sessions": [3, 5, 8], "avg_session_seconds": [60.0, 1.0, 2.0]}
    )
    spec = drawn(charts.sessions_chart(frame, NOV[0], measure="avg_session_seconds", kind="bar"))
    assert spec["layer"][0]["mark"]["type"] == "bar"
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Seconds"


def test_funnel_keeps_step_order_and_shares_of_the_first_step() -> None:
    frame = pl.DataFrame({"step": ["Entered", "Sent", "Converted"], "count": [200, 150, 20]})
    spec = drawn(charts.funnel(frame))
    rows = next(iter(spec["datasets"].values()))
    # 150 / 200 = 0.75, 20 / 200 = 0.1
    assert [row["share"] for row in rows] == [1.0, 0.75, 0.1]
    assert spec["encoding"]["y"]["sort"] == {"field": "order"}
    # 150 / 200 = 0.75, 20 / 150 = 0.1333...
    assert [row["of_previous"] for row in rows] == [None, 0.75, 20 / 150]
    assert spec["encoding"]["x"]["title"] == "Users"
    assert _tooltip_fields(spec) == ["step", "count", "share", "of_previous"]


def test_breakdown_bars_group_the_three_engagement_counts_per_platform() -> None:
    frame = pl.DataFrame(
        {"platform": ["ios", "android"], "impressions": [5, 6], "opens": [2, 3], "clicks": [1, 0]}
    )
    spec = drawn(charts.breakdown_bars(frame, "platform", "By platform", "Platform"))
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) == 6
    assert spec["encoding"]["y"]["title"] == "Platform"
    assert _tooltip_fields(spec) == ["platform", "measure", "value"]


def test_explore_line_colours_by_split_only_when_there_is_one() -> None:
    plain = pl.DataFrame({"date": NOV, "split": ["all"] * 3, "value": [1.0, 2.0, 3.0]})
    spec = drawn(charts.explore_line(plain, "Opens"))
    assert "color" not in spec["encoding"]
    assert spec["encoding"]["y"]["title"] == "Opens"
    split = pl.DataFrame({"date": NOV[:2] * 2, "split": ["A", "A", "B", "B"], "value": [0.1] * 4})
    spec = drawn(charts.explore_line(split, "Open rate", percent=True, split_title="Variant"))
    assert spec["encoding"]["color"]["title"] == "Variant"
    assert _tooltip_fields(spec) == ["date", "split", "value"]
    assert spec["encoding"]["y"]["axis"]["format"] == ".1%"


def test_no_chart_hard_codes_black_or_white() -> None:
    frame = pl.DataFrame({"date": NOV, "sessions": [3, 5, 8], "avg_session_seconds": [1.0] * 3})
    specs = [
        drawn(charts.sessions_chart(frame, NOV[1])),
        charts.deliveries_per_day(_daily()).to_dict(),
        drawn(charts.message_trend(_daily())),
    ]
    text = str(specs).lower()
    for colour in ("black", "white", "#000", "#fff"):
        assert colour not in text
