"""Campaigns, variants and actions from the ids and names an export's events carry.

Vendors export events, not a catalog: the campaigns row is built from what its events say
(../shared/vendor-imports.md, "Derived rows"): the name from the export (else the id), the
channel its sends use most, started_at its earliest message event. The goal is left empty
unless the import was given one. What a person may have set since (`python -m
data.campaigns set`) is never overwritten: a campaign that existed before this import only
has its start moved earlier, a variant only becomes a control group, an action is only
added after the existing ones.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import polars as pl
import sqlalchemy as sa

from data.contracts import CHANNELS
from data.schema import actions, campaigns, variants

DEFAULT_CHANNEL = "push"
_CHUNK = 1000


@dataclass(frozen=True)
class Goal:
    """The conversion goal given to the campaigns an import creates."""

    conversion_event: str | None = None
    window_hours: int | None = None


@dataclass
class CampaignFacts:
    name: str | None = None
    earliest: dt.datetime | None = None
    send_channels: Counter[str] = field(default_factory=Counter)
    event_channels: Counter[str] = field(default_factory=Counter)

    def channel(self) -> str:
        """The commonest channel of the sends, else of any event; ties in CHANNELS order."""
        for counts in (self.send_channels, self.event_channels):
            if counts:
                return max(CHANNELS, key=lambda name: (counts[name], -CHANNELS.index(name)))
        return DEFAULT_CHANNEL


@dataclass
class VariantFacts:
    name: str | None = None
    control: bool = False


@dataclass
class ActionFacts:
    name: str | None = None
    channel: str | None = None
    first_at: dt.datetime | None = None


@dataclass
class Catalog:
    """What the events seen so far say about campaigns, variants and actions."""

    campaigns: dict[str, CampaignFacts] = field(default_factory=dict)
    variants: dict[tuple[str, str], VariantFacts] = field(default_factory=dict)
    actions: dict[tuple[str, str], ActionFacts] = field(default_factory=dict)

    def add_events(self, events: pl.DataFrame) -> None:
        """Fold a batch of message events (with their catalog extras) into the facts."""
        if events.height == 0:
            return
        for row in (
            events.group_by("campaign_id", maintain_order=True)
            .agg(pl.col("campaign_name").drop_nulls().first(), pl.col("occurred_at").min())
            .iter_rows(named=True)
        ):
            self._campaign(row["campaign_id"], row["campaign_name"], row["occurred_at"])
        for row in (
            events.filter(pl.col("channel").is_not_null())
            .group_by("campaign_id", "channel")
            .agg(pl.len().alias("events"), (pl.col("event_type") == "sent").sum().alias("sends"))
            .iter_rows(named=True)
        ):
            facts = self.campaigns[row["campaign_id"]]
            facts.event_channels[row["channel"]] += row["events"]
            facts.send_channels[row["channel"]] += row["sends"]
        for row in (
            events.filter(pl.col("variant_id").is_not_null())
            .group_by("campaign_id", "variant_id", maintain_order=True)
            .agg(pl.col("variant_name").drop_nulls().first(), pl.col("control").any())
            .iter_rows(named=True)
        ):
            self._variant(
                (row["campaign_id"], row["variant_id"]), row["variant_name"], row["control"]
            )
        for row in (
            events.filter(pl.col("action_id").is_not_null())
            .group_by("campaign_id", "action_id", maintain_order=True)
            .agg(
                pl.col("action_name").drop_nulls().first(),
                pl.col("channel").drop_nulls().first(),
                pl.col("occurred_at").min(),
            )
            .iter_rows(named=True)
        ):
            key = (row["campaign_id"], row["action_id"])
            self._action(key, row["action_name"], row["channel"], row["occurred_at"])

    def merged(self, other: Catalog) -> Catalog:
        """A new catalog holding both: what this one knew, updated by `other`."""
        result = Catalog()
        for source in (self, other):
            for campaign_id, facts in source.campaigns.items():
                target = result._campaign(campaign_id, facts.name, facts.earliest)
                target.send_channels.update(facts.send_channels)
                target.event_channels.update(facts.event_channels)
            for key, variant in source.variants.items():
                result._variant(key, variant.name, variant.control)
            for key, action in source.actions.items():
                result._action(key, action.name, action.channel, action.first_at)
        return result

    def _campaign(
        self, campaign_id: str, name: str | None, at: dt.datetime | None
    ) -> CampaignFacts:
        facts = self.campaigns.setdefault(campaign_id, CampaignFacts())
        facts.name = facts.name or name
        facts.earliest = _earliest(facts.earliest, at)
        return facts

    def _variant(self, key: tuple[str, str], name: str | None, control: bool) -> None:
        facts = self.variants.setdefault(key, VariantFacts())
        facts.name = facts.name or name
        facts.control = facts.control or bool(control)

    def _action(
        self, key: tuple[str, str], name: str | None, channel: str | None, at: dt.datetime | None
    ) -> None:
        facts = self.actions.setdefault(key, ActionFacts())
        facts.name = facts.name or name
        facts.channel = facts.channel or channel
        facts.first_at = _earliest(facts.first_at, at)


def _earliest(first: dt.datetime | None, second: dt.datetime | None) -> dt.datetime | None:
    if first is None or second is None:
        return first or second
    return min(first, second)


def _aware(value: dt.datetime) -> dt.datetime:
    """Drivers hand timestamps back aware or naive UTC; compare instants."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def write_catalog(
    connection: sa.Connection,
    found: Catalog,
    before: Catalog,
    created_earlier: set[str],
    goal: Goal,
) -> set[str]:
    """Write what one file's events (`found`) say; returns the campaigns it created.

    `before` is what earlier files of this import said, and `created_earlier` the
    campaigns they created: those are rewritten from everything seen (name, channel,
    start), since this import made them. Campaigns stored before the import keep their
    settings; only their start moves earlier when the file holds an earlier event.
    ClickHouse takes no UPDATE through a Distributed table: there only what is not stored
    yet is written (the importer calls this once, at the end, with every file's facts).
    """
    updates = connection.dialect.name != "clickhouse"
    seen = before.merged(found)
    ids = sorted(found.campaigns)
    stored = {
        campaign_id: _aware(started_at)
        for chunk in _chunks(ids)
        for campaign_id, started_at in connection.execute(
            sa.select(campaigns.c.campaign_id, campaigns.c.started_at).where(
                campaigns.c.campaign_id.in_(chunk)
            )
        )
    }
    new = [campaign_id for campaign_id in ids if campaign_id not in stored]
    if new:
        connection.execute(
            campaigns.insert(),
            [
                {
                    "campaign_id": campaign_id,
                    "name": seen.campaigns[campaign_id].name or campaign_id,
                    "channel": seen.campaigns[campaign_id].channel(),
                    "started_at": seen.campaigns[campaign_id].earliest,
                    "conversion_event": goal.conversion_event,
                    "conversion_window_hours": goal.window_hours or 72,
                }
                for campaign_id in new
            ],
        )
    for campaign_id in ids if updates else ():
        values: dict[str, object]
        earliest = found.campaigns[campaign_id].earliest
        if campaign_id in created_earlier:
            facts = seen.campaigns[campaign_id]
            values = {"name": facts.name or campaign_id, "channel": facts.channel()}
            values["started_at"] = facts.earliest
        elif campaign_id in stored and earliest is not None and earliest < stored[campaign_id]:
            values = {"started_at": earliest}
        else:
            continue
        connection.execute(
            campaigns.update().where(campaigns.c.campaign_id == campaign_id).values(**values)
        )
    _write_variants(connection, found, ids, updates)
    _write_actions(connection, found, seen, ids)
    return set(new)


def _write_variants(
    connection: sa.Connection, found: Catalog, ids: list[str], updates: bool
) -> None:
    stored = {
        (campaign_id, variant_id): bool(is_control)
        for chunk in _chunks(ids)
        for campaign_id, variant_id, is_control in connection.execute(
            sa.select(variants.c.campaign_id, variants.c.variant_id, variants.c.is_control).where(
                variants.c.campaign_id.in_(chunk)
            )
        )
    }
    new = [
        {
            "campaign_id": campaign_id,
            "variant_id": variant_id,
            "name": facts.name or variant_id,
            "is_control": facts.control,
        }
        for (campaign_id, variant_id), facts in sorted(found.variants.items())
        if (campaign_id, variant_id) not in stored
    ]
    if new:
        connection.execute(variants.insert(), new)
    for (campaign_id, variant_id), facts in sorted(found.variants.items()):
        if updates and facts.control and stored.get((campaign_id, variant_id)) is False:
            connection.execute(
                variants.update()
                .where(variants.c.campaign_id == campaign_id, variants.c.variant_id == variant_id)
                .values(is_control=True)
            )


def _write_actions(
    connection: sa.Connection, found: Catalog, seen: Catalog, ids: list[str]
) -> None:
    """New actions take the next positions, in the order their first events happened."""
    stored: dict[str, dict[str, int]] = {}
    for chunk in _chunks(ids):
        for campaign_id, action_id, position in connection.execute(
            sa.select(actions.c.campaign_id, actions.c.action_id, actions.c.position).where(
                actions.c.campaign_id.in_(chunk)
            )
        ):
            stored.setdefault(campaign_id, {})[action_id] = int(position)
    new = sorted(
        (key for key in found.actions if key[1] not in stored.get(key[0], {})),
        key=lambda key: (key[0], found.actions[key].first_at, key[1]),
    )
    rows = []
    for campaign_id, action_id in new:
        positions = stored.setdefault(campaign_id, {})
        facts = found.actions[(campaign_id, action_id)]
        position = max(positions.values(), default=0) + 1
        rows.append(
            {
                "campaign_id": campaign_id,
                "action_id": action_id,
                "name": facts.name or action_id,
                "channel": facts.channel or seen.campaigns[campaign_id].channel(),
                "position": position,
            }
        )
        positions[action_id] = position
    if rows:
        connection.execute(actions.insert(), rows)


def _chunks(ids: list[str]) -> list[list[str]]:
    """Bounded IN lists: PostgreSQL takes at most 65,535 bound parameters per statement."""
    return [ids[start : start + _CHUNK] for start in range(0, len(ids), _CHUNK)]
