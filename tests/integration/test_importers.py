"""`iro-bot import`: every kind, on SQLite and (when IRO_TEST_POSTGRES_URL is set) PostgreSQL.

The ``sessions`` fixture (conftest.py) gives a fresh database per test on each back end. The
shared SSDA903 fixtures are checked against counts this file derives from the CSVs itself, with
its own reading of the rules, not by asking the importer.
"""

from __future__ import annotations

import asyncio
import csv
import time
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import storage.models  # noqa: F401  (registers every table on Base.metadata)
from bot.cli import main
from domain.rules import load_rules
from services.imports import ImportReport, UnusableInput, run_import
from storage.base import Base
from storage.engine import create_engine
from storage.models import (
    AuditEntry,
    Child,
    IrReason,
    IrReferenceCounter,
    IrStageEntry,
    IssueResolution,
    MissingEpisode,
    PeriodOfCare,
    Review,
    Staff,
)
from storage.schedule import refresh_review_schedule

RULES = load_rules()
TODAY = date(2026, 4, 1)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "importers"
SHARED_903 = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "ssda903"

Sessions = async_sessionmaker[AsyncSession]


async def run(sessions: Sessions, kind: str, *paths: Path | str, **options: bool) -> ImportReport:
    return await run_import(
        sessions, kind, [str(p) for p in paths], rules=RULES, today=TODAY, **options
    )


async def count(sessions: Sessions, model: type[Base]) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def counts(report: ImportReport) -> list[tuple[int, int, int, int, int]]:
    return [(f.rows_read, f.created, f.updated, f.unchanged, f.rows_rejected) for f in report.files]


def reasons(report: ImportReport) -> list[str]:
    return [str(r) for f in report.files for r in sorted(f.rejections, key=lambda r: r.line)]


async def assert_schedules_current(sessions: Sessions) -> None:
    """Every child's stored schedule is what refresh_review_schedule itself would store."""
    async with sessions() as session, session.begin():
        stale = [
            child.child_id
            for child in list(await session.scalars(select(Child)))
            if await refresh_review_schedule(session, child, RULES)
        ]
        await session.rollback()
    assert stale == []


async def load_people_and_children(sessions: Sessions) -> None:
    assert (await run(sessions, "people", FIXTURES / "people.csv")).exit_status == 0
    assert (await run(sessions, "children", FIXTURES / "children.csv")).exit_status == 0


# -- people ----------------------------------------------------------------------------------


async def test_people_import_resolves_managers_given_later_and_is_idempotent(sessions):
    report = await run(sessions, "people", FIXTURES / "people.csv")

    assert report.exit_status == 0
    assert counts(report) == [(9, 9, 0, 0, 0)]
    assert report.files[0].notes == ["column 'notes' is not used by a people import: ignored"]
    async with sessions() as session:
        staff = {s.email: s for s in await session.scalars(select(Staff))}
    by_id = {s.id: s for s in staff.values()}
    iro = staff["iona.fairweather@example.org"]  # upper case in the file (and a BOM before it)
    assert (iro.role, iro.service_area) == ("iro", None)  # blank: works across areas
    assert iro.aad_object_id == "5d0c7a2e-1f3b-4c55-9a10-000000000001"
    # Managers named before their own rows (quentin on line 2, cora on line 3) are resolved.
    assert by_id[iro.manager_id].email == "quentin.hale@example.org"
    assert by_id[staff["bram.oyelaran@example.org"].manager_id].display_name == "Cora Lindqvist"
    assert staff["fenn.achebe@example.org"].manager_id is None
    assert staff["dev.ramaswamy@example.org"].service_area == "Children in Care"  # canonical
    assert staff["hana.szabo@example.org"].role == "social_worker"  # "Social Worker"

    again = await run(sessions, "people", FIXTURES / "people.csv")
    assert counts(again) == [(9, 0, 0, 9, 0)]


async def test_people_changes_are_counted_as_updates(sessions, tmp_path):
    await run(sessions, "people", FIXTURES / "people.csv")
    changed = write(
        tmp_path,
        "people.csv",
        "email,display_name,role,service_area,manager_email\n"
        "bram.oyelaran@example.org,Bram Oyelaran-Hughes,social_worker,Children in Care,"
        "cora.lindqvist@example.org\n"
        "gus.pemberton@example.org,Gus Pemberton,iro,,fenn.achebe@example.org\n"
        "hana.szabo@example.org,Hana Szabo,social_worker,Family Safeguarding West,"
        "cora.lindqvist@example.org\n",
    )
    report = await run(sessions, "people", changed)
    assert counts(report) == [(3, 0, 2, 1, 0)]
    async with sessions() as session:
        gus = await session.scalar(select(Staff).where(Staff.email == "gus.pemberton@example.org"))
        assert gus is not None
        # aad_object_id is not a column of this file: what is stored is left alone.
        assert gus.aad_object_id is None


async def test_people_rejections_name_line_column_and_reason(sessions, tmp_path):
    path = write(
        tmp_path,
        "people.csv",
        "email,display_name,role,service_area,manager_email,aad_object_id\n"
        "ann.a@example.org,Ann A,manager,,,\n"  # 2: bad role
        "ben.b@example.org,Ben B,iro,Narnia,,\n"  # 3: unknown area
        "cat.c@example.org,Cat C,iro,,nobody@example.org,\n"  # 4: unknown manager
        "dan.d@example.org,Dan D,iro,,ann.a@example.org,\n"  # 5: manager's row rejected
        "eve.e@example.org,Eve E,iro,,,not-a-guid\n"  # 6
        "fay.f@example.org,Fay F,iro,,,\n"  # 7 and 8: same e-mail, different rows
        "FAY.F@example.org,Fay Fenwick,iro,,,\n"
        "gil.g@example.org,Gil G,iro,,,\n"  # 9 and 10: the same row twice
        "gil.g@example.org,Gil G,iro,,,\n"
        "hal.h@example.org,Hal H,admin,,,\n",  # 11: fine
    )
    report = await run(sessions, "people", path)

    assert report.exit_status == 1
    assert counts(report) == [(10, 2, 0, 0, 8)]
    assert not report.files[0].written
    assert await count(sessions, Staff) == 0
    roles = ", ".join(
        [
            "iro",
            "social_worker",
            "practice_supervisor",
            "team_manager",
            "service_manager",
            "service_director",
            "director",
            "qa_manager",
            "admin",
        ]
    )
    assert reasons(report) == [
        f"{path}, line 2, role: 'manager' is not a role: use one of {roles}",
        f"{path}, line 3, service_area: 'Narnia' is not a service area in west_berkshire.toml: "
        f"use one of {', '.join(RULES.service_areas)}",
        f"{path}, line 4, manager_email: 'nobody@example.org' is not a member of staff, here or "
        "in the store",
        f"{path}, line 5, manager_email: 'ann.a@example.org' is on line 2, which was rejected",
        f"{path}, line 6, aad_object_id: 'not-a-guid' is not an AAD object id (a GUID like "
        "00000000-0000-0000-0000-000000000020)",
        f"{path}, line 7, email: email 'fay.f@example.org' is also on line 8 with different "
        "values: keep the right one",
        f"{path}, line 8, email: email 'fay.f@example.org' is also on line 7 with different "
        "values: keep the right one",
        f"{path}, line 10, email: repeats line 9 exactly (email 'gil.g@example.org' twice)",
    ]

    partial = await run(sessions, "people", path, partial=True)
    assert counts(partial) == [(10, 2, 0, 0, 8)]
    async with sessions() as session:
        assert set(await session.scalars(select(Staff.email))) == {
            "gil.g@example.org",
            "hal.h@example.org",
        }


async def test_files_of_one_run_see_each_other_even_in_a_dry_run(sessions, tmp_path):
    bosses = write(tmp_path, "bosses.csv", "email,display_name,role\nmo@example.org,Mo,director\n")
    staff = write(
        tmp_path,
        "staff.csv",
        "email,display_name,role,manager_email\nal@example.org,Al,iro,mo@example.org\n",
    )
    dry = await run(sessions, "people", bosses, staff, dry_run=True)
    assert counts(dry) == [(1, 1, 0, 0, 0), (1, 1, 0, 0, 0)]
    assert await count(sessions, Staff) == 0
    report = await run(sessions, "people", bosses, staff)
    assert report.exit_status == 0 and await count(sessions, Staff) == 2


async def test_a_missing_required_column_makes_the_file_unusable(sessions, tmp_path):
    path = write(tmp_path, "people.csv", "email,display_name,service_area\na@example.org,A,\n")
    good = FIXTURES / "people.csv"
    with pytest.raises(UnusableInput) as caught:
        await run(sessions, "people", good, path)
    assert caught.value.problems == [
        f"{path}: the header has no 'role' column; a people file needs email, display_name, role"
    ]
    assert await count(sessions, Staff) == 0  # not even the good file: nothing was started


# -- children --------------------------------------------------------------------------------


async def test_children_import_sets_names_allocations_period_and_schedule(sessions):
    await run(sessions, "people", FIXTURES / "people.csv")
    report = await run(sessions, "children", FIXTURES / "children.csv")

    assert counts(report) == [(4, 4, 0, 0, 0)]
    async with sessions() as session:
        children = {c.child_id: c for c in await session.scalars(select(Child))}
        staff = {s.id: s.email for s in await session.scalars(select(Staff))}
        periods = await session.execute(select(PeriodOfCare.child_pk, PeriodOfCare.started_on))
        periods = {(pk, started) for pk, started in periods}
    zoe = children["C1001"]
    assert (zoe.given_name, zoe.family_name) == ("Zoë", "O'Brien-Smith")
    assert (zoe.given_name_norm, zoe.family_name_norm, zoe.full_name_norm) == (
        "zoe",
        "obrien smith",
        "zoe obrien smith",
    )
    assert zoe.date_of_birth == date(2015, 3, 14)
    assert staff[zoe.iro_id] == "iona.fairweather@example.org"
    assert staff[zoe.social_worker_id] == "bram.oyelaran@example.org"
    assert (zoe.service_area, zoe.uasc) == ("Children in Care", False)
    assert children["C1002"].uasc is True
    assert children["C1003"].looked_after_since is None
    # looked_after_since opens a period of care and drives the stored schedule (CIC-1).
    amara = children["C1004"]
    assert (amara.id, date(2025, 12, 19)) in periods
    assert (amara.next_review_due, amara.next_review_rule) == (date(2026, 1, 21), "CIC-1")
    assert len(periods) == 3
    await assert_schedules_current(sessions)

    again = await run(sessions, "children", FIXTURES / "children.csv")
    assert counts(again) == [(4, 0, 0, 4, 0)]


async def test_a_large_caseload_gets_the_same_schedules_in_batches(sessions, tmp_path):
    await run(sessions, "people", FIXTURES / "people.csv")
    lines = ["child_id,date_of_birth,looked_after_since,iro_email"]
    for n in range(60):  # more than are refreshed one by one
        since = date(2025, 1 + n % 12, 1 + n % 28)
        lines.append(f"B{n:03d},01/01/2015,{since:%d/%m/%Y},iona.fairweather@example.org")
    path = write(tmp_path, "caseload.csv", "\n".join(lines) + "\n")
    assert counts(await run(sessions, "children", path)) == [(60, 60, 0, 0, 0)]
    reviews = "child_id,review_date\n" + "".join(
        f"B{n:03d},{date(2025, 1 + n % 12, 1 + n % 28).replace(year=2026):%d/%m/%Y}\n"
        for n in range(0, 60, 2)
        if date(2025, 1 + n % 12, 1 + n % 28).replace(year=2026) <= TODAY
    )
    await run(sessions, "reviews", write(tmp_path, "reviews.csv", reviews))
    async with sessions() as session:
        scheduled = await session.scalar(
            select(func.count()).where(Child.next_review_due.is_not(None))
        )
    assert scheduled == 60
    await assert_schedules_current(sessions)


async def test_blank_cells_leave_stored_values_alone(sessions, tmp_path):
    await load_people_and_children(sessions)
    path = write(
        tmp_path,
        "allocations.csv",
        "child_id,iro_email,given_name\nC1001,gus.pemberton@example.org,\nC1003,,Tom\n",
    )
    report = await run(sessions, "children", path)
    assert counts(report) == [(2, 0, 2, 0, 0)]
    async with sessions() as session:
        zoe = await session.scalar(select(Child).where(Child.child_id == "C1001"))
        tom = await session.scalar(select(Child).where(Child.child_id == "C1003"))
        gus = await session.scalar(select(Staff).where(Staff.email == "gus.pemberton@example.org"))
    assert zoe is not None and tom is not None and gus is not None
    assert (zoe.iro_id, zoe.given_name, zoe.date_of_birth) == (gus.id, "Zoë", date(2015, 3, 14))
    assert (tom.given_name, tom.family_name, tom.full_name_norm) == ("Tom", "Nowak", "tom nowak")


async def test_children_file_with_an_impossible_date_on_line_3_writes_nothing(sessions):
    await run(sessions, "people", FIXTURES / "people.csv")
    path = FIXTURES / "children_bad_date.csv"
    report = await run(sessions, "children", path)

    assert report.exit_status == 1
    assert reasons(report) == [
        f"{path}, line 3, date_of_birth: '31/02/2015' is not a real date: February 2015 has 28 days"
    ]
    assert not report.files[0].written
    assert await count(sessions, Child) == 0
    assert await count(sessions, PeriodOfCare) == 0
    assert "line 3, date_of_birth" in report.render()
    assert "use --partial to write the 2 good rows" in report.render()


async def test_partial_writes_the_good_rows(sessions):
    await run(sessions, "people", FIXTURES / "people.csv")
    report = await run(sessions, "children", FIXTURES / "children_bad_date.csv", partial=True)

    assert report.exit_status == 1  # still says rows were rejected
    assert counts(report) == [(3, 2, 0, 0, 1)]
    async with sessions() as session:
        assert set(await session.scalars(select(Child.child_id))) == {"C2001", "C2003"}
    assert await count(sessions, PeriodOfCare) == 2


async def test_dry_run_writes_nothing_but_reports_what_would_happen(sessions):
    await run(sessions, "people", FIXTURES / "people.csv")
    audits_before = await count(sessions, AuditEntry)
    report = await run(sessions, "children", FIXTURES / "children.csv", dry_run=True)

    assert report.exit_status == 0
    assert counts(report) == [(4, 4, 0, 0, 0)]
    assert not report.files[0].written
    assert report.render().startswith("Dry run: nothing is written")
    assert await count(sessions, Child) == 0
    assert await count(sessions, PeriodOfCare) == 0
    assert await count(sessions, AuditEntry) == audits_before


async def test_children_with_unknown_staff_or_a_non_iro_are_rejected(sessions, tmp_path):
    await run(sessions, "people", FIXTURES / "people.csv")
    path = write(
        tmp_path,
        "children.csv",
        "child_id,given_name,family_name,date_of_birth,looked_after_since,iro_email,"
        "social_worker_email,uasc\n"
        "C1,Ann,Lee,01/01/2015,01/01/2014,,,\n"
        "C2,Bo,Lee,01/01/2015,,bram.oyelaran@example.org,,\n"
        "C3,Cy,Lee,01/01/2015,,,ghost@example.org,maybe\n"
        "C4,Di,Lee,01/13/2015,,,,\n",
    )
    report = await run(sessions, "children", path)
    assert reasons(report) == [
        f"{path}, line 2, looked_after_since: 1 January 2014 is before the child's date of "
        "birth, 1 January 2015",
        f"{path}, line 3, iro_email: 'bram.oyelaran@example.org' is a social worker, not an IRO",
        f"{path}, line 4, uasc: 'maybe' is not yes or no (use yes/no, true/false, Y/N or 1/0)",
        f"{path}, line 5, date_of_birth: '01/13/2015' has no month 13 (dates are day/month/year)",
    ]
    # Unknown e-mails are found once the row's own values are fine.
    fixed = write(tmp_path, "fixed.csv", "child_id,social_worker_email\nC3,ghost@example.org\n")
    assert reasons(await run(sessions, "children", fixed)) == [
        f"{fixed}, line 2, social_worker_email: 'ghost@example.org' is not a member of staff "
        "(import them with `iro-bot import people` first)"
    ]


# -- reviews ---------------------------------------------------------------------------------


async def test_reviews_import_updates_the_schedule_and_rejects_unknown_children(sessions, tmp_path):
    await load_people_and_children(sessions)
    report = await run(sessions, "reviews", FIXTURES / "reviews.csv")
    assert counts(report) == [(4, 4, 0, 0, 0)]
    async with sessions() as session:
        zoe = await session.scalar(select(Child).where(Child.child_id == "C1001"))
        parts = set(await session.scalars(select(Review.part).where(Review.child_pk == zoe.id)))
    assert parts == {"full", "part1", "part2"}
    # CIC-SPLIT (part1): six months from Part 1 on 15/12/2025.
    assert (zoe.next_review_due, zoe.next_review_rule) == (date(2026, 6, 15), "CIC-3")
    await assert_schedules_current(sessions)

    assert counts(await run(sessions, "reviews", FIXTURES / "reviews.csv")) == [(4, 0, 0, 4, 0)]

    bad = write(
        tmp_path,
        "reviews.csv",
        "child_id,review_date,part\n"
        "C9999,01/02/2026,\n"
        "C1002,01/02/2026,part 3\n"
        "C1002,01/02/2010,\n"
        "C1002,01/05/2026,\n",
    )
    assert reasons(await run(sessions, "reviews", bad)) == [
        f"{bad}, line 2, child_id: there is no child with id 'C9999' (import children first)",
        f"{bad}, line 3, part: 'part 3' is not a review part: use full, part1 or part2",
        f"{bad}, line 4, review_date: 1 February 2010 is before the child was born (30 July 2012)",
        f"{bad}, line 5, review_date: '01/05/2026' is in the future (today is 1 April 2026)",
    ]
    assert await count(sessions, Review) == 4


# -- IRs -------------------------------------------------------------------------------------


async def test_irs_import_stores_stages_reasons_and_deadlines(sessions):
    await load_people_and_children(sessions)
    report = await run(sessions, "irs", FIXTURES / "irs.csv")
    assert counts(report) == [(4, 4, 0, 0, 0)]

    async with sessions() as session:
        irs = {ir.reference: ir for ir in await session.scalars(select(IssueResolution))}
        reasons_of: dict[int, set[str]] = defaultdict(set)
        for ir_id, reason in await session.execute(select(IrReason.ir_id, IrReason.reason)):
            reasons_of[ir_id].add(reason)
        stages_of: dict[int, list[tuple[int, str, date]]] = defaultdict(list)
        for ir_id, seq, stage, on in await session.execute(
            select(
                IrStageEntry.ir_id, IrStageEntry.seq, IrStageEntry.stage, IrStageEntry.entered_on
            ).order_by(IrStageEntry.ir_id, IrStageEntry.seq)
        ):
            stages_of[ir_id].append((seq, stage, on))
        counter = await session.get(IrReferenceCounter, 2025)

    informal = irs["OLD-0001"]
    assert (informal.status, informal.stage_raised, informal.resolved_at_stage) == (
        "resolved",
        "informal",
        "informal",
    )
    assert informal.formal_since is None and informal.source == "import"
    assert reasons_of[informal.id] == {"reports not available in time"}  # case from the rules
    assert stages_of[informal.id] == [(1, "informal", date(2025, 2, 3))]

    escalated = irs["OLD-0002"]  # raised at Stage 1, resolved at Stage 3
    assert (escalated.stage_raised, escalated.current_stage, escalated.resolved_at_stage) == (
        "1",
        "3",
        "3",
    )
    assert escalated.formal_since == date(2025, 3, 10)
    assert escalated.resolved_on == date(2025, 4, 30)
    assert reasons_of[escalated.id] == {"no advocate", "delay in care proceedings"}
    assert stages_of[escalated.id] == [(1, "1", date(2025, 3, 10)), (2, "3", date(2025, 4, 30))]

    still_open = irs["OLD-0003"]  # "Stage 2", no resolved_on
    assert (still_open.status, still_open.current_stage) == ("open_awaiting_response", "2")
    assert still_open.resolved_on is None and still_open.resolved_at_stage is None
    # IR-STAGE 5 and IR-FORMAL 20 working days from Monday 5 January 2026.
    assert (still_open.stage_due, still_open.formal_due) == (date(2026, 1, 12), date(2026, 2, 2))

    became_formal = irs["IR-2025-0042"]  # informal, resolved at Stage 2
    assert became_formal.formal_since == date(2025, 6, 20)
    assert reasons_of[became_formal.id] == {"delay allocating a SW", "other"}
    # The bot's own numbering moves past an imported IR-2025-0042.
    assert counter is not None and counter.last_number == 42

    assert counts(await run(sessions, "irs", FIXTURES / "irs.csv")) == [(4, 0, 0, 4, 0)]


async def test_irs_rejections(sessions, tmp_path):
    await load_people_and_children(sessions)
    head = (
        "ir_ref,child_id,raised_by_email,raised_on,stage_raised,stage_resolved,resolved_on,"
        "reasons\n"
    )
    path = write(
        tmp_path,
        "irs.csv",
        head + "X-1,C1001,iona.fairweather@example.org,01/02/2025,5,,,no advocate\n"
        "X-2,C1001,iona.fairweather@example.org,01/02/2025,1,,,no advocate;cake\n"
        "X-3,C1001,iona.fairweather@example.org,01/02/2025,2,1,03/03/2025,no advocate\n"
        "X-4,C1001,iona.fairweather@example.org,01/02/2025,1,2,,no advocate\n"
        "X-5,C1001,iona.fairweather@example.org,01/02/2025,1,,01/01/2025,no advocate\n"
        "X-6,C1001,iona.fairweather@example.org,01/02/2025,1,,,\n"
        "X-7,C4242,nobody@example.org,01/02/2025,1,,,other\n",
    )
    assert reasons(await run(sessions, "irs", path)) == [
        f"{path}, line 2, stage_raised: there is no IR stage '5'; the stages are informal, 1, 2, "
        "3, 4",
        f"{path}, line 3, reasons: 'cake' is not an IR reason in west_berkshire.toml",
        f"{path}, line 4, stage_resolved: Stage 1 is below the stage it was raised at (Stage 2): "
        "an IR only escalates upwards",
        f"{path}, line 5, stage_resolved: is given but resolved_on is blank: an open IR has no "
        "resolved stage (leave stage_resolved blank, or give the date it was resolved)",
        f"{path}, line 6, resolved_on: 1 January 2025 is before the IR was raised "
        "(1 February 2025)",
        f"{path}, line 7, reasons: is blank: an IR needs at least one reason",
        f"{path}, line 8, child_id: there is no child with id 'C4242' (import children first)",
        f"{path}, line 8, raised_by_email: 'nobody@example.org' is not a member of staff "
        "(import them with `iro-bot import people` first)",
    ]
    assert await count(sessions, IssueResolution) == 0


async def test_an_ir_recorded_in_the_bot_is_not_overwritten(sessions, tmp_path):
    await load_people_and_children(sessions)
    async with sessions() as session, session.begin():
        session.add(
            IssueResolution(
                reference="OLD-0001",
                raised_on=date(2026, 3, 2),
                stage_raised="1",
                current_stage="1",
                status="open_awaiting_response",
                source="bot",
            )
        )
    report = await run(sessions, "irs", FIXTURES / "irs.csv", partial=True)
    assert reasons(report)[0].endswith(
        "ir_ref: 'OLD-0001' is an IR recorded in the bot; an import does not overwrite it (give "
        "the earlier system's IR another reference)"
    )
    async with sessions() as session:
        ir = await session.scalar(
            select(IssueResolution).where(IssueResolution.reference == "OLD-0001")
        )
    assert ir is not None and ir.source == "bot" and ir.raised_on == date(2026, 3, 2)


# -- CSV robustness --------------------------------------------------------------------------


async def test_bom_crlf_blank_lines_header_spelling_and_misaligned_rows(sessions, tmp_path):
    await run(sessions, "people", FIXTURES / "people.csv")
    text = (
        "\ufeffChild ID,Given Name,Family-Name,Date of Birth,Comments\r\n"
        "\r\n"
        'C7001,Niamh,"Ó Briain",03/04/2016,"two\r\nlines"\r\n'  # lines 3-4
        ",,,,\r\n"  # a spreadsheet's empty row
        "C7002,Jo,Bloggs,2014-02-03,x,y\r\n"  # line 6: one value too many
        "C7003,Lee\r\n"  # line 7: too few
        "C7004,Kim,Park,05/06/2017,,,\r\n"  # line 8: trailing empty cells are fine
    )
    path = write(tmp_path, "children.csv", text)
    report = await run(sessions, "children", path, partial=True)

    assert reasons(report) == [
        f"{path}, line 6: has 6 values but the header has 5 columns (is there a comma in a "
        "value that is not in quotes?)",
        f"{path}, line 7: has 2 values but the header has 5 columns (is there a comma in a value "
        "that is not in quotes?)",
    ]
    assert counts(report) == [(4, 2, 0, 0, 2)]
    assert report.files[0].notes == ["column 'Comments' is not used by a children import: ignored"]
    async with sessions() as session:
        niamh = await session.scalar(select(Child).where(Child.child_id == "C7001"))
    assert niamh is not None and niamh.family_name_norm == "o briain"


async def test_a_windows_1252_file_is_read_with_a_note(sessions, tmp_path):
    path = write(
        tmp_path, "children.csv", "child_id,given_name,family_name\nC8001,Zoë,Brontë\n", "cp1252"
    )
    report = await run(sessions, "children", path)
    assert report.files[0].notes == [f"{path} is not UTF-8: read it as Windows-1252 (Excel CSV)"]
    async with sessions() as session:
        child = await session.scalar(select(Child).where(Child.child_id == "C8001"))
    assert child is not None and (child.given_name, child.family_name) == ("Zoë", "Brontë")


async def test_unusable_inputs_are_all_reported_before_anything_is_written(sessions, tmp_path):
    empty = write(tmp_path, "empty.csv", "\n\n")
    twice = write(tmp_path, "twice.csv", "child_id,CHILD_ID\nC1,C1\n")
    missing = tmp_path / "missing.csv"
    with pytest.raises(UnusableInput) as caught:
        await run(sessions, "children", empty, twice, missing)
    assert caught.value.problems == [
        f"{empty} is empty: it needs a header line naming the columns",
        f"{twice}: column 'child_id' appears twice in the header",
        f"{missing}: no such file",
    ]
    with pytest.raises(UnusableInput, match="there is no import kind 'kids'"):
        await run(sessions, "kids", FIXTURES / "children.csv")


# -- SSDA903 ---------------------------------------------------------------------------------


async def test_903_return_gives_children_periods_reviews_and_missing_episodes(sessions):
    report = await run(sessions, "ssda903", FIXTURES / "ssda903_small")

    assert report.exit_status == 0
    assert counts(report) == [(4, 4, 0, 0, 0), (6, 4, 0, 0, 0), (3, 3, 0, 0, 0), (2, 2, 0, 0, 0)]
    async with sessions() as session:
        children = {c.child_id: c for c in await session.scalars(select(Child))}
        periods = {
            (children_id, started): (ended, reason)
            for children_id, started, ended, reason in await session.execute(
                select(
                    Child.child_id,
                    PeriodOfCare.started_on,
                    PeriodOfCare.ended_on,
                    PeriodOfCare.reason_ended,
                ).join(Child, Child.id == PeriodOfCare.child_pk)
            )
        }
        codes = set(await session.scalars(select(Review.participation_code)))
        missing = {
            (kind, ended)
            for kind, ended in await session.execute(
                select(MissingEpisode.kind, MissingEpisode.ended_on)
            )
        }
    assert all(c.given_name is None and c.full_name_norm is None for c in children.values())
    assert (children["900001"].sex, children["900001"].date_of_birth) == ("1", date(2012, 2, 1))
    assert periods == {
        # S then P after an X1: one period, still open.
        ("900001", date(2024, 1, 10)): (None, None),
        # Left care (E11), then a new S: two periods.
        ("900002", date(2023, 5, 1)): (date(2023, 9, 30), "E11"),
        ("900002", date(2024, 2, 5)): (None, None),
        ("900004", date(2023, 6, 1)): (date(2024, 1, 31), "E4A"),
    }
    # 900003 has no S episode: in care since an unknown date, so no period and no start.
    assert children["900003"].looked_after_since is None
    assert report.files[1].notes[0].startswith("1 child with episodes here that continue a")
    assert children["900001"].looked_after_since == date(2024, 1, 10)
    assert children["900002"].looked_after_since == date(2024, 2, 5)
    assert children["900004"].looked_after_since is None  # left care
    assert children["900001"].next_review_rule == "CIC-3"  # reviews 06/02 and 02/05/2024
    assert codes == {"PN0", "PN1", "PN3"}
    assert missing == {("M", date(2024, 3, 5)), ("A", None)}
    await assert_schedules_current(sessions)

    again = await run(sessions, "ssda903", FIXTURES / "ssda903_small")
    assert [(c, u) for _, c, u, _, _ in counts(again)] == [(0, 0)] * 4


async def test_next_years_return_continues_and_closes_a_stored_period(sessions):
    await run(sessions, "ssda903", FIXTURES / "ssda903_small")
    report = await run(sessions, "ssda903", FIXTURES / "ssda903_small_next")

    assert counts(report) == [(2, 0, 0, 2, 0), (2, 0, 1, 0, 0)]
    async with sessions() as session:
        child = await session.scalar(select(Child).where(Child.child_id == "900001"))
        period = await session.scalar(select(PeriodOfCare).where(PeriodOfCare.child_pk == child.id))
    assert (period.started_on, period.ended_on, period.reason_ended) == (
        date(2024, 1, 10),
        date(2024, 6, 30),
        "E13",
    )
    assert child.looked_after_since is None and child.next_review_due is None
    assert counts(await run(sessions, "ssda903", FIXTURES / "ssda903_small_next"))[1] == (
        2,
        0,
        0,
        1,
        0,
    )


async def test_903_rejections_explain_every_row_and_hold_back_the_whole_return(sessions, tmp_path):
    d = tmp_path / "return"
    write(d, "Header.CSV", "CHILD,SEX,DOB\n1,1,01/01/2010\n2,3,01/01/2011\n3,2,31/09/2012\n")
    write(
        d,
        "episodes.csv",
        "CHILD,DECOM,RNE,DEC,REC\n"
        "1,01/01/2020,S,01/03/2020,X1\n"  # 2
        "1,01/03/2020,S,,\n"  # 3: S after X1
        "1,01/02/2020,P,01/04/2020,E11\n"  # 4: starts before line 2 ended
        "1,01/04/2020,P,01/05/2020,E11\n"  # 5: fine: continues line 2
        "1,01/06/2020,L,,\n"  # 6: L after care ended on line 5
        "1,01/07/2020,S,01/08/2020,\n"  # 7: DEC without REC
        "9,01/01/2020,S,,\n"  # 8: unknown child
        "3,01/01/2020,S,,\n",  # 9: child's header row rejected
    )
    write(
        d,
        "reviews.csv",
        "CHILD,DOB,REVIEW,REVIEW_CODE\n1,02/01/2010,01/02/2020,PN1\n1,,01/03/2020,PN9\n",
    )
    write(d, "missing.csv", "CHILD,MISSING,MIS_START,MIS_END\n1,X,01/02/2020,01/01/2020\n")
    write(d, "oc3.csv", "CHILD,DOB,IN_TOUCH\n")
    report = await run(sessions, "ssda903", d)

    h, e, r, m = (str(d / n) for n in ("Header.CSV", "episodes.csv", "reviews.csv", "missing.csv"))
    assert reasons(report) == [
        f"{h}, line 3, SEX: '3' is not an SSDA903 SEX code: 1 (male) or 2 (female)",
        f"{h}, line 4, DOB: '31/09/2012' is not a real date: September 2012 has 30 days",
        f"{e}, line 3, RNE: is S (started to be looked after), but the child's episode on line 2 "
        "ended with REC X1, meaning the child stayed in care",
        f"{e}, line 4, DECOM: 1 February 2020 is before the child's episode on line 2 ended, on "
        "1 March 2020",
        f"{e}, line 6, RNE: is L, which continues a period of care, but the child's episode on "
        "line 5 ended it on 1 May 2020 with REC E11: a new period of care starts with RNE S",
        f"{e}, line 7, REC: is blank but DEC is given: say why the episode ended (X1 when the "
        "child stays in care)",
        f"{e}, line 8, CHILD: child '9' is not in header.csv or in the store",
        f"{e}, line 9, CHILD: child '3': their row in {h} (line 4) was rejected",
        f"{r}, line 2, DOB: 2 January 2010 is not the child's date of birth in {h}, line 2 "
        "(1 January 2010)",
        f"{r}, line 3, REVIEW_CODE: 'PN9' is not a participation code (PN0 to PN7)",
        f"{m}, line 2, MISSING: 'X' is not M (missing) or A (away from placement without "
        "authorisation)",
        f"{m}, line 2, MIS_END: 1 January 2020 is before the episode began (1 February 2020)",
    ]
    assert [f.rows_rejected for f in report.files] == [2, 6, 2, 1]
    assert not any(f.written for f in report.files)
    assert await count(sessions, Child) == 0
    assert f"oc3.csv in {d} is not an SSDA903 file this import reads" in report.files[0].notes

    partial = await run(sessions, "ssda903", d, partial=True)
    assert [(f.created, f.rows_rejected) for f in partial.files] == [(1, 2), (1, 6), (0, 2), (0, 1)]
    async with sessions() as session:
        child = await session.scalar(select(Child).where(Child.child_id == "1"))
    # Line 2 (S, X1) and line 5 (P, E11): one period, ended 1 May 2020; the child left care.
    assert child is not None and child.looked_after_since is None


async def test_903_header_uasc_and_sex_changes_are_updates(sessions, tmp_path):
    d = tmp_path / "903"
    write(d, "header.csv", "CHILD,SEX,DOB,UASC\n5,1,01/01/2010,1\n6,2,01/01/2011,\n")
    assert counts(await run(sessions, "ssda903", d)) == [(2, 2, 0, 0, 0)]
    write(d, "header.csv", "CHILD,SEX,DOB,UASC\n5,1,01/01/2010,0\n6,1,01/01/2011,\n")
    assert counts(await run(sessions, "ssda903", d)) == [(2, 0, 2, 0, 0)]
    async with sessions() as session:
        rows = await session.execute(select(Child.child_id, Child.sex, Child.uasc))
        assert sorted((c, s, u) for c, s, u in rows) == [("5", "1", False), ("6", "1", False)]


async def test_903_uasc_file_marks_children_uasc(sessions, tmp_path):
    d = tmp_path / "903"
    write(d, "header.csv", "CHILD,SEX,DOB\n5,1,01/01/2007\n6,2,01/01/2008\n7,1,01/01/2009\n")
    # 5: UASC, status ceased at 18; 6: UASC still; 8: not a child of the return; 7: DUC
    # before birth. All or nothing: the return is held back.
    write(
        d,
        "uasc.csv",
        "CHILD,SEX,DOB,DUC\n5,1,01/01/2007,01/01/2025\n6,2,01/01/2008,\n8,1,01/01/2009,\n"
        "7,1,01/01/2009,31/12/2008\n",
    )
    report = await run(sessions, "ssda903", d)
    u = str(d / "uasc.csv")
    assert reasons(report) == [
        f"{u}, line 4, CHILD: child '8' is not in header.csv or in the store",
        f"{u}, line 5, DUC: 31 December 2008 is before the child was born (1 January 2009)",
    ]
    assert await count(sessions, Child) == 0
    write(d, "uasc.csv", "CHILD,SEX,DOB,DUC\n5,1,01/01/2007,01/01/2025\n6,2,01/01/2008,\n")
    assert counts(await run(sessions, "ssda903", d)) == [(3, 3, 0, 0, 0), (2, 0, 2, 0, 0)]
    # Again: nothing changes.
    assert counts(await run(sessions, "ssda903", d))[1] == (2, 0, 0, 2, 0)
    async with sessions() as session:
        rows = await session.execute(select(Child.child_id, Child.uasc))
        assert sorted(rows) == [("5", True), ("6", True), ("7", False)]


def _derive_903(directory: Path, today: date) -> dict[str, object]:
    """What importing the shared fixtures must do, worked out here from the CSVs directly.

    The fixtures' dates are all DD/MM/YYYY and valid, so ``strptime`` reads them; what is
    rejected follows from the rules in the importer's documentation: a date after today,
    rows repeating a key (an identical repeat is dropped, conflicting ones all go), and
    episodes that break the chain of a period of care.
    """

    def rows(name: str) -> list[dict[str, str]]:
        with (directory / f"{name}.csv").open(encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))

    def day(text: str) -> date:
        return datetime.strptime(text, "%d/%m/%Y").date()

    header = rows("header")
    born = {r["CHILD"]: day(r["DOB"]) for r in header}
    assert len(born) == len(header)  # the fixture has one row per child

    reviews = rows("reviews")
    by_key: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for r in reviews:
        if day(r["REVIEW"]) <= today:
            by_key[(r["CHILD"], r["REVIEW"])].append(r)
    reviews_ok = [
        g[0]
        for g in by_key.values()
        if all(x == g[0] for x in g)
        and day(g[0]["DOB"]) == born[g[0]["CHILD"]]
        and day(g[0]["REVIEW"]) >= born[g[0]["CHILD"]]
    ]

    episodes = rows("episodes")
    by_child: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
    for line, r in enumerate(episodes, start=2):
        by_child[r["CHILD"]].append((line, r))
    episode_rejects: set[int] = set()
    periods = 0
    in_care_since_known = 0
    for eps in by_child.values():
        eps.sort(key=lambda e: (day(e[1]["DECOM"]), e[0]))
        last: dict[str, str] | None = None
        known_start = False
        for line, r in eps:
            if last is not None:
                open_before = not last["DEC"]
                overlaps = not open_before and day(r["DECOM"]) < day(last["DEC"])
                in_care = last["REC"] == "X1"
                if open_before or overlaps or in_care == (r["RNE"] == "S"):
                    episode_rejects.add(line)
                    continue
            if r["RNE"] == "S":
                periods += 1
                known_start = True
            elif last is None:
                known_start = False
            last = r
        assert last is not None
        still_in_care = not last["DEC"] or last["REC"] == "X1"
        in_care_since_known += still_in_care and known_start
    missing = rows("missing")
    return {
        "rows": [len(header), len(episodes), len(reviews), len(missing)],
        "children": len(header),
        "periods": periods,
        "episode_rejects": len(episode_rejects),
        "reviews": len(reviews_ok),
        "missing": len(missing),
        "looked_after": in_care_since_known,
    }


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_903.is_dir(), reason=f"shared fixtures not at {SHARED_903}")
async def test_shared_903_fixtures_import_and_a_second_import_changes_nothing(sessions, engine):
    want = _derive_903(SHARED_903, TODAY)

    strict = await run(sessions, "ssda903", SHARED_903)
    assert strict.exit_status == 1  # the fake data has rejected rows ...
    assert await count(sessions, Child) == 0  # ... so without --partial nothing is written

    started = time.perf_counter()
    first = await run(sessions, "ssda903", SHARED_903, partial=True)
    took = time.perf_counter() - started
    print(f"\nSSDA903 fixtures, first import on {engine.dialect.name}: {took:.1f} s")
    print(first.render().split("\n", 1)[0])

    rows_read = [f.rows_read for f in first.files]
    assert rows_read == want["rows"]
    header, episodes, reviews, missing = first.files
    assert (header.created, header.rows_rejected) == (want["children"], 0)
    assert (episodes.created, episodes.rows_rejected) == (want["periods"], want["episode_rejects"])
    assert (reviews.created, reviews.rows_rejected) == (
        want["reviews"],
        rows_read[2] - want["reviews"],
    )
    assert (missing.created, missing.rows_rejected) == (want["missing"], 0)
    # Every rejected row is explained: one listed reason at least per rejected line.
    for f in first.files:
        assert {r.line for r in f.rejections} == f.rejected_lines
        assert all(r.reason for r in f.rejections)
    assert await count(sessions, Child) == want["children"]
    assert await count(sessions, PeriodOfCare) == want["periods"]
    assert await count(sessions, Review) == want["reviews"]
    assert await count(sessions, MissingEpisode) == want["missing"]
    async with sessions() as session:
        looked_after = await session.scalar(
            select(func.count()).where(Child.looked_after_since.is_not(None))
        )
        scheduled = await session.scalar(
            select(func.count()).where(Child.next_review_due.is_not(None))
        )
    assert looked_after == scheduled == want["looked_after"]
    await assert_schedules_current(sessions)
    assert took < 60, "the shared fixtures must import in seconds"

    second = await run(sessions, "ssda903", SHARED_903, partial=True)
    assert [(f.created, f.updated) for f in second.files] == [(0, 0)] * 4
    assert [f.unchanged for f in second.files] == [f.created for f in first.files]
    assert [f.rows_rejected for f in second.files] == [f.rows_rejected for f in first.files]


# -- audit -----------------------------------------------------------------------------------


async def test_each_run_writes_one_audit_entry_with_counts_only(sessions):
    await run(sessions, "people", FIXTURES / "people.csv")
    await run(sessions, "children", FIXTURES / "children_bad_date.csv")
    async with sessions() as session:
        entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(e.action, e.outcome) for e in entries] == [
        ("import.people", "ok"),
        ("import.children", "rejected"),
    ]
    assert entries[1].detail == {
        "files": 1,
        "files_written": 0,
        "rows_read": 3,
        "rows_rejected": 1,
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "partial": False,
    }
    assert "Lena" not in str([e.detail for e in entries])


# -- the command line ------------------------------------------------------------------------


def test_cli_summaries_and_exit_statuses(tmp_path, monkeypatch, capsys):
    database = tmp_path / "cli.db"
    url = f"sqlite+aiosqlite:///{database}"

    async def create() -> None:
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        await engine.dispose()

    asyncio.run(create())
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("IRO_RULES", raising=False)

    def cli(*args: str | Path) -> tuple[int, str, str]:
        status = main(["import", *(str(a) for a in args)])
        out, err = capsys.readouterr()
        return status, out, err

    status, out, _ = cli("people", FIXTURES / "people.csv")
    assert status == 0
    assert (
        f"{FIXTURES / 'people.csv'}: 9 rows read; people: 9 created, 0 updated, 0 unchanged" in out
    )
    assert out.rstrip().endswith("Every row was imported.")

    status, out, _ = cli("children", FIXTURES / "children_bad_date.csv")
    assert status == 1
    assert "line 3, date_of_birth: '31/02/2015' is not a real date" in out

    status, out, _ = cli("children", FIXTURES / "children.csv", "--dry-run")
    assert status == 0 and out.startswith("Dry run")

    status, out, _ = cli("children", FIXTURES / "children.csv")
    assert status == 0 and "4 created" in out
    status, out, _ = cli("children", FIXTURES / "children.csv")
    assert status == 0 and "0 created, 0 updated, 4 unchanged" in out

    status, out, err = cli("kids", FIXTURES / "children.csv")
    assert (status, out) == (2, "")
    assert "there is no import kind 'kids'" in err

    status, _, err = cli("reviews", tmp_path / "nope.csv")
    assert status == 2 and f"{tmp_path / 'nope.csv'}: no such file" in err

    status, _, err = cli("ssda903", FIXTURES / "people.csv")
    assert status == 2 and "is not a directory" in err
