"""Every chart over time marks its partial first and last buckets (issue 10, item 5): the
point or bar is lighter (and a line's segment dashed) with a note in the tooltip, so a short
first or last day does not read as a crash. Checked on the Vega-Lite spec of each builder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import altair as alt
import polars as pl
import pytest

from ui import charts
from ui.experiment_charts import variant_trend_chart

NOV = [dt.date(2026, 11, day) for day in (1, 2, 3)]
FIRST_AND_LAST = {NOV[0], NOV[2]}

DAILY = pl.DataFrame(
    {
        "date": NOV,
        "messages_sent": [10, 20, 30],
        "delivered": [9, 18, 30],
        "impressions": [4, 8, 2],
        "opens": [3, 4, 5],
        "clicks": [1, 0, 2],
        "dismissals": [1, 1, 0],
        "ctr": [0.25, 0.0, 1.0],
        "dismissal_rate": [0.25, 0.125, 0.0],
        "cumulative_impressions": [4, 12, 14],
        "cumulative_unique_impressions": [3, 5, 6],
    }
)
SESSIONS = pl.DataFrame(
    {"date": NOV, "sessions": [66, 250, 254], "avg_session_seconds": [60.0, 61.0, 62.0]}
)
SERIES = pl.DataFrame({"date": NOV, "split": ["all"] * 3, "value": [66.0, 250.0, 254.0]})


def _layer_with_data(spec: dict[str, Any]) -> dict[str, Any]:
    """The chart (or the first layer) that draws the frame's rows."""
    return spec["layer"][0] if "layer" in spec else spec


def _rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    name = _layer_with_data(spec)["data"]["name"] if "data" in _layer_with_data(spec) else None
    datasets = spec["datasets"]
    return datasets[name] if name else next(iter(datasets.values()))


BUILDERS: dict[str, Callable[[set[dt.date] | None], alt.TopLevelMixin | None]] = {
    "message trend": lambda partial: charts.message_trend(DAILY, "push", partial),
    "rate trend": lambda partial: charts.rate_trend(DAILY, partial),
    "cumulative impressions": lambda partial: charts.cumulative_impressions(DAILY, partial),
    "deliveries per day": lambda partial: charts.deliveries_per_day(DAILY, partial=partial),
    "sessions (line)": lambda partial: charts.sessions_chart(
        SESSIONS, NOV[1], "sessions", "line", partial
    ),
    "sessions (bars)": lambda partial: charts.sessions_chart(
        SESSIONS, NOV[1], "avg_session_seconds", "bar", partial
    ),
    "explore": lambda partial: charts.explore_line(SERIES, "Sessions", partial=partial),
    "variant trend": lambda partial: variant_trend_chart(SERIES, "Conversions", "day", partial),
}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_partial_first_and_last_buckets_are_lighter_with_a_note(name: str) -> None:
    chart = BUILDERS[name](FIRST_AND_LAST)
    assert chart is not None
    spec = chart.to_dict()
    drawn = _layer_with_data(spec)
    encoding = drawn["encoding"]
    assert encoding["opacity"]["condition"]["test"] == "datum.partial"
    assert encoding["opacity"]["condition"]["value"] < encoding["opacity"]["value"]
    assert {"field": "note", "type": "nominal", "title": "Note"} in encoding["tooltip"]
    if drawn["mark"]["type"] == "line":
        assert encoding["strokeDash"]["field"] == "dashed"
        assert encoding["detail"]["field"] == "segment"
    notes = {row["date"][:10]: row["note"] for row in _rows(spec)}
    assert notes["2026-11-01"].startswith("Partial day")
    assert notes["2026-11-02"] == ""
    assert notes["2026-11-03"].startswith("Partial day")


@pytest.mark.parametrize("name", list(BUILDERS))
def test_without_partial_buckets_nothing_is_marked(name: str) -> None:
    chart = BUILDERS[name](set())
    assert chart is not None
    encoding = _layer_with_data(chart.to_dict())["encoding"]
    assert "opacity" not in encoding
    assert "strokeDash" not in encoding


def test_a_partial_week_says_week_in_its_note() -> None:
    chart = charts.message_trend(DAILY, "email", {NOV[0]}, "week")
    assert chart is not None
    notes = [row["note"] for row in _rows(chart.to_dict()) if row["note"]]
    assert notes and all(note.startswith("Partial week") for note in notes)


def test_the_daily_average_of_deliveries_is_in_the_title_not_over_the_bars() -> None:
    spec = charts.deliveries_per_day(DAILY).to_dict()
    # (9 + 18 + 30) / 3 = 19.0
    assert spec["title"] == "Endpoint deliveries per day (dashed line: daily average 19.0)"
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "rule"]


def test_the_punch_card_keeps_every_weekday_even_without_opens() -> None:
    # a weekly email opened on Mondays and Tuesdays only: Sunday still has its row
    frame = pl.DataFrame({"weekday": [0, 1], "hour": [9, 10], "opens": [30, 4]})
    spec = charts.punch_card(frame).to_dict()
    assert spec["encoding"]["y"]["scale"]["domain"] == list(charts.WEEKDAYS)


@pytest.mark.parametrize(
    "build",
    [
        lambda frame: charts.message_trend(frame, "push", FIRST_AND_LAST),
        lambda frame: charts.rate_trend(frame, FIRST_AND_LAST),
        lambda frame: charts.cumulative_impressions(frame, FIRST_AND_LAST),
        lambda frame: charts.sessions_chart(frame, NOV[0], "sessions", "line", FIRST_AND_LAST),
        lambda frame: charts.explore_line(frame, "Clicks", partial=FIRST_AND_LAST),
    ],
)
def test_an_empty_frame_with_partial_buckets_still_gives_an_empty_state(build: Any) -> None:
    empty = DAILY.head(0).with_columns(
        pl.lit(None, pl.String).alias("split"),
        pl.lit(None, pl.Float64).alias("value"),
        pl.lit(None, pl.Int64).alias("sessions"),
        pl.lit(None, pl.Float64).alias("avg_session_seconds"),
    )
    assert build(empty) is None


def test_partial_buckets_are_dashed_links_to_their_neighbours_not_one_line_between_them() -> None:
    chart = charts.explore_line(SERIES, "Sessions", partial=FIRST_AND_LAST)
    assert chart is not None
    rows = _rows(chart.to_dict())
    segments: dict[str, list[str]] = {}
    for row in rows:
        segments.setdefault(row["segment"], []).append(row["date"][:10])
    # the whole day on its own; each partial day joined to the whole day next to it
    assert segments == {
        "whole": ["2026-11-02"],
        "partial 2026-11-01": ["2026-11-01", "2026-11-02"],
        "partial 2026-11-03": ["2026-11-03", "2026-11-02"],
    }
    assert {row["segment"]: row["dashed"] for row in rows} == {
        "whole": False,
        "partial 2026-11-01": True,
        "partial 2026-11-03": True,
    }


def test_each_measure_of_a_trend_gets_its_own_partial_links() -> None:
    chart = charts.rate_trend(DAILY, {NOV[0]})
    assert chart is not None
    rows = _rows(chart.to_dict())
    links = sorted((row["measure"], row["date"][:10]) for row in rows if row["segment"] != "whole")
    assert links == [
        ("Dismissal rate", "2026-11-01"),
        ("Dismissal rate", "2026-11-02"),
        ("Tap-through rate", "2026-11-01"),
        ("Tap-through rate", "2026-11-02"),
    ]


def test_weekly_ticks_fall_on_the_weeks_mondays_not_on_sundays() -> None:
    mondays = [dt.date(2026, 11, 2), dt.date(2026, 11, 9)]
    frame = pl.DataFrame({"date": mondays, "split": ["all"] * 2, "value": [3.0, 4.0]})
    chart = charts.explore_line(frame, "Clicks", granularity="week")
    assert chart is not None
    values = chart.to_dict()["encoding"]["x"]["axis"]["values"]
    as_dates = [dt.date(value["year"], value["month"], value["date"]) for value in values]
    assert as_dates == mondays
    assert all(value["utc"] for value in values)
