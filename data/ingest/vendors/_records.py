"""Find a vendor export's files and stream their records, one JSON value per line.

An S3 sync of a Firehose or Currents bucket is a tree of `YYYY/MM/DD/HH/` folders; Firehose
names its objects without an extension (`stream-1-2026-03-01-09-30-00-<uuid>`, `.gz` when
compressed), so in a folder a file with no extension is taken too. Whether a file is
gzip is read from its first bytes, not its name.

A file is refused as a whole (`FileError`, nothing of it loaded) when it cannot be trusted
record by record: its first line is not JSON (a CSV, a Parquet or an HTML page), its gzip
stream is damaged or cut short, or its last line is cut off with no line end. A bad line
in the middle is one rejected record.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from data.ingest.read import FileError

SUFFIXES = (".json", ".jsonl", ".ndjson")
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A line that holds no usable record: rejected with this reason."""

    reason: str


def find_files(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """The files to import, folders walked recursively in path order, and the files ignored.

    A file named on the command line is always taken (and refused later if it is not an
    export); in a folder, only export names are, and hidden or `_`-marker files are passed
    over silently.
    """
    files: list[Path] = []
    ignored: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        for child in sorted(path.rglob("*")):
            relative = child.relative_to(path).parts
            if not child.is_file() or any(part.startswith((".", "_")) for part in relative):
                continue
            (files if is_export_name(child) else ignored).append(child)
    return files, ignored


def is_export_name(path: Path) -> bool:
    """`.json`, `.jsonl`, `.ndjson`, each maybe `.gz`, or no extension at all (Firehose)."""
    name = path.name.lower().removesuffix(".gz")
    suffix = Path(name).suffix
    return suffix in SUFFIXES or suffix == ""


class ExportFile:
    """An open export file: its records, and how far into the file reading has got."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise FileError("no such file")
        if not is_export_name(path):
            raise FileError(
                f"unsupported file type {path.suffix!r}; use .json, .jsonl or .ndjson "
                "(each may be .gz)"
            )
        self.path = path
        self.size = path.stat().st_size
        self._raw: io.BufferedReader = path.open("rb")
        magic = self._raw.read(2)
        self._raw.seek(0)
        self._stream: io.BufferedIOBase = (
            gzip.GzipFile(fileobj=self._raw, mode="rb") if magic == _GZIP_MAGIC else self._raw
        )

    def position(self) -> int:
        """Bytes of the file (compressed, for gzip) consumed so far: the progress bar's unit."""
        return self._raw.tell()

    def close(self) -> None:
        self._stream.close()
        self._raw.close()

    def __enter__(self) -> ExportFile:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def records(self) -> Iterator[tuple[int, Any]]:
        """(line, record) pairs; a record is a JSON object, or a `BadRecord`.

        A line may hold one record, a JSON array of them, or a batch object
        (`{"events": [...]}` from Braze's HTTP connector, `{"records": [...]}` from
        CleverTap's API): each of its records is counted, all with that line's number.
        """
        seen_json = False
        try:
            for number, line in enumerate(self._stream, start=1):
                stripped = line.strip()
                if not stripped:
                    continue
                try:
                    value = json.loads(stripped)
                except ValueError as error:
                    if not seen_json:
                        raise FileError(
                            f"not JSON: line {number} is not a JSON record ({error}); "
                            "the importer reads one JSON record per line"
                        ) from error
                    if not line.endswith(b"\n"):
                        raise FileError(
                            f"the last line ({number}) is cut short; the file looks truncated"
                        ) from error
                    yield number, BadRecord(f"not valid JSON: {error}")
                    continue
                seen_json = True
                for item in _items(value):
                    yield number, item if isinstance(item, dict) else BadRecord("not a JSON object")
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            raise FileError(f"the gzip stream is damaged or truncated: {error}") from error


def verify_whole(path: Path) -> None:
    """Raise the `FileError` that `ExportFile.records` would raise, before loading anything.

    For a database without transactions (ClickHouse), where batches loaded before a
    damaged gzip stream or a cut-off last line could not be taken back. Decompresses and
    splits the file without parsing its records: only its first and last lines are read
    as JSON, which is what the refusals depend on.
    """
    with ExportFile(path) as export:
        first: bytes | None = None
        last = b""
        try:
            for line in export._stream:
                if line.strip():
                    first = line if first is None else first
                    last = line
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            raise FileError(f"the gzip stream is damaged or truncated: {error}") from error
    for sample, problem in ((first, "first"), (last, "last")):
        if sample is None:
            return
        try:
            json.loads(sample.strip())
        except ValueError as error:
            if problem == "first":
                raise FileError(
                    f"not JSON: the first line is not a JSON record ({error}); "
                    "the importer reads one JSON record per line"
                ) from error
            if not sample.endswith(b"\n"):
                raise FileError("the last line is cut short; the file looks truncated") from error


def _items(value: Any) -> list[Any]:
    """The records one JSON line holds."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        for batch_key, record_key in (("events", "event_type"), ("records", "eventName")):
            batch = value.get(batch_key)
            if isinstance(batch, list) and record_key not in value:
                return batch
    return [value]
