"""The report against its floor: one database, one campaign, every figure of issue 8.

For a database URL and a campaign it measures, each as a whole process (start-up
included, as a user waits for it):

- the floor: `SELECT event_type, count(*), count(DISTINCT user_id) FROM message_events
  WHERE campaign_id = ? GROUP BY event_type` from a `python -c` that imports the driver,
  connects and runs it: one scan of the campaign's rows with one distinct count;
- `python -m metrics.report CAMPAIGN`: cold (the first run) and warm (median of the next
  runs, each after a floor run), with its peak RSS;
- the naive notebook: `pl.read_database` of the campaign's events into Polars, then sent,
  unique opens, open rate and conversions in Polars (its time and peak RSS);
- the Overview page drawn by AppTest, cold and warm (`benchmarks.app_render`).

It prints figures and returns them as a dict; it is not a test.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from benchmarks.processes import median, python_command, run_process
from data.database import create_reader_engine

FLOOR_SQL = (
    "SELECT event_type, count(*), count(DISTINCT user_id) FROM message_events "
    "WHERE campaign_id = {param} GROUP BY event_type"
)

_DUCKDB_FLOOR = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
connection.execute(sys.argv[3].replace('{param}', '?'), [sys.argv[2]]).fetchall()
"""

_POSTGRES_FLOOR = """
import sys, psycopg
with psycopg.connect(sys.argv[1]) as connection:
    connection.execute(sys.argv[3].replace('{param}', '%s'), [sys.argv[2]]).fetchall()
"""

_NAIVE = """
import sys, polars as pl, sqlalchemy as sa
url, campaign = sys.argv[1], sys.argv[2]
engine = sa.create_engine(url)
with engine.connect() as connection:
    events = pl.read_database(
        sa.text("SELECT * FROM message_events WHERE campaign_id = :campaign"),
        connection,
        execute_options={"parameters": {"campaign": campaign}},
        infer_schema_length=None,
    )
    goal = connection.execute(
        sa.text("SELECT conversion_event FROM campaigns WHERE campaign_id = :c"), {"c": campaign}
    ).scalar()
    conversions = pl.read_database(
        sa.text("SELECT user_id, occurred_at FROM conversions WHERE event_name = :goal"),
        connection,
        execute_options={"parameters": {"goal": goal}},
    )
sent = events.filter(pl.col("event_type") == "sent")
opened = events.filter(pl.col("event_type") == "opened")
receivers = sent["user_id"].n_unique()
first = events.group_by("user_id").agg(pl.col("occurred_at").min().alias("anchor"))
converted = conversions.join(first, on="user_id").filter(
    (pl.col("occurred_at") >= pl.col("anchor"))
    & (pl.col("occurred_at") <= pl.col("anchor") + pl.duration(hours=72))
)
print(sent.height, opened["user_id"].n_unique(), opened["user_id"].n_unique() / max(receivers, 1),
      converted.height)
"""


def _floor_command(url: str, campaign: str) -> list[str]:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "duckdb":
        return python_command("-c", _DUCKDB_FLOOR, str(parsed.database), campaign, FLOOR_SQL)
    plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return python_command("-c", _POSTGRES_FLOOR, plain, campaign, FLOOR_SQL)


def event_counts(url: str, campaign: str) -> tuple[int, int]:
    """(events in the table, events in the campaign)."""
    engine = create_reader_engine(url)
    try:
        with engine.connect() as connection:
            total = connection.execute(sa.text("SELECT count(*) FROM message_events")).scalar()
            mine = connection.execute(
                sa.text("SELECT count(*) FROM message_events WHERE campaign_id = :c"),
                {"c": campaign},
            ).scalar()
    finally:
        engine.dispose()
    return int(total or 0), int(mine or 0)


def measure(url: str, campaign: str, *, warm_runs: int = 3, app: bool = True) -> dict[str, Any]:
    """Every figure for one database and campaign (see the module docstring)."""
    total, in_campaign = event_counts(url, campaign)
    report_command = python_command("-m", "metrics.report", campaign, "--db", url)
    cold = run_process(report_command)
    # Floor and warm report alternate, so that a machine that speeds up or slows down
    # during the run (this one's wall times drift by 20 % over minutes) moves both sides
    # of the ratio alike.
    floors, warm = [], []
    for _ in range(warm_runs):
        floors.append(run_process(_floor_command(url, campaign)))
        warm.append(run_process(report_command))
    naive = run_process(python_command("-c", _NAIVE, url, campaign))
    floor = median([run.seconds for run in floors])
    warm_seconds = median([run.seconds for run in warm])
    figures: dict[str, Any] = {
        "events_in_table": total,
        "events_in_campaign": in_campaign,
        "floor_s": round(floor, 3),
        "floor_peak_rss_mb": round(max(run.peak_rss_mb for run in floors), 1),
        "report_cold_s": round(cold.seconds, 3),
        "report_warm_s": round(warm_seconds, 3),
        "report_over_floor": round(warm_seconds / floor, 2),
        "report_peak_rss_mb": round(max(run.peak_rss_mb for run in [cold, *warm]), 1),
        "naive_notebook_s": round(naive.seconds, 3),
        "naive_notebook_peak_rss_mb": round(naive.peak_rss_mb, 1),
    }
    if app:
        render = run_process(
            python_command("-m", "benchmarks.app_render", "--db", url, "--campaign", campaign)
        )
        rendered = json.loads(render.stdout.strip().splitlines()[-1])
        figures["overview_cold_s"] = rendered["cold_s"]
        figures["overview_warm_s"] = rendered["warm_s"]
    return figures
