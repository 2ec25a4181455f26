"""The Experiment page: chart specs, the headline, and the page drawn by AppTest."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from metrics.experiments import compare_proportions
from metrics.report_model import (
    CampaignInfo,
    CampaignReport,
    Kpis,
    RangeInfo,
    SessionsSummary,
    VariantRow,
    rows_to_frame,
)
from ui.experiment_charts import VERDICT_COLOURS, interval_frame, interval_plot, variant_trend_chart
from ui.experiment_view import (
    headline,
    p_value_text,
    runner_up_sentence,
    variant_table,
    variants_csv,
)


def _row(
    variant_id: str, users: int, converted: int | None, *, control: bool = False
) -> VariantRow:
    return VariantRow(
        variant_id=variant_id,
        name="Control" if control else f"Variant {variant_id}",
        is_control=control,
        is_baseline=False,
        users=users,
        messages_sent=users,
        impressions=users,
        opens=users // 2,
        clicks=users // 10,
        ctr=0.1 if users else None,
        errors=0,
        converted_users=converted,
        conversion_rate=None if converted is None or not users else converted / users,
    )


def _compared(rows: list[VariantRow]) -> list[VariantRow]:
    """Mark the first row as baseline and compare the others with it, as the report does."""
    base = rows[0].model_copy(update={"is_baseline": True})
    out = [base]
    for row in rows[1:]:
        comparison = compare_proportions(
            row.converted_users or 0, row.users, base.converted_users or 0, base.users
        )
        out.append(row.model_copy(update=comparison.model_dump()))
    return out


# Demo-like A/B test: control 40/1000 = 4 %, A 180/4500 = 4 %, B 270/4500 = 6 %
AB_ROWS = _compared(
    [_row("control", 1_000, 40, control=True), _row("A", 4_500, 180), _row("B", 4_500, 270)]
)


def _report(
    rows: list[VariantRow], srm_p_value: float | None, conversion_event: str | None = "purchase"
) -> CampaignReport:
    kpis: dict[str, Any] = {
        name: ({} if name == "errors_by_code" else 0) for name in Kpis.model_fields
    }
    start = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    return CampaignReport(
        campaign=CampaignInfo(
            campaign_id="push_black_friday",
            name="Black Friday",
            channel="push",
            started_at=start,
            ended_at=None,
            conversion_event=conversion_event,
            conversion_window_hours=72,
        ),
        range=RangeInfo(start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 22), tz="UTC"),
        data_as_of=None,
        kpis=Kpis(**kpis),
        variants=rows,
        srm_p_value=srm_p_value,
        actions=[],
        runs=[],
        links=[],
        platforms=[],
        devices=[],
        daily=[],
        open_times=[],
        open_punch_card=[],
        sessions=SessionsSummary(
            before_start=start,
            during_start=start,
            during_end=start,
            sessions_per_day_before=None,
            sessions_per_day_during=None,
            avg_session_seconds_before=None,
            avg_session_seconds_during=None,
            daily=[],
        ),
    )


def _layers(spec: dict) -> list[dict]:
    return spec["layer"]


def test_interval_plot_draws_a_zero_rule_an_error_bar_and_a_point_per_variant():
    spec = interval_plot(rows_to_frame(AB_ROWS, VariantRow)).to_dict()

    zero, bars, dots = _layers(spec)
    assert zero["mark"]["type"] == "rule"
    assert zero["encoding"]["x"]["field"] == "zero"
    zero_values = spec["datasets"][zero["data"]["name"]]
    assert zero_values == [{"zero": 0.0}]
    assert bars["mark"]["type"] == "rule"
    assert bars["encoding"]["x"]["field"] == "diff_ci_low_pp"
    assert bars["encoding"]["x2"]["field"] == "diff_ci_high_pp"
    assert "percentage points" in bars["encoding"]["x"]["title"]
    assert dots["mark"]["type"] == "point"
    assert dots["encoding"]["x"]["field"] == "diff_pp"
    assert dots["encoding"]["y"]["title"] == "Variant"


def test_interval_plot_colours_by_verdict_and_explains_each_point_in_its_tooltip():
    spec = interval_plot(rows_to_frame(AB_ROWS, VariantRow)).to_dict()
    dots = _layers(spec)[2]

    colour = dots["encoding"]["color"]
    assert colour["field"] == "verdict"
    assert colour["scale"]["domain"] == ["better", "worse", "not yet clear"]
    assert colour["scale"]["range"] == list(VERDICT_COLOURS.values())
    tooltip_fields = {item["field"] for item in dots["encoding"]["tooltip"]}
    assert {
        "conversion_rate",
        "baseline_rate",
        "diff_pp",
        "diff_ci_low_pp",
        "diff_ci_high_pp",
        "p_value",
        "chance_to_beat_control",
    } <= tooltip_fields


def test_interval_frame_leaves_out_the_baseline_and_converts_to_points():
    points = interval_frame(rows_to_frame(AB_ROWS, VariantRow))

    assert points["variant"].to_list() == ["Variant A", "Variant B"]
    # B: 6 % - 4 % = +2 percentage points; A: 4 % - 4 % = 0
    assert points["diff_pp"].to_list() == pytest.approx([0.0, 2.0])
    # B vs control: z = 0.02 / sqrt(.0564*.9436*(1/4500+1/1000)) = 2.42 -> p = 0.0155: better
    assert points["verdict"].to_list() == ["not yet clear", "better"]
    assert points["baseline_rate"].to_list() == pytest.approx([0.04, 0.04])


def test_variant_trend_chart_draws_a_line_per_variant_with_titled_axes():
    frame = pl.DataFrame(
        {
            "date": [dt.date(2026, 11, 2), dt.date(2026, 11, 2), dt.date(2026, 11, 3)],
            "split": ["A", "B", "A"],
            "value": [10.0, 12.0, 11.0],
        }
    )
    spec = variant_trend_chart(frame, "Conversions").to_dict()

    assert spec["mark"]["type"] == "line"
    encoding = spec["encoding"]
    assert (encoding["x"]["field"], encoding["x"]["type"]) == ("date", "temporal")
    assert encoding["y"]["title"] == "Conversions"
    assert encoding["color"]["field"] == "split"
    assert encoding["color"]["title"] == "Variant"
    assert {item["field"] for item in encoding["tooltip"]} == {"date", "split", "value"}


def test_variant_trend_chart_accepts_a_variant_id_column():
    frame = pl.DataFrame({"date": [dt.date(2026, 11, 2)], "variant_id": ["A"], "value": [1.0]})
    spec = variant_trend_chart(frame, "Clicks").to_dict()
    assert spec["encoding"]["color"]["field"] == "split"
    assert spec["datasets"][spec["data"]["name"]][0]["split"] == "A"


def test_charts_leave_text_colours_to_the_theme():
    for chart in (
        interval_plot(rows_to_frame(AB_ROWS, VariantRow)),
        variant_trend_chart(
            pl.DataFrame({"date": [dt.date(2026, 11, 2)], "split": ["A"], "value": [1.0]}), "X"
        ),
    ):
        text = str(chart.to_dict()).lower()
        for colour in ("#000", "#fff", "'black'", "'white'"):
            assert colour not in text


def test_headline_names_the_better_variant_with_its_lift_interval_in_plain_words():
    sentence = headline(AB_ROWS)
    # B: lift = 0.06 / 0.04 - 1 = +50 %; p = 0.0155 -> "unlikely to be chance"
    assert sentence is not None
    assert sentence.startswith("Variant B converts 50 % better than control (95 % interval +")
    assert sentence.endswith("; this is unlikely to be chance.")


def test_headline_says_not_yet_clear_when_nothing_is_significant():
    rows = _compared([_row("control", 100, 4, control=True), _row("A", 100, 5)])
    sentence = headline(rows)
    # 5 % vs 4 %: lift +25 %, p = 0.73
    assert sentence is not None
    assert "converts 25 % better than control" in sentence
    assert "could still be chance" in sentence


def test_headline_falls_back_to_points_when_control_converted_nobody():
    rows = _compared([_row("control", 100, 0, control=True), _row("A", 100, 5)])
    sentence = headline(rows)
    assert sentence is not None
    assert "5.00 percentage points more users than control, which converted nobody" in sentence


def test_runner_up_sentence_compares_the_best_message_with_the_next_best():
    sentence = runner_up_sentence(AB_ROWS)
    # B 6 % vs A 4 %: lift +50 %; pooled 5 %, z = 0.02 / sqrt(.05*.95*2/4500) = 4.35, p ~ 1e-5
    assert sentence is not None
    assert sentence.startswith(
        "Between the messages: Variant B converts 50 % better than Variant A"
    )
    assert sentence.endswith("this is very unlikely to be chance.")


def test_runner_up_sentence_needs_two_messages():
    rows = _compared([_row("control", 1_000, 40, control=True), _row("A", 4_500, 180)])
    assert runner_up_sentence(rows) is None


def test_p_values_read_as_plain_numbers():
    assert p_value_text(2.7e-17) == "< 0.0001"
    assert p_value_text(0.01234) == "0.0123"
    assert p_value_text(None) is None


def test_variant_table_shows_rates_in_percent_and_verdict_words():
    table = variant_table(AB_ROWS)

    assert table["verdict"].to_list() == ["baseline", "not yet clear", "better"]
    assert table["conversion_rate"].to_list() == pytest.approx([4.0, 4.0, 6.0])
    assert table["lift"][2] == pytest.approx(50.0)


def test_csv_download_keeps_report_keys_and_fractions():
    lines = variants_csv(AB_ROWS).splitlines()
    header = lines[0].split(",")
    assert header[0] == "variant_id" and header[-1] == "verdict"
    assert "chance_to_beat_control" in header
    b = dict(zip(header, lines[3].split(","), strict=True))
    assert float(b["conversion_rate"]) == pytest.approx(0.06)
    assert b["verdict"] == "better"


def _page(**data: object) -> None:
    """The page script AppTest runs: its source is copied alone, so it imports for itself."""
    import polars as pl

    from metrics.report_model import CampaignReport
    from ui.experiment_view import render_experiment

    report, trends = data["report"], data["trends"]
    assert isinstance(report, CampaignReport)
    assert trends is None or isinstance(trends, pl.DataFrame)
    render_experiment(report, trends, "Conversions")


def _run(report: CampaignReport, trends: pl.DataFrame | None = None) -> AppTest:
    app = AppTest.from_function(_page, kwargs={"report": report, "trends": trends})
    app.run(timeout=30)
    assert not app.exception
    return app


TRENDS = pl.DataFrame(
    {"date": [dt.date(2026, 11, 2)] * 2, "split": ["A", "B"], "value": [3.0, 5.0]}
)


def test_page_warns_that_a_broken_split_is_not_to_be_trusted():
    app = _run(_report(AB_ROWS, srm_p_value=1e-9), TRENDS)

    assert len(app.error) == 1
    assert "the split is broken" in app.error[0].value.lower()
    assert "not to be trusted" in app.error[0].value


def test_page_has_no_banner_for_a_healthy_split_and_tells_the_verdict():
    app = _run(_report(AB_ROWS, srm_p_value=0.4), TRENDS)

    assert len(app.error) == 0
    markdown = " ".join(element.value for element in app.markdown)
    assert "Variant B converts 50 % better than control" in markdown
    assert "Between the messages: Variant B converts 50 % better than Variant A" in markdown
    table = app.dataframe[0].value
    assert list(table["verdict"]) == ["baseline", "not yet clear", "better"]
    assert len(app.get("download_button")) == 1
    assert len(app.get("vega_lite_chart")) == 2  # interval plot and trends


def test_page_without_variants_says_so_and_what_to_do():
    app = _run(_report([], srm_p_value=None))

    assert "no A/B variants" in app.info[0].value
    assert len(app.dataframe) == 0


def test_page_with_a_single_variant_says_there_is_nothing_to_compare():
    rows = _compared([_row("A", 100, 5)])
    app = _run(_report(rows, srm_p_value=None))

    assert "single variant" in app.info[0].value
    assert len(app.dataframe) == 1


def test_page_without_a_goal_says_a_comparison_needs_one():
    rows = _compared([_row("A", 100, None), _row("B", 100, None)])
    app = _run(_report(rows, srm_p_value=0.9, conversion_event=None))

    assert "no conversion goal" in app.info[0].value
    shown = list(app.dataframe[0].proto.column_order)
    assert "users" in shown and "ctr" in shown
    assert not {"verdict", "conversion_rate", "lift", "p_value"} & set(shown)
    assert len(app.get("vega_lite_chart")) == 0  # no interval plot, no trends given


def test_page_with_zero_users_says_nobody_received_a_variant():
    rows = _compared([_row("control", 0, 0, control=True), _row("A", 0, 0)])
    app = _run(_report(rows, srm_p_value=None))

    assert "No user received any variant" in app.info[0].value
    assert len(app.dataframe) == 0
