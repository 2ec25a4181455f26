"""The rows no vendor exports: `entered` per (campaign, user, run), and the users table.

While a file streams, each batch leaves its candidates in two temporary tables (memory
stays bounded whatever the file's size); when the file ends, set-based statements derive
the rows in the file's transaction.

`entered` (../shared/vendor-imports.md, "Derived rows"): one per (campaign, user, run), at
the earliest sent / failed / delivered / impression / control row, with its variant and
run, id `entered:` + that row's id. One per key across imports too: a later export that
holds an earlier row for a key moves its `entered` row there (the old one is deleted, the
new one counted as derived); an export seen before adds nothing.

users: one row per user seen, platform and device from the latest of the file's records
carrying them. A user stored already keeps what the file does not say.
"""

from __future__ import annotations

import uuid
from typing import Any

import polars as pl
import sqlalchemy as sa

from data.ingest.bulk import bulk_insert
from data.schema import Timestamp, message_events, users

ENTRY_SOURCES: tuple[str, ...] = ("sent", "failed", "delivered", "impression", "control")
DERIVED_PREFIX = "entered:"


ENTRY_COLUMNS: tuple[str, ...] = (
    "campaign_id",
    "user_id",
    "run_id",
    "run_key",
    "occurred_at",
    "event_id",
    "variant_id",
    "platform",
    "device_model",
)
"""An `entered` candidate: its key (`run_key` is the run, "" for none) and the source row."""
USER_COLUMNS: tuple[str, ...] = ("user_id", "platform", "platform_at", "device_model", "device_at")
"""A user's latest platform and device in a batch, each with the time it was seen."""


def entry_candidates(events: pl.DataFrame) -> pl.DataFrame:
    """A batch's earliest entry source per (campaign, user, run), as `ENTRY_COLUMNS`."""
    return (
        events.filter(pl.col("derive_entry") & pl.col("event_type").is_in(ENTRY_SOURCES))
        .with_columns(pl.col("run_id").fill_null("").alias("run_key"))
        .sort("occurred_at", "event_id")
        .unique(["campaign_id", "user_id", "run_key"], keep="first", maintain_order=True)
        .select(ENTRY_COLUMNS)
    )


def devices_seen(
    events: pl.DataFrame, sessions: pl.DataFrame, conversions: pl.DataFrame
) -> pl.DataFrame:
    """Every user of a batch with its latest platform and device, as `USER_COLUMNS`."""
    seen = pl.concat(
        [
            events.select("user_id", pl.col("occurred_at").alias("at"), "platform", "device_model"),
            sessions.select(
                "user_id", pl.col("started_at").alias("at"), "platform", "device_model"
            ),
            conversions.select(
                "user_id", pl.col("occurred_at").alias("at"), "platform", "device_model"
            ),
        ]
    )
    return (
        seen.group_by("user_id")
        .agg(
            pl.col("platform").sort_by("at").drop_nulls().last(),
            pl.col("at").filter(pl.col("platform").is_not_null()).max().alias("platform_at"),
            pl.col("device_model").sort_by("at").drop_nulls().last(),
            pl.col("at").filter(pl.col("device_model").is_not_null()).max().alias("device_at"),
        )
        .select(USER_COLUMNS)
    )


def _temporary(name: str, *columns: sa.Column[Any]) -> sa.Table:
    return sa.Table(
        f"vendor_{name}_{uuid.uuid4().hex[:12]}", sa.MetaData(), *columns, prefixes=["TEMPORARY"]
    )


class Derivations:
    """The candidates of one file's batches, and the rows derived from them at its end."""

    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection
        self._entries = _temporary(
            "entries",
            sa.Column("campaign_id", sa.Text),
            sa.Column("user_id", sa.Text),
            sa.Column("run_id", sa.Text),
            sa.Column("run_key", sa.Text),
            sa.Column("occurred_at", Timestamp),
            sa.Column("event_id", sa.Text),
            sa.Column("variant_id", sa.Text),
            sa.Column("platform", sa.Text),
            sa.Column("device_model", sa.Text),
        )
        self._users = _temporary(
            "users",
            sa.Column("user_id", sa.Text),
            sa.Column("platform", sa.Text),
            sa.Column("platform_at", Timestamp),
            sa.Column("device_model", sa.Text),
            sa.Column("device_at", Timestamp),
        )
        self._entries.create(connection)
        self._users.create(connection)

    def add(self, events: pl.DataFrame, sessions: pl.DataFrame, conversions: pl.DataFrame) -> None:
        """Stage a batch's entry candidates (the earliest per key) and users (the latest)."""
        bulk_insert(self._connection, self._entries.name, entry_candidates(events))
        bulk_insert(self._connection, self._users.name, devices_seen(events, sessions, conversions))

    def finish(self) -> int:
        """Write the derived rows; returns how many `entered` rows were added."""
        derived = self._write_entries()
        self._write_users()
        self._entries.drop(self._connection)
        self._users.drop(self._connection)
        return derived

    def _write_entries(self) -> int:
        connection, stage = self._connection, self._entries
        rank = sa.func.row_number().over(
            partition_by=[stage.c.campaign_id, stage.c.user_id, stage.c.run_key],
            order_by=[stage.c.occurred_at, stage.c.event_id],
        )
        ranked = sa.select(stage, rank.label("rank")).subquery()
        earliest = _temporary("earliest", *(sa.Column(c.name, c.type) for c in stage.columns))
        earliest.create(connection)
        names = list(stage.columns.keys())
        connection.execute(
            earliest.insert().from_select(
                names, sa.select(*(ranked.c[name] for name in names)).where(ranked.c.rank == 1)
            )
        )
        stored = message_events.c
        same_key = sa.and_(
            earliest.c.campaign_id == stored.campaign_id,
            earliest.c.user_id == stored.user_id,
            earliest.c.run_key == sa.func.coalesce(stored.run_id, sa.literal("", sa.Text)),
        )
        derived_entry = sa.and_(
            stored.event_type == "entered", stored.event_id.startswith(DERIVED_PREFIX)
        )
        # A derived row later than this file's earliest candidate moves to it.
        connection.execute(
            message_events.delete().where(
                derived_entry,
                sa.exists().where(same_key, earliest.c.occurred_at < stored.occurred_at),
            )
        )
        new_rows = sa.select(
            sa.literal(DERIVED_PREFIX, sa.Text) + earliest.c.event_id,
            earliest.c.campaign_id,
            earliest.c.user_id,
            sa.literal("entered", sa.Text),
            earliest.c.occurred_at,
            earliest.c.run_id,
            earliest.c.variant_id,
            earliest.c.platform,
            earliest.c.device_model,
        ).where(~sa.exists().where(same_key, derived_entry))
        result = connection.execute(
            message_events.insert().from_select(
                [
                    "event_id",
                    "campaign_id",
                    "user_id",
                    "event_type",
                    "occurred_at",
                    "run_id",
                    "variant_id",
                    "platform",
                    "device_model",
                ],
                new_rows,
            ),
            execution_options={"preserve_rowcount": True},
        )
        earliest.drop(connection)
        return max(int(result.rowcount), 0)

    def _write_users(self) -> None:
        connection, stage = self._connection, self._users
        latest = _temporary(
            "latest_users",
            sa.Column("user_id", sa.Text),
            sa.Column("platform", sa.Text),
            sa.Column("device_model", sa.Text),
        )
        latest.create(connection)
        everyone = sa.select(stage.c.user_id).distinct().subquery()
        platform = self._latest(stage.c.platform, stage.c.platform_at)
        device = self._latest(stage.c.device_model, stage.c.device_at)
        connection.execute(
            latest.insert().from_select(
                ["user_id", "platform", "device_model"],
                sa.select(everyone.c.user_id, platform.c.value, device.c.value)
                .select_from(everyone)
                .outerjoin(platform, platform.c.user_id == everyone.c.user_id)
                .outerjoin(device, device.c.user_id == everyone.c.user_id),
            )
        )
        connection.execute(
            users.insert().from_select(
                ["user_id", "platform", "device_model"],
                sa.select(latest.c.user_id, latest.c.platform, latest.c.device_model).where(
                    ~sa.exists().where(users.c.user_id == latest.c.user_id)
                ),
            )
        )
        connection.execute(
            users.update()
            .where(
                users.c.user_id == latest.c.user_id,
                sa.or_(
                    sa.func.coalesce(latest.c.platform, users.c.platform).is_distinct_from(
                        users.c.platform
                    ),
                    sa.func.coalesce(latest.c.device_model, users.c.device_model).is_distinct_from(
                        users.c.device_model
                    ),
                ),
            )
            .values(
                platform=sa.func.coalesce(latest.c.platform, users.c.platform),
                device_model=sa.func.coalesce(latest.c.device_model, users.c.device_model),
            )
        )
        latest.drop(connection)

    def _latest(self, value: sa.Column[Any], at: sa.Column[Any]) -> sa.Subquery:
        """Per user, the value with the latest time among the staged batches."""
        stage = self._users
        rank = sa.func.row_number().over(
            partition_by=stage.c.user_id, order_by=[at.desc(), value.desc()]
        )
        ranked = (
            sa.select(stage.c.user_id, value.label("value"), rank.label("rank"))
            .where(value.is_not(None))
            .subquery()
        )
        return sa.select(ranked.c.user_id, ranked.c.value).where(ranked.c.rank == 1).subquery()
