"""Sessions before and during the campaign: did the message bring people back to the app?"""

from __future__ import annotations

import streamlit as st

from metrics.report_model import CampaignReport, SessionDayRow, rows_to_frame
from ui import charts, widgets
from ui import format as fmt
from ui.url_state import ViewState


def render_sessions(report: CampaignReport, view: ViewState) -> None:
    """Before/during averages as metrics with deltas, and the daily charts with the start rule."""
    sessions = report.sessions
    st.subheader("Sessions before and during the campaign")
    cards = st.columns(4)
    with cards[0]:
        widgets.metric(
            "Sessions per day, before",
            fmt.per_day(sessions.sessions_per_day_before),
            "sessions_per_day_before",
        )
    with cards[1]:
        widgets.metric(
            "Sessions per day, during",
            fmt.per_day(sessions.sessions_per_day_during),
            "sessions_per_day_during",
            delta=fmt.delta_percent(
                sessions.sessions_per_day_before, sessions.sessions_per_day_during
            ),
        )
    with cards[2]:
        widgets.metric(
            "Average session, before",
            fmt.seconds(sessions.avg_session_seconds_before),
            "avg_session_seconds_before",
        )
    with cards[3]:
        widgets.metric(
            "Average session, during",
            fmt.seconds(sessions.avg_session_seconds_during),
            "avg_session_seconds_during",
            delta=fmt.delta_percent(
                sessions.avg_session_seconds_before, sessions.avg_session_seconds_during
            ),
        )
    daily = rows_to_frame(sessions.daily, SessionDayRow)
    if daily.is_empty():
        widgets.empty(
            "No sessions of this campaign's audience before or during it.",
            "Sessions come from the sessions table: import your app's sessions to compare.",
        )
        return
    kind = (
        st.segmented_control(
            "Chart type",
            ["line", "bar"],
            default="line",
            key="sessions_kind",
            format_func=str.capitalize,
        )
        or "line"
    )
    start = sessions.during_start.astimezone(view.to_scope().zone).date()
    left, right = st.columns(2)
    with left:
        widgets.chart(charts.sessions_chart(daily, start, "sessions", kind))
    with right:
        widgets.chart(charts.sessions_chart(daily, start, "avg_session_seconds", kind))
    with st.expander("Sessions per day (table)"):
        widgets.table(daily, "sessions_daily", view)
