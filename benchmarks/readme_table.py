"""The README's speed table, regenerated from `benchmarks/results/latest.json`.

The table sits between `<!-- bench:start -->` and `<!-- bench:end -->` in README.md, so a
new `make bench` replaces the figures and nothing else; nobody types a figure by hand.

    python -m benchmarks.readme_table   # rewrite the table from the last results
"""

from __future__ import annotations

import json
import sys
from typing import Any

from data.database import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "latest.json"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"

ROWS: tuple[tuple[str, str, str], ...] = (
    ("events in the table / in the campaign", "events_in_table", "events_in_campaign"),
    ("floor: one scan with one distinct count (whole process)", "floor_s", ""),
    ("`python -m metrics.report` cold / warm", "report_cold_s", "report_warm_s"),
    ("report / floor", "report_over_floor", ""),
    ("report peak RSS (MB)", "report_peak_rss_mb", ""),
    (
        "naive notebook (`pl.read_database` + Polars): time / peak RSS",
        "naive_notebook_s",
        "naive_notebook_peak_rss_mb",
    ),
    ("Overview page (AppTest) cold / warm", "overview_cold_s", "overview_warm_s"),
)


def _value(run: dict[str, Any], key: str) -> str:
    value = run.get(key)
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    if key.endswith("_s"):
        return f"{value:.2f} s"
    if key.endswith("_mb"):
        return f"{value:,.0f} MB"
    if key.endswith("over_floor"):
        return f"{value:.2f}x"
    return str(value)


def table(result: dict[str, Any]) -> str:
    """The markdown table (and the line naming the machine) for one results object."""
    runs = result["runs"]
    machine = result["machine"]
    header = (
        "| figure | "
        + " | ".join(f"{run['backend']} {run['demo_events'] / 1e6:g}M" for run in runs)
        + " |"
    )
    lines = [
        f"Measured {result['measured_at']} by `make bench` on {machine['cores']} cores, "
        f"{machine['memory_gib']} GiB, Python {machine['python']} ({machine['system']}; load "
        f"average {machine['load_average_at_start'][0]} at the start), campaign "
        f"`{result['campaign']}`. Each time is a whole process, start-up included.",
        "",
        header,
        "|---|" + "---|" * len(runs),
    ]
    for label, first, second in ROWS:
        cells = []
        for run in runs:
            cell = _value(run, first)
            if second:
                cell += " / " + _value(run, second)
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for run in runs:
        if run["backend"].startswith("clickhouse"):
            when = (
                f" Measured {run['measured_at']}, load average "
                f"{run['load_average_at_start']} at its start."
                if "measured_at" in run
                else ""
            )
            lines += [
                "",
                "ClickHouse 18.16: the same DuckDB file copied into two shards "
                "(`cityHash64(user_id)`) of one cluster; both servers share this one machine "
                "and its cores with the benchmark, so the column shows what the app costs "
                f"there, not what shards on machines of their own gain.{when}",
            ]
    lines += _side_lines("Campaigns page, 1,000 campaigns (DuckDB)", result.get("campaigns_page"))
    lines += _browser_lines(result.get("browser"))
    vendor = result.get("vendor_import")
    if vendor:
        lines += [
            "",
            f"Vendor import (`benchmarks.vendor_import`, a {vendor['vendor']} export of "
            f"{vendor['records']:,} records in {vendor['files']} gzip files): "
            f"{vendor['import_s']:.1f} s, {vendor['records_per_s']:,} records/s, peak RSS "
            f"{vendor['peak_rss_mb']:,} MB.",
        ]
    return "\n".join(lines)


def _browser_lines(figures: dict[str, Any] | None) -> list[str]:
    """Click-to-settled times in Chromium per kind of step (`benchmarks.browser_timings`)."""
    if not figures or not figures.get("summary"):
        return []
    load = figures.get("machine", {}).get("load_1m_5m_15m_at_start", ["?"])[0]
    lines = [
        "",
        f"| In Chromium, default demo (load average {load} at the start) | median | min | "
        "target | server CPU | Chromium CPU |",
        "|---|---|---|---|---|---|",
    ]
    for kind, step in figures["summary"].items():
        if ":" in kind:
            continue
        lines.append(
            f"| {kind.replace('_', ' ')} | {step['median_s']:.2f} s | {step['min_s']:.2f} s | "
            f"{step['target_s']:.1f} s | {step['server_cpu_median_s']:.2f} s | "
            f"{step['chromium_cpu_median_s']:.2f} s |"
        )
    return lines


def _side_lines(title: str, figures: dict[str, Any] | None) -> list[str]:
    """A two-column table of a side benchmark's timings (every `*_s` figure it wrote)."""
    if not figures:
        return []
    timed = {key: value for key, value in figures.items() if key.endswith("_s")}
    lines = ["", f"| {title} | seconds |", "|---|---|"]
    lines += [
        f"| {key.removesuffix('_s').replace('_', ' ')} | {value:.2f} |"
        for key, value in timed.items()
        if isinstance(value, int | float)
    ]
    return lines


def update_readme(result: dict[str, Any]) -> None:
    """Replace the README's table between the markers (appended if they are missing)."""
    text = README.read_text()
    block = f"{START}\n{table(result)}\n{END}"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        _, after = rest.split(END, 1)
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    README.write_text(text)


if __name__ == "__main__":
    update_readme(json.loads(RESULTS.read_text()))
    sys.exit(0)
