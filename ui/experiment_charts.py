"""Charts of the Experiment page: each variant's difference from the baseline, and trends.

Pure builders `(frame, ...) -> alt.Chart`, tested through their Vega-Lite spec. Colours
are mid-tones that read on light and dark backgrounds; text colours are left to the
theme (Streamlit's `theme="streamlit"`), never hard-coded black or white.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import polars as pl

from metrics.figures import heading
from metrics.report_model import VariantRow
from metrics.verdicts import row_verdict
from ui.charts import BUCKETS, bucket_axis, mark_partial

VERDICT_COLOURS: dict[str, str] = {
    "better": "#2ca25f",
    "worse": "#e4572e",
    "not yet clear": "#8c8c8c",
}
"""Green for better, red-orange for worse, mid grey for not yet clear: one scale everywhere."""

ZERO_RULE_COLOUR = "#8c8c8c"


def interval_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """The points of the interval plot: every compared variant, diff in percentage points.

    `rows` holds the report's `variants` (`rows_to_frame(report.variants, VariantRow)`).
    The baseline and variants without a diff (no users, no goal) are left out.
    """
    records = rows.to_dicts()
    baseline = next((row for row in records if row.get("is_baseline")), None)
    baseline_name = str(baseline["name"]) if baseline else "baseline"
    baseline_rate = baseline.get("conversion_rate") if baseline else None
    points = [
        {
            "variant": str(row["name"]),
            "variant_id": str(row["variant_id"]),
            "baseline": baseline_name,
            "conversion_rate": row.get("conversion_rate"),
            "baseline_rate": baseline_rate,
            "diff_pp": row["diff"] * 100,
            "diff_ci_low_pp": row["diff_ci_low"] * 100,
            "diff_ci_high_pp": row["diff_ci_high"] * 100,
            "lift": row.get("lift"),
            "p_value": row.get("p_value"),
            "chance_to_beat_control": row.get("chance_to_beat_control"),
            "users": row.get("users"),
            "verdict": row_verdict(VariantRow.model_validate(row)),
        }
        for row in records
        if not row.get("is_baseline") and row.get("diff") is not None
    ]
    schema = {
        "variant": pl.String,
        "variant_id": pl.String,
        "baseline": pl.String,
        "conversion_rate": pl.Float64,
        "baseline_rate": pl.Float64,
        "diff_pp": pl.Float64,
        "diff_ci_low_pp": pl.Float64,
        "diff_ci_high_pp": pl.Float64,
        "lift": pl.Float64,
        "p_value": pl.Float64,
        "chance_to_beat_control": pl.Float64,
        "users": pl.Int64,
        "verdict": pl.String,
    }
    return pl.DataFrame(points, schema=schema)


def interval_plot(rows: pl.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """Point and 95 % error bar per variant for its diff from the baseline, zero line drawn.

    An interval that does not cross the zero line is a difference unlikely to be chance;
    the colour says the verdict in the same words as the table.
    """
    points = interval_frame(rows)
    baseline = points["baseline"][0] if points.height else "baseline"
    colour = alt.Color(
        "verdict:N",
        title="Verdict at 95 %",
        scale=alt.Scale(domain=list(VERDICT_COLOURS), range=list(VERDICT_COLOURS.values())),
    )
    y = alt.Y("variant:N", title="Variant", sort=None, axis=alt.Axis(labelLimit=260))
    tooltip = [
        alt.Tooltip("variant:N", title="Variant"),
        alt.Tooltip("users:Q", title=heading("users", "variants"), format=","),
        alt.Tooltip(
            "conversion_rate:Q", title=heading("conversion_rate", "variants"), format=".2%"
        ),
        alt.Tooltip("baseline_rate:Q", title=f"{baseline} conversion rate", format=".2%"),
        alt.Tooltip("diff_pp:Q", title="Difference (points)", format="+.2f"),
        alt.Tooltip("diff_ci_low_pp:Q", title="95 % interval from (points)", format="+.2f"),
        alt.Tooltip("diff_ci_high_pp:Q", title="95 % interval to (points)", format="+.2f"),
        alt.Tooltip("lift:Q", title=heading("lift", "variants"), format="+.1%"),
        alt.Tooltip("p_value:Q", title=heading("p_value", "variants"), format=".4f"),
        alt.Tooltip(
            "chance_to_beat_control:Q",
            title=heading("chance_to_beat_control", "variants"),
            format=".1%",
        ),
        alt.Tooltip("verdict:N", title="Verdict"),
    ]
    base = alt.Chart(points)
    bars = base.mark_rule(strokeWidth=3).encode(
        x=alt.X(
            "diff_ci_low_pp:Q",
            title=f"Difference in conversion rate vs {baseline} (percentage points)",
        ),
        x2="diff_ci_high_pp:Q",
        y=y,
        color=colour,
        tooltip=tooltip,
    )
    dots = base.mark_point(filled=True, size=120).encode(
        x="diff_pp:Q", y=y, color=colour, tooltip=tooltip
    )
    zero = (
        alt.Chart(pl.DataFrame({"zero": [0.0]}))
        .mark_rule(color=ZERO_RULE_COLOUR, strokeDash=[4, 4])
        .encode(x="zero:Q")
    )
    return alt.layer(zero, bars, dots).properties(
        title="Difference from the baseline with its 95 % interval",
        # fit-x: the height is the plot's own (Streamlit's default "fit" would squeeze
        # the rows into what the title and axes leave of it).
        height=max(60, 50 * points.height),
        autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
    )


def variant_trend_chart(
    frame: pl.DataFrame,
    figure_label: str,
    granularity: str = "day",
    partial: set[dt.date] | None = None,
) -> alt.Chart:
    """One line per variant of a figure per bucket: columns date, split (the variant_id),
    value; titled and ticked for `granularity` (day, week or month); `partial` buckets
    dashed and lighter, with a note (see `ui.charts.mark_partial`).

    A column named `variant_id` is accepted in place of `split`.
    """

    if "split" not in frame.columns and "variant_id" in frame.columns:
        frame = frame.rename({"variant_id": "split"})
    frame, partial_encoding, partial_tooltip = mark_partial(frame, partial, granularity)
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            **partial_encoding,
            x=bucket_axis(
                granularity,
                title="Date" if granularity == "day" else None,
                starts=frame["date"].to_list(),
            ),
            y=alt.Y("value:Q", title=figure_label),
            color=alt.Color("split:N", title="Variant"),
            tooltip=[
                alt.Tooltip("date:T", title="Date", format="%Y-%m-%d"),
                alt.Tooltip("split:N", title="Variant"),
                alt.Tooltip("value:Q", title=figure_label, format=",.6~g"),
                *partial_tooltip,
            ],
        )
        .properties(
            title=f"{figure_label} per variant, {BUCKETS.get(granularity, BUCKETS['day'])[0]}"
        )
    )
