"""The sidebar filters, kept in sync with the URL so that any link reproduces the view.

The URL is the source of truth. Each run reads the query string (`ui.url_state`), draws
the widgets with those values, and writes the complete, canonical query string back, so
the address bar always carries every filter. A widget change goes the other way: its
callback writes the new value into the query string before the rerun reads it.

We do not use the widgets' `bind="query-params"`: it removes a parameter whenever it
equals the widget's default, and a shared link must carry the zone and the dates
explicitly so that a reader elsewhere, or on a later day, sees the same figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import available_timezones

import polars as pl
import streamlit as st

from data.vocabulary import GRANULARITIES
from ui.url_state import (
    PRESETS,
    ViewState,
    matching_preset,
    parse_query,
    preset_range,
    query_string,
    resolve_view,
)

VIEW_KEY = "view"
LAST_QUERY_KEY = "last_query"
ALL_VARIANTS = "__all__"
ALL_ACTIONS = "__all__"
GRANULARITY_LABELS = {"day": "Day", "week": "Week", "month": "Month"}


@st.cache_data(max_entries=1, show_spinner=False)
def zone_names() -> list[str]:
    """Every IANA zone name, UTC first: the options of the time-zone picker."""
    return ["UTC", *sorted(zone for zone in available_timezones() if zone != "UTC")]


def viewer_zone() -> str:
    """The viewer's browser zone (`st.context.timezone`) if it is a known IANA name, else UTC."""
    try:
        zone = st.context.timezone
    except Exception:  # no browser context (tests, bare mode)
        zone = None
    return zone if zone in set(zone_names()) else "UTC"


def _incoming_query() -> dict[str, str | list[str]]:
    """The query string of this run; after a navigation that dropped it, the last one."""
    params: dict[str, str | list[str]] = {
        key: st.query_params.get_all(key) for key in st.query_params
    }
    if not params.get("campaign") and LAST_QUERY_KEY in st.session_state:
        return dict(st.session_state[LAST_QUERY_KEY])
    return params


def _set_params(**values: str | None) -> None:
    """Write (or, with None, delete) query parameters from a widget callback."""
    current: dict[str, str | list[str]] = {
        key: st.query_params.get_all(key) for key in st.query_params
    }
    if not current.get("campaign") and LAST_QUERY_KEY in st.session_state:
        current = dict(st.session_state[LAST_QUERY_KEY])
    for key, value in values.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
    st.query_params.from_dict(current)
    st.session_state[LAST_QUERY_KEY] = current


def _on_campaign() -> None:
    # A new campaign gets its own default range and no drill-downs.
    _set_params(
        campaign=st.session_state["f_campaign"],
        start=None,
        end=None,
        variant=None,
        action=None,
    )


def _on_preset(campaign_row: Mapping[str, object], tz: str) -> None:
    dates = preset_range(st.session_state["f_preset"], campaign_row, tz)
    if dates is not None:
        _set_params(start=dates[0].isoformat(), end=dates[1].isoformat())


def _on_dates() -> None:
    value = st.session_state["f_dates"]
    if isinstance(value, tuple | list) and len(value) == 2:
        _set_params(start=value[0].isoformat(), end=value[1].isoformat())


def _on_tz() -> None:
    _set_params(tz=st.session_state["f_tz"])


def _on_flag(key: str, param: str) -> None:
    _set_params(**{param: "true" if st.session_state[key] else "false"})


def _on_variant() -> None:
    value = st.session_state["f_variant"]
    _set_params(variant=None if value == ALL_VARIANTS else value)


def _on_action() -> None:
    value = st.session_state["f_action"]
    _set_params(action=None if value == ALL_ACTIONS else value)


def _on_gran() -> None:
    _set_params(gran=st.session_state["f_gran"] or "day")


def set_view_params(**values: str | None) -> None:
    """For pages: change some parameters of the view (e.g. the action drill-down)."""
    _set_params(**values)


def _prime(key: str, value: object) -> None:
    """Show `value` in the widget `key` unless it already shows it."""
    if st.session_state.get(key) != value:
        st.session_state[key] = value


def _warn(messages: list[str]) -> None:
    for message in messages:
        st.warning(message, icon=":material/link_off:")


def read_view(campaigns: pl.DataFrame) -> ViewState:
    """The view the URL asks for, checked against the catalog; bad values explained."""
    state, messages = parse_query(_incoming_query(), default_tz=viewer_zone())
    resolved, more = resolve_view(state, campaigns)
    _warn(messages + more)
    return resolved


def check_drilldowns(
    view: ViewState, campaigns: pl.DataFrame, variant_ids: list[str], action_ids: list[str]
) -> ViewState:
    """Drop a variant or action the chosen campaign does not have (with a message)."""
    resolved, messages = resolve_view(
        view, campaigns, variant_ids=variant_ids, action_ids=action_ids
    )
    _warn(messages)
    return resolved


def publish(view: ViewState) -> None:
    """Write the complete view into the URL (only if it changed) and into session state."""
    query = view.to_query()
    current = {key: st.query_params[key] for key in st.query_params}
    if current != query:
        st.query_params.from_dict(query)
    st.session_state[LAST_QUERY_KEY] = query
    st.session_state[VIEW_KEY] = view


def current_view() -> ViewState:
    """The view the sidebar resolved in this run: what every page shows."""
    view = st.session_state.get(VIEW_KEY)
    if not isinstance(view, ViewState):
        raise RuntimeError("the sidebar filters have not run: start the app with app.py")
    return view


def sidebar_filters(
    view: ViewState,
    campaigns: pl.DataFrame,
    variants: pl.DataFrame,
    actions: pl.DataFrame | None = None,
) -> None:
    """Draw the filters for `view`; changes go to the URL through the callbacks.

    The action drill-down starts from the Conversions page, but it is a filter like the
    others: it shows in the sidebar, where a reader on any page sees it is on and can undo it.
    """
    ids = campaigns["campaign_id"].to_list()
    names = dict(zip(ids, campaigns["name"].to_list(), strict=True))
    row = campaigns.row(ids.index(view.campaign), named=True)
    assert view.start is not None and view.end is not None

    _prime("f_campaign", view.campaign)
    st.selectbox(
        "Campaign",
        ids,
        key="f_campaign",
        format_func=lambda campaign_id: names.get(campaign_id, campaign_id),
        on_change=_on_campaign,
        help="Type to search by name.",
    )

    _prime("f_preset", matching_preset(view.start, view.end, row, view.tz))
    st.selectbox(
        "Date range",
        list(PRESETS),
        key="f_preset",
        format_func=PRESETS.__getitem__,
        on_change=_on_preset,
        args=(row, view.tz),
        help="Lifetime runs from the campaign's start to its newest event; the last N days "
        "end on the newest event.",
    )
    in_progress = st.session_state.get("f_dates")
    if not (isinstance(in_progress, tuple | list) and len(in_progress) == 1):
        _prime("f_dates", (view.start, view.end))
    st.date_input(
        "From / to (local dates)",
        key="f_dates",
        on_change=_on_dates,
        format="YYYY-MM-DD",
        min_value=dt.date(2000, 1, 1),
        max_value=dt.date(2100, 12, 31),
        help="The range covers the start date 00:00 to the day after the end date 00:00, "
        "in the time zone below.",
    )

    _prime("f_tz", view.tz)
    st.selectbox(
        "Time zone",
        zone_names(),
        key="f_tz",
        on_change=_on_tz,
        help="Days and hours are local to this zone (IANA name). The link carries it, so "
        "a reader elsewhere sees the same figures.",
    )

    variant_ids = variants["variant_id"].to_list() if variants.height else []
    if variant_ids:
        variant_names = dict(zip(variant_ids, variants["name"].to_list(), strict=True))
        _prime("f_variant", view.variant or ALL_VARIANTS)
        st.selectbox(
            "Variant",
            [ALL_VARIANTS, *variant_ids],
            key="f_variant",
            format_func=lambda v: "All variants" if v == ALL_VARIANTS else variant_names[v],
            on_change=_on_variant,
            help="Split the stats by variant: every figure as if the campaign's only "
            "messages were those of this variant.",
        )

    action_ids = actions["action_id"].to_list() if actions is not None and actions.height else []
    if action_ids and actions is not None:
        action_names = dict(zip(action_ids, actions["name"].to_list(), strict=True))
        _prime("f_action", view.action or ALL_ACTIONS)
        st.selectbox(
            "Action",
            [ALL_ACTIONS, *action_ids],
            key="f_action",
            format_func=lambda a: "All actions" if a == ALL_ACTIONS else action_names[a],
            on_change=_on_action,
            help="Drill down into one action (flow step): every figure as if the campaign's "
            "only messages were those of this action. Its users are those who received it; "
            "the control group receives no action, so control figures and uplift are n/a.",
        )

    _prime("f_test", view.test)
    st.toggle(
        "Exclude test users",
        key="f_test",
        on_change=_on_flag,
        args=("f_test", "test"),
        help="Ignore users marked as test (developer / internal) profiles in every figure.",
    )
    _prime("f_machine", view.machine)
    st.toggle(
        "Exclude automated opens and clicks",
        key="f_machine",
        on_change=_on_flag,
        args=("f_machine", "machine"),
        help="Ignore opens and clicks made by mail privacy proxies and link scanners.",
    )
    _prime("f_gran", view.gran)
    st.segmented_control(
        "Chart granularity",
        list(GRANULARITIES),
        key="f_gran",
        format_func=GRANULARITY_LABELS.__getitem__,
        on_change=_on_gran,
        help="Bucket size of charts over time: days, weeks from Monday, months from the 1st.",
    )


def share_link(view: ViewState, page_path: str = "") -> str:
    """The full address of this view, for the "Copy link" control."""
    base = ""
    try:
        base = st.context.url or ""
    except Exception:  # no browser context in tests
        base = ""
    base = base.split("?", 1)[0]
    if not base:
        base = f"http://localhost:8501/{page_path}"
    return base + query_string(view.to_query())
