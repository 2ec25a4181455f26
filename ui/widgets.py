"""The small building blocks every page uses: KPI cards, tables with CSV, empty states.

A card's label, its help (the glossary's sentence) and how its value reads come from the
figure registry (`metrics.figures`), so the tooltip and the report can never disagree on
what a figure means, and two screens never name one figure two ways.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import polars as pl
import pyarrow as pa
import streamlit as st
from streamlit.dataframe_util import convert_anything_to_arrow_bytes

from metrics import figures
from metrics.figures import help_for
from metrics.report_model import CampaignReport
from ui import columns
from ui import format as fmt
from ui.url_state import ViewState


@dataclass(frozen=True)
class Kpi:
    """One KPI card: a key of the report's `kpis`; its label and kind are the registry's."""

    key: str
    note_key: str | None = None
    """A second figure shown small beneath (the bounce rate under messages sent)."""

    @property
    def label(self) -> str:
        return figures.label(self.key)

    @property
    def kind(self) -> str:
        return figures.figure(self.key).kind


FORMATTERS: dict[str, Callable[[float | None], str]] = {
    "count": fmt.compact,
    "rate": fmt.percent,
    "probability": fmt.percent,
    "points": fmt.points,
    "money": fmt.money,
}
"""How a card shows a figure of each kind (counts compact: 17.7K)."""


def channel_kpis(channel: str) -> list[Kpi]:
    """The Overview's cards of a channel, as the registry places them.

    A card's note (the bounce rate under messages sent) is left out where the channel has a
    card of its own for that figure (email shows the bounce rate as a card).
    """
    shown = figures.channel_cards(channel)
    keys = {each.key for each in shown}
    return [Kpi(each.key, None if each.note in keys else each.note) for each in shown]


CHANNEL_KPIS: dict[str, list[Kpi]] = {
    channel: channel_kpis(channel) for channel in figures.channels()
}


def kpi_value(report: CampaignReport, kpi: Kpi) -> str:
    """The on-screen text of a KPI card (what the AppTest compares with the CLI's JSON)."""
    return FORMATTERS[kpi.kind](getattr(report.kpis, kpi.key))


def metric(
    label: str, value: str, key: str, delta: str | None = None, exact: str | None = None
) -> None:
    """`st.metric` with the glossary's sentence as its help.

    `exact` is the full figure when `value` is compact (17.7K): it goes in the help, so
    the card fits at laptop width and the exact number is one hover away.
    """
    help_text = help_for(key)
    if exact is not None and exact != value:
        help_text = f"{help_text}\n\nExact value: **{exact}**"
    st.metric(label, value, delta=delta, help=help_text, border=True)


def count_metric(label: str, value: int | float | None, key: str) -> None:
    """A count card: compact on the card (17.7K), exact in the help."""
    metric(label, fmt.compact(value), key, exact=fmt.count(value))


def kpi_cards(
    report: CampaignReport,
    kpis: Sequence[Kpi],
    link: Callable[[Kpi], None] | None = None,
) -> None:
    """A row of KPI cards; `link` may draw a link under each (to Explore)."""
    columns = st.columns(len(kpis))
    for column, kpi in zip(columns, kpis, strict=True):
        with column:
            value = getattr(report.kpis, kpi.key)
            exact = fmt.count(value) if kpi.kind == "count" else None
            metric(kpi.label, kpi_value(report, kpi), kpi.key, exact=exact)
            if kpi.note_key:
                note = getattr(report.kpis, kpi.note_key)
                st.caption(
                    f"{figures.label(kpi.note_key)}: {fmt.percent(note)}",
                    help=help_for(kpi.note_key),
                )
            if link is not None:
                link(kpi)


def _p_value(value: float | None) -> str:
    return fmt.NOT_AVAILABLE if value is None else f"{float(value):.3g}"


def _breakdown(value: dict[str, int]) -> str:
    return ", ".join(f"{code}: {fmt.count(n)}" for code, n in value.items()) or "none"


TEXTS: dict[str, Callable[[Any], str]] = {
    "rate": fmt.percent,
    "probability": fmt.percent,
    "points": fmt.points,  # differences of two rates, as on the Experiment page
    "money": fmt.money,
    "p_value": _p_value,
    "breakdown": _breakdown,
    "seconds": fmt.seconds,
    "per_day": fmt.per_day,
}
"""How a table or list shows a figure of each kind (counts exact: 17,712)."""


def kpi_text(key: str, value: object) -> str:
    """Any `kpis` value as it reads on screen (rates in %, revenue in money, n/a for null)."""
    if value is None:
        return fmt.NOT_AVAILABLE
    return TEXTS.get(figures.figure(key).kind, fmt.count)(value)


def all_kpis_frame(report: CampaignReport) -> pl.DataFrame:
    """Every figure of the report's `kpis` by its name, with its on-screen value and meaning."""
    values = report.kpis.model_dump()
    return pl.DataFrame(
        {
            "figure": [figures.label(key) for key in values],
            "value": [kpi_text(key, value) for key, value in values.items()],
            "meaning": [help_for(key) for key in values],
        }
    )


def all_kpis_csv(report: CampaignReport) -> pl.DataFrame:
    """The CSV of "Every figure": raw values as the JSON report has them (fractions, no
    thousands separators, empty for null), keyed by the glossary's key, like every other
    CSV of the app; the on-screen text is for the screen only."""
    values = report.kpis.model_dump()

    def raw(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, dict):
            return json.dumps(value, sort_keys=True)
        return str(value)

    return pl.DataFrame(
        {
            "key": list(values),
            "figure": [figures.label(key) for key in values],
            "value": [raw(value) for value in values.values()],
            "meaning": [help_for(key) for key in values],
        }
    )


def file_stem(view: ViewState, what: str) -> str:
    """A download's file name that says which view it came from."""
    return f"{view.campaign}_{what}_{view.start}_{view.end}"


def table(
    frame: pl.DataFrame,
    name: str,
    view: ViewState,
    *,
    column_config: dict[str, object] | None = None,
    column_order: list[str] | None = None,
    hide_index: bool = True,
    on_select: str = "ignore",
    key: str | None = None,
    selection_mode: str = "single-row",
    csv: pl.DataFrame | None = None,
) -> object:
    """A table with its CSV download (every table of the app has one).

    Columns read as the registry names and formats them (`ui.columns`), instants in the
    view's zone; the CSV holds the raw values (`csv` if given, else `frame`).
    """
    # ui.columns builds the column configs key by key, as dict[str, object], and the page's
    # on_select and selection_mode arrive as plain strings: Streamlit's overloads want its
    # ColumnConfig TypedDict and literals, which Streamlit checks itself at run time.
    event = st.dataframe(  # type: ignore[call-overload]
        as_arrow(columns.in_zone(frame, view.tz)),
        hide_index=hide_index,
        column_config=columns.merged(columns.column_config(frame, view.tz), column_config),
        column_order=column_order,
        on_select=on_select,
        selection_mode=selection_mode,
        key=key,
        width="stretch",
        placeholder=fmt.NOT_AVAILABLE,  # a missing value reads "n/a", as on the cards
    )
    st.download_button(
        "Download CSV",
        data=(frame if csv is None else csv).write_csv,  # written when clicked, not each run
        file_name=f"{file_stem(view, name)}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"csv_{key or name}",
        on_click="ignore",
    )
    return event


def folded(label: str, name: str, draw: Callable[[], object]) -> None:
    """An expander (closed) whose content `draw` builds only while a reader has it open.

    Opening it reruns the page (Streamlit's lazy expander: `on_change="rerun"`), from the
    cache, so the content costs nothing on a view that never opens it. A closed expander's
    table was still built, sent and laid out by the browser's grid: the Overview's two
    folded tables cost 0.12 s of its first view in Chromium (medians of six alternating
    views, 2.86 -> 2.74 s), on a page whose tables all together cost 0.3 s.
    """
    expander = st.expander(label, on_change="rerun", key=f"fold_{name}")
    if expander.open:
        with expander:
            draw()


def as_arrow(frame: pl.DataFrame) -> pa.Table:
    """The frame as the Arrow table `st.dataframe` sends as it is.

    Given a Polars frame, Streamlit converts it to pandas and then to Arrow: 2-3 ms a
    table, a fifth of a page run's server CPU, and pandas turns a date column into
    midnight datetimes and an integer column with a gap into floats. Arrow keeps the
    frame's own types. The oldest compatibility level gives plain (large) strings, which
    the browser's Arrow reader knows, rather than Polars' newer string views.
    """
    return frame.to_arrow(compat_level=pl.CompatLevel.oldest())


NOTHING_TO_DRAW = (
    "Nothing to draw: every value of this chart is 0 or n/a in this date range.",
    "Widen the date range, or turn off the variant, action and test-user filters.",
)

FUNNEL_EMPTY = (
    "No users at any step of this funnel in this date range.",
    "Widen the date range (Campaign lifetime shows everything), or turn off the filters.",
)


def chart(spec: alt.TopLevelMixin | None, empty_state: tuple[str, str] = NOTHING_TO_DRAW) -> None:
    """Draw an Altair chart across the page, in the app's theme (light or dark).

    A builder returns None when it has nothing to draw; then `empty_state` (why, and what
    to do) is shown instead of axes at 0 and a legend of nothing.

    The spec is turned into Vega-Lite here, without Altair's JSON-schema validation (the
    chart builders' tests validate every spec): validating took a third of a warm rerun
    of the Overview (py-spy, 80 reruns on the demo), and `st.altair_chart` does it under a
    lock that every session's charts share.
    """
    if spec is None:
        empty(*empty_state)
        return
    st.vega_lite_chart(vega_lite_spec(spec), width="stretch", theme="streamlit")


ChartSpec = dict[str, Any] | None
"""A chart as Vega-Lite, or None when its builder had nothing to draw."""

_SPECS: dict[int, dict[str, ChartSpec]] = {}
_SPECS_LOCK = threading.Lock()


def cached_chart(
    owner: object,
    name: str,
    build: Callable[[], alt.TopLevelMixin | None],
    empty_state: tuple[str, str] = NOTHING_TO_DRAW,
) -> None:
    """Draw `chart(build())`, building it once per `owner` and `name` for every session.

    `owner` is the cached object the chart is drawn from (a report, a series frame), shared
    by every session and rerun that shows the same view; `build` reads only `owner` (and
    what `name` says), so its spec is the same until `owner` leaves its cache, and the spec
    goes with it. Building the Altair chart and turning it into Vega-Lite was about 40 % of
    a cached rerun (py-spy, 5 sessions on the demo); under load, when twenty sessions open
    the same shared link, that is one build instead of twenty. Specs are only read: Streamlit
    copies the dict before it moves the data out.
    """
    spec = _spec(owner, name, build)
    if spec is None:
        empty(*empty_state)
        return
    st.vega_lite_chart(spec, width="stretch", theme="streamlit")


def _spec(owner: object, name: str, build: Callable[[], alt.TopLevelMixin | None]) -> ChartSpec:
    specs = _SPECS.get(id(owner))
    if specs is None:
        with _SPECS_LOCK:
            specs = _SPECS.get(id(owner))
            if specs is None:
                specs = _SPECS[id(owner)] = {}
                # An id is only reused after its object is gone, and by then this has run.
                weakref.finalize(owner, _SPECS.pop, id(owner), None)
    if name not in specs:
        chart = build()
        specs[name] = None if chart is None else _with_arrow_datasets(vega_lite_spec(chart))
    return specs[name]


def _with_arrow_datasets(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with its inline datasets already as the Arrow bytes Streamlit sends.

    `st.vega_lite_chart` turns each dataset's rows into Arrow on every call (through pandas:
    a tenth of a rerun's CPU once the specs were cached, py-spy); bytes pass through as they
    are. Same bytes, same call, so the browser gets exactly what it got before.
    """
    datasets = spec.get("datasets")
    if not isinstance(datasets, dict):
        return spec
    arrow = {name: convert_anything_to_arrow_bytes(rows) for name, rows in datasets.items()}
    return spec | {"datasets": arrow}


def vega_lite_spec(spec: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart as a Vega-Lite dict, data inline, in Altair's neutral theme.

    Our charts' data are already reduced (bounded by days, hours or variants), so they
    travel inline; the "none" theme leaves width and height to Streamlit.
    """
    with alt.theme.enable("none"), alt.data_transformers.disable_max_rows():
        return spec.to_dict(validate=False)


def empty(reason: str, what_to_do: str) -> None:
    """An empty state: why there is nothing to show, and what to do about it."""
    st.info(f"{reason} {what_to_do}", icon=":material/info:")


def no_events(report: CampaignReport, what: str) -> bool:
    """Show the empty state for `what` if the range has no message events; True if so."""
    k = report.kpis
    if k.entries or k.messages_sent or k.impressions or k.opens or k.clicks or k.errors:
        return False
    empty(
        f"No {what}: this campaign has no events between {report.range.start} and "
        f"{report.range.end} ({report.range.tz}).",
        "Widen the date range in the sidebar (Campaign lifetime shows everything), or "
        "turn off the variant and test-user filters.",
    )
    return True


def no_goal(report: CampaignReport) -> bool:
    """Show the empty state for conversion figures without a goal; True if so."""
    if report.campaign.conversion_event is not None:
        return False
    empty(
        "This campaign has no conversion goal, so it has no conversion figures.",
        "Set `conversion_event` on the campaign (campaigns table) to the app event that "
        "counts as a conversion, and its figures appear here.",
    )
    return True
