"""Import rate and peak memory of a vendor export: records per second, peak RSS.

    python -m benchmarks.vendor_import [--records 1000000] [--files 4] [--vendor braze]
        [--db URL] [--keep DIR | --export DIR] [--json PATH]

Writes a synthetic export (gzip JSON Lines, split over `--files` files like a Firehose
or Currents sync: sends, deliveries, opens and clicks of a few campaigns over many users),
imports it into a fresh DuckDB file with `python -m data.ingest --format`, and prints the
import's wall time, records per second and the importer's peak RSS (also written to
`--json`). Streaming keeps the peak flat with the export's size: 0.5M, 1M and 2M records
peak at about the same RSS (README, "From Pinpoint/Braze/CleverTap"). 10 million records
take longer to write than to import on a quiet machine: write them once with `--keep DIR`,
then measure with `--export DIR` (531 s, peak 910 MB: README "Figures").
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from data.database import PROJECT_ROOT

DEFAULT_JSON = PROJECT_ROOT / "benchmarks" / "results" / "vendor_import.json"
"""Where the figures go for `benchmarks.run` (`make bench`) to collect."""
START = 1_772_438_400  # 2026-03-02T08:00:00Z, epoch seconds
KINDS = (
    ("users.messages.pushnotification.Send", 0.45),
    ("users.messages.email.Send", 0.15),
    ("users.messages.email.Delivery", 0.14),
    ("users.messages.email.Open", 0.1),
    ("users.messages.pushnotification.Open", 0.08),
    ("users.messages.email.Click", 0.04),
    ("users.behaviors.Purchase", 0.02),
    ("users.messages.sms.Send", 0.02),
)


def braze_record(n: int, rng: random.Random, users: int) -> dict:
    """One Currents event; campaigns, variants and dispatches repeat as in a real stream."""
    event_type = rng.choices([kind for kind, _ in KINDS], [share for _, share in KINDS])[0]
    campaign = rng.randrange(20)
    properties: dict = {
        "campaign_id": f"campaign-{campaign}",
        "campaign_name": f"Campaign {campaign}",
        "message_variation_id": f"variation-{campaign}-{rng.randrange(3)}",
        "dispatch_id": f"dispatch-{campaign}-{rng.randrange(4)}",
        "platform": rng.choice(("ios", "android")),
        "device_model": rng.choice(("iPhone 15", "Pixel 8", "Galaxy S24")),
    }
    if event_type.endswith("Click"):
        properties["url"] = f"https://shop.example/{rng.randrange(10)}"
    if event_type == "users.behaviors.Purchase":
        properties = {"price": round(rng.uniform(1, 100), 2)}
    return {
        "event_type": event_type,
        "id": f"event-{n:012d}",
        "time": START + rng.randrange(14 * 86_400),
        "user": {"user_id": f"user-{rng.randrange(users)}"},
        "properties": properties,
    }


def write_export(directory: Path, records: int, files: int, seed: int = 7) -> list[Path]:
    """`records` Braze events in `files` gzip JSON Lines files under dated folders."""
    rng = random.Random(seed)
    users = max(1, records // 10)
    paths = []
    per_file = -(-records // files)
    for index in range(files):
        path = directory / "2026" / "03" / f"{index + 1:02d}" / f"currents-{index}.json.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        first = index * per_file
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as handle:
            for n in range(first, min(records, first + per_file)):
                handle.write(json.dumps(braze_record(n, rng, users), separators=(",", ":")))
                handle.write("\n")
        paths.append(path)
    return paths


def _records_read(output: str) -> int:
    """The records the import read: the sum of its accounting lines' `read N`."""
    return sum(int(count) for count in re.findall(r": read (\d+),", output))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.vendor_import")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--vendor", choices=("braze",), default="braze")
    parser.add_argument("--db", help="database URL (default: a fresh DuckDB file)")
    parser.add_argument("--keep", type=Path, help="write the export here and keep it")
    parser.add_argument(
        "--export",
        type=Path,
        help="import this export (a folder written by --keep) instead of writing one: "
        "10 million records take longer to write than to import",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="figures file")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        directory = arguments.export or arguments.keep or Path(scratch) / "export"
        if arguments.export is None:
            started = time.perf_counter()
            write_export(directory, arguments.records, arguments.files)
            took = time.perf_counter() - started
            print(f"export: {arguments.records:,} records in {took:.1f} s")
        url = arguments.db or f"duckdb:///{Path(scratch) / 'bench.duckdb'}"
        command = [sys.executable, "-m", "data.ingest", str(directory), "--format"]
        command += [arguments.vendor, "--db", url, "--rejects", str(Path(scratch) / "rejects.csv")]
        started = time.perf_counter()
        finished = subprocess.run(command, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        if finished.returncode not in (0, 1):
            print(finished.stdout, finished.stderr, file=sys.stderr)
            return 1
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(finished.stdout.strip())
        records = _records_read(finished.stdout)
        rate = records / elapsed
        print(
            f"import: {records:,} records in {elapsed:.1f} s, {rate:,.0f} records/s, "
            f"peak RSS {peak_mb:,.0f} MB"
        )
    figures = {
        "vendor": arguments.vendor,
        "records": records,
        "files": len(re.findall(r": read \d+", finished.stdout)),
        "import_s": round(elapsed, 1),
        "records_per_s": round(rate),
        "peak_rss_mb": round(peak_mb),
    }
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {arguments.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
