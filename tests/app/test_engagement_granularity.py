"""The Engagement page per week draws the same daily deliveries as per day.

Per week or month the page asks for the daily "delivered" series alone instead of a
second whole report at day granularity; the chart must not change.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, TIMEOUT, open_page

LINK = {"campaign": "push_black_friday", "tz": "Asia/Tokyo"}


def _deliveries(app: AppTest) -> list[int]:
    """The bars of the "Endpoint deliveries per day" chart, read from its Arrow data."""
    for chart in app.get("vega_lite_chart"):
        proto = chart.proto
        if "Endpoint deliveries per day" not in proto.spec:
            continue
        for dataset in proto.datasets:
            table = pa.ipc.open_stream(io.BytesIO(dataset.data.data)).read_all()
            if "deliveries" in table.column_names:
                return [int(value) for value in table.column("deliveries").to_pylist()]
    raise AssertionError("the page has no deliveries chart")


def test_deliveries_per_day_are_the_same_per_week_and_per_day(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGN_DB_URL", demo_url)
    shown: dict[str, list[int]] = {}
    for gran in ("day", "week"):
        app = AppTest.from_file(APP, default_timeout=TIMEOUT)
        open_page(app, "engagement", **LINK, gran=gran)
        assert not app.exception
        shown[gran] = _deliveries(app)
    assert shown["week"] == shown["day"]
    assert sum(shown["day"]) > 0
