"""Read an import file into a frame of cells with each row's line number, or refuse the file.

A file is refused as a whole (`FileError`, nothing loaded) when it cannot be trusted row by
row: it is missing, its name is not a table, a column is unknown or a required one absent,
or it is unreadable or cut short. The line number is what a person sees in an editor: for
CSV the physical line (the header is line 1, a quoted value spanning lines counts them
all), for JSON Lines the line, for Parquet the row number from 1.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from data.contracts import CONTRACTS, TableContract
from data.ingest.validate import LINE
from data.messages import first_line

SUFFIXES = (".csv", ".parquet", ".jsonl")


class FileError(Exception):
    """A file that cannot be imported at all; the message (without the path) is for the user."""


@dataclass(frozen=True)
class SourceFile:
    """A file's cells (columns named as the table's, plus `LINE`) and what was ignored."""

    contract: TableContract
    cells: pl.DataFrame
    ignored_columns: tuple[str, ...]


def read_source(path: Path, ignore_unknown_columns: bool = False) -> SourceFile:
    """Read `path` for the table named by its stem; raises `FileError` when it cannot be."""
    if not path.is_file():
        raise FileError("no such file")
    readers: dict[str, Callable[[Path], pl.DataFrame]] = {
        ".csv": _read_csv,
        ".parquet": _read_parquet,
        ".jsonl": _read_jsonl,
    }
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise FileError(f"unsupported file type {path.suffix!r}; use one of {', '.join(SUFFIXES)}")
    contract = CONTRACTS.get(path.stem)
    if contract is None:
        raise FileError(
            f"no table is called {path.stem!r} (the file name names the table); "
            f"expected one of {', '.join(sorted(CONTRACTS))}"
        )
    cells = reader(path)
    columns = [name for name in cells.columns if name != LINE]
    unknown = tuple(name for name in columns if name not in contract.names)
    if unknown and not ignore_unknown_columns:
        raise FileError(
            f"unknown column(s) {_quoted(unknown)} for table {contract.name} "
            f"(its columns: {', '.join(contract.names)}); fix the header, or pass "
            "--ignore-unknown-columns to skip them"
        )
    missing = [name for name in contract.required_names if name not in columns]
    if missing:
        raise FileError(f"required column(s) {_quoted(missing)} missing for table {contract.name}")
    return SourceFile(contract, cells.drop(unknown), unknown)


def _read_csv(path: Path) -> pl.DataFrame:
    header = _csv_header(path)
    try:
        cells = pl.read_csv(path, infer_schema=False, raise_if_empty=True)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise FileError(f"not a readable CSV file: {first_line(error)}") from error
    if cells.width != len(header):
        raise FileError(f"the header has {len(header)} columns, the rows more")
    _refuse_truncated_csv(path, len(header))
    # A value with line breaks inside quotes spans several physical lines.
    breaks = pl.sum_horizontal(
        pl.col(name).str.count_matches("\n", literal=True).fill_null(0) for name in cells.columns
    )
    header_lines = 1 + sum(name.count("\n") for name in header)
    cells = cells.with_columns(
        (
            pl.int_range(pl.len(), dtype=pl.Int64)
            + 1
            + header_lines
            + breaks.cum_sum().shift(1, fill_value=0).cast(pl.Int64)
        ).alias(LINE)
    )
    # A blank line carries no data: it is not a row (nothing is lost by skipping it).
    return cells.filter(~pl.all_horizontal(pl.exclude(LINE).is_null()))


def _csv_header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (UnicodeDecodeError, csv.Error) as error:
        raise FileError(f"not a readable UTF-8 CSV file: {error}") from error
    if not header:
        raise FileError("the file is empty; the first line must name the columns")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise FileError(f"column(s) {_quoted(repeated)} appear more than once")
    return header


def _refuse_truncated_csv(path: Path, width: int) -> None:
    """A last row with too few fields and no line end is a file cut short, not a bad row."""
    with path.open("rb") as handle:
        handle.seek(0, io.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 65536))
        tail = handle.read()
    if not tail or tail.endswith(b"\n"):
        return
    last_line = tail.rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace")
    fields = next(csv.reader([last_line]), [])
    if len(fields) < width:
        raise FileError(
            f"the last row has {len(fields)} of {width} fields and no line end; "
            "the file looks truncated"
        )


def _read_parquet(path: Path) -> pl.DataFrame:
    try:
        cells = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise FileError(f"not a readable Parquet file: {first_line(error)}") from error
    nested = [name for name, dtype in cells.schema.items() if dtype.is_nested()]
    if nested:
        raise FileError(f"column(s) {_quoted(nested)} hold lists or structs, not single values")
    return cells.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(LINE))


def _read_jsonl(path: Path) -> pl.DataFrame:
    try:
        keys = pl.scan_ndjson(path, infer_schema_length=None).collect_schema().names()
        # Every value as text, so a number in a text column and a string in a number
        # column go through the same checks as CSV cells.
        cells = pl.read_ndjson(path, schema=dict.fromkeys(keys, pl.String))
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise FileError(_first_json_problem(path) or first_line(error)) from error
    lines = _non_blank_line_numbers(path)
    if lines.len() != cells.height:
        raise FileError(_first_json_problem(path) or "not a readable JSON Lines file")
    return cells.with_columns(lines.alias(LINE))


def _non_blank_line_numbers(path: Path) -> pl.Series:
    """Line numbers of the lines that hold a record (JSON Lines readers skip blank ones)."""
    with path.open("rb") as handle:
        numbers = [number for number, line in enumerate(handle, start=1) if line.strip(b" \t\r\n")]
    return pl.Series(LINE, numbers, pl.Int64)


def _first_json_problem(path: Path) -> str | None:
    """Name the first line that is not a JSON object, so the user can find it."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                return f"line {number} is not valid JSON ({error}); the file looks damaged"
            if not isinstance(record, dict):
                return f"line {number} is not a JSON object"
    return None


def _quoted(names: list[str] | tuple[str, ...]) -> str:
    """Quoted, so that a stray space in a header (`' user_id'`) is visible."""
    return ", ".join(f"'{name}'" for name in names)
