"""The shape of a campaign report: the glossary's JSON report as pydantic models.

This is the contract between the metrics engine and everything that shows its figures
(the report CLI, the app's pages, notebooks). Field names are the glossary's JSON keys;
`CampaignReport.model_dump(mode="json")` is exactly the object `python -m metrics.report`
prints. Rates are fractions, and None (JSON null) where the denominator is zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
from pydantic import BaseModel, Field

from data.vocabulary import Granularity


class CampaignInfo(BaseModel):
    """The campaigns row."""

    campaign_id: str
    name: str
    channel: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    conversion_event: str | None
    conversion_window_hours: int


class RangeInfo(BaseModel):
    start: dt.date
    end: dt.date
    tz: str


class DeliveryFigures(BaseModel):
    """The glossary's Delivery keys, except control_users (a conversions-side population)."""

    entries: int
    audience_size: int
    messages_sent: int
    hard_bounces: int
    soft_bounces: int
    bounce_rate: float | None
    errors: int
    errors_by_code: dict[str, int]
    delivered: int
    delivery_rate: float | None
    recipients: int
    complaints: int


class EngagementFigures(BaseModel):
    """The glossary's Engagement keys."""

    impressions: int
    unique_impressions: int
    opens: int
    unique_opens: int
    open_rate: float | None
    clicks: int
    unique_clicks: int
    click_rate: float | None
    ctr: float | None
    dismissals: int
    dismissal_rate: float | None
    engaged_users: int
    unsubscribes: int


class ConversionFigures(BaseModel):
    """The glossary's Conversions keys: all None when the campaign has no conversion goal."""

    receivers: int | None
    conversions: int | None
    converted_users: int | None
    conversion_rate: float | None
    revenue: float | None
    click_through_conversions: int | None
    view_through_conversions: int | None
    click_through_conversion_rate: float | None
    view_through_conversion_rate: float | None
    control_converted_users: int | None
    control_conversion_rate: float | None


class UpliftFigures(BaseModel):
    """Treatment against control on conversion rate (the glossary's uplift row)."""

    uplift: float | None
    uplift_ci_low: float | None
    uplift_ci_high: float | None
    uplift_p_value: float | None


# Pydantic lists inherited fields from the last base to the first: Delivery comes first.
class Kpis(UpliftFigures, ConversionFigures, EngagementFigures, DeliveryFigures):
    """Every key of the glossary's Delivery, Engagement and Conversions tables, flat."""

    control_users: int


class VariantFigures(BaseModel):
    """One variant's own figures (glossary, "Per variant")."""

    variant_id: str
    name: str
    is_control: bool
    is_baseline: bool
    users: int
    messages_sent: int
    impressions: int
    opens: int
    clicks: int
    ctr: float | None
    errors: int
    converted_users: int | None
    conversion_rate: float | None


class Comparison(BaseModel):
    """A variant against the baseline on conversion rate; None where the figure is undefined."""

    lift: float | None = None
    lift_ci_low: float | None = None
    lift_ci_high: float | None = None
    diff: float | None = None
    diff_ci_low: float | None = None
    diff_ci_high: float | None = None
    p_value: float | None = None
    chance_to_beat_control: float | None = None


class VariantRow(Comparison, VariantFigures):
    """One variant of an A/B test, compared with the baseline on conversion_rate."""


class ActionRow(BaseModel):
    action_id: str
    name: str
    position: int
    received_users: int
    clicks: int
    attributed_conversions: int | None


class RunRow(BaseModel):
    run_id: str
    endpoints_targeted: int
    messages_sent: int
    delivered: int
    opens: int
    unique_opens: int
    clicks: int
    hard_bounces: int
    first_event_at: dt.datetime


class FunnelRow(BaseModel):
    """A step of the funnel in users (`metrics.funnel`): the app's, not the glossary's JSON."""

    step: str
    users: int
    of_first: float | None
    of_previous: float | None


class RevenueRow(BaseModel):
    """Revenue of one bucket (`metrics.attribution.revenue_by_bucket`): the app's chart,
    not a key of the glossary's JSON."""

    date: dt.date
    revenue: float


class LinkRow(BaseModel):
    link_url: str
    clicks: int
    unique_clicks: int


class PlatformRow(BaseModel):
    platform: str
    impressions: int
    opens: int
    clicks: int


class DeviceRow(BaseModel):
    device_model: str
    impressions: int
    opens: int
    clicks: int


class DailyRow(BaseModel):
    """One local bucket (a day, or the Monday of a week, or the 1st of a month)."""

    date: dt.date
    messages_sent: int
    delivered: int
    impressions: int
    unique_impressions: int
    cumulative_impressions: int
    cumulative_unique_impressions: int
    opens: int
    clicks: int
    dismissals: int
    ctr: float | None
    dismissal_rate: float | None
    conversions: int | None


class OpenTimeRow(BaseModel):
    date: dt.date
    hour: int
    opens: int


class PunchCardRow(BaseModel):
    weekday: int
    hour: int
    opens: int


class SessionDayRow(BaseModel):
    date: dt.date
    sessions: int
    avg_session_seconds: float | None


class SessionsSummary(BaseModel):
    """Sessions of the campaign's population before and during the campaign."""

    before_start: dt.datetime
    during_start: dt.datetime
    during_end: dt.datetime
    sessions_per_day_before: float | None
    sessions_per_day_during: float | None
    avg_session_seconds_before: float | None
    avg_session_seconds_during: float | None
    daily: list[SessionDayRow]


class CampaignReport(BaseModel):
    """Everything the glossary defines for one campaign over one scope."""

    campaign: CampaignInfo
    range: RangeInfo
    granularity: Granularity = "day"
    data_as_of: dt.datetime | None
    kpis: Kpis
    variants: list[VariantRow]
    srm_p_value: float | None
    actions: list[ActionRow]
    runs: list[RunRow]
    links: list[LinkRow]
    platforms: list[PlatformRow]
    devices: list[DeviceRow]
    daily: list[DailyRow]
    open_times: list[OpenTimeRow]
    open_punch_card: list[PunchCardRow]
    sessions: SessionsSummary
    funnel: list[FunnelRow] = Field(default_factory=list, exclude=True)
    revenue_series: list[RevenueRow] = Field(default_factory=list, exclude=True)
    """Treatment revenue per bucket (empty without a goal), for the Conversions page."""
    """The delivery funnel in users, per channel (the app's screens; not a key of the
    glossary's JSON report, so it is left out of the CLI's output)."""


def rows_to_frame(rows: Sequence[BaseModel], model: type[BaseModel]) -> pl.DataFrame:
    """A frame of report rows that keeps its columns even when there are no rows."""
    if rows:
        return pl.DataFrame([row.model_dump() for row in rows])
    return pl.DataFrame(schema=list(model.model_fields))
