"""Where reviews were held (seed 11), from the store: the query and `iro-bot report`, on SQLite
and PostgreSQL.

The period is 2023-24 (1 April 2023 - 31 March 2024), last period 2022-23. The reviews stored,
with where each was held:

- A (in care from 2 May 2023): full review 30 May 2023 in Hampshire; a split review, Part 1
  5 Sep 2023 in "hampshire" (typed in other capitals) and Part 2 20 Sep 2023 in West Berkshire.
- B (in care since 2021): 26 Apr 2023 in "Isle of Wight" (not on the list), 27 Oct 2023 in
  "isle of wight", 28 Apr 2022 in Wiltshire, 27 Oct 2022 with no place (before the bot asked).
- C (no period of care known): 1 Aug 2023 in West Berkshire, 1 Apr 2024 (after the period) in
  Dorset, 31 Mar 2022 (before the last period) in Kent.

Every meeting counts, a split review's two parts as two, and C's review though the reviews
section cannot number it. 2023-24: West Berkshire 2 (A's Part 2, C), Hampshire 2 (A's full
review and Part 1; equal, so in the list's order), Isle of Wight 2 (typed, after the list's
places); 6 meetings. 2022-23: Wiltshire 1,
not recorded 1; 2 meetings.
"""

from __future__ import annotations

import csv
from datetime import date

from sqlalchemy import delete

from domain.report_locations import ReviewLocation
from domain.reporting import Compared, Period
from domain.rules import load_rules
from services.reports.build import build_report
from storage.models import Child, PeriodOfCare, Review
from storage.reporting import load_review_locations
from tests.integration.test_report import cli  # noqa: F401  (the `iro-bot` runner fixture)

RULES = load_rules()
THIS_YEAR = Period(date(2023, 4, 1), date(2024, 3, 31))
SPAN = Period(date(2022, 4, 1), date(2024, 3, 31))

EXPECTED_ROWS = (
    ("West Berkshire", Compared(2, 0)),  # equal this and last: the list's order
    ("Hampshire", Compared(2, 0)),
    ("Wiltshire", Compared(0, 1)),
    ("Isle of Wight", Compared(2, 0)),
    ("not recorded", Compared(0, 1)),
)


async def store_reviews(sessions) -> None:
    async with sessions() as session, session.begin():
        a = Child(child_id="A", looked_after_since=date(2023, 5, 2))
        b = Child(child_id="B", looked_after_since=date(2021, 1, 4))
        c = Child(child_id="C", looked_after_since=None)
        session.add_all([a, b, c])
        await session.flush()
        session.add_all([
            PeriodOfCare(child_pk=a.id, started_on=date(2023, 5, 2)),
            PeriodOfCare(child_pk=b.id, started_on=date(2021, 1, 4)),
            Review(child_pk=a.id, held_on=date(2023, 5, 30), held_at="Hampshire"),
            Review(child_pk=a.id, held_on=date(2023, 9, 5), part="part1", held_at="hampshire",
                   part1_reason="Placement move or placement breakdown"),
            Review(child_pk=a.id, held_on=date(2023, 9, 20), part="part2",
                   held_at="West Berkshire"),
            Review(child_pk=b.id, held_on=date(2023, 4, 26), held_at="Isle of Wight"),
            Review(child_pk=b.id, held_on=date(2023, 10, 27), held_at="isle of wight"),
            Review(child_pk=b.id, held_on=date(2022, 4, 28), held_at="Wiltshire"),
            Review(child_pk=b.id, held_on=date(2022, 10, 27)),
            Review(child_pk=c.id, held_on=date(2023, 8, 1), held_at="West Berkshire"),
            Review(child_pk=c.id, held_on=date(2024, 4, 1), held_at="Dorset"),
            Review(child_pk=c.id, held_on=date(2022, 3, 31), held_at="Kent"),
        ])  # fmt: skip


async def test_the_query_reads_every_meeting_in_the_span_with_its_place(sessions) -> None:
    await store_reviews(sessions)
    async with sessions() as session:
        found = await load_review_locations(session, SPAN)
    assert sorted(found, key=lambda f: f.held_on) == [
        ReviewLocation(date(2022, 4, 28), "Wiltshire"),
        ReviewLocation(date(2022, 10, 27), None),
        ReviewLocation(date(2023, 4, 26), "Isle of Wight"),
        ReviewLocation(date(2023, 5, 30), "Hampshire"),
        ReviewLocation(date(2023, 8, 1), "West Berkshire"),
        ReviewLocation(date(2023, 9, 5), "hampshire"),
        ReviewLocation(date(2023, 9, 20), "West Berkshire"),
        ReviewLocation(date(2023, 10, 27), "isle of wight"),
    ]
    async with sessions() as session:
        assert await load_review_locations(session, Period(date(2025, 1, 1), date(2025, 12, 31))
                                           ) == []  # fmt: skip


async def test_the_section_follows_the_reviews_and_counts_each_meeting(sessions) -> None:
    await store_reviews(sessions)
    async with sessions() as session:
        report = await build_report(session, THIS_YEAR, RULES, date(2024, 6, 1))
    keys = [section.key for section in report.sections]
    assert keys[keys.index("reviews") + 1] == "locations"
    section = report.sections[keys.index("locations")]
    assert section.title == "Where reviews were held"
    assert report.table("reviews_by_locality").rows == EXPECTED_ROWS
    assert section.summary[0].startswith("6 (2) review meetings were held in 2023-24")
    # The reviews section counts A's split review once and cannot number C's: fewer.
    held = report.table("reviews_held").rows[0]
    assert held[0] == "All reviews held" and held[1].this < 6  # type: ignore[union-attr]


async def test_iro_bot_report_writes_the_table_as_csv_and_html(cli, sessions, tmp_path):  # noqa: F811
    await store_reviews(sessions)
    out = tmp_path / "report"
    status, _, err = await cli(
        "report", "--from", "01/04/2023", "--to", "31/03/2024", "--format", "csv",
        "--out", out, "--today", "01/06/2024", "--sections", "locations",
    )  # fmt: skip
    assert status == 0, err
    with (out / "reviews_by_locality.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["locality", "this_period", "last_period"],
        ["West Berkshire", "2", "0"],
        ["Hampshire", "2", "0"],
        ["Wiltshire", "0", "1"],
        ["Isle of Wight", "2", "0"],
        ["not recorded", "0", "1"],
    ]
    page = tmp_path / "report.html"
    status, _, err = await cli(
        "report", "--from", "01/04/2023", "--to", "31/03/2024", "--out", page,
        "--today", "01/06/2024",
    )  # fmt: skip
    assert status == 0, err
    html = page.read_text(encoding="utf-8")
    assert "Where reviews were held" in html and "Number and location of the CIC reviews" in html
    assert html.index("Child in care reviews") < html.index("Where reviews were held") \
        < html.index("Children leaving care")  # fmt: skip


async def test_no_reviews_gives_an_empty_table_said_so(sessions) -> None:
    await store_reviews(sessions)
    async with sessions() as session, session.begin():
        await session.execute(delete(Review))
    async with sessions() as session:
        report = await build_report(session, THIS_YEAR, RULES, date(2024, 6, 1))
    table = report.table("reviews_by_locality")
    assert table.rows == () and table.note == "None in either period."
