"""`iro-bot report` against the seed report's own tables, on SQLite and PostgreSQL.

The bar (issue 6): IR histories that reproduce the West Berkshire IRO annual report 2023-24,
section 21.5 (stage raised x stage resolved) and 21.6 (each reason, 2022-23 in brackets), are
imported with `iro-bot import irs`; `iro-bot report` must give back every cell.

How the histories were read off the seed (../shared/seed/west-berkshire-iro-annual-report-
2023-24.txt) and where the seed disagrees with itself:

- 21.5: 22 IRs in 2023-24: informal 4 (all resolved informally); Stage 1 10 (8 resolved at
  Stage 1, 2 at Stage 2); Stage 2 6 (5 at Stage 2, 1 at Stage 4); Stage 3 1; Stage 4 1.
  2022-23 had 30 IRs; the seed gives no matrix for them.
- 21.6 lists 30 reasons for 2023-24's 22 IRs (some IRs had two) and 24 for 2022-23's 30 IRs.
  Every IR has at least one reason, so six 2022-23 IRs must have had a reason the table does not
  list: they are given "other" here (the report shows "other 0 (6)").
- The 21.9 table (by service area) adds up to 21 IRs for 2023-24, not 22, with 5 raised
  informally, 9 at Stage 1 and none at Stage 3, where 21.5 has 4, 10 and 1. Its escalations
  agree with 21.5 (2 x Stage 1 to Stage 2, 1 x Stage 2 to Stage 4). The histories follow 21.5
  and keep 21.9 everywhere else: the Stage 3 IR has no service area recorded, and one of Family
  Safeguarding West's IRs is raised at Stage 1 rather than informally (its total stays 8).
  "Back to Back (Care Agency)" is the rules file's "External provider". 2022-23's 21.9 column
  is consistent (30 IRs) and is reproduced exactly.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import storage.engine
from bot.cli import main
from domain.reporting import Compared, Period
from domain.rules import load_rules
from services.reports.build import build_report
from storage.models import Child, MissingEpisode, PeriodOfCare, Review

RULES = load_rules()
THIS_YEAR = Period(date(2023, 4, 1), date(2024, 3, 31))
LAST_YEAR = Period(date(2022, 4, 1), date(2023, 3, 31))

REPORTS = "reports not available in time"
LATER_LIFE = "delay in later-life work"
NOT_NOTIFIED = "IRO not notified of a significant event"
PLAN_NEW = "care plan for a child new to care not completed within 10 working days"
PLAN_FILED = "care plan filed without the IRO's view"
ADVOCATE = "no advocate"
PROCEEDINGS = "delay in care proceedings"
VISITS = "statutory visits out of time"
ALLOWANCES = "delay in allowances"
ALLOCATING = "delay allocating a SW"
PROVIDER = "care provider failure"
SEN = "SEN/education provision delay"
OTHER = "other"

FSW, FSE = "Family Safeguarding West", "Family Safeguarding East"
CWD, CIC, LEAVERS = "Children with Disabilities", "Children in Care", "16+/Care Leavers"
FPT, SEN_SERVICE, EXTERNAL = "Family Placement Team", "SEN Service", "External provider"


@dataclass(frozen=True)
class History:
    area: str | None
    raised: str  # stage key
    resolved: str  # stage key
    reasons: tuple[str, ...]


def h(area: str | None, raised: str, resolved: str, *reasons: str) -> History:
    return History(area, raised, resolved, reasons)


# 2023-24: the 22 IRs of 21.5, their 30 reasons (21.6) and their service areas (21.9).
HISTORIES_2023_24 = (
    h(FSW, "informal", "informal", REPORTS),
    h(FSW, "1", "1", REPORTS, VISITS),  # 21.9 has this one informal: see the module docstring
    h(FSW, "1", "1", REPORTS),
    h(FSW, "1", "1", NOT_NOTIFIED, VISITS),
    h(FSW, "1", "1", PLAN_NEW),
    h(FSW, "1", "1", ALLOWANCES),
    h(FSW, "2", "2", PROCEEDINGS, NOT_NOTIFIED),
    h(FSW, "2", "2", PROCEEDINGS),
    h(FSE, "informal", "informal", REPORTS),
    h(FSE, "1", "1", NOT_NOTIFIED),
    h(CWD, "informal", "informal", REPORTS, ALLOWANCES),
    h(CWD, "1", "2", VISITS, PLAN_FILED),
    h(CWD, "2", "2", PROCEEDINGS),
    h(CIC, "1", "1", REPORTS),
    h(CIC, "2", "2", NOT_NOTIFIED, ADVOCATE),
    h(CIC, "4", "4", ALLOCATING),
    h(LEAVERS, "1", "1", ALLOWANCES, VISITS),
    h(LEAVERS, "2", "2", NOT_NOTIFIED),
    h(LEAVERS, "2", "4", PLAN_FILED, PLAN_NEW),
    h(SEN_SERVICE, "1", "2", SEN),
    h(EXTERNAL, "informal", "informal", PROVIDER),
    h(None, "3", "3", LATER_LIFE),  # in 21.5, not in 21.9
)

# 2022-23: the 30 IRs of 21.9's 2022-23 column, one reason each (21.6's bracketed figures,
# plus six "other").
_LAST_REASONS = [REPORTS] * 17 + [LATER_LIFE] * 4 + [NOT_NOTIFIED] * 2 + [ALLOWANCES] + [OTHER] * 6
_LAST_SHAPES = (
    [(FSW, "informal", "informal")] * 2 + [(FSW, "1", "1")] * 2 + [(FSW, "2", "2")]
    + [(FSE, "informal", "informal")] * 2 + [(FSE, "1", "1")] * 5 + [(FSE, "1", "2")]
    + [(CWD, "1", "1")] * 4
    + [(CIC, "informal", "informal")] + [(CIC, "1", "1")] * 5 + [(CIC, "1", "2")]
    + [(CIC, "2", "2")]
    + [(LEAVERS, "informal", "informal")] + [(LEAVERS, "1", "2")] * 2 + [(LEAVERS, "1", "3")]
    + [(FPT, "1", "1")]
)  # fmt: skip
HISTORIES_2022_23 = tuple(
    h(area, raised, resolved, reason)
    for (area, raised, resolved), reason in zip(_LAST_SHAPES, _LAST_REASONS, strict=True)
)

# Seed 21.5, read off the text: stage raised -> resolved at informal, 1, 2, 3, 4; total.
SEED_21_5 = {
    "informal": (4, 0, 0, 0, 0, 4),
    "1": (0, 8, 2, 0, 0, 10),
    "2": (0, 0, 5, 0, 1, 6),
    "3": (0, 0, 0, 1, 0, 1),
    "4": (0, 0, 0, 0, 1, 1),
}
# Seed 21.6: this period (last period), in the rules file's order; "other" as explained above.
SEED_21_6 = {
    REPORTS: (6, 17),
    LATER_LIFE: (1, 4),
    NOT_NOTIFIED: (5, 2),
    PLAN_NEW: (2, 0),
    PLAN_FILED: (2, 0),
    ADVOCATE: (1, 0),
    PROCEEDINGS: (3, 0),
    VISITS: (4, 0),
    ALLOWANCES: (3, 1),
    ALLOCATING: (1, 0),
    PROVIDER: (1, 0),
    SEN: (1, 0),
    OTHER: (0, 6),
}
# Seed 21.9 as stage raised -> (this, last), totals, and escalations (this; last).
SEED_21_9 = {
    FSE: ({"informal": (1, 2), "1": (1, 6)}, (2, 8), ("", "1 × Stage 1 to Stage 2")),
    CWD: ({"informal": (1, 0), "1": (1, 4), "2": (1, 0)}, (3, 4), ("1 × Stage 1 to Stage 2", "")),
    CIC: (
        {"informal": (0, 1), "1": (1, 6), "2": (1, 1), "4": (1, 0)},
        (3, 8),
        ("", "1 × Stage 1 to Stage 2"),
    ),
    LEAVERS: (
        {"informal": (0, 1), "1": (1, 3), "2": (2, 0)},
        (3, 4),
        ("1 × Stage 2 to Stage 4", "2 × Stage 1 to Stage 2; 1 × Stage 1 to Stage 3"),
    ),
    FPT: ({"1": (0, 1)}, (0, 1), ("", "")),
    SEN_SERVICE: ({"1": (1, 0)}, (1, 0), ("1 × Stage 1 to Stage 2", "")),
    EXTERNAL: ({"informal": (1, 0)}, (1, 0), ("", "")),
}

PEOPLE_CSV = (
    "email,display_name,role,service_area,manager_email\n"
    "iona.fairweather@example.org,Iona Fairweather,iro,,\n"
    "gus.pemberton@example.org,Gus Pemberton,iro,,\n"
)
CHILDREN = [f"C{n:04d}" for n in range(1, 9)]
CHILDREN_CSV = "child_id,given_name,family_name,date_of_birth,looked_after_since\n" + "".join(
    f"{c},Child,{c},01/01/2012,01/01/2020\n" for c in CHILDREN
)


def _raised_dates(period: Period, count: int) -> list[date]:
    """Spread over the period, the first on its first day and the last on its last day."""
    span = (period.end - period.start).days
    return [period.start + timedelta(days=round(i * span / (count - 1))) for i in range(count)]


def irs_csv(extra_rows: str = "") -> str:
    lines = [
        "ir_ref,child_id,raised_by_email,raised_on,stage_raised,stage_resolved,resolved_on,"
        "reasons,service_area"
    ]
    for label, period, histories in (
        ("A", THIS_YEAR, HISTORIES_2023_24),
        ("B", LAST_YEAR, HISTORIES_2022_23),
    ):
        for n, (history, raised) in enumerate(
            zip(histories, _raised_dates(period, len(histories)), strict=True)
        ):
            # Resolved a few weeks later: the last ones after the period ends, which must not
            # move them out of the period they were raised in.
            resolved = raised + timedelta(days=21)
            iro = "iona.fairweather" if n % 2 else "gus.pemberton"
            lines.append(
                f"{label}-{n:03d},{CHILDREN[n % len(CHILDREN)]},{iro}@example.org,"
                f"{raised:%d/%m/%Y},{history.raised},{history.resolved},{resolved:%d/%m/%Y},"
                f"{';'.join(history.reasons)},{history.area or ''}"
            )
    # Just outside both periods: counted in neither.
    lines.append(
        "X-001,C0001,iona.fairweather@example.org,31/03/2022,1,,,reports not available in "
        "time,Children in Care"
    )
    lines.append(
        "X-002,C0002,iona.fairweather@example.org,01/04/2024,informal,,,no advocate,"
        "Children in Care"
    )
    return "\n".join(lines) + "\n" + extra_rows


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


Cli = Callable[..., Awaitable[tuple[int, str, str]]]


@pytest.fixture
async def cli(engine: AsyncEngine, monkeypatch, capsys) -> Cli:
    """`iro-bot ...` run in a worker thread against the test's own database.

    The commands build their own engine from DATABASE_URL; on PostgreSQL the test's database is
    a schema, so the engine factory is wrapped to put that schema on the search path (the only
    thing that differs from a real run).
    """
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("IRO_RULES", raising=False)
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            schema = await connection.scalar(text("SELECT current_schema()"))
        real = storage.engine.create_engine

        def in_schema(url: str = url, **kwargs: object) -> AsyncEngine:
            kwargs.setdefault("connect_args", {"server_settings": {"search_path": schema}})
            return real(url, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(storage.engine, "create_engine", in_schema)
        monkeypatch.setattr("bot.cli.import_command.create_engine", in_schema)

    async def run(*args: str | Path) -> tuple[int, str, str]:
        status = await asyncio.to_thread(main, [str(a) for a in args])
        out, err = capsys.readouterr()
        return status, out, err

    return run


async def import_seed_histories(cli: Cli, tmp_path: Path) -> None:
    files = {"people": PEOPLE_CSV, "children": CHILDREN_CSV, "irs": irs_csv()}
    for kind, content in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(content, encoding="utf-8")
        status, out, err = await cli("import", kind, path)
        assert status == 0, out + err
    assert "IRs: 54 created" in out  # 22 + 30 + the two outside both periods


async def test_report_reproduces_the_seed_ir_tables(cli, tmp_path):
    await import_seed_histories(cli, tmp_path)
    out_dir = tmp_path / "report"
    status, out, err = await cli(
        "report", "--from", "01/04/2023", "--to", "31/03/2024", "--format", "csv",
        "--out", out_dir, "--today", "01/06/2024",
    )  # fmt: skip
    assert status == 0, err
    assert out.startswith("Wrote ")

    # 21.5, every cell (2023-24).
    matrix = read_csv(out_dir / "ir_stage_matrix.csv")
    assert list(matrix[0]) == ["stage_raised", "informal", "1", "2", "3", "4", "total"]
    assert {
        r["stage_raised"]: tuple(int(r[c]) for c in ("informal", "1", "2", "3", "4", "total"))
        for r in matrix
    } == SEED_21_5
    assert [r["stage_raised"] for r in matrix] == ["informal", "1", "2", "3", "4"]

    # 21.6, every cell, this period and last.
    reasons = read_csv(out_dir / "ir_reasons.csv")
    assert list(reasons[0]) == ["reason", "this_period", "last_period"]
    assert {r["reason"]: (int(r["this_period"]), int(r["last_period"])) for r in reasons} == (
        SEED_21_6
    )
    assert [r["reason"] for r in reasons] == list(RULES.reasons)

    # Last period's matrix: 30 IRs, escalations as 21.9 records them, all resolved.
    last = {
        r["stage_raised"]: tuple(int(r[c]) for c in ("informal", "1", "2", "3", "4", "total"))
        for r in read_csv(out_dir / "ir_stage_matrix_last_period.csv")
    }
    assert last == {
        "informal": (6, 0, 0, 0, 0, 6),
        "1": (0, 17, 4, 1, 0, 22),
        "2": (0, 0, 2, 0, 0, 2),
        "3": (0, 0, 0, 0, 0, 0),
        "4": (0, 0, 0, 0, 0, 0),
    }

    # 21.9 by service area, both years, where the seed agrees with itself; see the docstring.
    areas = {r["service_area"]: r for r in read_csv(out_dir / "ir_service_areas.csv")}
    for area, (stages, totals, escalations) in SEED_21_9.items():
        row = areas[area]
        for stage in ("informal", "1", "2", "3", "4"):
            this, before = stages.get(stage, (0, 0))
            assert (int(row[f"{stage}_this_period"]), int(row[f"{stage}_last_period"])) == (
                this,
                before,
            ), (area, stage)
        assert (int(row["total_this_period"]), int(row["total_last_period"])) == totals, area
        assert (row["escalations_this_period"], row["escalations_last_period"]) == escalations
    fsw = areas[FSW]
    assert (fsw["total_this_period"], fsw["total_last_period"]) == ("8", "5")
    assert (fsw["informal_last_period"], fsw["1_last_period"], fsw["2_last_period"]) == (
        "2",
        "2",
        "1",
    )
    assert (areas["not recorded"]["3_this_period"], areas["not recorded"]["total_this_period"]) == (
        "1",
        "1",
    )

    escalations = {
        (r["from_stage"], r["to_stage"]): (int(r["this_period"]), int(r["last_period"]))
        for r in read_csv(out_dir / "ir_escalations.csv")
    }
    assert escalations == {("1", "2"): (2, 4), ("1", "3"): (0, 1), ("2", "4"): (1, 0)}


async def test_report_html_and_markdown_show_this_and_last(cli, tmp_path):
    await import_seed_histories(cli, tmp_path)
    html_path = tmp_path / "report.html"
    status, _, err = await cli(
        "report", "--from", "2023-04-01", "--to", "2024-03-31", "--out", html_path,
        "--sections", "irs", "--today", "01/06/2024",
    )  # fmt: skip
    assert status == 0, err
    page = html_path.read_text(encoding="utf-8")
    assert "22 (30) IRs were raised in 2023-24 (2022-23 in brackets)." in page
    assert 'id="ir_stage_matrix"' in page and "data:image/png;base64," in page
    # Self-contained: nothing is fetched when it is opened or printed.
    assert "<link" not in page and 'src="http' not in page and "@media print" in page

    status, markdown, err = await cli(
        "report", "--from", "01/04/2023", "--to", "31/03/2024", "--format", "md", "--out", "-",
        "--sections", "irs",
    )  # fmt: skip
    assert status == 0, err
    assert "| reports not available in time | 6 (17) |" in markdown
    assert "| Stage 2 (service manager) | 6 (2) | 0 (0) | 0 (0) | 5 (2) | 0 (0) | 1 (0) |" in (
        markdown
    )


async def test_report_command_refuses_bad_input_in_one_line(cli, tmp_path):
    cases = [
        (["--from", "01/04/2024", "--to", "31/03/2024"], "before it starts"),
        (["--from", "04/31/2024", "--to", "31/03/2025"], "day/month/year"),
        (["--from", "01/04/2024", "--to", "31/03/2025", "--format", "pdf"], "not a report format"),
        (["--from", "01/04/2024", "--to", "31/03/2025", "--sections", "irs,nope"], "'nope'"),
    ]
    for args, message in cases:
        status, _, err = await cli("report", *args, "--out", tmp_path / "x.html")
        assert status == 2, args
        assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "x.html").exists()


# -- reviews and missing, straight through build_report ------------------------------------


async def test_review_and_missing_figures(sessions):
    """A small caseload whose every figure is worked out by hand in the comments."""
    async with sessions() as session, session.begin():
        a = Child(child_id="A", looked_after_since=date(2023, 5, 2))
        b = Child(child_id="B", looked_after_since=date(2021, 1, 4))
        c = Child(child_id="C", looked_after_since=None)  # left care in 2023
        session.add_all([a, b, c])
        await session.flush()
        session.add_all(
            [
                PeriodOfCare(child_pk=a.id, started_on=date(2023, 5, 2)),
                PeriodOfCare(child_pk=b.id, started_on=date(2021, 1, 4)),
                PeriodOfCare(
                    child_pk=c.id, started_on=date(2022, 6, 1), ended_on=date(2023, 6, 30)
                ),
            ]
        )
        session.add_all(
            [
                # A: CIC-1 due Thu 1 Jun 2023 (20 working days after Tue 2 May, not counting
                # the Coronation on 8 May or 29 May): held 30 May, on time. Decisions due
                # 6 Jun, sent 6 Jun; minutes due 27 Jun, sent 5 Jul (late).
                Review(
                    child_pk=a.id,
                    held_on=date(2023, 5, 30),
                    decisions_sent_on=date(2023, 6, 6),
                    minutes_sent_on=date(2023, 7, 5),
                ),
                # A: CIC-2 due 30 Aug 2023; Part 1 held 5 Sep (late), Part 2 on 20 Sep (not
                # counted: CIC-SPLIT counts Part 1). Decisions due 12 Sep, sent 11 Sep.
                Review(
                    child_pk=a.id,
                    held_on=date(2023, 9, 5),
                    part="part1",
                    late_reason="The IRO was unwell",
                    part1_reason="Placement move",
                    decisions_sent_on=date(2023, 9, 11),
                ),
                Review(child_pk=a.id, held_on=date(2023, 9, 20), part="part2"),
                # B: looked after since 4 Jan 2021, every review on time until 27 Oct 2023
                # (due 26 Oct, six months after 26 Apr), whose late reason is blank.
                *(
                    Review(child_pk=b.id, held_on=day)
                    for day in (
                        date(2021, 2, 1),
                        date(2021, 4, 30),
                        date(2021, 10, 29),
                        date(2022, 4, 28),
                        date(2022, 10, 27),
                        date(2023, 4, 26),
                    )
                ),
                Review(child_pk=b.id, held_on=date(2023, 10, 27), late_reason=" "),
                # C: CIC-1 due 1 Jul 2022 (2 and 3 June 2022 were bank holidays): held
                # 29 Jun, on time; CIC-2 due 29 Sep, held 30 Sep (late). A review after the
                # period of care ended (30 Jun 2023) is not counted.
                Review(child_pk=c.id, held_on=date(2022, 6, 29)),
                Review(child_pk=c.id, held_on=date(2022, 9, 30), late_reason="The IRO was unwell"),
                Review(child_pk=c.id, held_on=date(2023, 8, 1)),
            ]
        )
        session.add_all(
            [
                MissingEpisode(child_pk=a.id, started_on=date(2023, 6, 1), rhi_outcome="completed"),
                MissingEpisode(child_pk=a.id, started_on=date(2023, 7, 1), rhi_outcome="refused"),
                MissingEpisode(child_pk=b.id, started_on=date(2024, 3, 31)),
                MissingEpisode(
                    child_pk=b.id, started_on=date(2023, 3, 31), rhi_outcome="completed"
                ),
            ]
        )

    async with sessions() as session:
        report = await build_report(session, THIS_YEAR, RULES, date(2024, 6, 1))
    assert report.previous == LAST_YEAR

    def figures(key: str) -> dict[str, tuple]:
        table = report.table(key)
        return {
            str(row[0]): tuple(c.this if isinstance(c, Compared) else c for c in row[1:])
            + tuple(c.last if isinstance(c, Compared) else c for c in row[1:])
            for row in table.rows
        }

    held = figures("reviews_held")
    # This period: A's initial and second (Part 1, late), B's 26 Apr and 27 Oct (late).
    # Last period: C's initial and second (late), B's 28 Apr and 27 Oct 2022.
    assert held["Initial reviews"] == (1, 1)
    assert held["Second reviews"] == (1, 1)
    assert held["Subsequent reviews"] == (2, 2)
    assert held["All reviews held"] == (4, 4)
    assert held["Held late"] == (2, 1)
    assert held["% held within timescale"] == (50.0, 75.0)
    assert figures("reviews_late_reasons") == {
        "The IRO was unwell": (1, 1),
        "not recorded": (1, 0),
    }
    assert figures("reviews_part1_reasons") == {"Placement move": (1, 0)}
    paperwork = figures("reviews_paperwork")
    # Decisions: A's two on time; B's two not recorded. Minutes: A's first late, rest none.
    assert paperwork["Decisions (within 5 working days)"][:4] == (2, 0, 2, 50.0)
    assert paperwork["Minutes (within 20 working days)"][:4] == (0, 1, 3, 0.0)
    missing = figures("missing_summary")
    assert missing["Missing episodes"][:1] + missing["Missing episodes"][2:3] == (3, 1)
    assert missing["Children who went missing"][0] == 2
    assert missing["Return home interview completed"][0] == 1
    assert missing["Return home interview not recorded"][0] == 1
    months = next(s for s in report.sections if s.key == "reviews").charts[0]
    assert months.categories[0] == "Apr\n2023" and len(months.categories) == 12
    assert months.series[0].values[1] == 1  # May 2023: A's initial review, on time
