"""Optional sign-in: Streamlit's own OpenID Connect login, in front of every page.

Off unless `.streamlit/secrets.toml` has an `[auth]` section; then the app shows nothing
but a sign-in page until `st.user` is signed in, and nothing but a "no access" page to a
signed-in address outside the `[access]` allow-list (`ui.access.is_allowed`). It runs
before any data is read, so neither page touches the database.

A shared link survives sign-in: the provider's callback returns to the bare `/`, so the
sign-in page stores the link's path and query string in a ten-minute cookie, and the
first run after sign-in reads it back (`st.context.cookies`), opens that page with those
parameters, and deletes the cookie.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from ui import nav
from ui.access import is_allowed, return_target

RETURN_COOKIE = "campaign_return_to"
RETURN_CHECKED_KEY = "auth_return_checked"
CLEAR_COOKIE_KEY = "auth_clear_return_cookie"

_KEEP_LINK = f"""<script>
(() => {{
  const link = location.pathname + location.search;
  const keep = location.search || !location.pathname.endsWith("/");
  document.cookie = "{RETURN_COOKIE}=" + (keep ? encodeURIComponent(link) : "")
    + "; Path=/; SameSite=Lax; Max-Age=" + (keep ? 600 : 0);
}})();
</script>"""
"""Runs in the browser on the sign-in page: remember where the visitor was headed."""

_FORGET_LINK = f"""<script>
document.cookie = "{RETURN_COOKIE}=; Path=/; SameSite=Lax; Max-Age=0";
</script>"""


def _section(name: str) -> Mapping[str, object]:
    """A section of the secrets, or {} when there is no secrets file or no such section."""
    if not st.secrets.load_if_toml_exists():
        return {}
    section = st.secrets.get(name)
    return section if isinstance(section, Mapping) else {}


def sign_in_enabled() -> bool:
    """Sign-in is on exactly when the secrets have an `[auth]` section."""
    return bool(_section("auth"))


def require_sign_in() -> None:
    """Stop this run unless sign-in is off, or the viewer is signed in and allowed.

    Call it first in `main()`, after `st.navigation` (so a stored link can switch page)
    and before anything reads data.
    """
    if not sign_in_enabled():
        return
    if not st.user.is_logged_in:
        _sign_in_page()
        st.stop()
    email = str(st.user.get("email") or "")
    if not is_allowed(email, _section("access"), st.user.get("email_verified")):
        _no_access_page(email)
        st.stop()
    _return_to_shared_link()
    with st.sidebar:
        st.caption(f"Signed in as **{email}**")
        if st.button("Sign out", icon=":material/logout:", key="auth_sign_out"):
            st.logout()


def _sign_in_page() -> None:
    st.title("Campaign results")
    st.write("Sign in with your work account to see the campaigns.")
    st.html(_KEEP_LINK, unsafe_allow_javascript=True)
    if st.button("Sign in", type="primary", icon=":material/login:", key="auth_sign_in"):
        st.login()


def _no_access_page(email: str) -> None:
    st.title("No access")
    st.write(
        f"You are signed in as **{email or 'an account without an e-mail address'}**, which "
        "has no access to these campaign results. Ask the team that runs this app to add "
        "your address or your domain, or sign in with another account."
    )
    if st.button("Sign out", icon=":material/logout:", key="auth_sign_out"):
        st.logout()


def _page_paths() -> dict[str, str]:
    """Each page's url path to its script (the default page is also at "")."""
    paths = {spec.url_path: spec.path for specs in nav.SECTIONS.values() for spec in specs}
    paths[""] = nav.CAMPAIGNS.path
    return paths


def _return_to_shared_link() -> None:
    """Once per session: open the page and view a link asked for before sign-in."""
    if st.session_state.get(RETURN_CHECKED_KEY):
        if st.session_state.pop(CLEAR_COOKIE_KEY, False):
            st.sidebar.html(_FORGET_LINK, unsafe_allow_javascript=True)
        return
    st.session_state[RETURN_CHECKED_KEY] = True
    try:
        stored = st.context.cookies.get(RETURN_COOKIE)
    except Exception:  # no browser context (AppTest)
        stored = None
    if not stored:
        return
    paths = _page_paths()
    target = return_target(stored, paths)
    if target is None or len(st.query_params):
        # a link opened directly wins over one remembered from an earlier visit
        st.sidebar.html(_FORGET_LINK, unsafe_allow_javascript=True)
        return
    st.session_state[CLEAR_COOKIE_KEY] = True
    page, params = target
    st.switch_page(paths[page], query_params=params)
