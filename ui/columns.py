"""How a table's columns read on screen: the registry's names and formats, not raw keys.

A table of the report's rows straight into `st.dataframe` shows `endpoints_targeted`,
`first_event_at` in UTC with ":00" seconds, 0.1561 for a rate and 1234.5 for revenue. Every
table of the app goes through `widgets.table`, which asks here for each column's heading,
help and format (from `metrics.figures`, by the column's key) and shows instants in the
view's zone. The CSV download keeps the raw values (fractions, UTC instants in ISO 8601),
as a spreadsheet wants them.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from metrics import figures
from ui import format as fmt

NUMBER_FORMATS: dict[str, str] = {
    "count": "localized",
    "rate": "percent",
    "probability": "percent",
    "per_day": "%.1f",
    "seconds": "%.0f s",
    "hour": "%d",
    "ordinal": "%d",
}
"""Streamlit number formats per figure kind; money is added with the currency."""


def figure_of(key: str) -> figures.Figure | None:
    """The registry's declaration of a column key (the KPI's when several), else None."""
    found = figures.declarations(key)
    if not found:
        return None
    return next((each for each in found if "kpis" in each.tables), found[0])


def heading(key: str) -> str:
    """A column's heading: the figure's short label, else the key in words."""
    figure = figure_of(key)
    if figure is not None:
        return figure.heading
    return key.replace("_", " ").capitalize()


def column_config(frame: pl.DataFrame, tz: str) -> dict[str, object]:
    """A column config for every column of `frame`: heading, help and format by kind."""
    config: dict[str, object] = {}
    headings = [heading(key) for key in frame.columns]
    for key, dtype in frame.schema.items():
        figure = figure_of(key)
        label = heading(key)
        if headings.count(label) > 1 and figure is not None:
            label = figure.label  # two columns with one short name: the full names

        help_text = figure.help if figure is not None else None
        kind = figure.kind if figure is not None else None
        if kind is None and key.endswith("_rate"):
            kind = "rate"  # a rate of the app's own (the Campaigns page's headline rate)
        if isinstance(dtype, pl.Datetime):
            config[key] = st.column_config.DatetimeColumn(
                label, help=_with_zone(help_text, tz), format="YYYY-MM-DD HH:mm"
            )
        elif dtype == pl.Date:
            config[key] = st.column_config.DateColumn(label, help=help_text, format="YYYY-MM-DD")
        elif dtype.is_numeric() and kind == "money":
            config[key] = st.column_config.NumberColumn(
                f"{label} ({fmt.currency()})", help=help_text, format="localized"
            )
        elif dtype.is_numeric() and kind in NUMBER_FORMATS:
            config[key] = st.column_config.NumberColumn(
                label, help=help_text, format=NUMBER_FORMATS[kind]
            )
        else:
            config[key] = st.column_config.Column(label, help=help_text)
    return config


def _with_zone(help_text: str | None, tz: str) -> str:
    return f"{help_text or 'A time'} Shown in {tz}."


def in_zone(frame: pl.DataFrame, tz: str) -> pl.DataFrame:
    """The frame with its instants as wall times of `tz` (what the screen shows)."""
    instants = {key: dtype for key, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime)}
    if not instants:
        return frame
    return frame.with_columns(
        pl.col(key).dt.replace_time_zone("UTC").dt.convert_time_zone(tz)
        if dtype.time_zone is None
        else pl.col(key).dt.convert_time_zone(tz)
        for key, dtype in instants.items()
    )


def _same_type(default: dict[str, object], override: object) -> bool:
    return isinstance(override, dict) and override.get("type") == default.get("type")


def merged(defaults: dict[str, object], overrides: dict[str, object] | None) -> dict[str, object]:
    """A page's own column config over the defaults: what the page sets wins, what it leaves
    unset (a help-only `Column` has no label or format) keeps the registry's."""
    config = dict(defaults)
    for key, override in (overrides or {}).items():
        default = config.get(key)
        if isinstance(override, dict) and isinstance(default, dict):
            combined = dict(default)
            for name, value in override.items():
                if value is None:
                    continue
                inner = combined.get(name)
                if name == "type_config" and isinstance(inner, dict) and _same_type(inner, value):
                    # a NumberColumn without a format keeps the registry's format
                    value = inner | {field: v for field, v in value.items() if v is not None}
                combined[name] = value
            config[key] = combined
        else:
            config[key] = override
    return config
