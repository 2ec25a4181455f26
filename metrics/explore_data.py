"""Explore's reads: the one place its figures over time meet the database.

The Explore page asks for one figure over time, optionally split. The statements that
figure needs (bucketed counts, first impressions, per-bucket users, the conversions, the
catalog's variants and actions) run here, and only those it needs; everything computed
from their frames is a pure function of `metrics.series`, so a notebook can draw the same
lines from frames of its own. The report's own reads sit in `metrics.view_data` and
`metrics.report`; no other module of `metrics/` reads (`tests/metrics/test_purity.py`).
"""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from data.queries.bucket_users import bucket_users
from data.queries.catalog import campaign_actions, campaign_variants, get_campaign
from data.queries.conversions import load_conversion_rows, split_conversion_counts
from data.queries.events import bucket_counts, campaign_has_delivered, first_impression_buckets
from data.scope import Scope
from data.vocabulary import Granularity, SplitColumn
from metrics.attribution import attributed_by_bucket
from metrics.report_model import CampaignInfo
from metrics.series import (
    FIRSTS_SCHEMA,
    USER_SERIES,
    bucket_starts,
    check_explorable,
    control_variant_ids,
    converted_by_bucket,
    explore_frame,
    split_conversion_frame,
    split_values,
    user_series_frame,
    with_unclaimed_split,
)


def explore_series(
    connection: sa.Connection,
    scope: Scope,
    figure: str,
    split_by: SplitColumn | None,
    granularity: Granularity,
) -> pl.DataFrame:
    """One figure over every bucket of the range, optionally split: columns date, split, value.

    split is the variant_id, platform or action_id (`(none)` for events without a variant
    or action), or "all" without a split. Missing buckets count 0; rates over nothing are
    null. Conversions split by platform are null: a conversion has no platform.
    """
    check_explorable(figure, split_by)
    if figure in USER_SERIES:
        return user_series(connection, scope, figure, split_by, granularity)
    counts = bucket_counts(connection, scope, granularity, split_by)
    firsts = (
        first_impression_buckets(connection, scope, granularity, split_by)
        if figure == "cumulative_unique_impressions"
        else pl.DataFrame(schema=FIRSTS_SCHEMA)  # one distinct count less when not shown
    )
    splits = split_values(
        split_by, counts, firsts, _declared(connection, scope, split_by), _chosen(scope, split_by)
    )
    conversions = None
    if figure == "conversions" and split_by != "platform":
        conversions = _split_conversions(connection, scope, granularity, split_by, splits)
        splits = with_unclaimed_split(splits, split_by, conversions)
    return explore_frame(
        figure,
        counts,
        firsts,
        bucket_starts(scope, granularity),
        has_delivered=campaign_has_delivered(connection, scope),
        conversions=conversions,
        splits=splits,
    )


def _declared(connection: sa.Connection, scope: Scope, split_by: str | None) -> list[str]:
    """C's variant or action ids, when split by one of them (no read for other splits)."""
    if split_by == "variant_id":
        return list(campaign_variants(connection, scope.campaign_id)["variant_id"].to_list())
    if split_by == "action_id":
        return list(campaign_actions(connection, scope.campaign_id)["action_id"].to_list())
    return []


def _chosen(scope: Scope, split_by: str | None) -> str | None:
    """The scope's own filter on the split's dimension, which keeps only its line."""
    return {"variant_id": scope.variant, "action_id": scope.action}.get(split_by or "")


def _goal(connection: sa.Connection, scope: Scope) -> CampaignInfo | None:
    """C's campaigns row, when it has a conversion goal."""
    row = get_campaign(connection, scope.campaign_id)
    if row is None or row["conversion_event"] is None:
        return None
    return CampaignInfo.model_validate(row)


def _split_conversions(
    connection: sa.Connection,
    scope: Scope,
    granularity: Granularity,
    split_by: str | None,
    splits: list[str],
) -> pl.DataFrame | None:
    """Conversions per bucket and split value, as the cards count them.

    By action: each treatment conversion credited to one action, as the Conversions page's
    action cards do (`metrics.attribution.attributed_by_bucket`), so the lines add up to the
    campaign's conversions. By variant: the conversions of C read as if its only events
    were that variant's (what the variant filter gives): one statement gives them for
    every value (`data.queries.conversions.split_conversion_counts`). A control variant's
    users are sent nothing, so its line shows the control group's conversions. None
    without a goal.
    """
    campaign = _goal(connection, scope)
    if campaign is None or campaign.conversion_event is None:
        return None
    if split_by == "action_id":
        rows = load_conversion_rows(
            connection, scope, campaign.conversion_event, campaign.conversion_window_hours
        )
        return attributed_by_bucket(rows, scope.tz, granularity)
    if split_by is not None and all(value == "(none)" for value in splits):
        return None  # events without a variant are no filter value: not computed
    counts = split_conversion_counts(
        connection,
        scope,
        campaign.conversion_event,
        campaign.conversion_window_hours,
        granularity,
        split_by,
    )
    control_variants: set[str] = set()
    if split_by == "variant_id":
        control_variants = control_variant_ids(campaign_variants(connection, scope.campaign_id))
    return split_conversion_frame(counts, control_variants, splits)


def user_series(
    connection: sa.Connection,
    scope: Scope,
    figure: str,
    split_by: SplitColumn | None,
    granularity: Granularity,
) -> pl.DataFrame:
    """One of USER_SERIES per bucket (and split): date, split, value.

    Each bucket counts its own users (`data.queries.bucket_users`): users of C, engaged users, and
    the open rate (unique opens / recipients of the bucket). The conversion rate (users
    converting in the bucket / receivers of the bucket) and revenue (treatment revenue of
    the bucket's conversions) split by action follow the action cards' attribution; split
    by variant or platform they are n/a (a conversion carries neither).
    """
    buckets = bucket_starts(scope, granularity)
    has_delivered = campaign_has_delivered(connection, scope)
    users = bucket_users(connection, scope, granularity, split_by, has_delivered=has_delivered)
    converted = None
    if figure in ("conversion_rate", "revenue"):
        campaign = _goal(connection, scope)
        if (
            campaign is not None
            and campaign.conversion_event is not None
            and split_by in (None, "action_id")
        ):
            rows = load_conversion_rows(
                connection, scope, campaign.conversion_event, campaign.conversion_window_hours
            )
            converted = converted_by_bucket(rows, scope.tz, granularity, by_action=bool(split_by))
    return user_series_frame(figure, users, converted, buckets)
