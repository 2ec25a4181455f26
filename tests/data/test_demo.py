"""The demo data: deterministic, built safely on first run, and telling each chart's story.

The stories are checked straight on the generated tables with Polars (not through the
metrics engine), with the glossary's definitions written out in the test.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa

from data.demo import build_demo, clear_demo_tables, ensure_demo_database, generate_demo, main
from data.demo.world import ZONES, at, evening_opens, local_day
from data.frames import fetch_frame
from data.schema import TABLES
from tests.support.values import instant, number

SMALL = 20_000
RECEIPTS = ["sent", "delivered", "received", "impression", "opened", "clicked"]
BLACK_FRIDAY_START = dt.datetime(2026, 11, 2, 14, tzinfo=dt.UTC)
UTC = dt.UTC


@pytest.fixture(scope="module")
def demo() -> dict[str, pl.DataFrame]:
    return generate_demo(SMALL, seed=7)


def _events(demo: dict[str, pl.DataFrame], campaign_id: str) -> pl.DataFrame:
    return demo["message_events"].filter(pl.col("campaign_id") == campaign_id)


def _read_all(engine: sa.Engine) -> dict[str, pl.DataFrame]:
    with engine.connect() as connection:
        return {
            name: fetch_frame(connection, sa.select(table).order_by(*table.primary_key.columns))
            for name, table in TABLES.items()
        }


def test_same_seed_builds_identical_tables_and_another_seed_differs(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        counts = build_demo(connection, events=SMALL, seed=7)
    first = _read_all(engine)
    with engine.begin() as connection:
        clear_demo_tables(connection)
        assert build_demo(connection, events=SMALL, seed=7) == counts
    second = _read_all(engine)
    with engine.begin() as connection:
        clear_demo_tables(connection)
        build_demo(connection, events=SMALL, seed=8)
    other = _read_all(engine)

    assert {name: frame.height for name, frame in first.items()} == counts
    for name in TABLES:
        assert first[name].equals(second[name]), name
    assert not first["message_events"].equals(other["message_events"])
    assert not first["sessions"].equals(other["sessions"])
    # The catalog is the shared contract: the same for every seed.
    assert first["campaigns"].equals(other["campaigns"])


def test_demo_has_exactly_the_contract_campaigns_and_about_the_requested_events(
    demo: dict[str, pl.DataFrame],
) -> None:
    campaigns = demo["campaigns"].sort("campaign_id")
    assert campaigns["campaign_id"].to_list() == [
        "email_weekly_digest",
        "inapp_onboarding",
        "push_black_friday",
        "push_flash_no_goal",
    ]
    assert campaigns["conversion_event"].to_list() == [
        "article_read",
        "tutorial_completed",
        "purchase",
        None,
    ]
    assert campaigns["conversion_window_hours"].to_list() == [168, 48, 72, 72]
    assert campaigns["ended_at"].to_list() == [
        None,
        dt.datetime(2026, 11, 15, tzinfo=UTC),
        None,
        dt.datetime(2026, 10, 23, tzinfo=UTC),
    ]
    assert demo["variants"].sort("variant_id").select(
        "variant_id", "is_control", "allocation"
    ).rows() == [
        ("A", False, 0.45),
        ("B", False, 0.45),
        ("control", True, 0.10),
    ]
    assert demo["actions"].sort("campaign_id", "position").select(
        "action_id"
    ).to_series().to_list() == [
        "digest_email",
        "card_welcome",
        "card_profile",
        "card_invite",
        "push_teaser",
        "push_reminder",
    ]
    # Sizes scale with --events; within 10 % of what was asked.
    assert 0.9 * SMALL <= demo["message_events"].height <= 1.1 * SMALL
    assert set(demo["message_events"]["campaign_id"].unique()) == set(campaigns["campaign_id"])


def test_no_event_session_or_conversion_falls_after_2026_11_22(
    demo: dict[str, pl.DataFrame],
) -> None:
    end = dt.datetime(2026, 11, 23, tzinfo=UTC)
    assert instant(demo["message_events"]["occurred_at"].max()) < end
    assert instant(demo["sessions"]["started_at"].max()) < end
    assert instant(demo["conversions"]["occurred_at"].max()) < end
    # The running push has events on its last day, 2026-11-22.
    newest = instant(_events(demo, "push_black_friday")["occurred_at"].max())
    assert newest >= dt.datetime(2026, 11, 22, tzinfo=UTC)


def _conversion_rates(demo: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Per variant: users with an anchor, and those converting in [anchor, anchor + 72 h].

    Anchor: first receipt event for treatment users, first entered/control event for the
    control group (glossary, Conversions).
    """
    events = _events(demo, "push_black_friday")
    treated = (
        events.filter(pl.col("event_type").is_in(RECEIPTS))
        .group_by("user_id")
        .agg(anchor=pl.col("occurred_at").min(), variant=pl.col("variant_id").first())
    )
    control = (
        events.filter(pl.col("event_type").is_in(["entered", "control"]))
        .filter(pl.col("variant_id") == "control")
        .group_by("user_id")
        .agg(anchor=pl.col("occurred_at").min(), variant=pl.col("variant_id").first())
    )
    purchases = demo["conversions"].filter(pl.col("event_name") == "purchase")
    return (
        pl.concat([treated, control])
        .join(purchases, on="user_id", how="left")
        .with_columns(
            qualifies=pl.col("occurred_at").is_between(
                pl.col("anchor"), pl.col("anchor") + dt.timedelta(hours=72)
            )
        )
        .group_by("user_id", "variant")
        .agg(converted=pl.col("qualifies").fill_null(False).any())
        .group_by("variant")
        .agg(users=pl.len(), converted=pl.col("converted").sum())
        .with_columns(rate=pl.col("converted") / pl.col("users"))
        .sort("variant")
    )


def test_variant_b_converts_significantly_better_than_a_and_control_least_at_default_size() -> None:
    rates = {
        row["variant"]: row for row in _conversion_rates(generate_demo()).iter_rows(named=True)
    }
    a, b, control = rates["A"], rates["B"], rates["control"]
    assert b["rate"] > a["rate"] > control["rate"]
    # Two-sided pooled two-proportion z-test, as the glossary's p_value.
    pooled = (a["converted"] + b["converted"]) / (a["users"] + b["users"])
    z = (b["rate"] - a["rate"]) / math.sqrt(
        pooled * (1 - pooled) * (1 / a["users"] + 1 / b["users"])
    )
    assert math.erfc(z / math.sqrt(2)) < 0.001
    # A 90/10 split of treatment and control: the control group is about a tenth.
    everyone = a["users"] + b["users"] + control["users"]
    assert 0.08 < control["users"] / everyone < 0.12


def test_control_users_enter_with_their_variant_and_are_sent_nothing(
    demo: dict[str, pl.DataFrame],
) -> None:
    events = _events(demo, "push_black_friday")
    entered = events.filter(pl.col("event_type") == "entered")
    assert entered["variant_id"].null_count() == 0
    assert set(entered["variant_id"].unique()) == {"A", "B", "control"}
    control_users = events.filter(pl.col("event_type") == "control")["user_id"]
    assert control_users.n_unique() == entered.filter(pl.col("variant_id") == "control").height
    sent_to_control = events.filter(
        pl.col("user_id").is_in(control_users.implode()),
        ~pl.col("event_type").is_in(["entered", "control"]),
    )
    assert sent_to_control.height == 0


def test_some_conversions_fall_outside_the_window_come_from_control_or_lack_revenue(
    demo: dict[str, pl.DataFrame],
) -> None:
    events = _events(demo, "push_black_friday")
    anchors = (
        events.filter(pl.col("event_type").is_in(RECEIPTS))
        .group_by("user_id")
        .agg(anchor=pl.col("occurred_at").min())
    )
    purchases = demo["conversions"].filter(pl.col("event_name") == "purchase")
    placed = purchases.join(anchors, on="user_id")
    assert placed.filter(pl.col("occurred_at") < pl.col("anchor")).height > 0
    assert (
        placed.filter(pl.col("occurred_at") > pl.col("anchor") + dt.timedelta(hours=72)).height > 0
    )
    control_users = events.filter(pl.col("event_type") == "control")["user_id"].implode()
    assert purchases.filter(pl.col("user_id").is_in(control_users)).height > 0
    assert 0 < purchases["revenue"].null_count() < purchases.height
    assert number(purchases["revenue"].drop_nulls().min()) > 0


def test_push_population_has_more_and_longer_sessions_after_the_campaign_starts(
    demo: dict[str, pl.DataFrame],
) -> None:
    population = _events(demo, "push_black_friday").filter(pl.col("event_type") == "entered")
    sessions = demo["sessions"].filter(pl.col("user_id").is_in(population["user_id"].implode()))
    # 14 days before the start against the 20 days from the start to the end of the data.
    before = sessions.filter(
        pl.col("started_at").is_between(
            BLACK_FRIDAY_START - dt.timedelta(days=14), BLACK_FRIDAY_START, closed="left"
        )
    )
    during = sessions.filter(pl.col("started_at") >= BLACK_FRIDAY_START)
    during_days = (dt.datetime(2026, 11, 23, tzinfo=UTC) - BLACK_FRIDAY_START) / dt.timedelta(
        days=1
    )
    per_day_before = before.height / 14
    per_day_during = during.height / during_days
    # The generator lifts sessions per day by 50 % and length by 25 %: far above noise.
    assert per_day_during > 1.3 * per_day_before
    assert number(during["duration_seconds"].mean()) > 1.1 * number(
        before["duration_seconds"].mean()
    )
    assert number(sessions["duration_seconds"].min()) >= 0


def _inapp_weeks(demo: dict[str, pl.DataFrame]) -> pl.DataFrame:
    events = _events(demo, "inapp_onboarding")
    start = dt.datetime(2026, 10, 12, tzinfo=UTC)
    return (
        events.with_columns(week=((pl.col("occurred_at") - start).dt.total_days() // 7))
        .group_by("week")
        .agg(
            impressions=(pl.col("event_type") == "impression").sum(),
            clicks=(pl.col("event_type") == "clicked").sum(),
            dismissals=(pl.col("event_type") == "dismissed").sum(),
        )
        .sort("week")
        .with_columns(ctr=pl.col("clicks") / pl.col("impressions"))
    )


def test_inapp_tap_through_rate_decays_from_the_first_week_to_the_last(
    demo: dict[str, pl.DataFrame],
) -> None:
    weeks = _inapp_weeks(demo)
    # 2026-10-12 .. 2026-11-15: five weeks (0..4), the campaign ends with week 4.
    assert weeks["week"].to_list() == [0, 1, 2, 3, 4]
    assert weeks["ctr"][-1] < 0.5 * weeks["ctr"][0]
    assert number(weeks["dismissals"].min()) > 0


def test_inapp_cumulative_unique_impressions_flatten_while_totals_keep_rising(
    demo: dict[str, pl.DataFrame],
) -> None:
    impressions = _events(demo, "inapp_onboarding").filter(pl.col("event_type") == "impression")
    last_week = dt.datetime(2026, 11, 8, tzinfo=UTC)
    earlier = impressions.filter(pl.col("occurred_at") < last_week)
    total_growth = impressions.height / earlier.height - 1
    unique_growth = impressions["user_id"].n_unique() / earlier["user_id"].n_unique() - 1
    # Users keep seeing the cards (totals grow) but few new users do (uniques flatten).
    assert total_growth > 0.1
    assert unique_growth < 0.25 * total_growth


def test_email_runs_weekly_with_receipts_hard_and_soft_bounces(
    demo: dict[str, pl.DataFrame],
) -> None:
    events = _events(demo, "email_weekly_digest")
    runs = sorted(events["run_id"].unique().to_list())
    assert events["run_id"].null_count() == 0
    # Every Monday from 2026-09-07 through 2026-11-16.
    assert runs == [
        (dt.date(2026, 9, 7) + dt.timedelta(weeks=week)).isoformat() for week in range(11)
    ]
    counts = dict(events["event_type"].value_counts().iter_rows())
    assert counts["entered"] == counts["sent"]
    assert counts["delivered"] + counts["bounced"] == counts["sent"]
    bounces = events.filter(pl.col("event_type") == "bounced")["bounce_type"]
    assert set(bounces.unique()) == {"hard", "soft"}
    assert set(events["action_id"].unique()) == {"digest_email"}


def test_email_has_proxy_opens_several_links_unsubscribes_and_complaints(
    demo: dict[str, pl.DataFrame],
) -> None:
    events = _events(demo, "email_weekly_digest")
    opens = events.filter(pl.col("event_type") == "opened")
    assert 0 < opens["is_machine"].sum() < opens.height
    clicks = events.filter(pl.col("event_type") == "clicked")
    assert clicks["link_url"].null_count() == 0
    assert clicks["link_url"].n_unique() >= 3
    types = set(events["event_type"].unique())
    assert {"unsubscribed", "complained"} <= types


def test_failed_sends_have_no_sent_event_and_carry_every_error_code(
    demo: dict[str, pl.DataFrame],
) -> None:
    events = demo["message_events"].with_columns(pl.col("action_id").fill_null("-"))
    keys = ["campaign_id", "user_id", "action_id"]
    failed = events.filter(pl.col("event_type") == "failed")
    sent = events.filter(pl.col("event_type") == "sent").select(keys)
    assert failed.height > 0
    assert failed.join(sent, on=keys, how="semi").height == 0
    assert set(failed["error_code"].unique()) == {
        "InvalidToken",
        "FrequencyCapped",
        "ProviderError",
        "Throttled",
    }


def test_push_users_get_sdk_receipts_and_only_push_campaigns_have_them(
    demo: dict[str, pl.DataFrame],
) -> None:
    received = demo["message_events"].filter(pl.col("event_type") == "received")
    assert set(received["campaign_id"].unique()) == {"push_black_friday", "push_flash_no_goal"}
    sent = demo["message_events"].filter(
        pl.col("event_type") == "sent", pl.col("campaign_id") == "push_black_friday"
    )
    assert 0 < received.filter(pl.col("campaign_id") == "push_black_friday").height < sent.height


def test_users_span_platforms_devices_test_profiles_and_missing_rows(
    demo: dict[str, pl.DataFrame],
) -> None:
    users = demo["users"]
    assert set(users["platform"].unique()) == {"ios", "android", "web"}
    assert {"iPhone 15", "Pixel 8", "Galaxy S24", "Chrome"} <= set(users["device_model"].unique())
    assert 0.005 < number(users["is_test"].mean()) < 0.02  # about 1 %
    events = demo["message_events"]
    test_users = users.filter(pl.col("is_test"))["user_id"].implode()
    assert events.filter(pl.col("user_id").is_in(test_users)).height > 0
    without_row = events.join(users, on="user_id", how="anti")
    assert without_row["user_id"].n_unique() > 0
    # Most events carry the device; the rest fall back to the user's.
    carried = number(events["platform"].is_not_null().mean())
    assert 0.8 < carried < 1.0
    assert (
        events.filter(pl.col("platform").is_null() != pl.col("device_model").is_null()).height == 0
    )


def test_opens_cluster_in_the_users_local_evening() -> None:
    rng = np.random.default_rng(1)
    zone = np.repeat(np.arange(len(ZONES)), 2_000)
    # Sent at 14:00 UTC on every day of one week (2026-11-02 is a Monday).
    sent = at(2026, 11, 2, 14) + rng.integers(0, 7, zone.shape[0]) * 86_400
    opened, kept = evening_opens(rng, sent, zone)
    assert (opened > sent).all()
    for index, name in enumerate(ZONES):
        mine = (zone == index) & kept
        local = [
            (dt.datetime(2026, 8, 1, tzinfo=UTC) + dt.timedelta(seconds=int(t)))
            .astimezone(ZoneInfo(name))
            .hour
            for t in opened[mine]
        ]
        evening = sum(18 <= hour < 22 for hour in local) / len(local)
        # 80 % are drawn around 20:00 (sd 1.2 h), so about 70 % land in 18:00-22:00.
        assert evening > 0.6, name
    # The weekday mask keeps weekend opens more often than Monday's.
    days = local_day(opened, zone)
    weekday = (days + dt.date(2026, 8, 1).weekday()) % 7
    keep_rate = [kept[weekday == day].mean() for day in range(7)]
    assert keep_rate[5] > keep_rate[0] + 0.2


def test_ensure_demo_database_builds_the_file_once(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "demo.duckdb"
    url = f"duckdb:///{target}"
    assert ensure_demo_database(url, events=5_000) is True
    built = target.stat().st_mtime_ns
    assert ensure_demo_database(url, events=5_000) is False
    assert target.stat().st_mtime_ns == built
    assert _event_count(url) == generate_demo(5_000)["message_events"].height
    assert [path.name for path in target.parent.iterdir()] == ["demo.duckdb"]


def test_ensure_demo_database_leaves_servers_and_memory_databases_alone() -> None:
    # Neither URL is connected to: there is no file to create.
    assert ensure_demo_database("postgresql+psycopg://nobody@127.0.0.1:1/none") is False
    assert ensure_demo_database("duckdb:///:memory:") is False


def test_concurrent_first_starts_leave_one_valid_database(tmp_path: Path) -> None:
    target = tmp_path / "demo.duckdb"
    url = f"duckdb:///{target}"
    barrier = threading.Barrier(3)
    results: list[bool] = []

    def first_start() -> None:
        barrier.wait()
        results.append(ensure_demo_database(url, events=5_000))

    threads = [threading.Thread(target=first_start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3
    assert any(results)
    assert _event_count(url) == generate_demo(5_000)["message_events"].height
    assert [path.name for path in tmp_path.iterdir()] == ["demo.duckdb"]


def _event_count(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.select(sa.func.count()).select_from(TABLES["message_events"])
            ).scalar_one()
    finally:
        engine.dispose()


def test_cli_refuses_a_database_with_events_unless_told_to_replace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    assert main(["--db", url, "--events", "2000"]) == 0
    assert "events/s" in capsys.readouterr().out
    once = _event_count(url)

    assert main(["--db", url, "--events", "2000"]) == 2
    assert "--replace" in capsys.readouterr().err
    assert _event_count(url) == once

    assert main(["--db", url, "--events", "2000", "--replace"]) == 0
    assert _event_count(url) == once  # rebuilt, not appended


def test_cli_if_missing_builds_only_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "first.duckdb"
    assert main(["--db", f"duckdb:///{target}", "--if-missing", "--events", "2000"]) == 0
    assert "Creating the demo database at" in capsys.readouterr().out
    assert main(["--db", f"duckdb:///{target}", "--if-missing", "--events", "2000"]) == 0
    assert capsys.readouterr().out == ""


def test_cli_reports_an_unreachable_server_in_one_line_without_its_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    assert main(["--db", "postgresql+psycopg://demo:secret@127.0.0.1:1/none"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("data.demo: cannot open postgresql+psycopg://demo:***@127.0.0.1:1/none")
    assert "secret" not in error
    assert error.count("\n") == 1
