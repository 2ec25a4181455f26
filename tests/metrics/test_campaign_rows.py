"""The Campaigns table's rows, from a summary frame built by hand (no database)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from metrics.campaign_summary import TABLE_COLUMNS, campaign_rows

UTC = dt.UTC


def test_each_row_carries_its_channels_headline_rate_and_its_status_at_now() -> None:
    summary = pl.DataFrame(
        {
            "campaign_id": ["p", "i", "s", "w"],
            "name": ["Push", "In-app", "SMS", "Web"],
            "channel": ["push", "in_app", "sms", "web"],
            "started_at": [
                dt.datetime(2026, 3, 1, tzinfo=UTC),
                dt.datetime(2026, 3, 1, tzinfo=UTC),
                dt.datetime(2026, 3, 20, tzinfo=UTC),  # after now: scheduled
                dt.datetime(2026, 3, 1, tzinfo=UTC),
            ],
            "ended_at": [
                None,  # no end: running
                dt.datetime(2026, 3, 5, tzinfo=UTC),  # ended before now
                None,
                dt.datetime(2026, 3, 30, tzinfo=UTC),  # its end is ahead: running
            ],
            "start": [dt.date(2026, 3, 1)] * 4,
            "end": [dt.date(2026, 3, 9)] * 4,
            "audience_size": [10, 20, 0, 5],
            "messages_sent": [10, 0, 0, 5],
            "open_rate": [0.5, None, None, 0.1],
            "ctr": [None, 0.25, None, None],
            "click_rate": [0.2, 0.3, None, 0.4],
            "delivery_rate": [0.9, None, None, 1.0],
            "conversion_rate": [0.1, None, None, 0.0],
        }
    )
    rows = campaign_rows(summary, dt.datetime(2026, 3, 10, tzinfo=UTC))
    assert rows.columns == list(TABLE_COLUMNS)
    assert rows["status"].to_list() == ["Running", "Ended", "Scheduled", "Running"]
    # push: open rate; in-app: tap-through rate (ctr); SMS: click rate; an unknown
    # channel: the click rate
    assert rows["headline_figure"].to_list() == ["open_rate", "ctr", "click_rate", "click_rate"]
    assert rows["headline_rate"].to_list() == [0.5, 0.25, None, 0.4]
    assert rows["conversion_rate"].to_list() == [0.1, None, None, 0.0]
