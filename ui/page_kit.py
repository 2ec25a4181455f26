"""What every campaign page starts with: the view, its report, and a header saying what it is.

Pages stay thin: they ask for the report here (cached, with a spinner) and draw it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import streamlit as st

from data.scope import Scope, zone_named
from data.vocabulary import Granularity
from metrics import partial
from metrics.report_model import CampaignReport
from ui import data_access, filters
from ui.url_state import ViewState

CHANNEL_NAMES = {"push": "Push", "in_app": "In-app", "email": "Email", "sms": "SMS"}


def view() -> tuple[str, ViewState]:
    """The database URL and the resolved view of this run."""
    return data_access.database_url(), filters.current_view()


def report(url: str, current: ViewState, gran: Granularity | None = None) -> CampaignReport:
    """The report of the view, with a spinner naming the campaign and its size while it is
    computed (cached a minute: a view already seen shows at once, with no spinner)."""
    with st.spinner(computing_message(url, current), show_time=True):
        return data_access.report(url, current, gran)


def computing_message(url: str, current: ViewState) -> str:
    """ "Computing Black Friday push: 4,027,969 events..." for the view's campaign."""
    return _computing_message(url, current.campaign)


@st.cache_data(
    ttl=data_access.TTL_SECONDS, max_entries=data_access.CAMPAIGN_ENTRIES, show_spinner=False
)
def _computing_message(url: str, campaign_id: str | None) -> str:
    """Cached per campaign: every page of every session asks for it before its report, and
    copying the campaigns frame out of its cache and filtering it was 3 % of a rerun's CPU
    (py-spy, 5 sessions on the demo)."""
    campaigns = data_access.campaigns(url)
    row = campaigns.filter(campaigns["campaign_id"] == campaign_id)
    if row.is_empty():
        return "Computing the campaign's figures..."
    name, events = row["name"][0], int(row["events"][0] or 0)
    return f"Computing {name}: {events:,} events..."


def header(title: str, result: CampaignReport) -> None:
    """Page title plus the campaign, channel, range and zone the figures are for."""
    campaign = result.campaign
    st.title(title)
    channel = CHANNEL_NAMES.get(campaign.channel, campaign.channel)
    period = f"{result.range.start} to {result.range.end} ({result.range.tz})"
    zone = zone_named(result.range.tz)
    started = campaign.started_at.astimezone(zone).date()
    # the campaign's dates in the view's zone, like every date on the page
    ended = (
        f"ended {campaign.ended_at.astimezone(zone).date()}"
        if campaign.ended_at
        else "still running"
    )
    st.markdown(f"**{campaign.name}** · {channel} · started {started}, {ended} · showing {period}")
    current = filters.current_view()
    notes = []
    if current.variant:
        notes.append(f"variant **{current.variant}** only")
    if current.action:
        notes.append(f"action **{current.action}** only")
    if current.test:
        notes.append("test users excluded")
    if current.machine:
        notes.append("automated opens and clicks excluded")
    if notes:
        st.caption("Filtered: " + ", ".join(notes))
    if current.action:
        st.button(
            "Back to all actions",
            key="clear_action",
            icon=":material/arrow_back:",
            on_click=filters.set_view_params,
            kwargs={"action": None},
            help="Leave the drill-down into one action: every figure for the whole campaign.",
        )


def partial_buckets(
    report: CampaignReport, starts: Iterable[dt.date], granularity: Granularity | None = None
) -> set[dt.date]:
    """The buckets of the report's view (by their start) that the campaign covers only in
    part, for the charts to mark (`metrics.partial`): the first and last, when the range,
    the campaign or the data ("Data as of") cuts them."""
    return partial.partial_buckets(
        starts,
        granularity or report.granularity,
        report_scope(report),
        report.campaign.started_at,
        report.campaign.ended_at,
        report.data_as_of,
    )


def session_partial_days(report: CampaignReport) -> set[dt.date]:
    """The days of the sessions chart its windows cover only in part: the before window's
    first (it starts mid-day) and the during window's last."""
    sessions = report.sessions
    days = [row.date for row in sessions.daily]
    if not days:
        return set()
    scope = Scope(
        campaign_id=report.campaign.campaign_id, start=min(days), end=max(days), tz=report.range.tz
    )
    return partial.partial_buckets(
        days, "day", scope, sessions.before_start, sessions.during_end, report.data_as_of
    )


def report_scope(report: CampaignReport) -> Scope:
    """The scope of the report's range and zone (the filters do not move bucket edges)."""
    return Scope(
        campaign_id=report.campaign.campaign_id,
        start=report.range.start,
        end=report.range.end,
        tz=report.range.tz,
    )
