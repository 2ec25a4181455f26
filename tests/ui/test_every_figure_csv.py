"""The "Every figure" table reads like the cards, its CSV holds raw values like every other
CSV of the app (issue 10, item 11)."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from data.scope import Scope
from metrics.report import build_report
from tests.metrics.builders import event, load
from ui import widgets


def test_every_figure_shows_text_and_downloads_raw_values(engine: sa.Engine) -> None:
    load(
        engine,
        events=[
            event("u1", "sent", "2026-03-01 10:00"),
            event("u1", "opened", "2026-03-01 10:05"),
            event("u2", "sent", "2026-03-01 10:00"),
            event("u3", "failed", "2026-03-01 10:00", error_code="InvalidToken"),
        ],
    )
    scope = Scope(campaign_id="c1", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 1))
    with engine.connect() as connection:
        report = build_report(connection, scope)
    shown = {row["figure"]: row["value"] for row in widgets.all_kpis_frame(report).to_dicts()}
    raw = {row["key"]: row["value"] for row in widgets.all_kpis_csv(report).to_dicts()}
    # 1 unique open of 2 recipients: "50.0 %" on screen, 0.5 in the CSV
    assert shown["Open rate"] == "50.0 %"
    assert raw["open_rate"] == "0.5"
    # no goal: n/a on screen, empty in the CSV (as null is in the JSON report)
    assert shown["Conversion rate"] == "n/a"
    assert raw["conversion_rate"] == ""
    assert json.loads(raw["errors_by_code"]) == {"InvalidToken": 1}
    assert "open_rate" not in shown  # the screen names figures, it does not show keys
