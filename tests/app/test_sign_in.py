"""Sign-in in front of the data, driven with AppTest's simulated `st.user`."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

AUTH: dict[str, Any] = {
    "auth": {
        "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
        "cookie_secret": "a-test-cookie-secret-of-some-length",
        "client_id": "campaign-results",
        "client_secret": "not-a-real-secret",
        "server_metadata_url": "http://127.0.0.1:9400/.well-known/openid-configuration",
    },
    "access": {"allowed_domains": ["example.com"], "allowed_emails": ["pm@partner.org"]},
}


def _signed(app: AppTest, **user: object) -> AppTest:
    app.secrets = AUTH
    app.user = user
    return app


def test_a_visitor_who_is_not_signed_in_sees_only_the_sign_in_page(app: AppTest) -> None:
    _signed(app, is_logged_in=False).run()
    assert not app.exception
    assert [title.value for title in app.title] == ["Campaign results"]
    assert [button.label for button in app.button] == ["Sign in"]
    assert not app.metric and not app.sidebar.selectbox


def test_an_allowed_user_sees_the_campaigns_with_their_address_and_sign_out(app: AppTest) -> None:
    _signed(app, is_logged_in=True, email="ana@example.com").run()
    assert not app.exception and not app.error
    assert app.title[0].value == "Campaigns"
    assert any("ana@example.com" in caption.value for caption in app.sidebar.caption)
    assert "Sign out" in [button.label for button in app.sidebar.button]


def test_a_user_outside_the_allow_list_sees_no_data(app: AppTest) -> None:
    _signed(app, is_logged_in=True, email="eve@elsewhere.org").run()
    assert not app.exception
    assert [title.value for title in app.title] == ["No access"]
    assert "eve@elsewhere.org" in app.markdown[0].value
    assert not app.dataframe and not app.metric and not app.sidebar.selectbox


def test_without_an_auth_section_nobody_is_asked_to_sign_in(app: AppTest) -> None:
    app.user = {"is_logged_in": False}
    app.run()
    assert not app.exception and not app.error
    assert app.title[0].value == "Campaigns"
    assert "Sign out" not in [button.label for button in app.sidebar.button]
