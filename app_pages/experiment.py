"""Experiment: the A/B comparison of the campaign's variants (drawn by ui.experiment_view)."""

from __future__ import annotations

import polars as pl

from metrics.series import EXPLORABLE_FIGURES
from ui import data_access, page_kit
from ui.experiment_view import render_experiment

url, view = page_kit.view()
report = page_kit.report(url, view)
page_kit.header("Experiment", report)
figure = "conversions" if report.campaign.conversion_event else "clicks"
trends = data_access.series(url, view, figure, "variant") if report.variants else None
if trends is not None:
    # the lines by the variants' names, as in the table above, not their ids
    names = {row.variant_id: row.name for row in report.variants}
    trends = trends.with_columns(pl.col("split").replace(names))
render_experiment(report, trends, EXPLORABLE_FIGURES[figure])
