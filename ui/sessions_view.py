"""Sessions before and during the campaign: did the message bring people back to the app?"""

from __future__ import annotations

import streamlit as st

from metrics import figures
from metrics.report_model import CampaignReport, SessionDayRow, rows_to_frame
from ui import charts, widgets
from ui import format as fmt
from ui.page_kit import session_partial_days
from ui.url_state import ViewState


def render_sessions(report: CampaignReport, view: ViewState) -> None:
    """Before/during averages as metrics with deltas, and the daily charts with the start rule."""
    sessions = report.sessions
    st.subheader("Sessions before and during the campaign")
    before_rate, during_rate = sessions.sessions_per_day_before, sessions.sessions_per_day_during
    before_length = sessions.avg_session_seconds_before
    during_length = sessions.avg_session_seconds_during
    cards = [
        ("sessions_per_day_before", fmt.per_day(before_rate), None),
        (
            "sessions_per_day_during",
            fmt.per_day(during_rate),
            fmt.delta_percent(before_rate, during_rate),
        ),
        ("avg_session_seconds_before", fmt.seconds(before_length), None),
        (
            "avg_session_seconds_during",
            fmt.seconds(during_length),
            fmt.delta_percent(before_length, during_length),
        ),
    ]
    for column, (key, value, delta) in zip(st.columns(len(cards)), cards, strict=True):
        with column:
            widgets.metric(figures.label(key), value, key, delta=delta)
    daily = rows_to_frame(sessions.daily, SessionDayRow)
    if not charts.has_values(daily, ["sessions"]):
        widgets.empty(
            "No sessions of this campaign's audience before or during it (with these filters).",
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
    partial = session_partial_days(report)
    left, right = st.columns(2)
    with left:
        widgets.cached_chart(
            report,
            f"sessions_{kind}",
            lambda: charts.sessions_chart(daily, start, "sessions", kind, partial),
        )
    with right:
        widgets.cached_chart(
            report,
            f"avg_session_seconds_{kind}",
            lambda: charts.sessions_chart(daily, start, "avg_session_seconds", kind, partial),
        )
    widgets.folded(
        "Sessions per day (table)",
        "sessions_daily",
        lambda: widgets.table(daily, "sessions_daily", view),
    )
