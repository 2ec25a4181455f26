"""The sidebar, the report and the Campaigns page give a campaign the same default range.

The glossary: from the local date of C.started_at to the local date of C's newest message
event (start..start with no events). The sidebar (`ui.url_state.resolve_view`), the
report's scope (`metrics.report.default_scope`, its CLI's defaults) and the Campaigns
page's summary (`data.queries.campaign_summary`) all use `data.scope.default_range`; two copies
once disagreed on a campaign that ended without events (the sidebar ran to ended_at).
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data.queries.campaign_summary import campaign_summary
from data.queries.catalog import list_campaigns
from metrics.report import default_scope
from tests.metrics.builders import at, campaign_row, event, load
from ui.url_state import ViewState, resolve_view

D = dt.date

CAMPAIGNS = [
    # running, events 03-01 22:00 .. 03-05 23:30 UTC
    campaign_row("running_events", started_at="2026-03-01 22:00"),
    # ended 03-10, newest event 03-04 12:00 UTC
    campaign_row("ended_events", started_at="2026-03-01 00:00", ended_at=at("2026-03-10 00:00")),
    # ended 03-10 without a single event
    campaign_row("ended_empty", started_at="2026-03-01 10:00", ended_at=at("2026-03-10 00:00")),
    # running, no events yet
    campaign_row("running_empty", started_at="2026-03-01 10:00"),
    # running, its only event before its start (an early test send)
    campaign_row("early_event", started_at="2026-03-05 00:00"),
]

EXPECTED = {
    "UTC": {
        "running_events": (D(2026, 3, 1), D(2026, 3, 5)),
        "ended_events": (D(2026, 3, 1), D(2026, 3, 4)),
        "ended_empty": (D(2026, 3, 1), D(2026, 3, 1)),  # not 03-10: no event, no range
        "running_empty": (D(2026, 3, 1), D(2026, 3, 1)),
        "early_event": (D(2026, 3, 5), D(2026, 3, 5)),  # the end is never before the start
    },
    # Tokyo is UTC+9: 03-01 22:00 UTC is 03-02 07:00 there, 03-05 23:30 is 03-06 08:30;
    # 03-01 00:00 UTC is 09:00, 03-04 12:00 is 21:00; 10:00 UTC is 19:00 the same day.
    "Asia/Tokyo": {
        "running_events": (D(2026, 3, 2), D(2026, 3, 6)),
        "ended_events": (D(2026, 3, 1), D(2026, 3, 4)),
        "ended_empty": (D(2026, 3, 1), D(2026, 3, 1)),
        "running_empty": (D(2026, 3, 1), D(2026, 3, 1)),
        "early_event": (D(2026, 3, 5), D(2026, 3, 5)),
    },
}


def _load(engine: sa.Engine) -> None:
    load(
        engine,
        campaigns=CAMPAIGNS,
        events=[
            event("u1", "sent", "2026-03-01 22:00", campaign_id="running_events"),
            event("u1", "opened", "2026-03-05 23:30", campaign_id="running_events"),
            event("u2", "sent", "2026-03-01 09:00", campaign_id="ended_events"),
            event("u2", "clicked", "2026-03-04 12:00", campaign_id="ended_events"),
            event("u3", "sent", "2026-03-02 12:00", campaign_id="early_event"),
        ],
    )


@pytest.mark.parametrize("tz", list(EXPECTED))
def test_sidebar_report_and_campaigns_page_agree_on_every_default_range(
    engine: sa.Engine, tz: str
) -> None:
    _load(engine)
    with engine.connect() as connection:
        catalog = list_campaigns(connection)
        summary = campaign_summary(connection, tz)
        for campaign_id, expected in EXPECTED[tz].items():
            sidebar, messages = resolve_view(ViewState(campaign=campaign_id, tz=tz), catalog)
            assert messages == []
            report = default_scope(connection, campaign_id, tz)
            row = summary.filter(summary["campaign_id"] == campaign_id).row(0, named=True)
            assert (sidebar.start, sidebar.end) == expected, ("sidebar", campaign_id)
            assert (report.start, report.end) == expected, ("report", campaign_id)
            assert (row["start"], row["end"]) == expected, ("campaigns page", campaign_id)
