"""Experiment: the A/B comparison of the campaign's variants (drawn by ui.experiment_view)."""

from __future__ import annotations

from metrics.series import EXPLORABLE_FIGURES
from ui import data_access, page_kit
from ui.experiment_view import render_experiment

url, view = page_kit.view()
report = page_kit.report(url, view)
page_kit.header("Experiment", report)
figure = "conversions" if report.campaign.conversion_event else "clicks"
trends = data_access.series(url, view, figure, "variant") if report.variants else None
render_experiment(report, trends, EXPLORABLE_FIGURES[figure])
