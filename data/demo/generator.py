"""Deterministic demo data, so the app shows every chart on first run without any import.

`python -m data.demo [--db URL] [--events N] [--campaigns N] [--seed S] [--if-missing]
[--replace [--shard URL ...]]` creates the schema and fills it with four demo campaigns (see
`data.demo.catalog`), about `--events` message events plus users, sessions and
conversions. `--campaigns N` (more than 4) adds N - 4 small campaigns of a few hundred
events each (`data.demo.extra`), for the Campaigns page at 1,000 campaigns; the four story
campaigns and their rows stay the same. A seed always gives the
same rows (the dates are fixed, never read from the clock). Generation is vectorised
with numpy and Polars and written with `data.ingest.bulk.bulk_insert`: the default 200k events
build in about three seconds, ten million in a few minutes (`benchmarks.demo_generation`).

On a ClickHouse cluster, `--replace` also needs every shard's URL (`--shard URL`, as for
`data.schema --cluster`): the rows are truncated in each shard's local tables.

`--if-missing` (what `make run` uses) and `ensure_demo_database` build the default
DuckDB file only when it does not exist yet, atomically, so two first starts at once
cannot leave a half-written database behind.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
import sqlalchemy as sa

from data.clickhouse_cluster import ShardsNotCoveredError
from data.database import create_writer_engine, duckdb_file, resolve_database_url
from data.demo import catalog as demo_catalog
from data.demo import email as demo_email
from data.demo import extra as demo_extra
from data.demo import inapp as demo_inapp
from data.demo import push as demo_push
from data.demo.events import CampaignEvents, finish_conversions, finish_events
from data.demo.sessions import Lift, sessions_frame
from data.demo.world import END, Population, make_population, users_frame
from data.ingest.bulk import bulk_insert, refresh_statistics
from data.messages import first_line, shown_url
from data.schema import TABLES, clustered, create_schema, message_events

DEFAULT_EVENTS = 200_000
DEFAULT_SEED = 7
STORY_CAMPAIGNS = 4
"""The demo's own campaigns; `--campaigns` adds small ones beyond these."""
MIN_EVENTS = 1_000
USERS_PER_EVENT = 1 / 7
"""Size of the user base for a number of events: most users are in several campaigns."""

# Share of the message events each campaign gets, and how much it lifts the sessions
# (per day, length) of the users it reached while it runs.
CAMPAIGN_SHARES = {
    demo_push.BLACK_FRIDAY: 0.40,
    demo_inapp.ONBOARDING: 0.25,
    demo_email.DIGEST: 0.30,
    demo_push.FLASH: 0.05,
}
SESSION_LIFTS = {
    demo_push.BLACK_FRIDAY: (demo_push.BLACK_FRIDAY_START, END, 1.5, 1.25),
    demo_inapp.ONBOARDING: (demo_inapp.START, demo_inapp.END, 1.35, 1.2),
    demo_email.DIGEST: (demo_email.START, END, 1.2, 1.1),
    demo_push.FLASH: (demo_push.FLASH_START, demo_push.FLASH_END, 1.4, 1.1),
}
GENERATORS = {
    demo_push.BLACK_FRIDAY: demo_push.black_friday,
    demo_inapp.ONBOARDING: demo_inapp.onboarding,
    demo_email.DIGEST: demo_email.weekly_digest,
    demo_push.FLASH: demo_push.flash_sale,
}


def generate_demo(
    events: int = DEFAULT_EVENTS, seed: int = DEFAULT_SEED, campaigns: int = STORY_CAMPAIGNS
) -> dict[str, pl.DataFrame]:
    """Every demo table as a frame, by table name; identical for identical arguments.

    With `campaigns` above STORY_CAMPAIGNS, the extra campaigns come from a random stream
    of their own, after everything else, so the story campaigns' rows do not change.
    """
    if events < MIN_EVENTS:
        raise ValueError(f"the demo needs at least {MIN_EVENTS:,} events to tell its stories")
    rng = np.random.default_rng(seed)
    population = make_population(rng, max(500, round(events * USERS_PER_EVENT)))
    produced: dict[str, CampaignEvents] = {
        campaign_id: generate(rng, population, round(events * CAMPAIGN_SHARES[campaign_id]))
        for campaign_id, generate in GENERATORS.items()
    }
    lifts = [
        Lift(produced[campaign_id].population, start, end, sessions, length)
        for campaign_id, (start, end, sessions, length) in SESSION_LIFTS.items()
    ]
    frames = {
        "campaigns": demo_catalog.campaigns_frame(),
        "variants": demo_catalog.variants_frame(),
        "actions": demo_catalog.actions_frame(),
        "users": users_frame(population),
        "message_events": finish_events(
            rng, [batch for part in produced.values() for batch in part.events], population
        ),
        "sessions": sessions_frame(rng, population, lifts),
        "conversions": finish_conversions(
            [batch for part in produced.values() for batch in part.conversions]
        ),
    }
    if campaigns > STORY_CAMPAIGNS:
        frames = _with_extra_campaigns(frames, population, seed, campaigns - STORY_CAMPAIGNS)
    return frames


def _with_extra_campaigns(
    frames: dict[str, pl.DataFrame], population: Population, seed: int, count: int
) -> dict[str, pl.DataFrame]:
    """The tables with `count` small campaigns added; their ids start with `x` (events)
    and `y` (conversions), so the story campaigns keep theirs."""
    rng = np.random.default_rng([seed, count])
    extra = demo_extra.extra_campaigns(rng, population, count)
    events = finish_events(rng, extra.produced.events, population)
    conversions = finish_conversions(extra.produced.conversions)
    return frames | {
        "campaigns": pl.concat([frames["campaigns"], extra.campaigns]),
        "variants": pl.concat([frames["variants"], extra.variants]),
        "message_events": pl.concat(
            [
                frames["message_events"],
                events.with_columns(pl.col("event_id").str.replace("^e", "x")),
            ]
        ),
        "conversions": pl.concat(
            [
                frames["conversions"],
                conversions.with_columns(pl.col("conversion_id").str.replace("^c", "y")),
            ]
        ),
    }


def build_demo(
    connection: sa.Connection,
    events: int = DEFAULT_EVENTS,
    seed: int = DEFAULT_SEED,
    campaigns: int = STORY_CAMPAIGNS,
) -> dict[str, int]:
    """Write the demo into the (existing, empty) tables; returns the rows per table."""
    return write_demo(connection, generate_demo(events, seed, campaigns))


def write_demo(connection: sa.Connection, frames: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Bulk-write generated frames into their tables; returns the rows per table."""
    written = {
        name: bulk_insert(connection, name, _in_cluster_order(name, frame))
        for name, frame in frames.items()
    }
    refresh_statistics(connection, list(written))
    return written


def _in_cluster_order(table_name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The frame sorted as the table clusters its rows (by campaign for events)."""
    keys = clustered(table_name, frame.columns)
    return frame.sort(keys, maintain_order=True) if keys else frame


def has_message_events(connection: sa.Connection) -> bool:
    """True when the database already holds events, which the demo must not mix with."""
    return bool(connection.execute(sa.select(message_events.c.event_id).limit(1)).all())


def clear_demo_tables(connection: sa.Connection) -> None:
    """Delete every row of the demo's tables (the tables themselves stay)."""
    for table in TABLES.values():
        connection.execute(sa.delete(table))


def _fill(
    engine: sa.Engine,
    events: int,
    seed: int,
    replace: bool,
    campaigns: int = STORY_CAMPAIGNS,
    shard_urls: Sequence[str] = (),
) -> dict[str, int] | None:
    """Create the schema and build the demo; None when there are events and no `replace`.

    `replace` empties every demo table first, even without events, so that catalog rows
    left by an earlier import cannot collide with the demo's. ClickHouse has no DELETE:
    its tables are truncated, on a cluster on every shard of `shard_urls`
    (`data.clickhouse_cluster.empty_tables`).
    """
    create_schema(engine)
    if replace and engine.dialect.name == "clickhouse":
        from data.clickhouse_cluster import empty_tables

        empty_tables(engine.url.render_as_string(hide_password=False), shard_urls)
    with engine.begin() as connection:
        if replace and engine.dialect.name != "clickhouse":
            clear_demo_tables(connection)
        elif not replace and has_message_events(connection):
            return None
        return build_demo(connection, events, seed, campaigns)


def _report(counts: dict[str, int], elapsed: float) -> str:
    written = counts["message_events"]
    others = ", ".join(
        f"{rows:,} {name}" for name, rows in counts.items() if name != "message_events"
    )
    return (
        f"Built the demo: {written:,} message events ({others}) in {elapsed:.1f} s, "
        f"{written / elapsed:,.0f} events/s"
    )


def ensure_demo_database(
    url: str,
    *,
    events: int = DEFAULT_EVENTS,
    seed: int = DEFAULT_SEED,
    campaigns: int = STORY_CAMPAIGNS,
) -> bool:
    """Build the demo DuckDB file at `url` if it does not exist; True if this call built it.

    The file is built under a name unique to this call in the same directory, then moved
    into place with `os.replace` (atomic on one file system), so a reader never sees a
    half-written database. If another process created the file meanwhile, ours is
    discarded. PostgreSQL URLs, in-memory DuckDB and existing files are left alone.
    """
    target = duckdb_file(url)
    if target is None or target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"Creating the demo database at {target} (first run, takes a few seconds)", flush=True)
    scratch = target.with_name(f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:12]}.tmp")
    try:
        engine = create_writer_engine(f"duckdb:///{scratch}")
        try:
            started = time.perf_counter()
            counts = _fill(engine, events, seed, replace=False, campaigns=campaigns)
            assert counts is not None  # a brand-new file has no events
            with engine.begin() as connection:
                connection.execute(sa.text("CHECKPOINT"))
        finally:
            engine.dispose()
        print(_report(counts, time.perf_counter() - started), flush=True)
        if target.exists():
            return False
        os.replace(scratch, target)
        return True
    finally:
        _discard(scratch)


def _discard(scratch: Path) -> None:
    for leftover in (scratch, scratch.with_name(scratch.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m data.demo",
        description="Fill a database with the deterministic demo campaigns.",
    )
    parser.add_argument("--db", help="database URL (default: CAMPAIGN_DB_URL, secrets, DuckDB)")
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="message events")
    parser.add_argument(
        "--campaigns",
        type=int,
        default=STORY_CAMPAIGNS,
        help="campaigns in all: above 4, small extra campaigns (e.g. 1000 for the Campaigns "
        "page's benchmark)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--if-missing",
        action="store_true",
        help="only build a DuckDB file that does not exist yet (first run)",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="delete the rows of the demo tables first if the database has events",
    )
    parser.add_argument(
        "--shard",
        action="append",
        default=[],
        metavar="URL",
        help="ClickHouse cluster: every shard's URL, whose local tables --replace empties",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: exit 0 when done, 2 when refused or the input is bad."""
    arguments = _parser().parse_args(argv)
    url = resolve_database_url(arguments.db)
    if arguments.events < MIN_EVENTS:
        print(f"data.demo: --events must be at least {MIN_EVENTS}", file=sys.stderr)
        return 2
    if arguments.campaigns < STORY_CAMPAIGNS:
        print(f"data.demo: --campaigns must be at least {STORY_CAMPAIGNS}", file=sys.stderr)
        return 2
    if arguments.if_missing:
        ensure_demo_database(
            url, events=arguments.events, seed=arguments.seed, campaigns=arguments.campaigns
        )
        return 0
    shown = shown_url(url)
    try:
        engine = create_writer_engine(url)
        started = time.perf_counter()
        try:
            counts = _fill(
                engine,
                arguments.events,
                arguments.seed,
                arguments.replace,
                arguments.campaigns,
                arguments.shard,
            )
        finally:
            engine.dispose()
    except ShardsNotCoveredError as error:
        print(f"data.demo: cannot replace the demo at {shown}: {error}", file=sys.stderr)
        return 2
    except sa.exc.OperationalError as error:
        print(f"data.demo: cannot open {shown}: {first_line(error, url)}", file=sys.stderr)
        return 2
    if counts is None:
        print(
            f"data.demo: {shown} already has message events; pass --replace to delete the "
            "rows of the demo tables and build the demo again",
            file=sys.stderr,
        )
        return 2
    print(_report(counts, time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
