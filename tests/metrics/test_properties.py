"""Properties that hold for any small campaign (hypothesis), on both backends.

Each user's story is coherent, as real data is: a bounce follows a send, a click or a
dismissal follows its impression, only users the message reached open it. Over a range
that covers the whole campaign every rate is then a fraction of its denominator.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import polars as pl
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.scope import Scope
from metrics.report import build_report
from metrics.report_model import CampaignReport
from tests.metrics.builders import clear, event, load

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
ZONES = ["UTC", "Asia/Kolkata", "America/New_York"]
RATES = ["bounce_rate", "delivery_rate", "open_rate", "click_rate", "ctr", "dismissal_rate"]
SUMMED = ["messages_sent", "delivered", "impressions", "opens", "clicks", "dismissals"]

message = st.fixed_dictionaries(
    {
        "minute": st.integers(0, 6 * 24 * 60),  # within six days of the start
        "fate": st.sampled_from(["reached", "hard", "soft", "null_bounce"]),
        "impression": st.sampled_from(["none", "seen", "clicked", "dismissed"]),
        "opened": st.booleans(),
        "machine": st.booleans(),
    }
)
user = st.fixed_dictionaries(
    {"is_test": st.booleans(), "messages": st.lists(message, min_size=1, max_size=3)}
)
campaign = st.fixed_dictionaries(
    {
        "users": st.lists(user, min_size=1, max_size=6),
        "receipts": st.booleans(),  # does the provider send `delivered` receipts?
        "tz": st.sampled_from(ZONES),
        "exclude_machine": st.booleans(),
    }
)


def _add(
    events: list[dict[str, Any]],
    user_id: str,
    at: dt.datetime,
    event_type: str,
    offset: int,
    **columns: Any,
) -> None:
    """Append one event `offset` minutes after the message's send time `at`."""
    when = (at + dt.timedelta(minutes=offset)).strftime("%Y-%m-%d %H:%M")
    events.append(event(user_id, event_type, when, **columns))


def _events(data: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    users: list[dict[str, Any]] = []
    for number, person in enumerate(data["users"]):
        user_id = f"u{number}"
        users.append({"user_id": user_id, "platform": None, "is_test": person["is_test"]})
        bounced = any(m["fate"] != "reached" for m in person["messages"])
        for m in person["messages"]:
            at = START + dt.timedelta(minutes=m["minute"])
            add = functools.partial(_add, events, user_id, at)
            add("sent", 0)
            if m["fate"] != "reached":
                bounce_type = {"hard": "hard", "soft": "soft", "null_bounce": None}[m["fate"]]
                add("bounced", 1, bounce_type=bounce_type)
                continue
            if data["receipts"]:
                add("delivered", 1)
            if bounced:  # a user with any bounce is no recipient: they do not engage
                continue
            if m["impression"] != "none":
                add("impression", 2)
            if m["impression"] == "clicked":
                add("clicked", 3, is_machine=m["machine"])
            if m["impression"] == "dismissed":
                add("dismissed", 3)
            if m["opened"]:
                add("opened", 4, is_machine=m["machine"])
    return events, users


def _report(engine: sa.Engine, data: dict[str, Any], exclude_test_users: bool) -> CampaignReport:
    scope = Scope(
        campaign_id="c1",
        start=dt.date(2026, 2, 28),
        end=dt.date(2026, 3, 8),
        tz=data["tz"],
        exclude_test_users=exclude_test_users,
        exclude_machine=data["exclude_machine"],
    )
    with engine.connect() as connection:
        return build_report(connection, scope)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=campaign)
def test_figures_stay_consistent_on_any_small_campaign(
    engine: sa.Engine, data: dict[str, Any]
) -> None:
    clear(engine)
    events, users = _events(data)
    load(engine, events=events, users=users)
    everyone = _report(engine, data, exclude_test_users=False)
    kpis = everyone.kpis

    # rates are fractions when the range covers the whole campaign
    for name in RATES:
        value = getattr(kpis, name)
        assert value is None or 0 <= value <= 1, (name, value)

    daily = pl.DataFrame([row.model_dump() for row in everyone.daily])
    # daily totals add up to the range totals
    for name in SUMMED:
        assert daily[name].sum() == getattr(kpis, name), name
    # cumulative uniques never go down and never exceed the range's unique users
    cumulative = daily["cumulative_unique_impressions"].to_list()
    assert cumulative == sorted(cumulative)
    assert cumulative[-1] == kpis.unique_impressions

    # excluding test users never increases a count
    without_tests = _report(engine, data, exclude_test_users=True).kpis
    for name, value in kpis.model_dump().items():
        if isinstance(value, int) and not isinstance(value, bool):
            assert getattr(without_tests, name) <= value, name
