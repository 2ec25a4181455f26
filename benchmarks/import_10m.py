"""How fast the importer loads a large export: 10 million message events from Parquet.

    python -m benchmarks.import_10m [--rows N] [--text-timestamps]

Writes a synthetic, seeded `message_events.parquet` into a temporary directory, imports it
into a fresh temporary DuckDB file with the real importer (`data.ingest.import_files`) and
prints the wall time, rows per second and peak memory, and how much of the time is
reading and checking the file (the rest is the database: staging, the insert into the
indexed table and the commit). Prints figures; it is not a test.

Measured on the 2-core development box (load average 1.4): 10 M rows in 16.6 s
(602,000 rows/s), of which reading and checking took 2.6 s; peak RSS 4.9 GB. Before the
schema stopped building secondary ART indexes on DuckDB (which its planner never uses)
the same import took 91 s: maintaining them was most of the time. Since the event tables
have no primary-key index on DuckDB either (`data.schema._key_off_duckdb`): 20.5 s, of which
reading and checking 3.9 s, peak RSS 4.7 GB (load average 1.3): the same within the noise.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
import sqlalchemy as sa

from data.ingest import import_files
from data.ingest.read import read_source
from data.ingest.validate import validate
from data.schema import create_schema
from data.vocabulary import EVENT_TYPES

SEED = 20261123
CAMPAIGNS = ("push_black_friday", "inapp_onboarding", "email_weekly_digest", "push_flash_no_goal")
PLATFORMS = ("ios", "android", "web")
VARIANTS = ("A", "B", "control")


def synthetic_events(rows: int, text_timestamps: bool = False) -> pl.DataFrame:
    """`rows` message events built column-wise from a seeded generator (no Python loop)."""
    generator = np.random.default_rng(SEED)
    start = np.datetime64("2026-09-07T00:00:00", "us")
    offsets = generator.integers(0, 76 * 86_400 * 1_000_000, rows).astype("timedelta64[us]")
    frame = pl.DataFrame(
        {
            "number": np.arange(rows),
            "campaign": generator.integers(0, len(CAMPAIGNS), rows),
            "user": generator.integers(0, rows // 20 + 1, rows),
            "type": generator.integers(0, len(EVENT_TYPES), rows),
            "variant": generator.integers(0, len(VARIANTS), rows),
            "platform": generator.integers(0, len(PLATFORMS), rows),
            "occurred_at": start + offsets,
            "is_machine": generator.random(rows) < 0.02,
        }
    )
    events = frame.select(
        pl.format("evt-{}", pl.col("number")).alias("event_id"),
        pl.col("campaign")
        .replace_strict(dict(enumerate(CAMPAIGNS)), return_dtype=pl.String)
        .alias("campaign_id"),
        pl.format("user-{}", pl.col("user")).alias("user_id"),
        pl.col("type")
        .replace_strict(dict(enumerate(EVENT_TYPES)), return_dtype=pl.String)
        .alias("event_type"),
        pl.col("occurred_at").dt.replace_time_zone("UTC"),
        pl.col("variant")
        .replace_strict(dict(enumerate(VARIANTS)), return_dtype=pl.String)
        .alias("variant_id"),
        pl.col("platform")
        .replace_strict(dict(enumerate(PLATFORMS)), return_dtype=pl.String)
        .alias("platform"),
        pl.col("is_machine"),
    )
    if text_timestamps:
        events = events.with_columns(pl.col("occurred_at").dt.to_string("%Y-%m-%dT%H:%M:%S%.6fZ"))
    return events


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument(
        "--text-timestamps",
        action="store_true",
        help="write occurred_at as ISO 8601 text, so the importer parses every timestamp",
    )
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="import_bench_") as directory:
        path = Path(directory) / "message_events.parquet"
        began = time.perf_counter()
        synthetic_events(arguments.rows, arguments.text_timestamps).write_parquet(path)
        written = time.perf_counter() - began
        print(
            f"wrote {arguments.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) in {written:.1f} s"
        )
        began = time.perf_counter()
        source = read_source(path)
        validate(source.cells, source.contract)
        checking = time.perf_counter() - began
        del source
        engine = sa.create_engine(f"duckdb:///{Path(directory) / 'bench.duckdb'}")
        create_schema(engine)
        began = time.perf_counter()
        [result] = import_files(engine, [path])
        elapsed = time.perf_counter() - began
        engine.dispose()
    print(result.summary())
    print(f"import wall time: {elapsed:.1f} s ({result.read / elapsed:,.0f} rows/s)")
    print(f"reading and checking alone, without the database: {checking:.1f} s")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load} (1, 5, 15 min)")
    peak_megabytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS (whole process, generator included): {peak_megabytes:,.0f} MB")


if __name__ == "__main__":
    main()
