"""Explore's conversions split by variant come from one bucketed query, however many variants.

Each line reads the campaign through one variant (the drill-down's figure); that was once
a whole conversion report per variant (23 statements for a 3-variant chart). Now one
statement computes every variant's line (`data.queries.conversions.split_conversion_counts`),
so the number of statements does not grow with the variants. Counted on PostgreSQL, where
every statement passes SQLAlchemy's events (DuckDB's frames come through Arrow).
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data.scope import Scope
from metrics.explore_data import explore_series
from tests.metrics.builders import campaign_row, event, load

SCOPE = Scope(campaign_id="c1", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 2))


def _campaign(engine: sa.Engine, variant_ids: list[str]) -> None:
    """One treatment user per variant, received on 03-01 10:00 and converted at 12:00
    (within the 72-hour window), plus a control user who converted on 03-02."""
    variants = [
        {"campaign_id": "c1", "variant_id": v, "name": v, "is_control": False} for v in variant_ids
    ] + [{"campaign_id": "c1", "variant_id": "ctl", "name": "ctl", "is_control": True}]
    events = [event(f"u{v}", "sent", "2026-03-01 10:00", variant_id=v) for v in variant_ids]
    events.append(event("uctl", "control", "2026-03-01 10:00", variant_id="ctl"))
    conversions = [
        {
            "conversion_id": f"k{v}",
            "user_id": f"u{v}",
            "event_name": "purchase",
            "occurred_at": "2026-03-01 12:00",
        }
        for v in variant_ids
    ] + [
        {
            "conversion_id": "kctl",
            "user_id": "uctl",
            "event_name": "purchase",
            "occurred_at": "2026-03-02 12:00",
        }
    ]
    load(
        engine,
        campaigns=[campaign_row(conversion_event="purchase")],
        variants=variants,
        events=events,
        conversions=conversions,
    )


def _statements(engine: sa.Engine) -> tuple[int, dict[tuple[str, dt.date], int]]:
    """How many statements the chart runs, and its values by (variant, day)."""
    statements: list[str] = []

    def count(*arguments: object) -> None:
        statements.append(str(arguments[2]))

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        with engine.connect() as connection:
            frame = explore_series(connection, SCOPE, "conversions", "variant_id", "day")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(statements), {(s, d): v for d, s, v in frame.iter_rows()}


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_split_conversions_cost_the_same_for_three_variants_as_for_one(
    backend: str, engine: sa.Engine
) -> None:
    _campaign(engine, ["A"])
    one, values = _statements(engine)
    # A: uA converted on 03-01; the control line: uctl on 03-02
    assert values == {
        ("A", dt.date(2026, 3, 1)): 1,
        ("A", dt.date(2026, 3, 2)): 0,
        ("ctl", dt.date(2026, 3, 1)): 0,
        ("ctl", dt.date(2026, 3, 2)): 1,
    }
    with engine.begin() as connection:
        for table in ("conversions", "message_events", "variants", "campaigns"):
            connection.execute(sa.text(f"DELETE FROM {table}"))
    _campaign(engine, ["A", "B", "C"])
    three, values = _statements(engine)
    assert [values[(v, dt.date(2026, 3, 1))] for v in ("A", "B", "C", "ctl")] == [1, 1, 1, 0]
    # 7 either way: event counts, impression users, whether C has a delivered event, the
    # variants (twice), the campaign row, and one conversion query for every variant
    assert 0 < three == one
