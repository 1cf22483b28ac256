"""Issue 18's must-hold, end to end: what is recorded in chat is counted in the annual report.

Over real HTTP (the wired bot, a migrated store seeded with the demo authority, the fake Bot
Connector), Alex records a late full review (the late reason answered by its number, how the
young person took part, that they chaired it, where it was held from the authority's list) and
a Part 1 (its reason from the list, a place not on the list). Then `iro-bot report` itself is
run for the reporting year containing today, as CSV and as HTML, and every table the issue
names must have moved by exactly what was recorded: the late reasons, the Part 1 reasons, the
participation measure (seed 14) and where reviews were held (seed 11). The report is read
before and after, so a figure that happened to be right already cannot pass the test.
"""

from __future__ import annotations

import asyncio
import csv
import html
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from domain.ages import age_on
from domain.reviews import ReviewPart
from storage.engine import session_factory
from storage.models import Child, Review
from tests.e2e.test_conversation import (  # noqa: F401  (demo: the seeded bot fixture)
    ALEX,
    RULES,
    TODAY,
    Demo,
    demo,
    shown,
    unique_named,
)

#: The reporting year containing today (26 November 2026), compared with 2025-26.
YEAR = ("01/04/2026", "31/03/2027")
LATE_REASON = 3  # answered by its number in the list
PART1_REASON = 6
LISTED_PLACE = "Hampshire"
TYPED_PLACE = "Isle of Wight"  # not one of the authority's localities

# The tables the issue names, each its CSV file's name and its HTML table's id.
TABLES = (
    "reviews_late_reasons",
    "reviews_part1_reasons",
    "participation_by_month",
    "participation_chaired",
    "reviews_by_locality",
)

Figures = dict[str, dict[str, tuple[str, ...]]]


@pytest.fixture
def report_env(demo: Demo, monkeypatch) -> Demo:  # noqa: F811
    """`iro-bot report` reads the demo's store, with the default rules."""
    monkeypatch.setenv("DATABASE_URL", demo.engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("IRO_RULES", raising=False)
    return demo


async def run_report(tmp: Path, name: str) -> tuple[Figures, Figures]:
    """`iro-bot report` for the year, as CSV and as HTML: each table as first cell -> the
    this-period figures (CSV columns ``*this_period``; HTML the unbracketed figures)."""
    folder, page = tmp / f"{name}-csv", tmp / f"{name}.html"
    for extra in (("--format", "csv", "--out", str(folder)), ("--out", str(page))):
        status = await asyncio.to_thread(main, [
            "report", "--from", YEAR[0], "--to", YEAR[1], "--today", TODAY.strftime("%d/%m/%Y"),
            *extra,
        ])  # fmt: skip
        assert status == 0
    return _csv_figures(folder), _html_figures(page.read_text(encoding="utf-8"))


def _csv_figures(folder: Path) -> Figures:
    out: Figures = {}
    for key in TABLES:
        with (folder / f"{key}.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        this = [i for i, column in enumerate(rows[0]) if column.endswith("this_period")]
        out[key] = {row[0]: tuple(row[i] for i in this) for row in rows[1:]}
    return out


def _html_figures(page: str) -> Figures:
    out: Figures = {}
    for key in TABLES:
        found = re.search(rf'<table id="{key}">(.*?)</table>', page, re.DOTALL)
        assert found, f"no table {key} in the HTML"
        rows: dict[str, tuple[str, ...]] = {}
        for row in re.findall(r"<tr(?: [^>]*)?>(.*?)</tr>", found[1], re.DOTALL):
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
            if len(cells) < 2:
                continue  # the header row (th), or "None in either period."
            # A compared cell: "7 <span class="last">(5)</span>": this period's figure first.
            this = tuple(html.unescape(c.split("<span", 1)[0]).strip() for c in cells[1:])
            rows[html.unescape(cells[0]).strip()] = this
        out[key] = rows
    return out


def count(figures: Figures, table: str, row: str, column: int = 0) -> float:
    """A this-period figure; a row not shown (nothing in either period) is 0."""
    value = figures[table].get(row, ("0",) * (column + 1))[column].removesuffix("%")
    return float(value) if value not in ("", "–") else 0.0  # "–": no share (nothing measured)


def moved(before: Figures, after: Figures, table: str) -> dict[tuple[str, int], float]:
    """Every this-period figure of ``table`` that changed, by (row, column), and by how much."""
    rows = set(before[table]) | set(after[table])
    width = max(len(v) for v in (*before[table].values(), *after[table].values()))
    changes: dict[tuple[str, int], float] = {}
    for row in rows:
        for column in range(width):
            delta = count(after, table, row, column) - count(before, table, row, column)
            if delta:
                changes[(row, column)] = delta
    return changes


async def pick_children(world: Demo) -> tuple[Child, Child]:
    """Two of Alex's children, aged 4 or over (so asked how they took part), with no review
    today: one whose review is overdue (so held today it is late), one not yet due (on time)."""
    children = [c for c in unique_named(await world.children_of(ALEX.email))
                if c.date_of_birth and age_on(c.date_of_birth, TODAY) >= 5]  # fmt: skip
    async with session_factory(world.engine)() as session:
        today = set(await session.scalars(select(Review.child_pk).where(Review.held_on == TODAY)))
    children = [c for c in children if c.id not in today]
    overdue = next(c for c in children if c.next_review_due and c.next_review_due < TODAY)
    not_due = next(c for c in children if c.next_review_due and c.next_review_due > TODAY
                   and c.id != overdue.id)  # fmt: skip
    return overdue, not_due


async def test_a_review_and_a_part1_recorded_in_chat_are_counted_in_the_report(
    report_env: Demo, tmp_path: Path
) -> None:
    world = report_env
    late_reason = RULES.late_reasons[LATE_REASON - 1]
    part1_reason = RULES.part1_reasons[PART1_REASON - 1]
    overdue, not_due = await pick_children(world)
    csv_before, html_before = await run_report(tmp_path, "before")

    client = world.client()
    # A late full review: why late (by its number), how they took part, chaired, where.
    [asked] = await client.send(
        f"record a full review for {overdue.given_name} {overdue.family_name} held today"
    )
    assert "This review was late" in shown(asked) and f"{LATE_REASON}. {late_reason}" in \
        shown(asked)  # fmt: skip
    [asked] = await client.send(str(LATE_REASON))
    assert "How did the young person take part" in shown(asked)
    [asked] = await client.send("PN1")
    assert "Did the young person chair their own review?" in shown(asked)
    [asked] = await client.send("yes")
    assert "Where was the review held?" in shown(asked)
    [summary] = await client.send(LISTED_PLACE)
    text = shown(summary)
    assert "Record this review?" in text and f"Why it was late: {late_reason}" in text
    assert f"Held at: {LISTED_PLACE}" in text and "Chaired by the young person: yes" in text
    [done] = await client.send("yes")
    assert "recorded" in shown(done).lower()

    # A Part 1, on time: why only Part 1 (from the list), did not attend, somewhere else.
    [asked] = await client.send(
        f"record a part 1 review for {not_due.given_name} {not_due.family_name} held today"
    )
    assert "Why could only Part 1" in shown(asked) and "This review was late" not in shown(asked)
    [asked] = await client.send(str(PART1_REASON))
    assert "How did the young person take part" in shown(asked)
    [asked] = await client.send("PN7")  # not there: who chaired is not asked
    assert "Where was the review held?" in shown(asked)
    [summary] = await client.send(TYPED_PLACE)
    text = shown(summary)
    assert f"Why only Part 1: {part1_reason}" in text and f"Held at: {TYPED_PLACE}" in text
    [done] = await client.send("yes")
    assert "recorded" in shown(done).lower()

    async with session_factory(world.engine)() as session:
        stored = {
            r.child_pk: r for r in await session.scalars(
                select(Review).where(Review.held_on == TODAY,
                                     Review.child_pk.in_([overdue.id, not_due.id])))
        }  # fmt: skip
    assert (stored[overdue.id].part, stored[overdue.id].late_reason, stored[overdue.id].held_at,
            stored[overdue.id].participation_code, stored[overdue.id].chaired_by_child) == (
        ReviewPart.FULL.value, late_reason, LISTED_PLACE, "PN1", True)  # fmt: skip
    assert (stored[not_due.id].part, stored[not_due.id].part1_reason, stored[not_due.id].held_at,
            stored[not_due.id].participation_code, stored[not_due.id].chaired_by_child) == (
        ReviewPart.PART1.value, part1_reason, TYPED_PLACE, "PN7", False)  # fmt: skip

    csv_after, html_after = await run_report(tmp_path, "after")
    month = f"{TODAY:%b-%y} ({date(TODAY.year - 1, TODAY.month, 1):%b-%y})"
    for before, after, form in ((csv_before, csv_after, "CSV"), (html_before, html_after, "HTML")):
        # Late reasons: the full review's reason, and nothing else (the Part 1 was on time).
        assert moved(before, after, "reviews_late_reasons") == {(late_reason, 0): 1}, form
        assert moved(before, after, "reviews_part1_reasons") == {(part1_reason, 0): 1}, form
        # Participation (seed 14.1): two reviews of children 4+ measured, one contributed (PN1;
        # PN7 did not), in November and in the whole period, and in no other row. (Columns:
        # reviews, contributed, then the percentages: the month's, and to date, which moves
        # in every later month too.)
        participation = moved(before, after, "participation_by_month")
        assert {cell: delta for cell, delta in participation.items() if cell[1] < 2} == {
            (month, 0): 2, (month, 1): 1, ("Whole period", 0): 2, ("Whole period", 1): 1,
        }, form  # fmt: skip
        # Chaired (seed 14.2): one more review chaired by the young person; both record who.
        chaired = moved(before, after, "participation_chaired")
        assert chaired[("Reviews chaired by the young person", 0)] == 1, form
        assert chaired[("Reviews where who chaired is recorded", 0)] == 2, form
        assert set(chaired) <= {
            ("Young people who chaired their own review", 0),
            ("Reviews chaired by the young person", 0),
            ("Reviews where who chaired is recorded", 0),
        }, form
        # Where reviews were held (seed 11): one meeting in each place.
        assert moved(before, after, "reviews_by_locality") == {
            (LISTED_PLACE, 0): 1, (TYPED_PLACE, 0): 1,
        }, form  # fmt: skip
    # The place not on the list is shown after every listed one, "not recorded" last.
    places = list(csv_after["reviews_by_locality"])
    listed = [p for p in places if p in RULES.localities]
    assert places.index(TYPED_PLACE) > max(places.index(p) for p in listed)
    if "not recorded" in places:
        assert places[-1] == "not recorded"
