"""Participation (seed 14.1, 14.2) and missing from care (seed 19.4-19.12), end to end.

A hand-written SSDA903 return (tests/fixtures/ssda903_hand_participation) goes in through
`iro-bot import ssda903`, the chaired answers through `iro-bot import reviews`, and
`iro-bot report` must give back every figure worked out by hand below; on SQLite and PostgreSQL.
The shared 903 fixtures and the demo authority must report without error, with every record in
scope either counted or left out with a reason.

The period is 2023-24 (1 April 2023 - 31 March 2024), last period 2022-23.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli.demo_data import seed_demo
from bot.reports.csvfiles import csv_files
from bot.reports.html import render_html
from bot.reports.markdown import render_markdown
from domain.report_missing import DURATION_BANDS, EPISODE_BANDS
from domain.reporting import Compared, Period, Report, provenance_text
from domain.rules import load_rules
from services.imports import run_import
from services.reports.build import build_report
from storage.models import MissingEpisode, Review
from tests.integration import test_report
from tests.integration.test_report import Cli

# `iro-bot ...` against the test's own database: the fixture test_report.py defines.
cli = test_report.cli

RULES = load_rules()
THIS_YEAR = Period(date(2023, 4, 1), date(2024, 3, 31))
HAND = Path(__file__).resolve().parents[1] / "fixtures" / "ssda903_hand_participation"
SHARED_903 = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "ssda903"

# -- participation, worked out from reviews.csv and chaired/reviews.csv -------------------------
#
# Children (header.csv): P1 born 15/06/2012, P2 born 10/05/2019 (4 on 10/05/2023), P3 born
# 01/01/2021 (under 4 throughout), P4 born 03/03/2008.
#
# 2023-24, the 12 reviews held:
#   Apr  P1 05/04 PN1 contributed;  P2 20/04 PN0, aged 3: under 4, left out
#   May  P4 10/05 PN7 did not contribute
#   Jun  P3 01/06 PN5, aged 2: code says 4+, DOB says under 4: left out
#        P1 15/06 PN6 contributed (her 11th birthday)
#   Aug  P4 10/08 no code: left out
#   Sep  P1 20/09 PN4 contributed (attended without contributing counts, as PN1-PN6 do)
#   Nov  P2 01/11 PN0, aged 4: code says under 4, DOB says 4+: left out
#   Dec  P4 12/12 PN2 contributed
#   Jan  P2 15/01 PN3 contributed (aged 4)
#   Mar  P4 08/03 PN7 did not;  P1 20/03 PN1 contributed
# Counted 8 (6 contributed, 2 PN7) + left out 4 = 12 held. 6/8 = 75%.
# Month by month (contributed/measured, then to date):
#   Apr 1/1 100% (1/1 100%); May 0/1 0% (1/2 50%); Jun 1/1 100% (2/3 66.7%);
#   Jul, Aug none (2/3); Sep 1/1 (3/4 75%); Oct, Nov none (3/4); Dec 1/1 (4/5 80%);
#   Jan 1/1 (5/6 83.3%); Feb none (5/6); Mar 1/2 50% (6/8 75%).
# 2022-23, 3 reviews: P4 01/04/2022 PN5 contributed, P1 10/10/2022 PN1 contributed, P4
# 15/03/2023 PN7. 2/3 = 66.7%: Apr 1/1 (1/1), Oct 1/1 (2/2), Mar 0/1 (2/3); nothing left out.
#
# Chaired (chaired/reviews.csv, matched to the 903's reviews): 2023-24 P1 05/04 yes, P1 20/03
# yes, P4 12/12 no, P2 15/01 blank (not recorded): 2 reviews chaired by 1 young person, 3
# recorded, 12 - 3 = 9 not recorded. 2022-23 P4 15/03/2023 yes: 1 by 1, 1 recorded, 2 not.
_ = None  # a month with no review of a child aged 4+: no percentage ("–")
PARTICIPATION_BY_MONTH = {
    # month: (reviews, contributed, % month, % to date) this period, then last period
    "Apr-23 (Apr-22)": ((1, 1, 100, 100), (1, 1, 100, 100)),
    "May-23 (May-22)": ((1, 0, 0, 50), (0, 0, _, 100)),
    "Jun-23 (Jun-22)": ((1, 1, 100, 66.7), (0, 0, _, 100)),
    "Jul-23 (Jul-22)": ((0, 0, _, 66.7), (0, 0, _, 100)),
    "Aug-23 (Aug-22)": ((0, 0, _, 66.7), (0, 0, _, 100)),
    "Sep-23 (Sep-22)": ((1, 1, 100, 75), (0, 0, _, 100)),
    "Oct-23 (Oct-22)": ((0, 0, _, 75), (1, 1, 100, 100)),
    "Nov-23 (Nov-22)": ((0, 0, _, 75), (0, 0, _, 100)),
    "Dec-23 (Dec-22)": ((1, 1, 100, 80), (0, 0, _, 100)),
    "Jan-24 (Jan-23)": ((1, 1, 100, 83.3), (0, 0, _, 100)),
    "Feb-24 (Feb-23)": ((0, 0, _, 83.3), (0, 0, _, 100)),
    "Mar-24 (Mar-23)": ((2, 1, 50, 75), (1, 0, 0, 66.7)),
    "Whole period": ((8, 6, 75, 75), (3, 2, 66.7, 66.7)),
}
PARTICIPATION_LEFT_OUT = {
    "reviews of children under 4 (PN0), outside the measure": (1, 0),
    "reviews coded PN0 (under 4) of a child aged 4 or over on the day by their date of birth": (
        1,
        0,
    ),
    "reviews coded PN1-PN7 of a child under 4 on the day by their date of birth": (1, 0),
    "reviews with no participation code (REVIEW_CODE) recorded": (1, 0),
}
CHAIRED = {
    "Young people who chaired their own review": (1, 1),
    "Reviews chaired by the young person": (2, 1),
    "Reviews where who chaired is recorded": (3, 1),
}

# -- missing, worked out from missing.csv -------------------------------------------------------
#
# M1 (female, born 20/02/2008) has 13 episodes; numbered in start order:
#   #1-#5 in 2021 (before both periods: they only number the later ones)
#   #6 10/06/2022 M, back 11/06 (1 day), aged 14                        -> 2022-23
#   #7 05/04/2023 M 0 days; #8 20/04/2023 A 2 days; #9 01/06/2023 M 3 days;
#   #10 10/06/2023 M 4 days; #11 01/08/2023 M 5 days; #12 01/10/2023 M 10 days;
#   #13 01/12/2023 M no end; all aged 15                                 -> 2023-24
# M2 (male, born 01/09/2010): #1 15/01/2023 M 0 days, #2 01/02/2023 M 1 day, #3 01/03/2023 A
#   2 days (aged 12, 2022-23); #4 01/04/2023 M 0 days (aged 12), #5 02/09/2023 kind blank,
#   1 day (aged 13) (2023-24).
# M3 (male, born 30/06/2006): #1 15/05/2023 M 1 day (aged 16); #2 05/04/2024 is after both.
# M4 (female, born 12/12/2009): #1 01/05/2022 A 8 days (aged 12, 2022-23).
#
# 2023-24: 10 episodes (M1 7, M2 2, M3 1): M 8, A 1 (M1 #8), kind blank 1 (M2 #5); 3 children,
#   1 female (M1), 2 male; ages 12 (M2) to 16 (M3).
# 2022-23: 5 episodes (M1 #6, M2 #1-#3, M4): M 3, A 2 (M2 #3, M4); 3 children, 2 female (M1,
#   M4), 1 male; ages 12 (M2, M4) to 14 (M1).
# The 903 has no return home interviews: every episode's is not recorded (10 (5), 100%).
MISSING_SUMMARY = {
    "Missing episodes": (10, 5),
    "of which missing (M: whereabouts not known)": (8, 3),
    "of which away from placement without authorisation (A)": (1, 2),
    "of which M or A not recorded": (1, 0),
    "Children who went missing": (3, 3),
    "of whom female": (1, 2),
    "of whom male": (2, 1),
    "Youngest age at the start of an episode": (12, 12),
    "Oldest age at the start of an episode": (16, 14),
    "Return home interview completed": (0, 0),
    "Return home interview refused": (0, 0),
    "Return home interview not recorded": (10, 5),
}
# By number. 2023-24: M3 #1 -> 1st; M2 #4, #5 -> 2nd-5th (2 episodes, 1 child); M1 #7-#10 ->
# 6th-10th (4, 1); M1 #11-#13 -> 11th-15th (3, 1). 10 episodes; children 1+1+1+1 = 4 for 3
# children, as in the seed (a child counts in each band they reach).
# 2022-23: M2 #1 and M4 #1 -> 1st (2, 2); M2 #2, #3 -> 2nd-5th (2, 1); M1 #6 -> 6th-10th (1, 1).
EPISODE_NUMBERS = {  # band: ((episodes, children) this period, (episodes, children) last)
    "1st reported episode": ((1, 1), (2, 2)),
    "2nd to 5th reported episode": ((2, 1), (2, 1)),
    "6th to 10th reported episode": ((4, 1), (1, 1)),
    "11th to 15th reported episode": ((3, 1), (0, 0)),
}
# By length (days from start date to end date). 2023-24: 0 or 1 day: M1 #7, M2 #4, M2 #5, M3
# (4 episodes, 3 children); 2 days M1 #8; 3 M1 #9; 4 M1 #10; 5 M1 #11; 10 M1 #12 (longer);
# M1 #13 has no end: left out. 9 + 1 = 10.
# 2022-23: 0 or 1 day M1 #6, M2 #1, #2 (3, 2); 2 days M2 #3; 8 days M4 (longer). 5, none out.
DURATIONS = {
    "Found within 24 hours (back the same or the next day)": ((4, 3), (3, 2)),
    "Found within 2 days": ((1, 1), (1, 1)),
    "Found within 3 days": ((1, 1), (0, 0)),
    "Found within 4 days": ((1, 1), (0, 0)),
    "Found within 5 days": ((1, 1), (0, 0)),
    "Longer than 5 days": ((1, 1), (1, 1)),
}
# MISS-STRAT (3 episodes within 3 months of the first, domain.missing). M1 2023-24: 05/04, 20/04,
# 01/06 -> reached on 01/06; 10/06 (four in the window) -> again; 01/08 with 01/06 and 10/06
# (05/04 and 20/04 are more than 3 months before) -> again; 01/10 (01/08 only) and 01/12 (01/10
# only) -> no. M1's 2021 run (01/02, 01/03, 01/05/2021) is before both periods.
# M2: 15/01, 01/02, 01/03/2023 -> reached on 01/03/2023 (2022-23); 01/04/2023 with all three
# (15/04/2023 is 3 months after 15/01) -> reached again in 2023-24, from a window opened last
# period; 02/09 alone -> no.
# 2023-24: 2 children (M1, M2), 4 episodes (3 + 1). 2022-23: 1 child (M2), 1 episode.
STRATEGY = {
    "Children with 3 or more episodes within 3 months": (2, 1),
    "Episodes that brought a child to 3 or more episodes within 3 months": (4, 1),
}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def number(text: str) -> float | None:
    return None if text == "" else float(text)


async def import_hand_return(cli: Cli) -> None:
    status, out, err = await cli("import", "ssda903", HAND)
    assert status == 0, out + err
    # P1 05/04/2023, P1 20/03/2024, P4 12/12/2023 and P4 15/03/2023 get an answer; P2's is blank.
    status, out, err = await cli("import", "reviews", HAND / "chaired" / "reviews.csv")
    assert status == 0, out + err
    assert "4 updated" in out and "1 unchanged" in out, out


async def test_hand_written_return_gives_every_figure(cli, sessions, tmp_path):
    await import_hand_return(cli)
    out = tmp_path / "csv"
    status, _, err = await cli(
        "report", "--from", "01/04/2023", "--to", "31/03/2024", "--format", "csv",
        "--out", out, "--today", "01/06/2024", "--sections", "participation,missing",
    )  # fmt: skip
    assert status == 0, err

    months = {
        r["month"]: (
            tuple(number(r[f"{c}_this_period"]) for c in _MONTH_COLUMNS),
            tuple(number(r[f"{c}_last_period"]) for c in _MONTH_COLUMNS),
        )
        for r in read_csv(out / "participation_by_month.csv")
    }
    assert months == PARTICIPATION_BY_MONTH
    assert _pairs(out / "participation_chaired.csv") == CHAIRED

    summary = read_csv(out / "missing_summary.csv")
    assert {
        r["measure"]: (int(r["number_this_period"]), int(r["number_last_period"])) for r in summary
    } == MISSING_SUMMARY
    assert [r["percent_this_period"] for r in summary if "interview" in r["measure"]] == [
        "0",
        "0",
        "100",
    ]
    assert _bands(out / "missing_episode_numbers.csv") == _all(EPISODE_BANDS, EPISODE_NUMBERS)
    assert _bands(out / "missing_durations.csv") == _all(DURATION_BANDS, DURATIONS)
    assert _pairs(out / "missing_strategy.csv") == STRATEGY

    # What each table left out, this period (last), as written beside the tables.
    sources = {
        (r["table"], r["left_out_reason"]): (int(r["left_out_this"]), int(r["left_out_last"]))
        for r in read_csv(out / "report_sources.csv")
        if r["left_out_reason"]
    }
    for reason, counts in PARTICIPATION_LEFT_OUT.items():
        assert sources[("participation_by_month", reason)] == counts
    assert sources[("participation_chaired", "reviews with who chaired not recorded")] == (9, 2)
    assert sources[("missing_durations", "episodes with no end date")] == (1, 0)

    # The report object agrees, and its words say what was left out.
    async with sessions() as session:
        report = await build_report(session, THIS_YEAR, RULES, date(2024, 6, 1))
    by_month = report.table("participation_by_month")
    assert "Left out: 1 (0) reviews of children under 4 (PN0), outside the measure;" in (
        provenance_text(by_month)
    )
    assert "Left out: 1 (0) episodes with no end date." in provenance_text(
        report.table("missing_durations")
    )
    assert_accounted(report, reviews=(12, 3), episodes=(10, 5))


_MONTH_COLUMNS = ("reviews", "contributed", "percent_month", "percent_to_date")


def _pairs(path: Path) -> dict[str, tuple[int, int]]:
    return {r["measure"]: (int(r["this_period"]), int(r["last_period"])) for r in read_csv(path)}


def _bands(path: Path) -> dict[str, tuple[tuple[int, int], tuple[int, int]]]:
    return {
        r["band"]: (
            (int(r["episodes_this_period"]), int(r["children_this_period"])),
            (int(r["episodes_last_period"]), int(r["children_last_period"])),
        )
        for r in read_csv(path)
    }


def _all(bands, given):  # every band in order, the ones not given with no episodes
    return {b.label: given.get(b.label, ((0, 0), (0, 0))) for b in bands}


def assert_accounted(report: Report, *, reviews: tuple[int, int], episodes: tuple[int, int]):
    """Counted + left out = the records in scope, in every table of both sections."""

    def this_last(cell: object) -> tuple[float, float]:
        assert isinstance(cell, Compared)
        return (cell.this or 0, cell.last or 0)

    def left(table_key: str) -> tuple[int, int]:
        table = report.table(table_key)
        return (sum(i.this for i in table.left_out), sum(i.last for i in table.left_out))

    by_month = report.table("participation_by_month")
    whole = this_last(by_month.rows[-1][1])
    assert tuple(map(sum, zip(whole, left("participation_by_month"), strict=True))) == reviews
    chaired = report.table("participation_chaired")
    recorded = this_last(chaired.rows[2][1])
    assert tuple(map(sum, zip(recorded, left("participation_chaired"), strict=True))) == reviews

    summary = report.table("missing_summary")
    assert this_last(summary.rows[0][1]) == episodes
    kinds = [this_last(row[1]) for row in summary.rows[1:4]]
    assert tuple(map(sum, zip(*kinds, strict=True))) == episodes
    for key in ("missing_episode_numbers", "missing_durations"):
        table = report.table(key)
        counted = [this_last(row[1]) for row in table.rows]
        total = tuple(map(sum, zip(*counted, left(key), strict=True)))
        assert total == episodes, key


async def test_html_and_markdown_read_this_and_last(cli, tmp_path):
    await import_hand_return(cli)
    html_path = tmp_path / "report.html"
    status, _, err = await cli(
        "report", "--from", "2023-04-01", "--to", "2024-03-31", "--out", html_path,
        "--sections", "participation,missing", "--today", "01/06/2024",
    )  # fmt: skip
    assert status == 0, err
    page = html_path.read_text(encoding="utf-8")
    assert "The child contributed to 75% (67%) of the reviews of children aged 4 and over" in page
    assert 'id="missing_durations"' in page and "Left out: 1 (0) episodes with no end date." in page
    status, markdown, err = await cli(
        "report", "--from", "01/04/2023", "--to", "31/03/2024", "--format", "md", "--out", "-",
        "--sections", "participation,missing",
    )  # fmt: skip
    assert status == 0, err
    assert "| Mar-24 (Mar-23) | 2 (1) | 1 (0) | 50% (0%) | 75% (67%) |" in markdown
    assert "| 6th to 10th reported episode | 4 (1) | 1 (1) |" in markdown


# -- the shared fixtures and the demo: complete, and every record accounted for -----------------


async def records_in_scope(sessions, period: Period) -> tuple[int, int]:
    async with sessions() as session:
        reviews = await session.scalar(
            select(func.count())
            .select_from(Review)
            .where(Review.held_on >= period.start, Review.held_on <= period.end)
        )
        episodes = await session.scalar(
            select(func.count())
            .select_from(MissingEpisode)
            .where(
                MissingEpisode.started_on >= period.start, MissingEpisode.started_on <= period.end
            )
        )
    return reviews or 0, episodes or 0


async def assert_complete(sessions, period: Period, today: date) -> Report:
    """Every section builds and every renderer draws it; every record is accounted for."""
    async with sessions() as session:
        report = await build_report(session, period, RULES, today)
    for section in ("participation", "missing"):
        assert section in render_html(report) and section in render_markdown(report)
    names = [file.name for file in csv_files(report)]
    assert len(names) == len(set(names))
    for table in ("participation_by_month", "missing_durations", "missing_strategy"):
        assert table in names
    this = await records_in_scope(sessions, report.period)
    last = await records_in_scope(sessions, report.previous)
    assert_accounted(report, reviews=(this[0], last[0]), episodes=(this[1], last[1]))
    return report


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_903.is_dir(), reason=f"shared fixtures not at {SHARED_903}")
async def test_shared_903_fixtures_report_every_record(sessions):
    # The fake data has rejected rows (tests/integration/test_importers.py): keep the rest.
    await run_import(
        sessions, "ssda903", [str(SHARED_903)], rules=RULES, today=date(2026, 4, 1), partial=True
    )
    # Its missing episodes start between March 2017 and February 2018: two half years.
    report = await assert_complete(
        sessions, Period(date(2017, 10, 1), date(2018, 3, 31)), date(2026, 4, 1)
    )
    reviews = report.table("participation_by_month").rows[-1][1]
    assert isinstance(reviews, Compared) and reviews.this and reviews.last
    episodes = report.table("missing_summary").rows[0][1]
    assert isinstance(episodes, Compared) and episodes.this and episodes.last


async def test_demo_authority_reports_every_record(sessions):
    today = date(2026, 4, 1)
    async with sessions() as session, session.begin():
        await seed_demo(session, RULES, today=today, seed=5, children=120)
    report = await assert_complete(sessions, Period(date(2025, 4, 1), date(2026, 3, 31)), today)
    by_month = report.table("participation_by_month")
    assert isinstance(by_month.rows[-1][1], Compared) and by_month.rows[-1][1].this
    assert report.table("missing_summary").rows[0][1].this  # type: ignore[union-attr]


# -- the chaired column of the bot's reviews import ----------------------------------------------


async def test_reviews_import_records_who_chaired_and_a_blank_never_clears_it(sessions, tmp_path):
    today = date(2026, 4, 1)

    async def load(text: str) -> list[str]:
        path = tmp_path / "reviews.csv"
        path.write_text(text, encoding="utf-8")
        report = await run_import(sessions, "reviews", [str(path)], rules=RULES, today=today)
        return [str(r) for f in report.files for r in f.rejections]

    await run_import(sessions, "ssda903", [str(HAND)], rules=RULES, today=today)
    assert await load(
        "child_id,review_date,part,chaired\n"
        "P1,05/04/2023,full,Y\n"  # the 903's review: now chaired
        "P1,01/02/2024,part1,no\n"  # a new review
        "P4,12/12/2023,full,sometimes\n"
    ) == [f"{tmp_path / 'reviews.csv'}, line 4, chaired: 'sometimes' is not yes or no (use "
          "yes/no, true/false, Y/N or 1/0)"]  # fmt: skip
    # The file had a rejected row, so nothing was written; again without it.
    assert not await load("child_id,review_date,part,chaired\nP1,05/04/2023,full,Y\n")
    assert not await load("child_id,review_date,part,chaired\nP1,01/02/2024,part1,no\n")
    assert not await load("child_id,review_date\nP1,05/04/2023\n")  # no column: left alone
    assert not await load("child_id,review_date,chaired\nP1,05/04/2023,\n")  # blank: left alone
    async with sessions() as session:
        chaired = dict(
            (await session.execute(select(Review.held_on, Review.chaired_by_child))).all()
        )
    assert chaired[date(2023, 4, 5)] is True and chaired[date(2024, 2, 1)] is False
    assert chaired[date(2023, 12, 12)] is None
