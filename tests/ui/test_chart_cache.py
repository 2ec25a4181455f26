"""A cached chart is built once per report and name, for every session, and goes with it."""

from __future__ import annotations

import gc
import io

import altair as alt
import polars as pl
import pyarrow as pa
from streamlit.dataframe_util import convert_anything_to_arrow_bytes

from ui import widgets


class Owner:
    """Stands for a cached report: any object that lives while its cache keeps it."""


def _bars(calls: list[str]) -> alt.Chart:
    calls.append("built")
    frame = pl.DataFrame({"step": ["Sent", "Opened"], "count": [10, 4]})
    return alt.Chart(frame).mark_bar().encode(x="count:Q", y="step:N")


def test_a_chart_is_built_once_per_owner_and_name() -> None:
    calls: list[str] = []
    report, other = Owner(), Owner()
    first = widgets._spec(report, "funnel", lambda: _bars(calls))
    again = widgets._spec(report, "funnel", lambda: _bars(calls))
    assert again is first and calls == ["built"]
    widgets._spec(report, "trend", lambda: _bars(calls))
    widgets._spec(other, "funnel", lambda: _bars(calls))
    assert calls == ["built"] * 3


def test_the_specs_go_with_their_owner() -> None:
    report = Owner()
    widgets._spec(report, "funnel", lambda: _bars([]))
    key = id(report)
    assert key in widgets._SPECS
    del report
    gc.collect()
    assert key not in widgets._SPECS


def test_nothing_to_draw_is_remembered_too() -> None:
    calls: list[str] = []
    report = Owner()

    def nothing() -> None:
        calls.append("built")

    assert widgets._spec(report, "empty", nothing) is None
    assert widgets._spec(report, "empty", nothing) is None
    assert calls == ["built"]


def test_the_data_travels_as_the_arrow_streamlit_makes_of_the_rows() -> None:
    spec = widgets._spec(Owner(), "funnel", lambda: _bars([]))
    assert spec is not None
    (data,) = spec["datasets"].values()
    table = pa.ipc.open_stream(io.BytesIO(data)).read_all()
    assert table.column("step").to_pylist() == ["Sent", "Opened"]
    assert table.column("count").to_pylist() == [10, 4]
    # the rest of the spec is the uncached one
    plain = widgets.vega_lite_spec(_bars([]))
    assert {k: v for k, v in spec.items() if k != "datasets"} == {
        k: v for k, v in plain.items() if k != "datasets"
    }
    ((name, rows),) = plain["datasets"].items()
    assert spec["datasets"] == {name: convert_anything_to_arrow_bytes(rows)}
