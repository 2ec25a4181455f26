"""Tables read as the registry names and formats them, instants in the view's zone; CSVs keep
raw values (issue 10, item 11)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from ui import columns
from ui import format as fmt


def entries(config: dict[str, object]) -> dict[str, dict[str, Any]]:
    """The config's columns as the dicts Streamlit's column helpers make (checked), so a
    test can read their fields."""
    assert all(isinstance(entry, dict) for entry in config.values())
    return {key: entry for key, entry in config.items() if isinstance(entry, dict)}


RUNS = pl.DataFrame(
    {
        "run_id": ["r1"],
        "endpoints_targeted": [1200],
        "messages_sent": [1180],
        "first_event_at": [dt.datetime(2026, 11, 2, 23, 30, tzinfo=dt.UTC)],
        "open_rate": [0.1561],
        "revenue": [1234.5],
        "device_model": ["Pixel 8"],
    }
)


def test_columns_carry_the_registrys_names_not_keys() -> None:
    config = entries(columns.column_config(RUNS, "Europe/Paris"))
    labels = {key: value["label"] for key, value in config.items()}
    assert labels["endpoints_targeted"] == "Endpoints targeted"
    assert labels["first_event_at"] == "First event"
    assert labels["device_model"] == "Device model"
    assert labels["messages_sent"] == "Sent"
    assert labels["revenue"] == "Revenue (USD)"
    assert "_" not in "".join(labels.values())


def test_rates_read_in_percent_and_times_without_seconds() -> None:
    config = entries(columns.column_config(RUNS, "UTC"))
    assert config["open_rate"]["type_config"]["format"] == "percent"
    assert config["first_event_at"]["type_config"]["format"] == "YYYY-MM-DD HH:mm"
    assert "Shown in UTC" in config["first_event_at"]["help"]


def test_instants_are_shown_in_the_views_zone() -> None:
    shown = columns.in_zone(RUNS, "Europe/Paris")
    # 23:30 UTC on 2 November is 00:30 on 3 November in Paris (UTC+1 in winter)
    local = shown["first_event_at"][0]
    assert (local.date(), local.hour, local.minute) == (dt.date(2026, 11, 3), 0, 30)
    assert RUNS["first_event_at"][0].hour == 23  # the CSV's frame is left in UTC


def test_a_pages_help_only_column_keeps_the_registrys_label_and_format() -> None:
    import streamlit as st

    defaults = columns.column_config(RUNS, "UTC")
    config = entries(columns.merged(defaults, {"open_rate": st.column_config.Column(help="Mine.")}))
    assert config["open_rate"]["label"] == "Open rate"
    assert config["open_rate"]["help"] == "Mine."
    assert config["open_rate"]["type_config"]["format"] == "percent"


def test_revenue_says_its_currency(monkeypatch: pytest.MonkeyPatch) -> None:
    assert fmt.money(1234.5) == "1,234.50 USD"
    monkeypatch.setenv(fmt.CURRENCY_VARIABLE, "eur")
    assert fmt.money(1234.5) == "1,234.50 EUR"
    monkeypatch.setenv(fmt.CURRENCY_VARIABLE, "euros")  # not a code: the default
    assert fmt.currency() == "USD"


def test_a_pages_number_column_without_a_format_keeps_the_registrys_format() -> None:
    import streamlit as st

    frame = pl.DataFrame({"audience_size": [20854], "headline_rate": [0.1561]})
    defaults = columns.column_config(frame, "UTC")
    config = entries(
        columns.merged(
            defaults, {"audience_size": st.column_config.NumberColumn("Audience", help="Users.")}
        )
    )
    assert config["audience_size"]["label"] == "Audience"
    assert config["audience_size"]["type_config"]["format"] == "localized"
    # a rate the registry does not declare still reads in percent, never 0.1561
    assert entries(defaults)["headline_rate"]["type_config"]["format"] == "percent"


def test_two_columns_with_one_short_name_get_their_full_names() -> None:
    frame = pl.DataFrame({"unique_impressions": [3], "cumulative_unique_impressions": [5]})
    labels = [value["label"] for value in entries(columns.column_config(frame, "UTC")).values()]
    assert len(set(labels)) == 2
