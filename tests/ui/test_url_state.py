"""The URL is the view: parsing a shared link, falling back on bad values, writing it back."""

from __future__ import annotations

import datetime as dt

import polars as pl

from ui.url_state import (
    ViewState,
    matching_preset,
    parse_query,
    preset_range,
    query_string,
    resolve_view,
)

UTC = dt.UTC


def _campaigns() -> pl.DataFrame:
    # Newest start first, as data.queries.catalog.list_campaigns returns them.
    return pl.DataFrame(
        {
            "campaign_id": ["push_black_friday", "inapp_onboarding"],
            "name": ["Black Friday", "Onboarding"],
            "started_at": [
                dt.datetime(2026, 11, 2, 8, 0, tzinfo=UTC),
                dt.datetime(2026, 10, 12, 23, 30, tzinfo=UTC),
            ],
            "ended_at": [None, dt.datetime(2026, 11, 15, tzinfo=UTC)],
            "last_event_at": [
                dt.datetime(2026, 11, 22, 23, 10, tzinfo=UTC),
                dt.datetime(2026, 11, 14, 12, 0, tzinfo=UTC),
            ],
        }
    )


def test_a_full_link_parses_into_every_filter() -> None:
    state, messages = parse_query(
        {
            "campaign": "push_black_friday",
            "start": "2026-11-05",
            "end": "2026-11-10",
            "tz": "Europe/Paris",
            "test": "true",
            "machine": "1",
            "variant": "B",
            "gran": "week",
        }
    )
    assert messages == []
    assert state.campaign == "push_black_friday"
    assert (state.start, state.end) == (dt.date(2026, 11, 5), dt.date(2026, 11, 10))
    assert state.tz == "Europe/Paris"
    assert state.test and state.machine
    assert state.variant == "B" and state.gran == "week"


def test_the_link_round_trips_and_carries_defaults_explicitly() -> None:
    state = ViewState(campaign="c", start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
    query = state.to_query()
    # zone and flags are written even at their defaults, so another viewer sees the same
    assert query == {
        "campaign": "c",
        "start": "2026-01-01",
        "end": "2026-01-31",
        "tz": "UTC",
        "test": "false",
        "machine": "false",
        "gran": "day",
    }
    assert parse_query(query) == (state, [])


def test_a_malformed_date_is_dropped_with_a_message_and_the_rest_is_kept() -> None:
    state, messages = parse_query({"campaign": "c", "start": "2026-13-45", "end": "2026-11-10"})
    assert state.start is None
    assert state.end == dt.date(2026, 11, 10)
    assert len(messages) == 1 and "start=2026-13-45" in messages[0]


def test_end_before_start_falls_back_to_the_whole_range() -> None:
    state, messages = parse_query({"start": "2026-11-10", "end": "2026-11-01"})
    assert (state.start, state.end) == (None, None)
    assert "before the start date" in messages[0]


def test_an_unknown_zone_falls_back_to_utc_with_a_message() -> None:
    state, messages = parse_query({"tz": "Mars/Olympus"})
    assert state.tz == "UTC"
    assert "Mars/Olympus" in messages[0]


def test_a_missing_zone_takes_the_viewers_zone() -> None:
    state, messages = parse_query({}, default_tz="America/New_York")
    assert state.tz == "America/New_York"
    assert messages == []


def test_bad_flags_and_granularity_fall_back_to_their_defaults() -> None:
    state, messages = parse_query({"test": "maybe", "gran": "hour", "split": "moon"})
    assert (state.test, state.gran, state.split) == (False, "day", None)
    assert len(messages) == 3


def test_a_repeated_parameter_takes_its_last_value() -> None:
    state, _ = parse_query({"tz": ["UTC", "Asia/Tokyo"]})
    assert state.tz == "Asia/Tokyo"


def test_resolve_fills_the_campaigns_default_range_in_the_viewers_zone() -> None:
    state, _ = parse_query({"campaign": "inapp_onboarding", "tz": "Europe/Paris"})
    resolved, messages = resolve_view(state, _campaigns())
    assert messages == []
    # started 2026-10-12 23:30 UTC = 2026-10-13 01:30 in Paris (CEST, UTC+2)
    # last event 2026-11-14 12:00 UTC = 13:00 in Paris (CET)
    assert (resolved.start, resolved.end) == (dt.date(2026, 10, 13), dt.date(2026, 11, 14))


def test_resolve_replaces_an_unknown_campaign_by_the_newest_and_says_so() -> None:
    state, _ = parse_query({"campaign": "nope", "start": "2020-01-01", "variant": "B"})
    resolved, messages = resolve_view(state, _campaigns())
    assert resolved.campaign == "push_black_friday"
    # the link's dates belonged to the unknown campaign: the default range is used
    assert (resolved.start, resolved.end) == (dt.date(2026, 11, 2), dt.date(2026, 11, 22))
    assert resolved.variant is None
    assert "no campaign `nope`" in messages[0]


def test_resolve_drops_a_variant_the_campaign_does_not_have() -> None:
    state = ViewState(campaign="push_black_friday", variant="Z", action="push_teaser")
    resolved, messages = resolve_view(
        state, _campaigns(), variant_ids=["A", "B", "control"], action_ids=["push_teaser"]
    )
    assert resolved.variant is None
    assert resolved.action == "push_teaser"
    assert "no variant `Z`" in messages[0]


def test_resolve_rejects_a_start_after_the_campaigns_default_end() -> None:
    state = ViewState(campaign="inapp_onboarding", start=dt.date(2026, 12, 1))
    resolved, messages = resolve_view(state, _campaigns())
    # no end in the link: it becomes the default end 2026-11-14, but never before the start
    assert (resolved.start, resolved.end) == (dt.date(2026, 12, 1), dt.date(2026, 12, 1))
    assert messages == []


def test_presets_end_on_the_campaigns_newest_event_day() -> None:
    row = _campaigns().row(0, named=True)
    # newest event 2026-11-22: last 7 days = 16th..22nd inclusive
    assert preset_range("last_7", row, "UTC") == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert preset_range("lifetime", row, "UTC") == (dt.date(2026, 11, 2), dt.date(2026, 11, 22))
    assert preset_range("custom", row, "UTC") is None
    assert matching_preset(dt.date(2026, 11, 16), dt.date(2026, 11, 22), row, "UTC") == "last_7"
    assert matching_preset(dt.date(2026, 11, 3), dt.date(2026, 11, 22), row, "UTC") == "custom"


def test_query_string_is_ordered_and_encoded() -> None:
    text = query_string({"tz": "America/New_York", "campaign": "a b", "start": "2026-01-01"})
    assert text == "?campaign=a+b&start=2026-01-01&tz=America%2FNew_York"
