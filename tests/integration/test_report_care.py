"""Children in care, reviews, leaving care and IRO caseloads from a hand-written SSDA903 return.

``tests/fixtures/ssda903_hand_care/`` is imported as a person would (`iro-bot import people`,
`iro-bot import ssda903`, `iro-bot import children` for the IRO allocations) and the report is
written as CSV with `iro-bot report`; every figure is worked out below by hand, on SQLite and
PostgreSQL. This period is 2023-24 (1 April 2023 to 31 March 2024), last period 2022-23.

The children, their periods of care ([start, end): the end day is the day care ceased, when
they are no longer in care) and their allocated IRO:

- C1 (born 1 Jun 2010), [15 May 2021, open): an X1 change of placement on 1 Sep 2022 does not
  end care. IRO Ann.
- C2 (born 15 Nov 2005, UASC from uasc.csv), [20 Jun 2022, 15 Nov 2023) ended E17 on his 18th
  birthday. IRO Ann.
- C3 (born 3 Mar 2015), [1 Aug 2022, 28 Feb 2024) ended E11 (adopted), an X1 on 1 Jan 2023 in
  between. IRO Ben.
- C4 (born 12 Dec 2012), [10 Jan 2023, 30 Jun 2023) ended E4A, then [1 Sep 2023, 31 Jan 2024)
  ended E13. No IRO.
- C5 (born 5 May 2009), [1 May 2023, 31 May 2023) ended E8, then [1 Jul 2023, open). IRO Ann.
- C6 (born 20 Feb 2006, UASC from the header), [1 Mar 2023, 31 Mar 2023) ended E15. No IRO.
- C7 (born 1 Jan 2011): one episode from 1 Apr 2022 with RNE L, so care began before the
  return and its start is unknown: no period of care is stored. Three reviews. No IRO.
- C8 (born 1 Sep 2012), [31 Mar 2024, open). IRO Ben.

The rules are the default with a child population of 2,000 (so the rate is a whole number).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from domain.rules import DEFAULT_RULES_PATH
from storage.models import Review
from tests.integration.test_report import cli  # noqa: F401  (the `iro-bot` runner fixture)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "ssda903_hand_care"
TODAY = "01/06/2024"


def table(folder: Path, name: str) -> dict[str, tuple[str, ...]]:
    """A CSV file as first column -> the other columns."""
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return {row[0]: tuple(row[1:]) for row in rows}


def left_out(folder: Path, key: str) -> dict[str, tuple[int, int]]:
    with (folder / "report_sources.csv").open(encoding="utf-8", newline="") as handle:
        return {
            row["left_out_reason"]: (int(row["left_out_this"]), int(row["left_out_last"]))
            for row in csv.DictReader(handle)
            if row["table"] == key and row["left_out_reason"]
        }


async def import_hand_return(cli, tmp_path: Path) -> Path:  # noqa: F811
    rules = tmp_path / "rules.toml"
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    assert "child_population = 35800" in text
    rules.write_text(text.replace("child_population = 35800", "child_population = 2000"))
    for args in (
        ("people", FIXTURE / "people.csv"),
        ("ssda903", FIXTURE),
        ("children", FIXTURE / "children.csv"),
    ):
        status, out, err = await cli("import", *args)
        assert status == 0, out + err
        if args[0] == "ssda903":
            # C7's episode continues a period begun before the return: none stored.
            assert "1 child with episodes here that continue a period of care" in out, out
    return rules


async def test_hand_return_children_in_care_reviews_leaving_and_caseloads(cli, tmp_path):  # noqa: F811
    rules = await import_hand_return(cli, tmp_path)
    out = tmp_path / "report"
    status, _, err = await cli(
        "report", "--from", "01/04/2023", "--to", "31/03/2024", "--format", "csv",
        "--out", out, "--rules", rules, "--today", TODAY,
    )  # fmt: skip
    assert status == 0, err

    # -- children in care at each month end (this period; last period in the second column) --
    # This period: C1 every month end. C2 until Oct (ceased 15 Nov). C3 until Jan (ceased
    # 28 Feb, so not at 29 Feb). C4 Apr, May (ceased 30 Jun: not at 30 Jun), then Sep-Dec
    # (ceased 31 Jan: not at 31 Jan). C5 not at 31 May (ceased that day), then Jul-Mar. C8 only
    # at 31 Mar (started that day). C6 none: ceased on 31 Mar 2023, the day it would count.
    #   Apr C1 C2 C3 C4 = 4; May 4; Jun C1 C2 C3 = 3; Jul C1 C2 C3 C5 = 4; Aug 4;
    #   Sep C1 C2 C3 C4 C5 = 5; Oct 5; Nov C1 C3 C4 C5 = 4; Dec 4; Jan C1 C3 C5 = 3;
    #   Feb C1 C5 = 2; Mar C1 C5 C8 = 3.  Sum 45, mean 3.75 -> 3.8.
    # Last period: C1 every month end; C2 from 30 Jun 2022; C3 from 31 Aug; C4 from 31 Jan 2023.
    #   Apr 1, May 1, Jun 2, Jul 2, Aug-Dec 3, Jan-Mar 4.  Sum 33, mean 2.75 -> 2.8.
    # UASC: C2 (uasc.csv) while in care: this period Apr-Oct; last period Jun-Mar. C6 (header
    # UASC) is never in care at a month end.
    months = table(out, "children_in_care_by_month")
    assert months.pop("month_end") == (
        "in_care_this_period", "in_care_last_period", "uasc_this_period", "uasc_last_period",
    )  # fmt: skip
    assert months == {
        "2023-04-30": ("4", "1", "1", "0"),
        "2023-05-31": ("4", "1", "1", "0"),
        "2023-06-30": ("3", "2", "1", "1"),
        "2023-07-31": ("4", "2", "1", "1"),
        "2023-08-31": ("4", "3", "1", "1"),
        "2023-09-30": ("5", "3", "1", "1"),
        "2023-10-31": ("5", "3", "1", "1"),
        "2023-11-30": ("4", "3", "0", "1"),
        "2023-12-31": ("4", "3", "0", "1"),
        "2024-01-31": ("3", "4", "0", "1"),
        "2024-02-29": ("2", "4", "0", "1"),
        "2024-03-31": ("3", "4", "0", "1"),
    }
    # Started: this period C4 (1 Sep), C5 (1 May and 1 Jul: once), C8 (31 Mar) = 3, one further
    # start; last period C2, C3, C4 (10 Jan), C6 = 4. Ceased: this period C2, C3, C4 (30 Jun and
    # 31 Jan: once), C5 = 4, one further end; last period C6 = 1.
    # Rate per 10,000 of 2,000 children: 3 -> 15, 4 -> 20. UASC at the end: 0 of 3; 1 of 4 = 25%.
    assert table(out, "children_in_care") == {
        "measure": ("this_period", "last_period"),
        "Children in care on the last day": ("3", "4"),
        "of whom UASC": ("0", "1"),
        "% UASC": ("0", "25"),
        "Children in care per 10,000 children": ("15", "20"),
        "Average in care at the month ends": ("3.8", "2.8"),
        "Children who started to be looked after": ("3", "4"),
        "Children who ceased to be looked after": ("4", "1"),
    }
    no_period = (
        "children with a review in the period but no known period of care (their start is not "
        "in the data), so not counted as in care"
    )
    assert left_out(out, "children_in_care") == {
        no_period: (1, 1),  # C7: reviews on 1 Jun and 1 Dec 2023; on 1 Oct 2022
        "further periods of care started by a child already counted as starting": (1, 0),
        "further periods of care ended by a child already counted as ceasing": (1, 0),
    }
    assert left_out(out, "children_in_care_by_month") == {no_period: (1, 1)}

    # -- reviews (7.5) ------------------------------------------------------------------------
    # This period, numbered within each child's period of care:
    #   C1 5 Aug 2023 (6th; due 10 Aug) and 1 Feb 2024 (7th; due 5 Feb): subsequent, on time.
    #   C2 10 Apr 2023 (3rd; due 20 Apr, 6 months after 20 Oct 2022): subsequent, on time.
    #   C3 15 May 2023 (3rd; due 20 May) and 10 Nov 2023 (4th; due 15 Nov): subsequent, on time.
    #   C4 1 May 2023: second of the first period (due 2 May, 3 months after 2 Feb): on time.
    #   C4 5 Oct 2023: initial of the second period, due 20 working days after Fri 1 Sep 2023
    #     = Fri 29 Sep (4-8, 11-15, 18-22, 25-29 Sep): late.
    #   C5 20 Jul 2023: initial, due 20 working days after Sat 1 Jul = Fri 28 Jul: on time;
    #     18 Oct (second; due 20 Oct) and 15 Mar 2024 (3rd; due 18 Apr): on time.
    #   Held 10: initial 2 (C4, C5), second 2 (C4, C5), subsequent 6; late 1; 9/10 = 90%.
    #   About 10 x 7 / 366 days = 0.19 a week -> 0.
    # Last period:
    #   C1 15 Aug 2022 (4th; due 20 Aug) and 10 Feb 2023 (5th; due 15 Feb): on time.
    #   C2 12 Jul 2022: initial, due 20 working days after Mon 20 Jun 2022 = Mon 18 Jul: on
    #     time; 20 Oct 2022: second, due 12 Oct: late.
    #   C3 25 Aug 2022: initial, due 20 working days after Mon 1 Aug 2022 = Tue 30 Aug (29 Aug
    #     was the summer bank holiday): on time; 20 Nov 2022: second, due 25 Nov: on time.
    #   C4 2 Feb 2023: initial, due 20 working days after Tue 10 Jan 2023 = Tue 7 Feb: on time.
    #   Held 7: initial 3, second 2, subsequent 2; late 1; 6/7 = 85.7% -> 86%. 7 x 7 / 365 -> 0.
    assert table(out, "reviews_held") == {
        "measure": ("this_period", "last_period"),
        "All reviews held": ("10", "7"),
        "Held a week, on average": ("0", "0"),
        "Initial reviews": ("2", "3"),
        "Second reviews": ("2", "2"),
        "Subsequent reviews": ("6", "2"),
        "Held within timescale": ("9", "6"),
        "Held late": ("1", "1"),
        "% held within timescale": ("90", "85.7"),
    }
    # Left out: C2's review on 1 Dec 2023 (after he left care on 15 Nov) and C5's on 15 Jun
    # 2023 (between her two periods); C7's reviews (no known period): 2 this period, 1 last.
    # No split reviews (the 903 records none). 10 + 2 + 2 = 14 reviews held this period in the
    # file; 7 + 0 + 1 = 8 last period.
    assert left_out(out, "reviews_held") == {
        "Part 2s of split reviews (a split review is counted once, at its Part 1)": (0, 0),
        "reviews held outside any period of care of the child": (2, 0),
        "reviews of children with no known period of care (the start of their care is not in "
        "the data, so the review cannot be numbered)": (2, 1),
    }
    # The 903 has no late reasons and no dates sent: every review's decisions are "not
    # recorded", so 0 of 10 (0 of 7) were sent within timescale, 0%.
    assert table(out, "reviews_late_reasons") == {
        "reason": ("this_period", "last_period"),
        "not recorded": ("1", "1"),
    }
    decisions = table(out, "reviews_paperwork")["Decisions (within 5 working days)"]
    assert decisions == ("0", "0", "0", "0", "10", "7", "0", "0")

    # -- leaving care (12.3) ------------------------------------------------------------------
    # This period, each child at their last leaving: C2 E17 (aged 18 on 15 Nov 2023), C3 E11
    # (aged 8), C4 E13 on 31 Jan 2024 (aged 11; her E4A on 30 Jun is left out), C5 E8 (aged 14).
    # Last period: C6 E15 (aged 17 on 31 Mar 2023).
    reasons = table(out, "leaving_care_reasons")
    assert reasons.pop("reason") == ("rec_codes", "children_this_period", "children_last_period")
    counted = {label: row for label, row in reasons.items() if row[1:] != ("0", "0")}
    assert counted == {
        "Adoption": ("E11, E12", "1", "0"),
        "Other (no other reason applies)": ("E8", "1", "0"),
        "Left care to live with parents, relatives or another person, with or without "
        "parental responsibility": ("E4A, E4B, E13", "1", "0"),
        "Age assessment determined the child (UASC) to be aged 18 or over": ("E15", "0", "1"),
        "Aged 18 and remained with current carers (staying put)": ("E17", "1", "0"),
        "Total": ("", "4", "1"),
    }
    # Every seed row is there, in the seed's order, zeros included; then the codes it lacks.
    assert list(reasons)[:3] == [
        "Special guardianship order made to former foster carers who were a relative or friend",
        "Residence order / child arrangements order",
        "Adoption",
    ]
    assert list(reasons)[-2:] == ["Child moved abroad", "Total"]
    assert table(out, "leaving_care_rec_codes") == {
        "rec_code": ("meaning", "children_this_period", "children_last_period"),
        "E11": ("Adopted - application for an adoption order unopposed", "1", "0"),
        "E13": (
            "Left care to live with parent(s), relative(s), or other person(s) with no parental "
            "responsibility",
            "1",
            "0",
        ),
        "E15": (
            "Age assessment determined child is aged 18 or over and E5, E6 and E7 do not apply, "
            "such as an unaccompanied asylum-seeking child (UASC) whose age has been disputed",
            "0",
            "1",
        ),
        "E17": (
            "Aged 18 (or over) and remained with current carers (inc under staying put "
            "arrangements)",
            "1",
            "0",
        ),
        "E8": (
            "Period of being looked-after ceased for any other reason (where none of the other "
            "reasons apply)",
            "1",
            "0",
        ),
    }
    # Share: this period 4 left, C2 was 18, so 3 under 18, of whom C3 (adopted) and C4
    # (E13) = 2: 67%. Last period C6 alone, under 18, E15: 0 of 1 = 0%.
    assert table(out, "leaving_care_family_or_adopted") == {
        "measure": ("this_period", "last_period"),
        "Children who ceased to be looked after": ("4", "1"),
        "Aged 18 or over when they left (not in the share)": ("1", "0"),
        "Under 18 when they left": ("3", "1"),
        "of whom adopted or living with parents, relatives or friends": ("2", "0"),
        "% adopted or living with family, excluding those aged 18 or over": ("66.7", "0"),
    }
    further = (
        "further periods of care ended by a child already counted (each child is counted once, "
        "at their last leaving in the period)"
    )
    assert left_out(out, "leaving_care_reasons") == {further: (1, 0)}  # C4's E4A
    assert left_out(out, "leaving_care_family_or_adopted") == {
        further: (1, 0),
        "children who left care with no date of birth recorded (their age is not known, so "
        "they are not in the share)": (0, 0),
    }

    # -- IRO caseloads (6.1) --------------------------------------------------------------------
    # Ann holds C1, C2, C5; Ben C3, C8; C4, C6, C7 have no IRO. From the month ends above:
    # This period  Apr May Jun Jul Aug Sep Oct Nov Dec Jan Feb Mar   total  mean
    #   Ann          2   2   2   3   3   3   3   2   2   2   2   2     28   2.3
    #   Ben          1   1   1   1   1   1   1   1   1   1   0   1     11   0.9
    #   no IRO (C4)  1   1   0   0   0   1   1   1   1   0   0   0      6
    #   per IRO    1.5 1.5 1.5   2   2   2   2 1.5 1.5 1.5   2 1.5   20.5   1.7
    # Last period
    #   Ann          1   1   2   2   2   2   2   2   2   2   2   2     22   1.8
    #   Ben          0   0   0   0   1   1   1   1   1   1   1   1      8   0.7
    #   no IRO (C4)  0   0   0   0   0   0   0   0   0   1   1   1      3
    #   per IRO      1   1   2   2 1.5 1.5 1.5 1.5 1.5 1.5 1.5 1.5     18   1.5
    # On the last day: Ann 2 (2), Ben 1 (1); 3 children over 2 IROs = 1.5 (1.5).
    assert table(out, "iro_caseloads") == {
        "iro": (
            "last_day_this_period", "last_day_last_period", "month_end_average_this_period",
            "month_end_average_last_period", "handbook_range",
        ),
        "Ann Example": ("2", "2", "2.3", "1.8", "below 50"),
        "Ben Example": ("1", "1", "0.9", "0.7", "below 50"),
        "Children per IRO": ("1.5", "1.5", "1.7", "1.5", "below 50"),
    }  # fmt: skip
    assert left_out(out, "iro_caseloads") == {
        "children in care on the last day with no IRO recorded": (0, 1),
        "children in care at a month end with no IRO recorded (one per child per month end, "
        "left out of the averages)": (6, 3),
        "children with a review in the period but no known period of care": (1, 1),
    }


async def test_hand_return_reads_as_the_seed_in_html_and_markdown(cli, tmp_path):  # noqa: F811
    rules = await import_hand_return(cli, tmp_path)
    page_path = tmp_path / "report.html"
    status, _, err = await cli(
        "report", "--from", "01/04/2023", "--to", "31/03/2024", "--out", page_path,
        "--rules", rules, "--today", TODAY,
    )  # fmt: skip
    assert status == 0, err
    page = page_path.read_text(encoding="utf-8")
    order = [page.index(f'<section id="{key}">') for key in (
        "caseloads", "children_in_care", "reviews", "leaving_care", "missing", "irs",
    )]  # fmt: skip
    assert order == sorted(order)
    assert (
        '<td>30 Apr 2023 (30 Apr 2022)</td><td class="n">4 <span class="last">(1)</span></td>'
    ) in page
    assert "10 (7) reviews were held in 2023-24 (2022-23 in brackets), about 0 (0) a week. " in (
        page
    )
    assert "Excluding those aged 18 or over when they left, 67% (0%) were adopted" in page
    assert "Left out: 2 (0) reviews held outside any period of care of the child;" in page

    status, markdown, err = await cli(
        "report", "--from", "01/04/2023", "--to", "31/03/2024", "--format", "md", "--out", "-",
        "--rules", rules, "--today", TODAY, "--sections", "children_in_care,leaving_care",
    )  # fmt: skip
    assert status == 0, err
    assert "| **Children in care on the last day** | **3 (4)** |" in markdown
    assert "| Adoption | E11, E12 | 1 (0) |" in markdown


async def test_hand_return_reviews_in_scope_are_all_accounted_for(cli, sessions, tmp_path):  # noqa: F811
    """Counted + left out = the reviews held in each period, straight from the store."""
    rules = await import_hand_return(cli, tmp_path)
    out = tmp_path / "report"
    status, _, err = await cli(
        "report", "--from", "01/04/2023", "--to", "31/03/2024", "--format", "csv",
        "--out", out, "--rules", rules, "--sections", "reviews",
    )  # fmt: skip
    assert status == 0, err
    held = table(out, "reviews_held")["All reviews held"]
    missed = left_out(out, "reviews_held").values()
    periods = ((date(2023, 4, 1), date(2024, 3, 31)), (date(2022, 4, 1), date(2023, 3, 31)))
    async with sessions() as session:
        for index, (start, end) in enumerate(periods):
            in_scope = await session.scalar(
                select(func.count()).where(Review.held_on >= start, Review.held_on <= end)
            )
            accounted = int(held[index]) + sum(pair[index] for pair in missed)
            assert accounted == in_scope == (14, 8)[index]
