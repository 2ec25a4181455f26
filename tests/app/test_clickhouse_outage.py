"""A shard of the ClickHouse cluster goes down under a live session: the database banner
with the reason, never a traceback, and the app answers again once the shard is back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from data.demo import main as demo_main
from tests.app.conftest import APP, TIMEOUT, open_page
from tests.support import clickhouse

pytestmark = pytest.mark.xdist_group("clickhouse")


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[clickhouse.ClickHouseCluster]:
    """A two-shard cluster of this module's own (the test kills and restarts a shard)."""
    if not clickhouse.available():
        pytest.skip("clickhouse-server is not installed (apt-get install -y clickhouse-server)")
    cluster = clickhouse.start_cluster()
    try:
        clickhouse.create_cluster_schema(cluster)
        assert demo_main(["--db", cluster.url, "--events", "2000"]) == 0
        yield cluster
    finally:
        cluster.stop()


def _banner(app: AppTest) -> str:
    assert not app.exception, [item.value for item in app.exception]
    [message] = [item.value for item in app.error]
    return message


def _retry(app: AppTest) -> AppTest:
    return next(button for button in app.button if button.label == "Retry").click().run()


def test_a_shard_that_goes_down_shows_the_banner_and_retry_recovers_once_it_is_back(
    own_cluster: clickhouse.ClickHouseCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGN_DB_URL", own_cluster.url)
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    open_page(app, "overview", campaign="push_black_friday", tz="UTC")
    assert not app.exception and not app.error, [item.value for item in app.error]
    assert app.metric
    second = own_cluster.shards[1]
    second.halt()
    try:
        # a range not seen yet must be read from the cluster, half of which is gone
        app.selectbox(key="f_preset").select("last_7").run()
        message = _banner(app)
        assert "cannot be read" in message
        assert "Code: 279" in message or "Connection refused" in message, message
        _retry(app)
        assert "cannot be read" in _banner(app)
    finally:
        second.start()
    _retry(app)
    assert not app.exception and not app.error, [item.value for item in app.error]
    assert app.title[0].value == "Overview"
    assert app.metric
