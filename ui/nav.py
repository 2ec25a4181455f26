"""The app's pages and the sidebar links between them, each link carrying the whole view.

Streamlit's own navigation menu drops the query string when you move between pages, so
the menu is hidden and drawn here with `st.page_link(..., query_params=...)`: every link
reproduces the current filters on the page it opens.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from ui.url_state import ViewState


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    url_path: str


CAMPAIGNS = PageSpec("app_pages/campaigns.py", "Campaigns", ":material/campaign:", "campaigns")
OVERVIEW = PageSpec("app_pages/overview.py", "Overview", ":material/dashboard:", "overview")
ENGAGEMENT = PageSpec("app_pages/engagement.py", "Engagement", ":material/touch_app:", "engagement")
CONVERSIONS = PageSpec(
    "app_pages/conversions.py", "Conversions", ":material/shopping_cart:", "conversions"
)
EXPERIMENT = PageSpec("app_pages/experiment.py", "Experiment", ":material/science:", "experiment")
EXPLORE = PageSpec("app_pages/explore.py", "Explore", ":material/show_chart:", "explore")
AUDIENCE = PageSpec("app_pages/audience.py", "Audience", ":material/group:", "audience")

SECTIONS: dict[str, list[PageSpec]] = {
    "Campaigns": [CAMPAIGNS],
    "Campaign": [OVERVIEW, ENGAGEMENT, CONVERSIONS, EXPERIMENT, EXPLORE, AUDIENCE],
}


def build_navigation() -> StreamlitPage:
    """The `st.navigation` of the app (menu hidden: `sidebar_links` draws it)."""
    pages = {
        section: [
            st.Page(
                spec.path,
                title=spec.title,
                icon=spec.icon,
                url_path=spec.url_path,
                default=spec is CAMPAIGNS,
            )
            for spec in specs
        ]
        for section, specs in SECTIONS.items()
    }
    return st.navigation(pages, position="hidden")


def page_link(spec: PageSpec, view: ViewState, label: str | None = None, **overrides: str) -> None:
    """A link to `spec` that keeps the view (plus `overrides`, e.g. figure=...)."""
    query = view.to_query() | overrides
    st.page_link(spec.path, label=label or spec.title, icon=spec.icon, query_params=query)


def sidebar_links(view: ViewState) -> None:
    """The page menu, grouped as Campaigns / Campaign."""
    for section, specs in SECTIONS.items():
        if section != "Campaigns":
            st.caption(section)
        for spec in specs:
            page_link(spec, view)


def go(spec: PageSpec, view: ViewState, **overrides: str) -> None:
    """Switch to `spec` now, keeping the view (used by clicks on tables and cards)."""
    st.switch_page(spec.path, query_params=view.to_query() | overrides)
