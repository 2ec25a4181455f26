"""The importer on the two-shard ClickHouse cluster: through the Distributed tables, with
the same accounting, and a second import of the same files loads nothing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
import sqlalchemy as sa

from data.demo import main as demo_main
from data.ingest import main as ingest_main
from data.schema import TABLES
from tests.support import clickhouse

pytestmark = pytest.mark.xdist_group("clickhouse")


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A small demo (2,000 events) written as one Parquet file per table."""
    folder = tmp_path_factory.mktemp("ch-export")
    source = f"duckdb:///{folder / 'source.duckdb'}"
    assert demo_main(["--db", source, "--events", "2000"]) == 0
    connection = duckdb.connect(str(folder / "source.duckdb"), read_only=True)
    paths = []
    try:
        for name in TABLES:
            paths.append(folder / f"{name}.parquet")
            connection.sql(f"SELECT * FROM {name}").pl().write_parquet(paths[-1])
    finally:
        connection.close()
    return paths


def _summaries(output: str) -> dict[str, tuple[int, int, int, int]]:
    """`file -> table: read R, loaded L, already present P, rejected X` lines by table."""
    summaries = {}
    for line in output.splitlines():
        if " -> " not in line or ": read " not in line:
            continue
        table = line.split(" -> ")[1].split(":")[0]
        numbers = [int(part.split()[-1]) for part in line.split(": ", 1)[1].split(", ")]
        summaries[table] = (numbers[0], numbers[1], numbers[2], numbers[3])
    return summaries


def test_importing_the_same_files_twice_loads_nothing_the_second_time(
    cluster: clickhouse.ClickHouseCluster,
    export: list[Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    arguments = [str(path) for path in export] + ["--db", cluster.url]
    assert ingest_main(arguments) == 0
    first = _summaries(capsys.readouterr().out)
    assert set(first) == set(TABLES)
    for read, loaded, present, rejected in first.values():
        assert (loaded, present, rejected) == (read, 0, 0)
    assert ingest_main(arguments) == 0
    second = _summaries(capsys.readouterr().out)
    for table, (read, loaded, present, rejected) in second.items():
        assert (read, loaded, present, rejected) == (first[table][0], 0, read, 0), table
    engine = sa.create_engine(cluster.url)
    try:
        with engine.connect() as connection:
            for table, (read, *_rest) in first.items():
                stored = connection.execute(sa.text(f"SELECT count() FROM {table}")).scalar()
                assert stored == read, table
    finally:
        engine.dispose()


def test_a_changed_row_is_rejected_and_the_rest_already_present(
    cluster: clickhouse.ClickHouseCluster,
    export: list[Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    conversions = next(path for path in export if path.stem == "conversions")
    assert ingest_main([str(conversions), "--db", cluster.url]) == 0
    changed = tmp_path / "conversions.parquet"
    frame = pl.read_parquet(conversions)
    frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit(999.0))
        .otherwise(pl.col("revenue"))
        .alias("revenue")
    ).write_parquet(changed)
    capsys.readouterr()
    rejects = tmp_path / "rejects.csv"
    assert ingest_main([str(changed), "--db", cluster.url, "--rejects", str(rejects)]) == 1
    [(read, loaded, present, rejected)] = _summaries(capsys.readouterr().out).values()
    assert (read, loaded, present, rejected) == (frame.height, 0, frame.height - 1, 1)
