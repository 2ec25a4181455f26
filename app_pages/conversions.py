"""Conversions: who converted, through which action, and how much the message added."""

from __future__ import annotations

import polars as pl
import streamlit as st

from metrics import figures
from metrics.conversion_funnels import attribution_shares, conversion_funnel, influence_funnel
from metrics.report_model import ActionRow, RevenueRow, rows_to_frame
from ui import charts, filters, page_kit, widgets
from ui import format as fmt

url, view = page_kit.view()
report = page_kit.report(url, view)
page_kit.header("Conversions", report)
kpis = report.kpis

if view.action:
    st.info(
        f"Every figure on this page is for action `{view.action}` only (the campaign read as "
        "if its only messages were those of this action).",
        icon=":material/filter_alt:",
    )

if widgets.no_goal(report):
    st.stop()

widgets.kpi_cards(
    report,
    [widgets.Kpi("converted_users"), widgets.Kpi("conversion_rate"), widgets.Kpi("revenue")],
)
widgets.kpi_cards(
    report,
    [
        widgets.Kpi("click_through_conversions"),
        widgets.Kpi("click_through_conversion_rate"),
        widgets.Kpi("view_through_conversions"),
        widgets.Kpi("view_through_conversion_rate"),
    ],
)

revenue = rows_to_frame(report.revenue_series, RevenueRow)
widgets.chart(
    charts.explore_line(
        revenue.select("date", pl.lit("all").alias("split"), pl.col("revenue").alias("value")),
        f"Revenue ({fmt.currency()})",
        granularity=report.granularity,
        partial=page_kit.partial_buckets(report, revenue["date"].to_list()),
    ),
    (
        "No revenue in this range: no qualifying conversion carried a revenue.",
        "Widen the date range, or send the revenue with the conversion events.",
    ),
)

st.subheader("Actions")
actions = report.actions
if not actions:
    widgets.empty(
        "This campaign has no actions (flow steps), so conversions cannot be attributed.",
        "Define the campaign's actions and tag message events with their action_id.",
    )
else:
    shares = attribution_shares(actions)
    columns = st.columns(min(len(actions), 4))
    for index, action in enumerate(sorted(actions, key=lambda row: row.position)):
        share = shares[action.action_id]
        with columns[index % len(columns)], st.container(border=True):
            st.markdown(f"**{action.position}. {action.name}**")
            st.caption(f"`{action.action_id}`")
            widgets.count_metric(
                figures.label("received_users"), action.received_users, "received_users"
            )
            st.markdown(
                f"Clicks **{fmt.count(action.clicks)}** · attributed conversions "
                f"**{fmt.count(action.attributed_conversions)}** ({fmt.percent(share)} of all)"
            )
            if view.action != action.action_id:
                st.button(
                    "Show only this action",
                    key=f"drill_{action.action_id}",
                    icon=":material/filter_alt:",
                    on_click=filters.set_view_params,
                    kwargs={"action": action.action_id},
                )
    widgets.folded(
        "Actions (table)",
        "actions",
        lambda: widgets.table(rows_to_frame(actions, ActionRow), "actions", view),
    )

st.subheader("Funnels")
left, right = st.columns(2)
conversions_funnel = conversion_funnel(kpis)
influenced = influence_funnel(kpis)
st.caption(
    "Users at each step. Engaged: opened or clicked. View-through: converted after a view "
    "or open without a click."
)
with left:
    widgets.cached_chart(
        report,
        "conversion_funnel",
        lambda: charts.funnel(conversions_funnel, "Conversion funnel (users)"),
        widgets.FUNNEL_EMPTY,
    )
with right:
    widgets.cached_chart(
        report,
        "influenced_funnel",
        lambda: charts.funnel(influenced, "Influenced conversions (users)"),
        widgets.FUNNEL_EMPTY,
    )

st.subheader("Against the control group")
if view.action:
    widgets.empty(
        f"No uplift under the drill-down into action `{view.action}`: the control group "
        "receives no action, so there is no control group to compare this action with.",
        "Choose All actions in the sidebar (or Back to all actions above) to see the uplift.",
    )
elif not kpis.control_users:
    widgets.empty(
        "This campaign has no control group in this range, so there is no uplift to measure.",
        "Hold out a control group (users assigned but sent nothing) to measure the uplift.",
    )
else:
    cards = st.columns(3)
    with cards[0]:
        widgets.metric(
            figures.label("control_conversion_rate"),
            fmt.percent(kpis.control_conversion_rate),
            "control_conversion_rate",
        )
        st.caption(f"{fmt.count(kpis.control_users)} control users")
    with cards[1]:
        widgets.metric(figures.label("uplift"), fmt.points(kpis.uplift), "uplift")
        st.caption(
            f"95 % interval: {fmt.points(kpis.uplift_ci_low)} to {fmt.points(kpis.uplift_ci_high)}",
            help=widgets.help_for("uplift_ci_low"),
        )
    with cards[2]:
        p = widgets.kpi_text("uplift_p_value", kpis.uplift_p_value)
        widgets.metric(figures.label("uplift_p_value"), p, "uplift_p_value")
