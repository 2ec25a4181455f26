"""Explore: any figure of the glossary's time series over the range, optionally split."""

from __future__ import annotations

import polars as pl
import streamlit as st

from data import vocabulary
from metrics import figures
from metrics.figures import help_for, is_rate
from metrics.partial import partial_buckets
from metrics.report_model import CampaignReport, ConversionFigures
from metrics.series import EXPLORABLE_FIGURES
from ui import charts, data_access, filters, page_kit, widgets
from ui import format as fmt

NO_SPLIT = "none"
SPLIT_LABELS: dict[str, str] = dict([(NO_SPLIT, "No split"), *vocabulary.SPLIT_LABELS.items()])

SUMMED_SPLITS = {"variant", "action"}

# Figures a campaign without a conversion goal does not have (the glossary's Conversions).
# (A comment, not a docstring: Streamlit's magic would print a bare string on the page.)
GOAL_FIGURES = frozenset(ConversionFigures.model_fields)


def split_note(figure: str, split: str | None, report: CampaignReport) -> str | None:
    """What a split of conversions counts, so its lines can be checked against the cards.

    Counts of events (sent, opens, clicks...) split by variant or action add up to the card
    (each event carries one variant and one action; `(none)` holds the rest). Conversions
    split by action follow the action cards' attribution, so they add up too; split by
    variant, each line is the variant filter's figure, and the control line holds the
    control group's conversions, which the card leaves out.
    """
    if figure != "conversions" or split not in SUMMED_SPLITS:
        return None
    total = fmt.count(report.kpis.conversions)
    if split == "action":
        return (
            "Each conversion is credited to one action, as on the Conversions page's action "
            "cards (the last one opened or clicked before it, else the last one received; "
            f"(none) when no action can claim it), so the lines add up to the {total} "
            "conversions on the cards."
        )
    return (
        "Each line counts the conversions of the campaign read through that one variant; "
        "the control line holds the control group's conversions, which the campaign's "
        f"{total} conversions (treatment users only) leave out."
    )


def split_names(report: CampaignReport, split: str | None) -> dict[str, str]:
    """Names for a split's values: an action's or a variant's name, not its id (with the id
    too when two share a name, so their lines stay apart)."""
    rows = {
        "action": [(row.action_id, row.name) for row in report.actions],
        "variant": [(row.variant_id, row.name) for row in report.variants],
    }.get(split or "", [])
    names = [name for _, name in rows]
    return {value: name if names.count(name) == 1 else f"{name} ({value})" for value, name in rows}


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
if figures.figure(figure).kind == "money":
    label = f"{label} ({fmt.currency()})"
if help_for(figure):
    st.caption(help_for(figure))

if not widgets.no_events(report, "figures to explore"):
    if figure in GOAL_FIGURES and report.campaign.conversion_event is None:
        widgets.no_goal(report)
    else:
        with st.spinner(f"Computing {label.lower()} per {view.gran}..."):
            frame = data_access.series(url, view, figure, view.split)
        if names := split_names(report, view.split):
            frame = frame.with_columns(pl.col("split").replace(names))
        line = charts.explore_line(
            frame,
            label,
            percent=is_rate(figure),
            split_title=SPLIT_LABELS[view.split] if view.split else None,
            granularity=view.gran,
            partial=partial_buckets(
                frame["date"].cast(pl.Date).unique().to_list(),
                view.gran,
                view.to_scope(),
                report.campaign.started_at,
                report.campaign.ended_at,
                report.data_as_of,
            ),
        )
        if (
            line is None
            and view.split in ("variant", "platform")  # no conversion carries these
            and figure in GOAL_FIGURES
            and figure != "conversions"
        ):
            widgets.empty(
                f"No {label.lower()} split by {SPLIT_LABELS[view.split].lower()}: a conversion "
                "carries no variant or platform of its own.",
                "Split by action (each conversion credited as on the action cards), or choose "
                "No split; the Experiment page compares the variants' conversion rates.",
            )
        elif line is None:
            split = f" split by {SPLIT_LABELS[view.split].lower()}" if view.split else ""
            widgets.empty(
                f"No {label.lower()}{split} to draw: every value is 0 or n/a in this range.",
                "A rate is n/a where its denominator is 0 (the tap-through rate needs "
                "impressions, which only in-app messages make). Choose another figure or "
                "split, or widen the date range.",
            )
        else:
            widgets.chart(line)
            note = split_note(figure, view.split, report)
            if note:
                st.caption(note)
            shown = frame.with_columns(frame["date"].cast(pl.Date)).rename({"value": figure})
            if not view.split:
                shown = shown.drop("split")
            widgets.table(
                shown,
                f"{figure}_per_{view.gran}",
                view,
                column_config={
                    "date": st.column_config.DateColumn("Date", format="YYYY-MM-DD"),
                    "split": SPLIT_LABELS.get(view.split or NO_SPLIT, "Split"),
                    figure: st.column_config.NumberColumn(label),
                },
            )
