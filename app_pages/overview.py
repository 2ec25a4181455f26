"""Overview: the channel's headline KPIs, the key circles, the delivery funnel, runs, sessions."""

from __future__ import annotations

import polars as pl
import streamlit as st

from metrics import figures
from metrics.funnel import STEP_HELP
from metrics.rates import ratio
from metrics.report_model import FunnelRow, RunRow, rows_to_frame
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
    widgets.count_metric(figures.heading("engaged_users"), kpis.engaged_users, "engaged_users")
    share = ratio(kpis.engaged_users, kpis.audience_size)
    st.caption(f"{fmt.percent(share)} of the audience")
with converted:
    widgets.count_metric(figures.label("conversions"), kpis.conversions, "conversions")
    st.caption(
        f"Conversion rate {fmt.percent(kpis.conversion_rate)}",
        help=widgets.help_for("conversion_rate"),
    )

st.subheader("Delivery funnel")
funnel = rows_to_frame(report.funnel, FunnelRow)
left, right = st.columns([2, 1])
with left:
    widgets.cached_chart(
        report,
        "delivery_funnel",
        lambda: charts.funnel(funnel.select("step", pl.col("users").alias("count"))),
        widgets.FUNNEL_EMPTY,
    )
with right:
    widgets.table(
        funnel,
        "delivery_funnel",
        view,
        column_config={
            "step": st.column_config.TextColumn("Step"),
            "users": st.column_config.NumberColumn("Users", format="localized"),
            "of_first": st.column_config.NumberColumn(
                "Of first", format="percent", help="Share of the first step's users."
            ),
            "of_previous": st.column_config.NumberColumn(
                "Of previous", format="percent", help="Share of the step before's users."
            ),
        },
    )
    st.caption(
        "Users at each step who also reached every step before it (the control group, held "
        "out, is not in the funnel)."
    )
    with st.popover("What each step counts", icon=":material/help:"):
        for row in report.funnel:
            st.markdown(f"**{row.step}**: {STEP_HELP[row.step]}")

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

widgets.folded(
    "Every figure of this view (the glossary's Delivery, Engagement and Conversions)",
    "all_figures",
    lambda: widgets.table(
        widgets.all_kpis_frame(report), "all_figures", view, csv=widgets.all_kpis_csv(report)
    ),
)
