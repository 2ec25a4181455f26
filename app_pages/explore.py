"""Explore: any figure of the glossary's time series over the range, optionally split."""

from __future__ import annotations

import polars as pl
import streamlit as st

from metrics.help_texts import help_for
from metrics.series import EXPLORABLE_FIGURES
from ui import charts, data_access, filters, page_kit, widgets

NO_SPLIT = "none"
SPLIT_LABELS = {
    NO_SPLIT: "No split",
    "variant": "Variant",
    "platform": "Platform",
    "action": "Action",
}
RATES = {"ctr", "dismissal_rate"}

url, view = page_kit.view()
report = page_kit.report(url, view)
page_kit.header("Explore", report)

figure = view.figure if view.figure in EXPLORABLE_FIGURES else "messages_sent"
if st.session_state.get("explore_figure") != figure:
    st.session_state["explore_figure"] = figure
if st.session_state.get("explore_split") != (view.split or NO_SPLIT):
    st.session_state["explore_split"] = view.split or NO_SPLIT


def _on_split() -> None:
    choice = st.session_state["explore_split"]
    filters.set_view_params(split=None if choice == NO_SPLIT else choice)


left, right = st.columns(2)
left.selectbox(
    "Figure",
    list(EXPLORABLE_FIGURES),
    key="explore_figure",
    format_func=EXPLORABLE_FIGURES.__getitem__,
    on_change=lambda: filters.set_view_params(figure=st.session_state["explore_figure"]),
    help="Any figure of the glossary's time series.",
)
right.selectbox(
    "Split by",
    list(SPLIT_LABELS),
    key="explore_split",
    format_func=SPLIT_LABELS.__getitem__,
    on_change=_on_split,
)
label = EXPLORABLE_FIGURES[figure]
if help_for(figure):
    st.caption(help_for(figure))

if not widgets.no_events(report, "figures to explore"):
    if figure == "conversions" and report.campaign.conversion_event is None:
        widgets.no_goal(report)
    else:
        with st.spinner(f"Computing {label.lower()} per {view.gran}..."):
            frame = data_access.series(url, view, figure, view.split)
        line = charts.explore_line(
            frame,
            label,
            percent=figure in RATES,
            split_title=SPLIT_LABELS[view.split] if view.split else None,
            granularity=view.gran,
        )
        if line is None:
            split = f" split by {SPLIT_LABELS[view.split].lower()}" if view.split else ""
            widgets.empty(
                f"No {label.lower()}{split} to draw: every value is 0 or n/a in this range.",
                "A rate is n/a where its denominator is 0 (the tap-through rate needs "
                "impressions, which only in-app messages make). Choose another figure or "
                "split, or widen the date range.",
            )
        else:
            widgets.chart(line)
            shown = frame.with_columns(frame["date"].cast(pl.Date)).rename({"value": figure})
            if not view.split:
                shown = shown.drop("split")
            widgets.table(shown, f"{figure}_per_{view.gran}", view)
