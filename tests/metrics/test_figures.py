"""The figure registry is the one place a figure is named, explained and typed.

Adding a figure is a change to three places: its declaration in `metrics/figures.py`, its
query (`data/`) and its computation (`metrics/`, with the report field that carries it).
These tests fail on a fourth: a report field without exactly one declaration, a label or
help sentence written outside the registry, or a set of figure keys that decides how
figures are shown (the `RATES` set Explore used to keep) anywhere but the registry.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel

from metrics import figures
from metrics.figures import FIGURES, KINDS, REPORT_TABLES, Figure
from metrics.report_model import CampaignReport, DailyRow
from metrics.series import EXPLORABLE_FIGURES, SERIES_COLUMNS
from ui import widgets

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted((ROOT / "ui").rglob("*.py")),
    *sorted((ROOT / "app_pages").rglob("*.py")),
    *sorted(p for p in (ROOT / "metrics").rglob("*.py") if p.name != "figures.py"),
    ROOT / "main.py",
]
"""Every module that shows or computes figures, except the registry itself."""


def _declared() -> Counter[tuple[str, str]]:
    return Counter((table, each.key) for each in FIGURES for table in each.tables)


def test_every_report_field_has_exactly_one_declaration() -> None:
    declared = _declared()
    fields = figures.report_fields()
    assert sorted(field for field in fields if declared[field] != 1) == []
    # and nothing is declared for a report table that lacks the field
    extra = {field for field in declared if field[0] in REPORT_TABLES} - fields
    assert sorted(extra) == []


NOT_FIGURE_MODELS = {"CampaignInfo", "RangeInfo", "FunnelRow", "RevenueRow"}
"""Parts of the report that hold no glossary figure: the campaigns row, the range, and
the app's funnel (`metrics.funnel`, steps in users) and revenue per bucket (the Conversions
page's chart), both left out of the JSON."""


def _models(model: type[BaseModel]) -> set[type[BaseModel]]:
    """Every model the report nests, at any depth."""
    found: set[type[BaseModel]] = set()
    for info in model.model_fields.values():
        stack: list[object] = [info.annotation]
        while stack:
            annotation = stack.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                found |= {annotation, *_models(annotation)}
            else:
                stack.extend(get_args(annotation))
    return found


def test_every_part_of_the_report_is_a_table_of_the_registry() -> None:
    """A new table of rows in the report needs its figures declared (or a reason not to)."""
    tables = set(REPORT_TABLES.values())
    unknown = {model.__name__ for model in _models(CampaignReport) - tables}
    assert sorted(unknown - NOT_FIGURE_MODELS) == []


def test_the_registry_finds_fields_in_every_part_of_the_report() -> None:
    fields = figures.report_fields()
    for expected in [
        ("kpis", "ctr"),
        ("variants", "chance_to_beat_control"),
        ("daily", "cumulative_unique_impressions"),
        ("sessions", "avg_session_seconds_during"),
        ("sessions_daily", "sessions"),
        ("report", "srm_p_value"),
        ("report", "data_as_of"),
    ]:
        assert expected in fields
    # tables of rows and nested models are no figures; nor is a row's display name
    assert ("report", "kpis") not in fields
    assert ("sessions", "daily") not in fields
    assert ("variants", "name") not in fields


def test_every_declaration_is_complete() -> None:
    for each in FIGURES:
        assert each.label.strip() and each.help.strip(), each.key
        assert each.help.endswith("."), each.key
        assert each.kind in KINDS, each.key
        assert each.tables, each.key
        assert each.note is None or figures.figure(each.note).key == each.note
    for channel in figures.channels():
        places = [each.channels[channel] for each in figures.channel_cards(channel)]
        assert len(places) == len(set(places)), channel


def test_the_glossary_term_for_ctr_is_used_everywhere() -> None:
    # glossary: ctr is "tap-through rate" on screen; it was also Click-through rate and CTR
    assert figures.label("ctr") == "Tap-through rate"
    assert figures.heading("ctr", "variants") == "Tap-through rate"
    assert EXPLORABLE_FIGURES["ctr"] == "Tap-through rate"
    assert [kpi.label for kpi in widgets.CHANNEL_KPIS["in_app"]][1] == "Tap-through rate"


def _figure_strings() -> tuple[set[str], set[str]]:
    """Labels to look for (those of several words: a single word such as "Delivered" or
    "Audience" also names a funnel step or a page) and every help sentence."""
    names = {each.label for each in FIGURES} | {each.short for each in FIGURES if each.short}
    return {name for name in names if " " in name}, {each.help for each in FIGURES}


def _written(source: str) -> list[tuple[int, str]]:
    """The string literals of a module that repeat a figure's label or help sentence."""
    labels, helps = _figure_strings()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if text in labels or any(sentence in text for sentence in helps):
                found.append((node.lineno, text))
    return found


def test_no_label_or_help_text_of_a_figure_is_written_outside_the_registry() -> None:
    copies = {
        f"{path.relative_to(ROOT)}:{line}": text
        for path in SOURCES
        for line, text in _written(path.read_text(encoding="utf-8"))
    }
    assert copies == {}


def test_the_scan_would_catch_a_copy_in_a_fourth_place() -> None:
    """The check above looks where copies used to be: a card label, a column's help."""
    copied = (
        'Kpi("ctr", "Tap-through rate")\n'
        'HELP = {"open_rate": "Unique opens divided by recipients."}\n'
        'column(help="Clicks divided by impressions (tap-through rate for in-app messages); "\n'
        '    "n/a without impressions.")\n'
    )
    assert [line for line, _ in _written(copied)] == [1, 2, 3]


def _key_sets(source: str) -> list[tuple[int, set[str]]]:
    """Set literals made only of figure keys: how a screen used to decide, apart from the
    registry, which figures are rates (`RATES`, `PERCENT_KEYS`, `POINTS_KEYS`)."""
    keys = {each.key for each in FIGURES}
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Set) and node.elts:
            values = {
                elt.value
                for elt in node.elts
                if isinstance(elt, ast.Constant) and isinstance(elt.value, str)
            }
            if len(values) == len(node.elts) and values <= keys:
                found.append((node.lineno, values))
    return found


def test_no_screen_keeps_its_own_set_of_rate_figures() -> None:
    sets = {
        f"{path.relative_to(ROOT)}:{line}": values
        for path in SOURCES
        for line, values in _key_sets(path.read_text(encoding="utf-8"))
    }
    assert sets == {}
    assert _key_sets('RATES = {"ctr", "dismissal_rate"}') == [(1, {"ctr", "dismissal_rate"})]


def test_explore_lists_the_series_figures_of_the_registry_in_the_reports_order() -> None:
    assert {each.key: each.label for each in figures.series_figures()} == EXPLORABLE_FIGURES
    assert tuple(DailyRow.model_fields) == SERIES_COLUMNS
    rates = {key for key in EXPLORABLE_FIGURES if figures.is_rate(key)}
    # Explore's own per-bucket series (issue 10) add the open and conversion rates
    assert rates == {"ctr", "dismissal_rate", "open_rate", "conversion_rate"}


UNSUBSCRIBE_RATE = Figure(
    "unsubscribe_rate",
    "Unsubscribe rate",
    "Unsubscribes divided by recipients.",
    "rate",
    tables=("kpis", "daily"),
    channels={"email": 7},
)


def test_a_new_figure_reaches_the_cards_formats_help_and_explore_from_its_declaration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's example: an email unsubscribe rate, shown as a card and in Explore. Its
    declaration alone names it, explains it, formats it and places it; nothing else on
    the screens changes (the query and the computation give its value)."""
    monkeypatch.setattr(figures, "FIGURES", (*FIGURES, UNSUBSCRIBE_RATE))

    card = widgets.channel_kpis("email")[-1]
    assert (card.key, card.label, card.kind) == ("unsubscribe_rate", "Unsubscribe rate", "rate")
    assert widgets.FORMATTERS[card.kind](0.0125) == "1.2 %"
    assert widgets.kpi_text("unsubscribe_rate", 0.0125) == "1.2 %"
    assert widgets.help_for("unsubscribe_rate") == "Unsubscribes divided by recipients."
    assert figures.is_rate("unsubscribe_rate")  # Explore draws it in percent
    assert figures.series_figures()[-1] is UNSUBSCRIBE_RATE  # Explore lists it
    assert "unsubscribe_rate" not in [kpi.key for kpi in widgets.channel_kpis("push")]
