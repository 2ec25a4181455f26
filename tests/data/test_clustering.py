"""Bulk loads write message events campaign by campaign, so DuckDB's zone maps let a view
of one campaign skip the row groups of every other campaign.

Checked on DuckDB through `rowid`, the physical order of the rows; PostgreSQL has no
equivalent guarantee (and no zone maps), so these tests are DuckDB's alone.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from data.database import create_writer_engine
from data.demo import build_demo
from data.ingest import import_files
from data.schema import create_schema


def _campaigns_in_physical_order(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT campaign_id FROM message_events ORDER BY rowid")
        ).scalars()
        return list(rows)


def _runs(values: list[str]) -> list[str]:
    """The values with consecutive repeats collapsed: one entry per contiguous block."""
    return [
        value
        for position, value in enumerate(values)
        if position == 0 or values[position - 1] != value
    ]


def test_the_demo_stores_each_campaigns_events_in_one_contiguous_block(tmp_path: Path) -> None:
    engine = create_writer_engine(f"duckdb:///{tmp_path / 'demo.duckdb'}")
    create_schema(engine)
    with engine.begin() as connection:
        build_demo(connection, events=20_000)
    order = _campaigns_in_physical_order(engine)
    blocks = _runs(order)
    # Four demo campaigns, each one block, in campaign_id order.
    assert blocks == sorted(set(order))
    assert len(blocks) == 4
    engine.dispose()


def test_an_import_writes_a_files_events_sorted_by_campaign_then_time(tmp_path: Path) -> None:
    # The file interleaves two campaigns by time; the table must hold them in two blocks.
    lines = ["event_id,campaign_id,user_id,event_type,occurred_at"]
    for minute in range(6):
        campaign = "b_second" if minute % 2 == 0 else "a_first"
        lines.append(f"e{minute},{campaign},u{minute},sent,2026-03-01T09:0{minute}:00Z")
    path = tmp_path / "message_events.csv"
    path.write_text("\n".join(lines) + "\n")
    engine = create_writer_engine(f"duckdb:///{tmp_path / 'import.duckdb'}")
    create_schema(engine)
    [result] = import_files(engine, [path])
    assert result.loaded == 6
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT campaign_id, event_id FROM message_events ORDER BY rowid")
        ).all()
    # a_first: minutes 1, 3, 5; b_second: minutes 0, 2, 4, each block in time order.
    assert [tuple(row) for row in rows] == [
        ("a_first", "e1"),
        ("a_first", "e3"),
        ("a_first", "e5"),
        ("b_second", "e0"),
        ("b_second", "e2"),
        ("b_second", "e4"),
    ]
    engine.dispose()
