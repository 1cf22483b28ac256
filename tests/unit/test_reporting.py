"""The report's pure parts: periods, "this (last)" figures, IR counting, renderers, charts."""

from __future__ import annotations

import io
from datetime import date

import pytest

from bot.reports.charts import chart_png
from bot.reports.csvfiles import write_csv
from bot.reports.html import render_html
from bot.reports.markdown import render_markdown
from domain.errors import DomainError
from domain.reporting import (
    Chart,
    Compared,
    IrFact,
    LeftOut,
    Period,
    Report,
    SectionResult,
    Series,
    Table,
    compared_csv,
    ir_figures,
    previous_period,
)
from storage.reporting.reviews import care_periods

D = date


@pytest.mark.parametrize(
    ("start", "end", "previous"),
    [
        # A leap year's April to March is compared with the April to March before it.
        (D(2023, 4, 1), D(2024, 3, 31), (D(2022, 4, 1), D(2023, 3, 31))),
        (D(2024, 4, 1), D(2025, 3, 31), (D(2023, 4, 1), D(2024, 3, 31))),
        # Quarters and single months step back by whole months, whatever their lengths.
        (D(2024, 1, 1), D(2024, 3, 31), (D(2023, 10, 1), D(2023, 12, 31))),
        (D(2024, 3, 1), D(2024, 3, 31), (D(2024, 2, 1), D(2024, 2, 29))),
        # Anything else steps back by its number of days.
        (D(2024, 3, 4), D(2024, 3, 10), (D(2024, 2, 26), D(2024, 3, 3))),
        (D(2024, 3, 15), D(2024, 3, 15), (D(2024, 3, 14), D(2024, 3, 14))),
    ],
)
def test_previous_period_has_the_same_length(start, end, previous):
    assert previous_period(Period(start, end)) == Period(*previous)


def test_period_labels_and_months():
    year = Period(D(2023, 4, 1), D(2024, 3, 31))
    assert year.label == "2023-24"
    assert Period(D(2024, 1, 1), D(2024, 3, 31)).label == "1 January 2024 to 31 March 2024"
    assert len(year.months()) == 12 and year.months()[-1] == D(2024, 3, 1)
    assert D(2024, 3, 31) in year and D(2024, 4, 1) not in year
    with pytest.raises(DomainError, match="before it starts"):
        Period(D(2024, 4, 1), D(2024, 3, 31))


def test_compared_text():
    assert Compared(6, 17).text() == "6 (17)"
    assert Compared(97.6, 98.0, percent=True).text() == "98% (98%)"
    assert Compared(None, 50.0, percent=True).text() == "– (50%)"


def test_compared_csv_splits_figures_and_keeps_text():
    rows = [("a", Compared(1, 2), "x", Compared(50.0, None, True))]
    file = compared_csv("t", "name", ("n", "note", "pct"), rows)
    assert file.columns == (
        "name", "n_this_period", "n_last_period", "note", "pct_this_period", "pct_last_period",
    )  # fmt: skip
    assert file.rows == (("a", 1, 2, "x", 50, None),)
    single = compared_csv("t", "reason", ("times",), [("r", Compared(3, 0))])
    assert single.columns == ("reason", "this_period", "last_period")


def ir(raised_on: date, raised: str, current: str, resolved: str | None, *reasons: str) -> IrFact:
    return IrFact("R", raised_on, raised, current, resolved, "Children in Care", reasons)


def test_ir_figures_count_by_the_date_raised():
    year = Period(D(2023, 4, 1), D(2024, 3, 31))
    facts = [
        ir(D(2023, 3, 31), "1", "1", "1", "a"),  # the day before: not counted
        ir(D(2023, 4, 1), "1", "3", "3", "a", "b"),  # escalated 1 -> 3
        ir(D(2024, 3, 31), "informal", "informal", None, "a"),  # still open
        ir(D(2024, 4, 1), "2", "2", "2", "a"),  # the day after
    ]
    figures = ir_figures(facts, year)
    assert figures.raised == 2
    assert figures.matrix == {"1": {"3": 1}, "informal": {None: 1}}
    assert figures.reasons == {"a": 2, "b": 1}
    assert figures.escalations == {("1", "3"): 1}
    assert figures.by_area == {"Children in Care": {"1": 1, "informal": 1}}


def test_care_periods_never_overlap():
    assert care_periods([], D(2024, 1, 1)) == [(D(2024, 1, 1), None)]
    assert care_periods([], None) == []
    # An open period followed by another ends the day before it; the current start is added.
    assert care_periods([(D(2020, 1, 1), None), (D(2022, 5, 1), D(2023, 1, 1))], D(2024, 2, 1)) == [
        (D(2020, 1, 1), D(2022, 4, 30)),
        (D(2022, 5, 1), D(2023, 1, 1)),
        (D(2024, 2, 1), None),
    ]


def _report() -> Report:
    table = Table(
        key="t",
        title="A <table>",
        columns=("Reason", "Times raised"),
        rows=(("late & lost", Compared(6, 17)), ("All", Compared(6, 17))),
        csv=(compared_csv("t", "reason", ("times",), [("late & lost", Compared(6, 17))]),),
        source="the IRs <raised>",
        left_out=(
            LeftOut("IRs with no stage", 2, 0),
            LeftOut("IRs never counted", 0, 0),
            LeftOut("IRs raised before the child was known", 0, 1),
        ),
        emphasis=frozenset({1}),
    )
    chart = Chart(
        key="c",
        title="By stage",
        categories=("Informal", "Stage 1"),
        series=(Series("2023-24", (4.0, 10.0)), Series("2022-23", (6.0, 22.0))),
        y_label="IRs",
        description="IRs by stage",
    )
    section = SectionResult(
        key="s", title="Section", summary=("22 (30) IRs.",), tables=(table,), charts=(chart,)
    )
    period = Period(D(2023, 4, 1), D(2024, 3, 31))
    return Report("Title", "West Berkshire Council", period, previous_period(period),
                  D(2024, 6, 1), (section,))  # fmt: skip


def test_html_is_self_contained_escaped_and_printable():
    page = render_html(_report(), draw=lambda chart: b"\x89PNG fake")
    assert "A &lt;table&gt;" in page and "late &amp; lost" in page
    assert '<td class="n">6 <span class="last">(17)</span></td>' in page
    assert '<tr class="total">' in page
    assert 'src="data:image/png;base64,iVBORyBmYWtl"' in page and 'alt="IRs by stage"' in page
    assert "@media print" in page and "@page" in page and "<link" not in page
    # Every table says what it was computed from and what it left out, this period (last);
    # a reason that left nothing out in either period is not printed.
    assert (
        '<p class="note source">Computed from the IRs &lt;raised&gt;. Left out: 2 (0) IRs with no '
        "stage; 0 (1) IRs raised before the child was known.</p>"
    ) in page
    assert "never counted" not in page


def test_markdown_and_csv(tmp_path):
    text = render_markdown(_report())
    assert "| late & lost | 6 (17) |" in text and "| **All** | **6 (17)** |" in text
    assert "| Stage 1 | 10 | 22 |" in text
    assert "_Computed from the IRs <raised>. Left out: 2 (0) IRs with no stage;" in text
    written = write_csv(_report(), tmp_path)
    assert [p.name for p in written] == ["t.csv", "c.csv", "report_sources.csv"]
    assert (tmp_path / "report_sources.csv").read_text().splitlines() == [
        "table,computed_from,left_out_reason,left_out_this,left_out_last",
        "t,the IRs <raised>,IRs with no stage,2,0",
        "t,the IRs <raised>,IRs never counted,0,0",
        "t,the IRs <raised>,IRs raised before the child was known,0,1",
    ]
    assert (tmp_path / "t.csv").read_text() == "reason,this_period,last_period\nlate & lost,6,17\n"
    assert (tmp_path / "c.csv").read_text().splitlines()[1] == "Informal,4,6"


def test_charts_are_real_pngs():
    from PIL import Image

    chart = _report().sections[0].charts[0]
    for stacked in (False, True):
        png = chart_png(Chart(**{**chart.__dict__, "stacked": stacked}))
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.size == (1400, 640)
