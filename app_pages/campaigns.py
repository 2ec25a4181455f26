"""Campaigns: every campaign with its headline figures; open one, or compare a few.

The figures come from one cached summary query for all campaigns (data.queries.campaign_summary),
not one report per campaign: with 1,000 campaigns the page takes 1.0 s with empty caches
instead of about 136 s (benchmarks/campaigns_page.py).
"""

from __future__ import annotations

import datetime as dt
import functools
from urllib.parse import quote

import polars as pl
import streamlit as st

from metrics import figures
from metrics.campaign_summary import DEFAULT_HEADLINE, HEADLINE_RATES, campaign_rows
from ui import charts, data_access, nav, page_kit, widgets
from ui.url_state import ViewState, query_string

RATE_LABELS = {
    "headline_rate": "Headline rate",
    **{key: figures.label(key) for key in ("conversion_rate", "click_rate", "delivery_rate")},
}

url, view = page_kit.view()
st.title("Campaigns")
st.caption(
    "Every campaign over its whole life (start to newest event), in the sidebar's time zone "
    "and with its filters. Select one to open it, or several to compare their rates."
)

now = dt.datetime.now(dt.UTC)
with st.spinner("Computing every campaign's figures..."):
    summary = data_access.campaigns_summary(url, view.tz, view.test, view.machine)
figure_labels = {key: figures.label(key) for key in {*HEADLINE_RATES.values(), DEFAULT_HEADLINE}}
table = (
    campaign_rows(summary, now)
    .with_columns(
        pl.col("channel").replace_strict(page_kit.CHANNEL_NAMES, default=pl.col("channel")),
        pl.col("headline_figure").replace_strict(figure_labels, default=pl.col("headline_figure")),
    )
    .rename({"headline_figure": "headline_rate_name"})
)

left, right, third = st.columns([2, 2, 1])
compare = third.toggle(
    "Compare",
    key="campaigns_compare",
    help="On: select two or more campaigns to compare their rates. Off: a click on a "
    "campaign opens its Overview.",
)
channels = left.multiselect("Channel", sorted(set(table["channel"])), key="campaigns_channel")
statuses = right.multiselect("Status", sorted(set(table["status"])), key="campaigns_status")
shown = table
if channels:
    shown = shown.filter(pl.col("channel").is_in(channels))
if statuses:
    shown = shown.filter(pl.col("status").is_in(statuses))

if shown.is_empty():
    widgets.empty("No campaign matches these filters.", "Clear the channel or status filter.")
    st.stop()


def _target(campaign_id: str) -> ViewState:
    """The view of a campaign over its default range, keeping the zone and the flags."""
    return ViewState(
        campaign=campaign_id, tz=view.tz, test=view.test, machine=view.machine, gran=view.gran
    )


# The name is a link to the campaign's Overview with the current filters, as in every
# campaign list; the name itself travels in the fragment, which the column shows.
shown = shown.with_columns(
    pl.struct("campaign_id", "name")
    .map_elements(
        lambda row: (
            f"overview{query_string(_target(row['campaign_id']).to_query())}#{quote(row['name'])}"
        ),
        return_dtype=pl.String,
    )
    .alias("link")
)
percent = functools.partial(st.column_config.NumberColumn, width="small")  # "15.9%", not "15."
event = widgets.table(
    shown,
    "campaigns",
    view,
    on_select="rerun",
    selection_mode="multi-row" if compare else "single-row",
    key="campaigns_multi" if compare else "campaigns_single",
    column_order=[
        "link",
        "channel",
        "status",
        "start",
        "end",
        "audience_size",
        "messages_sent",
        "headline_rate",
        "conversion_rate",
    ],  # fits 1280 px without scrolling; the figure's name, click and delivery rates are in
    # the CSV and in Compare
    column_config={
        "campaign_id": st.column_config.TextColumn("Campaign id"),
        "name": st.column_config.TextColumn("Name"),
        "link": st.column_config.LinkColumn(
            "Name", display_text=r"#(.+)$", help="Opens the campaign's Overview."
        ),
        "channel": "Channel",
        "start": st.column_config.DateColumn("Start"),
        "end": st.column_config.DateColumn("Newest event"),
        "status": "Status",
        "audience_size": st.column_config.NumberColumn(
            figures.heading("audience_size"), help=widgets.help_for("audience_size")
        ),
        "messages_sent": st.column_config.NumberColumn(
            figures.heading("messages_sent"), help=widgets.help_for("messages_sent")
        ),
        "headline_rate_name": "Headline figure",
        "headline_rate": percent(
            "Headline",
            format="percent",
            help="The channel's main engagement rate: open rate (push, email), tap-through "
            "rate (in-app), click rate (SMS).",
        ),
        "conversion_rate": percent(
            "Conversion", format="percent", help=widgets.help_for("conversion_rate")
        ),
        **{
            key: percent(figures.label(key), format="percent", help=widgets.help_for(key))
            for key in ("click_rate", "delivery_rate")
        },
    },
)

selected_rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
selected = shown[selected_rows] if selected_rows else shown.head(0)


if not compare:
    st.caption("Click a campaign's name, or the box at its left, to open its Overview.")
    if selected.height == 1:
        nav.go(nav.OVERVIEW, _target(selected["campaign_id"][0]))
    st.stop()

if selected.height < 2:
    st.caption("Select two or more campaigns to compare their rates side by side.")
for campaign_id, name in selected.select("campaign_id", "name").iter_rows():
    nav.page_link(nav.OVERVIEW, _target(campaign_id), label=f"Open {name}")
if selected.height >= 2:
    st.subheader("Compare")
    rates = ["headline_rate", "conversion_rate", "click_rate", "delivery_rate"]
    widgets.chart(charts.comparison_bars(selected, rates, RATE_LABELS))
    widgets.table(selected.select("name", "channel", *rates), "comparison", view)
