"""A variant-filtered report built from its unfiltered report equals one that reads it again.

The app keeps the unfiltered report and hands it to `build_report` under a variant filter,
so the variant table and the sample-ratio check are not computed from a second read of the
view; every figure must stay what the second read gave.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from data.database import create_reader_engine
from data.demo import ensure_demo_database
from data.queries.catalog import campaign_variants
from data.vocabulary import Granularity
from metrics.report import build_report, default_scope


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> sa.Engine:
    path = Path(tmp_path_factory.mktemp("unfiltered")) / "demo.duckdb"
    url = f"duckdb:///{path}"
    ensure_demo_database(url, events=20_000)
    return create_reader_engine(url)


@pytest.mark.parametrize("granularity", ["day", "week"])
def test_a_variant_filter_over_the_unfiltered_report_gives_every_figure_of_a_second_read(
    demo: sa.Engine, granularity: Granularity
) -> None:
    with demo.connect() as connection:
        # the demo's A/B test: two variants and a control group
        scope = default_scope(connection, "push_black_friday", "Europe/Paris")
        unfiltered = build_report(connection, scope, granularity)
        variant_ids = campaign_variants(connection, "push_black_friday")["variant_id"]
        assert variant_ids.len() == 3
        for variant_id in variant_ids:
            filtered = scope.model_copy(update={"variant": variant_id})
            read_twice = build_report(connection, filtered, granularity)
            reused = build_report(connection, filtered, granularity, unfiltered)
            assert reused == read_twice
            assert reused.variants == unfiltered.variants


def test_the_unfiltered_report_of_another_range_is_refused(demo: sa.Engine) -> None:
    with demo.connect() as connection:
        scope = default_scope(connection, "push_black_friday", "UTC")
        other = build_report(connection, scope.model_copy(update={"end": scope.start}))
        variant_id = campaign_variants(connection, "push_black_friday")["variant_id"][0]
        with pytest.raises(ValueError, match="without its variant"):
            build_report(connection, scope.model_copy(update={"variant": variant_id}), "day", other)
