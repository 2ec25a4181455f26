"""The shared words are declared once, in `data/vocabulary.py`, and nowhere else."""

from __future__ import annotations

import re
from pathlib import Path

from data.vocabulary import (
    EVENT_TYPES,
    GRANULARITIES,
    MACHINE_PRONE_TYPES,
    RECEIPT_TYPES,
    SPLIT_COLUMNS,
    SPLIT_LABELS,
    SPLITS,
    split_column,
)

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    path
    for folder in ("data", "metrics", "ui", "app_pages")
    for path in sorted((ROOT / folder).rglob("*.py"))
    if path.name != "vocabulary.py"
] + [ROOT / "main.py"]

COPIES = {
    "a Granularity": r"^Granularity\s*=",
    "a split vocabulary": r"^(Split\w*\s*=\s*Literal|SPLITS\s*[:=]|SPLIT_COLUMNS\s*[:=])",
    "the receipt events": r'"sent",\s*"delivered",\s*"received",\s*"impression"',
    "the event types": r'"entered",\s*"control",\s*"sent"',
    "the granularities": r'"day",\s*"week",\s*"month"',
    "a split's label list": r'"variant_id":\s*"Variant"|"variant":\s*"Variant"',
    "the machine-prone events": r"^MACHINE_PRONE\w*\s*[:=]",
}


def test_no_module_keeps_its_own_copy_of_the_vocabulary() -> None:
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in SOURCES
        for what, pattern in COPIES.items()
        if re.search(pattern, path.read_text(), re.MULTILINE)
    ]
    assert found == []


def test_the_vocabularies_are_consistent() -> None:
    assert set(RECEIPT_TYPES) <= set(EVENT_TYPES)
    assert set(MACHINE_PRONE_TYPES) <= set(RECEIPT_TYPES)
    assert GRANULARITIES == ("day", "week", "month")
    assert [split_column(split) for split in SPLITS] == list(SPLIT_COLUMNS)
    assert SPLIT_LABELS == {"variant": "Variant", "platform": "Platform", "action": "Action"}
