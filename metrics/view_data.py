"""Every read one view of a campaign needs, in the fewest statements: the report's I/O.

A view (campaign, range, zone, filters) used to cost 22 statements, five of which grouped
the campaign's events by user. Now it costs three passes over the events, whatever the
number of variants and actions:

1. `data.queries.event_counts`: every plain count, by type, local day, variant and action;
2. `data.queries.user_pass`: every distinct-user count, from one grouping by user (its variant
   and action columns come from the catalog plus what pass 1 saw in range);
3. `data.queries.conversions.load_conversion_rows`: the qualifying conversions, reading only
   the converters' events (none without a goal).

Everything else in `metrics/` is a pure function of what this returns, so a notebook can
compute the same figures from frames of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa

from data.queries.catalog import campaign_actions, campaign_variants
from data.queries.conversions import load_conversion_rows
from data.queries.event_counts import EventCounts, event_counts
from data.queries.events import campaign_has_delivered
from data.queries.user_pass import UserCounts, Variant, user_counts
from data.scope import Scope
from data.vocabulary import Granularity
from metrics.funnel import funnel_steps
from metrics.report_model import CampaignInfo


@dataclass(frozen=True)
class ViewData:
    """The reduced reads of one view; each frame is bounded by the campaign's dimensions.

    `variants` and `action_ids` are the catalog's (in its order) followed by any other id
    seen on an in-range event (sorted). `conversion_rows` is None without a goal.
    """

    campaign: CampaignInfo
    has_delivered: bool
    catalog_variants: pl.DataFrame
    catalog_actions: pl.DataFrame
    variants: list[Variant]
    action_ids: list[str]
    counts: EventCounts
    users: UserCounts
    conversion_rows: pl.DataFrame | None
    action: str | None = None
    """The action filter, if on: it changes who the users of C are and voids the control
    group's figures (glossary, Scope), which the pure functions need to know."""

    @property
    def variant_ids(self) -> list[str]:
        return [variant.variant_id for variant in self.variants]


def _with_seen(listed: list[str], seen: list[str]) -> list[str]:
    known = set(listed)
    return listed + [value for value in seen if value not in known]


def read_view(
    connection: sa.Connection, scope: Scope, campaign: CampaignInfo, granularity: Granularity
) -> ViewData:
    """Run the view's passes (three over the events, plus catalog look-ups)."""
    catalog_variants = campaign_variants(connection, scope.campaign_id)
    catalog_actions = campaign_actions(connection, scope.campaign_id)
    counts = event_counts(connection, scope)
    controls = dict(
        zip(
            catalog_variants["variant_id"].to_list(),
            catalog_variants["is_control"].to_list(),
            strict=True,
        )
    )
    variant_ids = _with_seen(list(controls), counts.seen("variant_id"))
    variants = [Variant(variant_id, bool(controls.get(variant_id))) for variant_id in variant_ids]
    action_ids = _with_seen(catalog_actions["action_id"].to_list(), counts.seen("action_id"))
    goal = campaign.conversion_event
    rows = (
        None
        if goal is None
        else load_conversion_rows(
            connection, scope, goal, campaign.conversion_window_hours, variant_ids
        )
    )
    has_delivered = campaign_has_delivered(connection, scope)
    # The funnel in users is a few more flags of the user pass (its steps depend on the
    # channel and on whether the campaign has delivery receipts).
    funnel = funnel_steps(campaign.channel, has_delivered)
    return ViewData(
        campaign=campaign,
        has_delivered=has_delivered,
        catalog_variants=catalog_variants,
        catalog_actions=catalog_actions,
        variants=variants,
        action_ids=action_ids,
        counts=counts,
        users=user_counts(connection, scope, variants, action_ids, granularity, funnel),
        conversion_rows=rows,
        action=scope.action,
    )
