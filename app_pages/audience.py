"""Audience: where the engagement came from, which links drew clicks, what failed, and who."""

from __future__ import annotations

import streamlit as st

from data.queries.audience import EXPORT_ROW_CAP
from metrics import figures
from metrics.delivery import error_shares
from metrics.report_model import DeviceRow, LinkRow, PlatformRow, rows_to_frame
from ui import charts, data_access, page_kit, widgets
from ui import format as fmt

url, view = page_kit.view()
report = page_kit.report(url, view)
page_kit.header("Audience", report)
if widgets.no_events(report, "audience figures"):
    st.stop()

st.subheader("By platform and device")
platforms = rows_to_frame(report.platforms, PlatformRow)
devices = rows_to_frame(report.devices, DeviceRow)
left, right = st.columns(2)
with left:
    if platforms.is_empty():
        widgets.empty("No impressions, opens or clicks in this range.", "Widen the date range.")
    else:
        widgets.cached_chart(
            report,
            "platforms",
            lambda: charts.breakdown_bars(platforms, "platform", "By platform", "Platform"),
        )
        widgets.table(platforms, "platforms", view)
with right:
    if devices.is_empty():
        widgets.empty("No impressions, opens or clicks in this range.", "Widen the date range.")
    else:
        top = devices.sort("impressions", "opens", "clicks", descending=True).head(15)
        widgets.cached_chart(
            report,
            "devices",
            lambda: charts.breakdown_bars(
                top, "device_model", "By device model (top 15)", figures.label("device_model")
            ),
        )
        widgets.table(devices, "devices", view)

st.subheader("Link clicks")
links = rows_to_frame(report.links, LinkRow)
if links.is_empty():
    widgets.empty(
        "No clicks carrying a link URL in this range.",
        "Link clicks come from clicks that carry the link's address, usually in email.",
    )
else:
    widgets.table(
        links,
        "links",
        view,
        column_config={
            "link_url": st.column_config.LinkColumn("Link"),
            **{
                key: st.column_config.NumberColumn(figures.heading(key), help=widgets.help_for(key))
                for key in ("clicks", "unique_clicks")
            },
        },
    )

st.subheader("Errors")
codes = report.kpis.errors_by_code
if not codes:
    widgets.empty("No failed send attempts in this range.", "Nothing to fix.")
else:
    errors = error_shares(codes)
    widgets.count_metric("Errors", report.kpis.errors, "errors")
    widgets.table(
        errors,
        "errors",
        view,
        column_config={
            "error_code": "Error code",
            "count": st.column_config.NumberColumn(
                "Count", help=widgets.help_for("errors_by_code")
            ),
            "share": st.column_config.NumberColumn("Share", format="percent"),
        },
    )

st.subheader("Segments to re-target")
st.caption(
    "Distinct user ids, one per line, for the sidebar's range and filters: users who entered "
    "the campaign, or users who received one action. A file holds at most "
    f"{fmt.count(EXPORT_ROW_CAP)} ids (the first in user-id order)."
)
left, right = st.columns(2)
with left:
    st.download_button(
        f"Users in campaign ({fmt.count(report.kpis.audience_size)})",
        data=data_access.segment_csv(url, view),
        file_name=f"{widgets.file_stem(view, 'users_in_campaign')}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        help=widgets.help_for("audience_size"),
    )
with right:
    if report.actions:
        ids = [action.action_id for action in report.actions]
        names = {action.action_id: action.name for action in report.actions}
        chosen = st.selectbox(
            "Action",
            ids,
            index=ids.index(view.action) if view.action in ids else 0,
            format_func=lambda action_id: names[action_id],
            key="audience_action",
        )
        received = next(a.received_users for a in report.actions if a.action_id == chosen)
        st.download_button(
            f"Users in action ({fmt.count(received)})",
            data=data_access.segment_csv(url, view, chosen),
            file_name=f"{widgets.file_stem(view, f'users_in_{chosen}')}.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
            help=widgets.help_for("received_users"),
        )
    else:
        st.caption("This campaign has no actions, so there is no per-action segment.")
