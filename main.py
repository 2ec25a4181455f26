"""Campaign results in the browser: the script Streamlit runs for each visitor (see app.py).

It sets the page up, opens the data (creating the demo database on a first run), draws
the sidebar filters from the URL, then runs the page the URL names. Every page reads the
same resolved view, so a link reproduces exactly what its sender saw.
"""

from __future__ import annotations

import logging

# Imported before any page draws: Altair checks `sys.modules` for pandas, so when several
# sessions start at once on a fresh server, one could see pandas half-imported by another
# session's thread and fail its charts (found by benchmarks/load.py).
import pandas  # noqa: F401
import streamlit as st

from data.demo import ensure_demo_database
from data.messages import first_line, shown_url
from ui import auth, data_access, filters, nav
from ui.format import timestamp
from ui.url_state import ViewState

st.set_page_config(
    page_title="Campaign results",
    page_icon="📊",
    layout="wide",
    initial_sidebar_state="expanded",
)


LAYOUT_CSS = """
<style>
/* KPI values fit their card at 1280 and 800 px wide (counts are compact: 17.7K) */
[data-testid="stMetricValue"] { font-size: clamp(1.3rem, 0.8rem + 1.2vw, 2.1rem); }
/* KPI labels wrap onto a second line instead of ending in an ellipsis */
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; overflow-wrap: anywhere; height: auto !important;
}
/* Columns reflow to fewer per row when the page is narrow, as dashboards do */
[data-testid="stHorizontalBlock"] { flex-wrap: wrap; }
[data-testid="stColumn"] { min-width: min(10.5rem, 100%); }
</style>
"""
ENTER_COMMITS_DATES = """
<script>
if (!window.campaignResultsEnterCommitsDates) {
  window.campaignResultsEnterCommitsDates = true;
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key !== "Enter" || !(target instanceof Element)) return;
    if (!target.closest('[data-testid="stDateInputField"]')) return;
    event.preventDefault();
    target.dispatchEvent(new KeyboardEvent("keydown", {key: "Escape", bubbles: true}));
  }, true);
}
</script>
"""
# Streamlit's date field commits a typed range only when it loses focus to the page or on
# Escape (which also closes its calendar); readers press Enter and expect the figures to
# follow, as in any form. Enter in the field is turned into that Escape, so the range goes
# through Streamlit's own path (its on_change, then the URL).

# The app's few layout rules (issue 10): numbers that fit, labels that wrap, columns that
# reflow. Streamlit has no option for these; CSS on its stable test ids does it. (A bare
# string here would be drawn on every page by Streamlit's "magic".)


def _database_banner(url: str, error: data_access.DatabaseUnavailableError) -> None:
    """The database is down or too slow: say why, offer a retry, stop this run (no traceback)."""
    if isinstance(error, data_access.QueryTimedOutError):
        st.warning(f"This view could not be computed in time: {error}.", icon=":material/timer:")
    else:
        st.error(
            f"The campaign database cannot be read: {error}\n\n"
            f"Database: `{shown_url(url)}`. Check that it is running and "
            "reachable, then retry.",
            icon=":material/database_off:",
        )
    if st.button("Retry", type="primary", icon=":material/refresh:"):
        data_access.reset_connections(url)
        st.rerun()
    st.stop()


def _ensure_demo(url: str) -> None:
    """First run on the default URL: build the embedded demo database once."""
    if not data_access.is_default_database(url) or st.session_state.get("demo_checked"):
        return
    with st.spinner("Creating the demo database (first run only)..."):
        ensure_demo_database(url)
    st.session_state["demo_checked"] = True


def main() -> None:
    st.html(LAYOUT_CSS)
    st.html(ENTER_COMMITS_DATES, unsafe_allow_javascript=True)
    url = data_access.database_url()
    page = nav.build_navigation()
    auth.require_sign_in()
    try:
        _ensure_demo(url)
        campaigns = data_access.campaigns(url)
    except data_access.DatabaseUnavailableError as error:
        _database_banner(url, error)
        return
    if campaigns.is_empty():
        st.info(
            "There are no campaigns in this database yet. Import your tables with "
            "`python -m data.ingest campaigns.csv message_events.parquet ...` (see the README), "
            "or fill it with the demo data: `python -m data.demo --db URL`.",
            icon=":material/inbox:",
        )
        st.stop()

    first = filters.read_view(campaigns)
    assert first.campaign is not None
    try:
        variants = data_access.variants(url, first.campaign)
        actions = data_access.actions(url, first.campaign)
    except data_access.DatabaseUnavailableError as error:
        _database_banner(url, error)
        return
    view = filters.check_drilldowns(
        first, campaigns, variants["variant_id"].to_list(), actions["action_id"].to_list()
    )
    filters.publish(view)
    with st.sidebar:
        links = st.container()
        st.divider()
        st.subheader("Filters")
        filters.sidebar_filters(view, campaigns, variants, actions)
        _share_and_freshness(url, view)
    with links:
        nav.sidebar_links(view)
        _share_link(view)

    try:
        page.run()
    except data_access.DatabaseUnavailableError as error:
        _database_banner(url, error)
    except Exception as error:
        # A bug must not put a traceback in front of a reader: log it for us, say it plainly.
        # (st.stop / st.rerun / switch_page are BaseExceptions and pass through.)
        logging.getLogger(__name__).exception("page %s failed", page.title)
        st.error(
            f"This page could not be drawn ({type(error).__name__}: {first_line(error, url)}). "
            "The other pages still work; please report this link so we can fix it.",
            icon=":material/error:",
        )


def _share_link(view: ViewState) -> None:
    """The Copy link popover, under the page links at the top of the sidebar: at the bottom
    it opened at the screen's edge with two lines of the link visible."""
    with st.popover("Copy link", icon=":material/link:", width="stretch"):
        st.caption("This link opens exactly this view (campaign, dates, zone and filters):")
        st.code(filters.share_link(view), language=None, wrap_lines=True)


def _share_and_freshness(url: str, view: ViewState) -> None:
    st.divider()
    try:
        as_of = data_access.data_as_of(url)
    except data_access.DatabaseUnavailableError:
        as_of = None
    st.caption(f"Data as of {timestamp(as_of, view.tz)}")


main()
