"""Every figure the report shows has a tooltip text, from one place."""

from __future__ import annotations

from pydantic import BaseModel

from metrics import report_model
from metrics.help_texts import HELP, help_for

FIGURE_MODELS: list[type[BaseModel]] = [
    report_model.Kpis,
    report_model.VariantRow,
    report_model.ActionRow,
    report_model.RunRow,
    report_model.LinkRow,
    report_model.PlatformRow,
    report_model.DeviceRow,
    report_model.DailyRow,
    report_model.OpenTimeRow,
    report_model.PunchCardRow,
    report_model.SessionDayRow,
    report_model.SessionsSummary,
]
NOT_FIGURES = {"name", "daily"}  # a label and a list of rows, described by their own keys


def test_every_figure_key_of_the_report_has_a_help_text() -> None:
    keys = {key for model in FIGURE_MODELS for key in model.model_fields} - NOT_FIGURES
    assert sorted(keys - set(HELP)) == []
    assert all(text.strip() for text in HELP.values())


def test_help_for_gives_the_text_or_nothing() -> None:
    assert help_for("open_rate") == "Unique opens divided by recipients."
    assert help_for("no_such_figure") == ""
