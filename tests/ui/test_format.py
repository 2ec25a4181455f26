"""Figures on screen: percentages with one decimal, n/a instead of a misleading zero."""

from __future__ import annotations

import datetime as dt

from ui import format as fmt


def test_rates_read_as_percentages_with_one_decimal() -> None:
    assert fmt.percent(0.25) == "25.0 %"
    assert fmt.percent(0.15894) == "15.9 %"
    assert fmt.percent(0.0) == "0.0 %"


def test_a_rate_over_nothing_reads_n_a_not_zero() -> None:
    assert fmt.percent(None) == "n/a"
    assert fmt.count(None) == "n/a"
    assert fmt.money(None) == "n/a"


def test_counts_have_thousands_separators() -> None:
    assert fmt.count(1234567) == "1,234,567"
    assert fmt.count(12.0) == "12"


def test_session_lengths_read_in_minutes_and_seconds() -> None:
    # 305 s = 5 min 05 s; 42.4 s rounds to 42 s
    assert fmt.seconds(305) == "5 min 05 s"
    assert fmt.seconds(42.4) == "42 s"


def test_before_during_delta_is_relative_and_absent_without_a_baseline() -> None:
    # 139.8 -> 196.2 sessions a day: 196.2 / 139.8 - 1 = +40.3 %
    assert fmt.delta_percent(139.8, 196.2) == "+40.3 %"
    assert fmt.delta_percent(0.0, 5.0) is None
    assert fmt.delta_percent(None, 5.0) is None


def test_freshness_is_shown_in_the_viewers_zone() -> None:
    instant = dt.datetime(2026, 11, 22, 23, 32, tzinfo=dt.UTC)
    assert fmt.timestamp(instant, "America/New_York") == "2026-11-22 18:32 America/New_York"


def test_every_kpi_reads_with_its_unit() -> None:
    from ui.widgets import kpi_text

    assert kpi_text("bounce_rate", 0.032) == "3.2 %"
    assert kpi_text("ctr", None) == "n/a"
    assert kpi_text("uplift_ci_low", 0.016) == "+1.60 pts"
    assert kpi_text("revenue", 6653.19) == "6,653.19 USD"
    assert kpi_text("uplift_p_value", 0.02231) == "0.0223"
    assert kpi_text("errors_by_code", {"InvalidToken": 53, "unknown": 2}) == (
        "InvalidToken: 53, unknown: 2"
    )
    assert kpi_text("messages_sent", 3472) == "3,472"
