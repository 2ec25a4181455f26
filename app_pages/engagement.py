"""Engagement: when people open, how taps and dismissals evolve, how messages flow per day."""

from __future__ import annotations

import polars as pl
import streamlit as st

from metrics.report_model import DailyRow, OpenTimeRow, PunchCardRow, rows_to_frame
from ui import charts, data_access, page_kit, widgets

url, view = page_kit.view()
report = page_kit.report(url, view)
page_kit.header("Engagement", report)
if widgets.no_events(report, "engagement"):
    st.stop()

daily = rows_to_frame(report.daily, DailyRow)
bucket = {"day": "day", "week": "week", "month": "month"}[report.granularity]
# The first and last bucket, when the range or the campaign covers only part of them, are
# drawn dashed and lighter, with a note in the tooltip (not as a cliff).
partial = page_kit.partial_buckets(report, daily["date"].to_list())

st.subheader("When messages are opened")
open_times = rows_to_frame(report.open_times, OpenTimeRow)
if open_times.is_empty():
    widgets.empty(
        "No opens in this range, so there is no open-time pattern to show.",
        "Opens come from `opened` events (push and email); widen the range or pick a campaign "
        "on one of those channels.",
    )
else:
    left, right = st.columns(2)
    with left:
        widgets.cached_chart(report, "open_times", lambda: charts.open_time_scatter(open_times))
    with right:
        widgets.cached_chart(
            report,
            "punch_card",
            lambda: charts.punch_card(rows_to_frame(report.open_punch_card, PunchCardRow)),
        )
    widgets.folded(
        "Opens by date and hour (table)",
        "open_times",
        lambda: widgets.table(open_times, "open_times", view),
    )

st.subheader(f"Message trend per {bucket}")
widgets.cached_chart(
    report,
    "message_trend",
    lambda: charts.message_trend(
        daily, report.campaign.channel, partial=partial, granularity=report.granularity
    ),
)

if report.kpis.impressions:
    left, right = st.columns(2)
    with left:
        widgets.cached_chart(
            report,
            "rate_trend",
            lambda: charts.rate_trend(daily, partial=partial, granularity=report.granularity),
        )
    with right:
        widgets.cached_chart(
            report,
            "cumulative_impressions",
            lambda: charts.cumulative_impressions(
                daily, partial=partial, granularity=report.granularity
            ),
        )
else:
    widgets.empty(
        "No impressions in this range, so tap-through and dismissal rates are n/a.",
        "Impressions come from in-app (and some push) messages being displayed.",
    )

st.subheader("Endpoint deliveries per day")
days_from: object  # what the chart's cache is keyed on: the report, or the daily series
if report.granularity == "day":
    by_day, days_from = daily, report
else:
    # Per week or month the chart still wants days: ask for the one daily series it
    # draws (one statement) rather than a whole second report at day granularity.
    delivered = data_access.series(url, view.model_copy(update={"gran": "day"}), "delivered", None)
    by_day = delivered.select(pl.col("date").cast(pl.Date), pl.col("value").alias("delivered"))
    days_from = delivered
if report.kpis.delivered > 0:
    days = by_day["date"].to_list()
    widgets.cached_chart(
        days_from,
        "deliveries_per_day",
        lambda: charts.deliveries_per_day(
            by_day, partial=page_kit.partial_buckets(report, days, "day")
        ),
    )
else:
    widgets.empty(
        "Nothing was delivered in this range, so there are no endpoint deliveries to chart.",
        "Deliveries come from push, email and SMS sends (delivery receipts, or sends that did "
        "not bounce); widen the range or pick a campaign on one of those channels.",
    )
widgets.folded(
    f"Figures per {bucket} (table)",
    "per_bucket",
    lambda: widgets.table(
        daily,
        f"per_{bucket}",
        view,
        column_config={
            key: st.column_config.Column(help=widgets.help_for(key)) for key in daily.columns
        },
    ),
)
