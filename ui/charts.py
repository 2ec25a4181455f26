"""Chart builders: small, pre-aggregated frames in, Altair charts out.

Every builder is a pure function `(frame, ...) -> alt.Chart` so that it can be tested on
its Vega-Lite spec (`chart.to_dict()`) without a browser. The frames are the report's
rows (a row per day, hour, platform...), never raw events: what reaches the browser is
bounded by buckets, not by traffic.

Look and feel: every axis has a title, every mark a tooltip; colours come from the
theme's categorical palette, and the few fixed colours are mid-tones that read on both
the light and the dark theme (never black or white). No external fonts or scripts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import altair as alt
import polars as pl

from metrics.figures import heading, label

MUTED = "#868e96"
"""Mid-grey for reference rules and their labels: legible on light and dark backgrounds."""

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DATE_FORMAT = "%Y-%m-%d"
PERCENT = ".1%"


BUCKETS: dict[str, tuple[str, str, str]] = {
    "day": ("by day", "Local date", "%b %d"),
    "week": ("by week", "Week (from Monday)", "%b %d"),
    "month": ("by month", "Month", "%b %Y"),
}
"""Per granularity: the words a chart title uses, the x-axis title and the tick format,
so that a chart of weeks never says "by day" and its ticks never mix "Mon 02" and
"Nov 08" (Vega's default multi-format)."""


TICK_MIN_STEP_MS: dict[str, int] = {
    "day": 86_400_000,
    "week": 7 * 86_400_000,
    "month": 28 * 86_400_000,
}
"""The smallest step between ticks: over four days Vega would put ticks every six hours,
each labelled with its day ("Oct 20 Oct 20 Oct 20 Oct 21")."""


def bucket_axis(
    granularity: str = "day", title: str | None = None, starts: Sequence[object] = ()
) -> alt.X:
    """The x axis of a chart over local buckets: titled and formatted for `granularity`,
    one tick per bucket at most.

    Weeks are ticked at their own starts (`starts`, the frame's dates): Vega's week ticks
    fall on Sundays, which would label a Monday-based week "Nov 08".
    """
    _, axis_title, tick_format = BUCKETS.get(granularity, BUCKETS["day"])
    step = TICK_MIN_STEP_MS.get(granularity, TICK_MIN_STEP_MS["day"])
    axis = alt.Axis(format=tick_format, tickMinStep=step)
    if granularity == "week" and starts:
        axis = alt.Axis(format=tick_format, values=_midnights_ms(starts))
    return alt.X("date:T", title=title or axis_title, axis=axis)


def _midnights_ms(days: Sequence[object]) -> list[alt.DateTime]:
    """Dates as Vega-Lite date-times at UTC midnight, where Vega reads "YYYY-MM-DD"."""
    unique = sorted({dt.date.fromisoformat(str(day)[:10]) for day in days})
    return [alt.DateTime(year=day.year, month=day.month, date=day.day, utc=True) for day in unique]


def _date_axis(title: str = "Local date", bars: bool = False) -> alt.X:
    """Local dates on x; for bars, a day-wide band so that a bar is not a hairline."""
    axis = alt.Axis(format="%b %d", tickMinStep=TICK_MIN_STEP_MS["day"])
    if bars:
        return alt.X("yearmonthdate(date):T", title=title, axis=axis)
    return alt.X("date:T", title=title, axis=axis)


def _long(frame: pl.DataFrame, columns: Mapping[str, str], value: str = "value") -> pl.DataFrame:
    """Fold wide measure columns into (date, measure, value) rows with readable names."""
    return (
        frame.select(["date", *columns])
        .unpivot(index="date", on=list(columns), variable_name="measure", value_name=value)
        .with_columns(pl.col("measure").replace_strict(dict(columns), return_dtype=pl.String))
    )


def open_time_scatter(frame: pl.DataFrame) -> alt.Chart:
    """Push opens by local date (x) and local hour (y), bubble size = opens.

    `frame` is the report's `open_times` (date, hour, opens): when do people open?
    """
    return (
        alt.Chart(frame, title="By local date and hour")
        .mark_circle(opacity=0.7)
        .encode(
            x=_date_axis(),
            y=alt.Y(
                "hour:Q",
                title="Local hour",
                scale=alt.Scale(domain=[0, 23], reverse=True),
                axis=alt.Axis(tickCount=12),
            ),
            size=alt.Size("opens:Q", title="Opens"),
            tooltip=[
                alt.Tooltip("date:T", title="Date", format=DATE_FORMAT),
                alt.Tooltip("hour:Q", title="Hour"),
                alt.Tooltip("opens:Q", title="Opens", format=","),
            ],
        )
    )


def punch_card(frame: pl.DataFrame) -> alt.Chart:
    """Opens by weekday x local hour (the report's `open_punch_card`, weekday 0 = Monday)."""
    named = frame.with_columns(
        pl.col("weekday")
        .replace_strict(dict(enumerate(WEEKDAYS)), return_dtype=pl.String)
        .alias("day")
    )
    return (
        alt.Chart(named, title="By weekday and hour")
        .mark_circle()
        .encode(
            x=alt.X("hour:O", title="Local hour", scale=alt.Scale(domain=list(range(24)))),
            y=alt.Y(
                "day:O", title="Weekday", sort=list(WEEKDAYS), scale=alt.Scale(domain=WEEKDAYS)
            ),
            size=alt.Size("opens:Q", title="Opens"),
            tooltip=[
                alt.Tooltip("day:N", title="Weekday"),
                alt.Tooltip("hour:O", title="Hour"),
                alt.Tooltip("opens:Q", title="Opens", format=","),
            ],
        )
    )


def has_values(frame: pl.DataFrame, columns: Sequence[str]) -> bool:
    """Whether any of `columns` holds a value other than 0 or null: is there anything to draw?

    A chart of nothing but zeros or n/a (an axis at 0.000, a legend of four platforms)
    reads as a broken chart; the pages show an empty state saying why instead.
    """
    present = [column for column in columns if column in frame.columns]
    if frame.is_empty() or not present:
        return False
    return bool(
        frame.select(
            pl.any_horizontal([(pl.col(c).cast(pl.Float64).fill_null(0) != 0) for c in present])
            .any()
            .alias("any")
        ).item()
    )


def multi_line(
    frame: pl.DataFrame,
    columns: Mapping[str, str],
    title: str,
    y_title: str,
    percent: bool = False,
    keep: Sequence[str] | None = None,
    partial: set[dt.date] | None = None,
    granularity: str = "day",
) -> alt.Chart | None:
    """Several measures of a frame over time (one row per bucket), one line each, with a
    legend; `partial` buckets (see `mark_partial`) dashed and lighter, with a note.

    Measures with nothing to draw (every value 0 or null) are left out, unless named in
    `keep`; None when no measure is left, for the caller's empty state.
    """
    columns = {
        column: name
        for column, name in columns.items()
        if column in frame.columns and (column in (keep or ()) or has_values(frame, [column]))
    }
    if not columns or frame.is_empty():
        return None
    value_format = PERCENT if percent else ","
    long, partial_encoding, partial_tooltip = mark_partial(
        _long(frame, columns), partial, granularity
    )
    return (
        alt.Chart(long, title=title)
        .mark_line(point=True)
        .encode(
            x=bucket_axis(granularity, starts=frame["date"].to_list()),
            y=alt.Y(
                "value:Q",
                title=y_title,
                axis=alt.Axis(format=PERCENT) if percent else alt.Axis(format="~s"),
            ),
            color=alt.Color("measure:N", title="Figure", sort=list(columns.values())),
            tooltip=[
                alt.Tooltip("date:T", title="Date", format=DATE_FORMAT),
                alt.Tooltip("measure:N", title="Figure"),
                alt.Tooltip("value:Q", title="Value", format=value_format),
                *partial_tooltip,
            ],
            **partial_encoding,
        )
    )


def legend(*keys: str) -> dict[str, str]:
    """Figures' names in a chart's legend: the registry's short labels, by key."""
    return {key: heading(key) for key in keys}


def rate_trend(
    frame: pl.DataFrame, partial: set[dt.date] | None = None, granularity: str = "day"
) -> alt.Chart | None:
    """Tap-through rate and dismissal rate per bucket: is the message wearing out?"""
    return multi_line(
        frame,
        legend("ctr", "dismissal_rate"),
        title="Tap-through and dismissal rate",
        y_title="Rate",
        percent=True,
        partial=partial,
        granularity=granularity,
    )


def cumulative_impressions(
    frame: pl.DataFrame, partial: set[dt.date] | None = None, granularity: str = "day"
) -> alt.Chart | None:
    """Total vs unique cumulative impressions: the gap is repeat views."""
    return multi_line(
        frame,
        legend("cumulative_impressions", "cumulative_unique_impressions"),
        title=label("cumulative_impressions"),
        y_title=label("impressions"),
        partial=partial,
        granularity=granularity,
    )


TREND_MEASURES = legend("messages_sent", "delivered", "impressions", "opens", "clicks")
CHANNEL_TREND: dict[str, tuple[str, ...]] = {
    "push": ("messages_sent", "delivered", "opens", "clicks"),
    "email": ("messages_sent", "delivered", "opens", "clicks"),
    "sms": ("messages_sent", "delivered", "clicks"),
    "in_app": ("impressions", "clicks"),
}
"""The figures each channel has: an in-app message is never sent or delivered, a push or
an email never makes an impression (in this data model), so those lines would be zeros."""


def message_trend(
    frame: pl.DataFrame,
    channel: str | None = None,
    partial: set[dt.date] | None = None,
    granularity: str = "day",
) -> alt.Chart | None:
    """The channel's message figures per bucket: sent, delivered, opens, clicks for push
    and email; impressions and clicks for in-app.

    Without `channel`, the figures that have some value in the frame. None when nothing
    happened in the range.
    """
    if channel in CHANNEL_TREND:
        wanted = CHANNEL_TREND[channel]
        measures = {key: name for key, name in TREND_MEASURES.items() if key in wanted}
        if not has_values(frame, list(measures)):
            return None
        return multi_line(
            frame,
            measures,
            "Message trend",
            "Count",
            keep=wanted,
            partial=partial,
            granularity=granularity,
        )
    return multi_line(
        frame, TREND_MEASURES, "Message trend", "Count", partial=partial, granularity=granularity
    )


def deliveries_per_day(
    frame: pl.DataFrame, column: str = "delivered", partial: set[dt.date] | None = None
) -> alt.LayerChart | alt.FacetChart:
    """Endpoint deliveries per day as bars, with a dashed rule at the daily average.

    The average is in the title (and the rule's tooltip), not written over the bars, where
    it could not be read on the dark theme; partial days are lighter, with a note.
    """
    values = frame.select("date", pl.col(column).alias("deliveries"))
    mean = values["deliveries"].mean()
    average = float(mean) if isinstance(mean, int | float) else 0.0
    values, partial_encoding, partial_tooltip = mark_partial(values, partial, line=False)
    bars = (
        alt.Chart(values)
        .mark_bar()
        .encode(
            x=_date_axis(bars=True),
            y=alt.Y("deliveries:Q", title="Deliveries"),
            tooltip=[
                alt.Tooltip("date:T", title="Date", format=DATE_FORMAT),
                alt.Tooltip("deliveries:Q", title="Deliveries", format=","),
                *partial_tooltip,
            ],
            **partial_encoding,
        )
    )
    average_frame = pl.DataFrame({"average": [average], "label": ["Daily average"]})
    rule = (
        alt.Chart(average_frame)
        .mark_rule(color=MUTED, strokeDash=[6, 4], size=2)
        .encode(
            y=alt.Y("average:Q"),
            tooltip=[alt.Tooltip("average:Q", title="Daily average", format=",.1f")],
        )
    )
    title = f"Endpoint deliveries per day (dashed line: daily average {average:,.1f})"
    return alt.layer(bars, rule, title=title)


def funnel(frame: pl.DataFrame, title: str = "Delivery funnel (users)") -> alt.Chart | None:
    """Horizontal bars for the steps of a funnel in users, in the frame's order (step, count).

    Each step is a subset of the one before, so the bars only shrink; the share of the
    first step and of the step before are in the tooltip, so drop-off reads at a glance.
    None when every step is 0 (an empty range): bars of nothing say less than an empty state.
    """
    if not has_values(frame, ["count"]):
        return None
    first = frame["count"][0] if frame.height else 0
    shaped = frame.with_row_index("order").with_columns(
        (pl.col("count") / first if first else pl.lit(None, dtype=pl.Float64)).alias("share"),
        (pl.col("count") / pl.col("count").shift(1)).fill_nan(None).alias("of_previous"),
    )
    return (
        alt.Chart(shaped, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("step:N", title="Step", sort=alt.EncodingSortField("order")),
            x=alt.X("count:Q", title="Users"),
            tooltip=[
                alt.Tooltip("step:N", title="Step"),
                alt.Tooltip("count:Q", title="Users", format=","),
                alt.Tooltip("share:Q", title="Share of first step", format=PERCENT),
                alt.Tooltip("of_previous:Q", title="Share of step before", format=PERCENT),
            ],
        )
    )


def breakdown_bars(
    frame: pl.DataFrame, dimension: str, title: str, dimension_title: str
) -> alt.Chart | None:
    """Impressions, opens and clicks per value of `dimension` (platform, device model);
    None when there are none."""
    named = {"impressions": "Impressions", "opens": "Opens", "clicks": "Clicks"}
    # no bar of zeros (impressions on a push campaign): the figures the channel has
    measures = {key: name for key, name in named.items() if has_values(frame, [key])}
    if not measures:
        return None
    long = (
        frame.select([dimension, *measures])
        .unpivot(index=dimension, on=list(measures), variable_name="measure", value_name="value")
        .with_columns(pl.col("measure").replace_strict(measures, return_dtype=pl.String))
    )
    return (
        alt.Chart(long, title=title)
        .mark_bar()
        .encode(
            y=alt.Y(f"{dimension}:N", title=dimension_title, sort="-x"),
            x=alt.X("value:Q", title="Count"),
            color=alt.Color("measure:N", title="Figure", sort=list(measures.values())),
            yOffset=alt.YOffset("measure:N", sort=list(measures.values())),
            tooltip=[
                alt.Tooltip(f"{dimension}:N", title=dimension_title),
                alt.Tooltip("measure:N", title="Figure"),
                alt.Tooltip("value:Q", title="Count", format=","),
            ],
        )
    )


def with_campaign_start(
    chart: alt.Chart, campaign_start: dt.date, title: str | None = None
) -> alt.LayerChart | alt.FacetChart:
    """Add a dashed vertical rule, labelled "Campaign start", at `campaign_start`."""
    marker = pl.DataFrame({"date": [campaign_start], "label": ["Campaign start"]})
    rule = (
        alt.Chart(marker)
        .mark_rule(color=MUTED, strokeDash=[6, 4], size=2)
        .encode(
            x=alt.X("date:T"),
            tooltip=[
                alt.Tooltip("label:N", title="Marker"),
                alt.Tooltip("date:T", title="Date", format=DATE_FORMAT),
            ],
        )
    )
    label = (
        alt.Chart(marker)
        .mark_text(align="left", baseline="top", dx=4, dy=4, color=MUTED)
        .encode(x=alt.X("date:T"), y=alt.value(0), text="label:N")
    )
    if title is None:
        return alt.layer(chart, rule, label)
    return alt.layer(chart, rule, label, title=title)


def sessions_chart(
    frame: pl.DataFrame,
    campaign_start: dt.date,
    measure: str = "sessions",
    kind: str = "line",
    partial: set[dt.date] | None = None,
) -> alt.LayerChart | alt.FacetChart | None:
    """Sessions per day (or average session length) before and during the campaign.

    `frame` is `sessions.daily` (date, sessions, avg_session_seconds). The dashed rule
    marks the campaign start so that the before/after change reads at a glance. None when
    the measure has no value (no sessions of the population). `partial` days (the before
    window's first, the during window's last, when they start or end mid-day) are lighter,
    with a note.
    """
    if not has_values(frame, [measure]):
        return None
    titles = {
        "sessions": ("Sessions per day", "Sessions", ","),
        "avg_session_seconds": ("Average session length", "Seconds", ",.0f"),
    }
    title, y_title, value_format = titles[measure]
    frame, partial_encoding, partial_tooltip = mark_partial(frame, partial, line=kind != "bar")
    base = alt.Chart(frame)
    mark = base.mark_bar() if kind == "bar" else base.mark_line(point=True)
    chart = mark.encode(
        x=_date_axis(bars=kind == "bar"),
        y=alt.Y(f"{measure}:Q", title=y_title),
        tooltip=[
            alt.Tooltip("date:T", title="Date", format=DATE_FORMAT),
            alt.Tooltip(f"{measure}:Q", title=y_title, format=value_format),
            *partial_tooltip,
        ],
        **partial_encoding,
    )
    return with_campaign_start(chart, campaign_start, title=title)


PARTIAL_NOTE = "Partial {unit}: the campaign covers only part of it"
"""The tooltip note of a partial bucket (the first or last, when the range, the campaign or
the data covers only part of it)."""


def mark_partial(
    frame: pl.DataFrame,
    partial: set[dt.date] | None,
    granularity: str = "day",
    *,
    line: bool = True,
) -> tuple[pl.DataFrame, dict[str, object], list[alt.Tooltip]]:
    """Mark the buckets the campaign covers only in part, so that a short first or last
    bucket does not read as a cliff: the point (or bar) lighter, a note in its tooltip and,
    for a line, the segment to it dashed.

    For a line, the whole buckets form one solid segment per series (`measure` or `split`,
    when the frame has them) and each partial bucket a dashed segment of its own joined to
    its neighbour; a `segment` column keeps them apart (one line through the partial
    buckets alone would draw a dashed line straight from the first to the last). Returns
    the frame with `partial`, `note` (and for a line `segment`, `dashed`) columns, the
    encodings to add and the tooltip to append; the frame as it is and nothing to add when
    no bucket is partial.
    """
    if not partial or frame.is_empty():
        return frame, {}, []
    unit = {"week": "week", "month": "month"}.get(granularity, "day")
    is_partial = pl.col("date").cast(pl.Date).is_in(sorted(partial))
    marked = frame.with_columns(
        is_partial.alias("partial"),
        pl.when(is_partial)
        .then(pl.lit(PARTIAL_NOTE.format(unit=unit)))
        .otherwise(pl.lit(""))
        .alias("note"),
    )
    opacity = alt.condition("datum.partial", alt.value(0.5), alt.value(1.0))
    tooltip = [alt.Tooltip("note:N", title="Note")]
    if not line:
        return marked, {"opacity": opacity}, tooltip
    series = [column for column in ("measure", "split") if column in frame.columns]
    ordered = marked.sort([*series, "date"]).with_row_index("row")
    whole = ordered.filter(~pl.col("partial")).with_columns(
        pl.lit("whole").alias("segment"), pl.lit(False).alias("dashed")
    )
    links = []
    for row in ordered.filter(pl.col("partial")).iter_rows(named=True):
        same = ordered
        for column in series:
            same = same.filter(pl.col(column) == row[column])
        before = same.filter(pl.col("row") < row["row"]).tail(1)
        after = same.filter(pl.col("row") > row["row"]).head(1)
        neighbour = after if before.is_empty() else before
        segment = f"partial {row['date']}"
        pair = pl.concat([same.filter(pl.col("row") == row["row"]), neighbour])
        links.append(
            pair.with_columns(pl.lit(segment).alias("segment"), pl.lit(True).alias("dashed"))
        )
    shaped = pl.concat([whole, *links], how="vertical_relaxed").drop("row")
    encoding: dict[str, object] = {
        "detail": alt.Detail("segment:N"),
        "strokeDash": alt.StrokeDash(
            "dashed:N",
            legend=None,
            scale=alt.Scale(domain=[False, True], range=[[1, 0], [4, 3]]),
        ),
        "opacity": opacity,
    }
    return shaped, encoding, tooltip


def explore_line(
    frame: pl.DataFrame,
    figure_label: str,
    percent: bool = False,
    split_title: str | None = None,
    granularity: str = "day",
    partial: set[dt.date] | None = None,
) -> alt.Chart | None:
    """One figure over time (`explore_series`: date, split, value).

    With `split_title` (the split's name, e.g. "Variant") there is a line per split value;
    without, the single series ("all") is one line and needs no legend. None when every
    value is 0 or n/a (e.g. a tap-through rate on a push campaign, which has no impressions).
    """
    if not has_values(frame, ["value"]):
        return None
    frame, partial_encoding, partial_tooltip = mark_partial(frame, partial, granularity)
    value_format = PERCENT if percent else ",.2~f"
    tooltip = [
        alt.Tooltip("date:T", title="Date", format=DATE_FORMAT),
        alt.Tooltip("value:Q", title=figure_label, format=value_format),
    ]
    encoding: dict[str, object] = {
        "x": bucket_axis(granularity, starts=frame["date"].to_list()),
        "y": alt.Y(
            "value:Q", title=figure_label, axis=alt.Axis(format=PERCENT) if percent else alt.Axis()
        ),
    }
    if split_title is not None:
        encoding["color"] = alt.Color("split:N", title=split_title)
        tooltip.insert(1, alt.Tooltip("split:N", title=split_title))
    encoding |= partial_encoding
    tooltip += partial_tooltip
    return (
        alt.Chart(frame, title=f"{figure_label}, {BUCKETS.get(granularity, BUCKETS['day'])[0]}")
        .mark_line(point=True)
        .encode(**encoding, tooltip=tooltip)
    )


def comparison_bars(
    frame: pl.DataFrame, rates: Sequence[str], labels: Mapping[str, str]
) -> alt.Chart:
    """Key rates of several campaigns side by side (campaign name, one bar per rate)."""
    long = (
        frame.select(["name", *rates])
        .unpivot(index="name", on=list(rates), variable_name="rate", value_name="value")
        .with_columns(pl.col("rate").replace_strict(dict(labels), return_dtype=pl.String))
    )
    return (
        alt.Chart(long, title="Key rates compared")
        .mark_bar()
        .encode(
            x=alt.X("rate:N", title="Rate"),
            xOffset=alt.XOffset("name:N"),
            y=alt.Y("value:Q", title="Rate", axis=alt.Axis(format=PERCENT)),
            color=alt.Color("name:N", title="Campaign"),
            tooltip=[
                alt.Tooltip("name:N", title="Campaign"),
                alt.Tooltip("rate:N", title="Rate"),
                alt.Tooltip("value:Q", title="Value", format=PERCENT),
            ],
        )
    )
