"""The Experiment page's body: does a variant really convert better than the control?

Written for a reader who knows no statistics: a banner when the split itself is broken,
one headline sentence, a table whose verdict column says "better", "worse" or "not yet
clear" in words and colour, the interval plot, and the per-variant daily trends.
The figures come from the report (`metrics.experiments`); this module only presents them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
import streamlit as st

from metrics import figures
from metrics.figures import Figure
from metrics.report_model import CampaignReport, Comparison, VariantRow, rows_to_frame
from metrics.verdicts import (
    chance_level,
    comparison_of,
    most_convincing,
    row_verdict,
    runner_up_comparison,
    split_is_broken,
)
from ui import widgets
from ui.charts import has_values
from ui.experiment_charts import VERDICT_COLOURS, interval_plot, variant_trend_chart
from ui.page_kit import partial_buckets

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

SRM_MESSAGE = (
    "**The split is broken:** users were not assigned in the planned proportions, so the "
    "comparison is not to be trusted. (Sample-ratio check p-value {p}: a split this far "
    "from the plan happens by chance less than once in a thousand campaigns.) Check how "
    "users are assigned to variants before reading the results below."
)

"""The verdict column's word for the row every other variant is compared with."""

NAME_HELP = "The variant; the baseline (the control group if there is one) comes first."

NUMBER_FORMATS: dict[str, str] = {
    "users": "localized",
    "converted_users": "localized",
    "conversion_rate": "%.2f %%",
    "lift": "%+.1f %%",
    "diff": "%+.2f pts",
    "chance_to_beat_control": "%.1f %%",
    "messages_sent": "localized",
    "impressions": "localized",
    "opens": "localized",
    "clicks": "localized",
    "ctr": "%.2f %%",
    "errors": "localized",
}
"""How the table's number columns read (rates already scaled to percent)."""

TEXT_COLUMNS = ["verdict", "lift_interval", "diff_interval", "p_value"]
"""Columns shown as words: the verdict, the intervals and the p-value ("< 0.0001")."""


def column_figure(key: str) -> Figure:
    """The registry's declaration of a column of the variant table: the report's variant
    figure, or one of the columns the table adds (the verdict and the intervals in words)."""
    try:
        return figures.figure(key, "variant_table")
    except KeyError:
        return figures.figure(key, "variants")


COLUMN_HELP: dict[str, str] = {
    "name": NAME_HELP,
    **{key: column_figure(key).help for key in [*TEXT_COLUMNS, *NUMBER_FORMATS]},
}
"""Each column's tooltip: the registry's sentence for the variant's figure."""

COMPARISON_COLUMNS = [
    "lift",
    "lift_interval",
    "diff",
    "diff_interval",
    "p_value",
    "chance_to_beat_control",
]


def _percent(fraction: float, signed: bool = False) -> str:
    """25.0 % style, with one decimal below 10 % and none above (as a reader says it)."""
    value = fraction * 100
    digits = 1 if abs(value) < 10 else 0
    return f"{value:+.{digits}f} %" if signed else f"{abs(value):.{digits}f} %"


def _points(fraction: float) -> str:
    return f"{fraction * 100:+.2f} pts"


COMPARED_COLUMNS = [
    "verdict",
    "name",
    "users",
    "converted_users",
    "conversion_rate",
    "lift",
    "diff",
    "p_value",
    "chance_to_beat_control",
]
"""The comparison table: what decides which message wins."""

MESSAGE_COLUMNS = [
    "name",
    "users",
    "messages_sent",
    "impressions",
    "opens",
    "clicks",
    "ctr",
    "errors",
]
"""The messages table: what each variant sent and how it was engaged with."""


def _baseline_label(baseline: VariantRow) -> str:
    return "control" if baseline.is_control else baseline.name


CHANCE_WORDS = {
    "unknown": "there is not enough data to tell whether this is chance",
    "very unlikely": "this is very unlikely to be chance",
    "unlikely": "this is unlikely to be chance",
    "possible": "this could still be chance, so the winner is not yet clear",
}
"""The headline's words for `metrics.verdicts.chance_level`."""


def _sentence(name: str, against: str, comparison: Comparison) -> str:
    """ "<name> converts 38 % better than <against> (95 % interval ...); <is it chance?>."."""
    words = CHANCE_WORDS[chance_level(comparison.p_value)]
    lift, low, high = comparison.lift, comparison.lift_ci_low, comparison.lift_ci_high
    if lift is not None and low is not None and high is not None:
        if abs(lift) < 0.0005:
            size = f"converts at the same rate as {against}"
        else:
            direction = "better" if lift > 0 else "worse"
            size = f"converts {_percent(lift)} {direction} than {against}"
        interval = f"95 % interval {_percent(low, signed=True)} to {_percent(high, signed=True)}"
    else:
        diff = comparison.diff or 0.0
        direction = "more" if diff >= 0 else "fewer"
        size = (
            f"converts {abs(diff) * 100:.2f} percentage points {direction} users than "
            f"{against}, which converted nobody"
        )
        low, high = comparison.diff_ci_low or 0.0, comparison.diff_ci_high or 0.0
        interval = f"95 % interval {_points(low)} to {_points(high)}"
    return f"{name} {size} ({interval}); {words}."


def headline(rows: list[VariantRow]) -> str | None:
    """One plain sentence about the most convincing variant, or None with nothing compared.

    The variant told about is the best "better" one (highest conversion rate); if none is
    better, the one with the highest conversion rate among those compared.

    >>> base = VariantRow(variant_id="control", name="Control", is_control=True,
    ...     is_baseline=True, users=1000, messages_sent=0, impressions=0, opens=0,
    ...     clicks=0, ctr=None, errors=0, converted_users=40, conversion_rate=0.04)
    >>> b = base.model_copy(update=dict(variant_id="B", name="Variant B", is_control=False,
    ...     is_baseline=False, conversion_rate=0.055, lift=0.375, lift_ci_low=0.2,
    ...     lift_ci_high=0.55, diff=0.015, p_value=0.0001))
    >>> headline([base, b])
    'Variant B converts 38 % better than control (95 % interval +20 % to +55 %); this is very unlikely to be chance.'
    """  # noqa: E501
    baseline = next((row for row in rows if row.is_baseline), None)
    pick = most_convincing(rows)
    if baseline is None or pick is None:
        return None
    return _sentence(pick.name, _baseline_label(baseline), comparison_of(pick))


def runner_up_sentence(rows: list[VariantRow]) -> str | None:
    """Which message to keep: the headline's variant against the next best message.

    With a control group the table compares every message with "no message"; a team
    choosing between messages also needs the best one against the runner-up, tested the
    same way (`metrics.verdicts.runner_up_comparison`). None with fewer than two messages
    to compare.
    """
    compared = runner_up_comparison(rows)
    if compared is None:
        return None
    pick, runner_up, comparison = compared
    return "Between the messages: " + _sentence(pick.name, runner_up.name, comparison)


def p_value_text(p_value: float | None) -> str | None:
    """The p-value as a reader can take it in: "< 0.0001" rather than 0.0000 or 3e-17."""
    if p_value is None:
        return None
    return "< 0.0001" if p_value < 0.0001 else f"{p_value:.4f}"


def _interval_text(low: float | None, high: float | None, as_points: bool) -> str | None:
    if low is None or high is None:
        return None
    if as_points:
        return f"{_points(low)} to {_points(high)}"
    return f"{_percent(low, signed=True)} to {_percent(high, signed=True)}"


def variant_table(rows: list[VariantRow]) -> pl.DataFrame:
    """The table on screen: rates in percent (25.0 means 25.0 %), verdict words, intervals."""

    def scaled(value: float | None) -> float | None:
        return None if value is None else value * 100

    records = [
        {
            "verdict": row_verdict(row),
            "name": row.name,
            "users": row.users,
            "converted_users": row.converted_users,
            "conversion_rate": scaled(row.conversion_rate),
            "lift": scaled(row.lift),
            "lift_interval": _interval_text(row.lift_ci_low, row.lift_ci_high, as_points=False),
            "diff": scaled(row.diff),
            "diff_interval": _interval_text(row.diff_ci_low, row.diff_ci_high, as_points=True),
            "p_value": p_value_text(row.p_value),
            "chance_to_beat_control": scaled(row.chance_to_beat_control),
            "messages_sent": row.messages_sent,
            "impressions": row.impressions,
            "opens": row.opens,
            "clicks": row.clicks,
            "ctr": scaled(row.ctr),
            "errors": row.errors,
        }
        for row in rows
    ]
    schema = {
        "verdict": pl.String,
        "name": pl.String,
        "users": pl.Int64,
        "converted_users": pl.Int64,
        "conversion_rate": pl.Float64,
        "lift": pl.Float64,
        "lift_interval": pl.String,
        "diff": pl.Float64,
        "diff_interval": pl.String,
        "p_value": pl.String,
        "chance_to_beat_control": pl.Float64,
        "messages_sent": pl.Int64,
        "impressions": pl.Int64,
        "opens": pl.Int64,
        "clicks": pl.Int64,
        "ctr": pl.Float64,
        "errors": pl.Int64,
    }
    return pl.DataFrame(records, schema=schema)


def variants_csv(rows: list[VariantRow]) -> str:
    """The variant table for download: the report's keys (rates as fractions) and verdict."""
    frame = rows_to_frame(list(rows), VariantRow)
    verdicts = pl.Series("verdict", [row_verdict(row) for row in rows], dtype=pl.String)
    return frame.with_columns(verdicts).write_csv()


def _column_config(baseline: str) -> dict[str, object]:
    config = st.column_config
    columns: dict[str, object] = {
        "name": config.TextColumn(figures.label("variant_id"), help=NAME_HELP, pinned=True)
    }
    for key in TEXT_COLUMNS:
        shown = column_figure(key)
        columns[key] = config.TextColumn(
            shown.heading, help=shown.help, pinned=True if key == "verdict" else None
        )
    for key, number_format in NUMBER_FORMATS.items():
        shown = column_figure(key)
        columns[key] = config.NumberColumn(shown.heading, help=shown.help, format=number_format)
    return columns


def _verdict_style(word: object) -> str:
    colour = VERDICT_COLOURS.get(str(word))
    return f"color: {colour}; font-weight: 600" if colour else ""


def _coloured_verdicts(table: pl.DataFrame) -> Styler:
    """The table with its verdict words in the interval plot's colours (mid-tones that read
    on light and dark themes): green "better", red "worse", grey "not yet clear"."""
    return table.to_pandas().style.map(_verdict_style, subset=["verdict"])


def _show_table(report: CampaignReport, with_comparison: bool) -> None:
    rows = report.variants
    baseline = next(row for row in rows if row.is_baseline)
    table = variant_table(rows)
    # Built key by key as dict[str, object] (ui.columns.merged): Streamlit's stub wants its
    # ColumnConfig TypedDict, and checks the config itself at run time.
    config = _column_config(_baseline_label(baseline))
    # Two tables rather than one of 17 columns that scrolls sideways at laptop width: the
    # comparison (its intervals are in the plot below and the CSV), then the messages.
    if with_comparison:
        compared = [c for c in COMPARED_COLUMNS if c in table.columns]
        st.dataframe(
            _coloured_verdicts(table.select(compared)),
            hide_index=True,
            column_order=compared,
            column_config=config,  # type: ignore[arg-type]  # see config above
            placeholder="–",
        )
        st.caption(
            f"Lift, difference, p-value and chance to beat are against {baseline.name}; the "
            "95 % intervals are in the plot below and in the CSV."
        )
    # The figures the channel has: no column of zeros (impressions and the tap-through rate
    # of a push or an email, sent of an in-app message); errors stay, a 0 there is news.
    messages = [
        column
        for column in MESSAGE_COLUMNS
        if column in ("name", "users", "errors") or has_values(table, [column])
    ]
    st.dataframe(
        widgets.as_arrow(table.select(messages)),
        hide_index=True,
        column_order=messages,
        column_config=config,  # type: ignore[arg-type]  # see config above
        placeholder="–",
    )
    st.download_button(
        "Download the variant table (CSV)",
        data=variants_csv(rows),
        file_name=f"{report.campaign.campaign_id}_variants.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )


TREND_HEADINGS = {"day": "Day by day", "week": "Week by week", "month": "Month by month"}


def _show_trends(
    report: CampaignReport,
    variant_trends: pl.DataFrame | None,
    figure_label: str,
    granularity: str = "day",
) -> None:
    st.subheader(TREND_HEADINGS.get(granularity, "Day by day"))
    if variant_trends is None or variant_trends.height == 0:
        st.caption(f"No figures per variant and {granularity} in this date range.")
        return
    partial = partial_buckets(report, variant_trends["date"].cast(pl.Date).unique().to_list())
    chart = variant_trend_chart(variant_trends, figure_label, granularity, partial)
    st.altair_chart(chart, width="stretch")


def render_experiment(
    report: CampaignReport, variant_trends: pl.DataFrame | None, figure_label: str
) -> None:
    """Draw the Experiment page for `report`, with `variant_trends` (date, split, value)."""
    rows = report.variants
    if not rows:
        st.info(
            "This campaign has no A/B variants: every user got the same message, so there is "
            "nothing to compare. To run an experiment, define variants (and ideally a control "
            "group that receives nothing) for the campaign and tag each message event with its "
            "variant_id; the Overview page shows this campaign's results."
        )
        return

    if split_is_broken(report.srm_p_value):
        st.error(SRM_MESSAGE.format(p=f"{report.srm_p_value:.2g}"), icon=":material/warning:")

    if all(row.users == 0 for row in rows):
        st.info(
            "No user received any variant in this date range, so there is nothing to compare "
            "yet. Widen the date range, or check that message events carry their variant_id."
        )
        return

    has_goal = report.campaign.conversion_event is not None
    baseline_is_control = any(row.is_baseline and row.is_control for row in rows)
    if len(rows) == 1:
        st.info(
            f"This campaign has a single variant ({rows[0].name}), so there is nothing to "
            "compare it with. Add a second variant or a control group that receives nothing "
            "to learn whether the message makes a difference."
        )
    elif not has_goal:
        st.info(
            "This campaign has no conversion goal, so its variants cannot be compared on "
            "conversions: a comparison needs a goal. Set a conversion event on the campaign to "
            "see which variant converts better; engagement per variant is shown below."
        )
    else:
        sentence = headline(rows)
        if sentence is None:
            st.info(
                "Not every variant has users yet, so no comparison can be made: the baseline "
                "or the other variants received nothing in this date range."
            )
        else:
            st.markdown(f"#### {sentence}")
            second = runner_up_sentence(rows) if baseline_is_control else None
            if second is not None:
                st.markdown(second)
        st.caption(
            "Each variant is compared with the baseline (the control group, which receives "
            "nothing, if there is one). 'Better' or 'worse' means a difference this large would "
            "happen by chance less than 5 times in 100; otherwise the result is not yet clear."
        )

    _show_table(report, with_comparison=has_goal and len(rows) > 1)

    if has_goal and len(rows) > 1:
        frame = rows_to_frame(list(rows), VariantRow)
        if frame.filter(pl.col("diff").is_not_null()).height:
            widgets.cached_chart(report, "interval_plot", lambda: interval_plot(frame))
            st.caption(
                "Each dot is a variant's difference from the baseline, the bar its 95 % "
                "interval. A bar that stays clear of the dashed zero line is a real difference."
            )

    _show_trends(report, variant_trends, figure_label, report.granularity)
