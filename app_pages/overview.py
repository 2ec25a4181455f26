"""Overview: the channel's headline KPIs, the key circles, the delivery funnel, runs, sessions."""

from __future__ import annotations

import polars as pl
import streamlit as st

from metrics.report_model import RunRow, rows_to_frame
from metrics.series import EXPLORABLE_FIGURES
from ui import charts, nav, page_kit, widgets
from ui import format as fmt
from ui.sessions_view import render_sessions

url, view = page_kit.view()
report = page_kit.report(url, view)
page_kit.header("Overview", report)
kpis = report.kpis


def explore_link(kpi: widgets.Kpi) -> None:
    if kpi.key in EXPLORABLE_FIGURES:
        nav.page_link(nav.EXPLORE, view, label="Explore over time", figure=kpi.key)


channel_kpis = widgets.CHANNEL_KPIS.get(report.campaign.channel, widgets.CHANNEL_KPIS["push"])
widgets.kpi_cards(report, channel_kpis, link=explore_link)
if widgets.no_events(report, "figures"):
    st.stop()

st.subheader("Users, engagement and conversions")
users, engaged, converted = st.columns(3)
with users:
    widgets.count_metric("Users", kpis.audience_size, "audience_size")
    st.caption(f"{fmt.count(kpis.entries)} entries", help=widgets.help_for("entries"))
with engaged:
    widgets.count_metric("Engaged", kpis.engaged_users, "engaged_users")
    share = kpis.engaged_users / kpis.audience_size if kpis.audience_size else None
    st.caption(f"{fmt.percent(share)} of the audience")
with converted:
    widgets.count_metric("Conversions", kpis.conversions, "conversions")
    st.caption(
        f"Conversion rate {fmt.percent(kpis.conversion_rate)}",
        help=widgets.help_for("conversion_rate"),
    )

st.subheader("Delivery funnel")
viewed = kpis.unique_impressions if kpis.impressions else kpis.unique_opens
steps = [
    ("Entered (users)", kpis.audience_size),
    ("Sent (messages)", kpis.messages_sent),
    ("Delivered (messages)", kpis.delivered),
    ("Viewed (users)", viewed),
    ("Clicked (users)", kpis.unique_clicks),
]
if kpis.converted_users is not None:
    steps.append(("Converted (users)", kpis.converted_users))
funnel = pl.DataFrame({"step": [s for s, _ in steps], "count": [c for _, c in steps]})
left, right = st.columns([2, 1])
with left:
    widgets.chart(charts.funnel(funnel), widgets.FUNNEL_EMPTY)
with right:
    widgets.table(funnel, "delivery_funnel", view)
    st.caption(
        "Viewed counts users with an impression (or, for channels without impressions, an "
        "open). Each step is the glossary's figure of the same name."
    )

if report.runs:
    st.subheader("Runs")
    runs = rows_to_frame(report.runs, RunRow)
    widgets.table(
        runs,
        "runs",
        view,
        column_config={
            key: st.column_config.Column(help=widgets.help_for(key)) for key in runs.columns
        },
    )

render_sessions(report, view)

with st.expander("Every figure of this view (the glossary's Delivery, Engagement and Conversions)"):
    widgets.table(widgets.all_kpis_frame(report), "all_figures", view)
