"""Repositories and the stored review schedule on real SQLite and PostgreSQL (see conftest.py).

Every date below was checked by hand against the England & Wales calendar; the comments say how.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import cli
from domain.names import normalise_name
from domain.permissions import visibility_for
from domain.ports import NOTHING, SYSTEM, ChildSummary, Role, StaffMember, Visibility
from domain.reviews import BroughtForward, ReviewHeld, ReviewPart
from domain.rules import DEFAULT_RULES_PATH, load_rules, parse_rules
from storage.base import Base
from storage.engine import create_engine, session_factory
from storage.models import BroughtForwardDirection, Child, Review, Staff
from storage.repositories import SqlChildRepository, SqlStaffRepository, set_child_names
from storage.repositories.explain import captured_statements, explain
from storage.repositories.staff import to_staff_member
from storage.schedule import load_review_inputs, recompute_all, refresh_review_schedule

RULES = load_rules()
TODAY = date(2026, 3, 2)  # a Monday
# 15 working days after Mon 2 Mar 2026 (no bank holiday in March 2026; Good Friday is 3 Apr):
# 3-6 Mar (4), 9-13 (9), 16-20 (14), Mon 23 Mar (15).
WINDOW_END = date(2026, 3, 23)

CIC = "Children in Care"
FSW = "Family Safeguarding West"

# key: (email, display name, role, service area, active)
STAFF = {
    "iro_a": ("iro.a@example.org", "Alex Wilber", "iro", None, True),
    "iro_b": ("iro.b@example.org", "Bea Iro", "iro", None, True),
    "sw_1": ("sw.1@example.org", "Megan Bowen", "social_worker", CIC, True),
    "sw_2": ("sw.2@example.org", "Sam Worker", "social_worker", FSW, True),
    "tm_cic": ("tm.cic@example.org", "Adele Vance", "team_manager", CIC, True),
    "tm_none": ("tm.none@example.org", "No Area", "team_manager", None, True),
    "director": ("director@example.org", "Lynne Robbins", "director", None, True),
    "qa": ("qa@example.org", "Quinn Assurance", "qa_manager", None, True),
    "admin": ("admin@example.org", "Ada Admin", "admin", None, True),
    "gone": ("gone@example.org", "Former Iro", "iro", None, False),
    "odd": ("odd@example.org", "Odd Role", "caretaker", None, True),
}

# key: (child_id, given, family, iro, covering iro, social worker, area, next review due)
CHILDREN = {
    "zoe": ("C001", "Zoë", "O'Brien", "iro_a", None, "sw_1", CIC, date(2026, 3, 2)),
    "isla": ("C002", "Isla", "Wood", "iro_a", "iro_a", "sw_1", CIC, date(2026, 3, 3)),
    "emile": ("C003", "Émile", "D'Arcy", "iro_b", "iro_a", "sw_2", FSW, date(2026, 3, 10)),
    "liam": ("C004", "Liam", "Smith-Jones", "iro_a", None, "sw_2", FSW, date(2026, 3, 20)),
    "ava": ("C005", "Ava", "Brown", "iro_a", None, "sw_2", FSW, date(2026, 3, 23)),
    "jack": ("C006", "Jack", "Lee", "iro_a", None, "sw_2", FSW, date(2026, 3, 24)),
    "noah": ("C007", "Noah", "Müller", "iro_a", None, "sw_1", CIC, date(2026, 2, 27)),
    "ruby": ("C008", "Ruby", "King", "iro_b", "iro_a", "sw_2", FSW, date(2026, 1, 15)),
    "mia": ("C009", "Mia", "Taylor", "iro_b", None, "sw_1", CIC, date(2026, 3, 5)),
    "oscar": ("C010", "Oscar", "Green", "iro_a", None, None, None, None),
    "zoey": ("C011", "Zoey", "Smith", "iro_b", None, "sw_2", FSW, date(2026, 2, 1)),
}


async def _seed(sessions: async_sessionmaker[AsyncSession]) -> tuple[dict, dict]:
    """Staff and children as above; returns ({key: StaffMember}, {key: child pk})."""
    async with sessions() as session:
        staff_rows = {}
        for key, (email, name, role, area, active) in STAFF.items():
            row = Staff(email=email, display_name=name, role=role, service_area=area,
                        active=active, aad_object_id=f"aad-{key}")  # fmt: skip
            session.add(row)
            staff_rows[key] = row
        await session.flush()
        child_rows = {}
        for key, (child_id, given, family, iro, cover, sw, area, due) in CHILDREN.items():
            child = Child(
                child_id=child_id,
                iro_id=staff_rows[iro].id,
                covering_iro_id=staff_rows[cover].id if cover else None,
                social_worker_id=staff_rows[sw].id if sw else None,
                service_area=area,
                next_review_due=due,
                next_review_practical=due,
                next_review_rule="CIC-3" if due else None,
            )
            set_child_names(child, given, family)
            session.add(child)
            child_rows[key] = child
        await session.commit()
        staff = {key: to_staff_member(row) for key, row in staff_rows.items()}
        return staff, {key: row.id for key, row in child_rows.items()}


def _keys(found: list[ChildSummary], pks: dict[str, int]) -> list[str]:
    by_pk = {pk: key for key, pk in pks.items()}
    return [by_pk[child.pk] for child in found]


# -- names ------------------------------------------------------------------------------------


def test_set_child_names_stores_the_folded_forms() -> None:
    child = Child(child_id="X")
    set_child_names(child, "  Zoë ", "O'Brien-Smith")
    assert (child.given_name, child.family_name) == ("Zoë", "O'Brien-Smith")
    assert child.given_name_norm == "zoe"
    assert child.family_name_norm == "obrien smith"
    assert child.full_name_norm == "zoe obrien smith"
    set_child_names(child, "Zoë", "  ")
    assert (child.family_name, child.family_name_norm, child.full_name_norm) == (None, None, "zoe")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("zoe", ["zoe", "zoey"]),
        ("ZOË", ["zoe", "zoey"]),
        ("Zoe\u0308 o", ["zoe"]),  # decomposed diaeresis, then the first letter of the family
        ("obrien", ["zoe"]),
        ("O'Brien", ["zoe"]),
        ("o’brien", ["zoe"]),
        ("OBRIEN ZOE", ["zoe"]),  # family name first
        ("zoe o'bri", ["zoe"]),
        ("smith jones", ["liam"]),
        ("Smith-Jones", ["liam"]),
        ("liam smith-jo", ["liam"]),
        ("smith", ["liam", "zoey"]),
        ("emile darcy", ["emile"]),
        ("D’ARCY", ["emile"]),
        ("muller", ["noah"]),
        ("MÜLLER NOAH", ["noah"]),
        ("C004", ["liam"]),  # the authority's child id, exactly
        ("nobody", []),
        ("   ", []),
        ("'-", []),
    ],
)
async def test_find_by_name_tolerates_case_accents_apostrophes_and_hyphens(
    sessions: async_sessionmaker[AsyncSession], typed: str, expected: list[str]
) -> None:
    _, pks = await _seed(sessions)
    async with sessions() as session:
        found = await SqlChildRepository(session).find_by_name(typed, SYSTEM)
    # Ordered by full name: "liam smith jones" < "zoey smith"; "zoe obrien" < "zoey smith".
    assert _keys(found, pks) == expected


async def test_find_by_name_is_bounded_and_filtered_by_visibility(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    staff, pks = await _seed(sessions)
    async with sessions() as session:
        repo = SqlChildRepository(session)
        assert len(await repo.find_by_name("zoe", SYSTEM, limit=1)) == 1
        # sw_2 is not Zoë O'Brien's social worker but is Zoey Smith's.
        mine = await repo.find_by_name("zoe", visibility_for(staff["sw_2"]))
        assert _keys(mine, pks) == ["zoey"]
        assert await repo.find_by_name("zoe", NOTHING) == []
        assert await repo.find_by_name("C001", visibility_for(staff["sw_2"])) == []


async def test_summary_carries_names_and_schedule(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    staff, pks = await _seed(sessions)
    async with sessions() as session:
        child = await SqlChildRepository(session).get_by_child_id(" C003 ", SYSTEM)
    assert child is not None
    assert child.pk == pks["emile"]
    assert child.display_name == "Émile D'Arcy"
    assert (child.iro_name, child.covering_iro_name, child.social_worker_name) == (
        "Bea Iro", "Alex Wilber", "Sam Worker",
    )  # fmt: skip
    assert (child.next_review_due, child.next_review_rule) == (date(2026, 3, 10), "CIC-3")
    assert child.covering_iro_id == staff["iro_a"].id


async def test_candidate_names_are_the_readers_own_caseload(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    staff, pks = await _seed(sessions)
    async with sessions() as session:
        names = await SqlChildRepository(session).candidate_names(visibility_for(staff["iro_a"]))
    expected = ["ava", "emile", "isla", "jack", "liam", "noah", "oscar", "ruby", "zoe"]
    assert sorted(pks_key for pks_key, pk in pks.items() if pk in {n.pk for n in names}) == (
        expected
    )
    zoe = next(n for n in names if n.pk == pks["zoe"])
    assert (zoe.display_name, zoe.normalised) == ("Zoë O'Brien", "zoe obrien")
    assert [n.normalised for n in names] == sorted(n.normalised for n in names)


# -- due between and overdue --------------------------------------------------------------------


async def test_due_in_the_next_15_working_days(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    staff, pks = await _seed(sessions)
    assert RULES.calendar.add_working_days(TODAY, 15) == WINDOW_END
    iro_a = staff["iro_a"]
    async with sessions() as session:
        found = await SqlChildRepository(session).due_between(
            iro_a.id, TODAY, WINDOW_END, visibility_for(iro_a)
        )
    # Both ends included; Émile is covered by iro_a; Isla (reviewed *and* covered) appears once;
    # Jack (24 Mar) is after the window, Noah (27 Feb) before it, Mia is iro_b's, Oscar has none.
    assert _keys(found, pks) == ["zoe", "isla", "emile", "liam", "ava"]
    assert [c.next_review_due for c in found] == sorted(c.next_review_due for c in found)


async def test_overdue(sessions: async_sessionmaker[AsyncSession]) -> None:
    staff, pks = await _seed(sessions)
    iro_a, iro_b = staff["iro_a"], staff["iro_b"]
    async with sessions() as session:
        repo = SqlChildRepository(session)
        # Due today is not overdue (domain: overdue when today is after the due date).
        assert _keys(await repo.overdue(iro_a.id, TODAY, visibility_for(iro_a)), pks) == [
            "ruby", "noah",
        ]  # fmt: skip
        assert _keys(await repo.overdue(iro_b.id, TODAY, SYSTEM), pks) == ["ruby", "zoey"]
        # Another IRO's list, asked for by a social worker, shows only that worker's children.
        sw_1 = visibility_for(staff["sw_1"])
        assert _keys(await repo.overdue(iro_a.id, TODAY, sw_1), pks) == ["noah"]
        assert _keys(await repo.overdue(iro_a.id, date(2026, 3, 3), SYSTEM), pks) == [
            "ruby", "noah", "zoe",
        ]  # fmt: skip


# -- visibility ---------------------------------------------------------------------------------

EXPECTED_VISIBLE = {
    "iro_a": {"zoe", "isla", "emile", "liam", "ava", "jack", "noah", "ruby", "oscar"},
    "iro_b": {"emile", "ruby", "mia", "zoey"},
    "sw_1": {"zoe", "isla", "noah", "mia"},
    "sw_2": {"emile", "liam", "ava", "jack", "ruby", "zoey"},
    "tm_cic": {"zoe", "isla", "noah", "mia"},
    "tm_none": set(),
    "director": set(CHILDREN),
    "qa": set(CHILDREN),
    "admin": set(CHILDREN),
    "gone": set(),
    "odd": set(),
}


async def test_visibility_follows_domain_section_5(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    staff, pks = await _seed(sessions)
    async with sessions() as session:
        repo = SqlChildRepository(session)
        everyone = await repo.visible_to(SYSTEM)
        for key, member in staff.items():
            visibility = visibility_for(member)
            seen = set(_keys(await repo.visible_to(visibility), pks))
            assert seen == EXPECTED_VISIBLE[key], key
            # The in-memory policy agrees with the SQL one, child by child.
            assert {c.pk for c in everyone if visibility.allows(c)} == {pks[k] for k in seen}
            for child_key, pk in pks.items():
                allowed = child_key in seen
                assert await repo.can_see(pk, visibility) is allowed
                assert (await repo.get(pk, visibility) is not None) is allowed
                child_id = CHILDREN[child_key][0]
                assert (await repo.get_by_child_id(child_id, visibility) is not None) is allowed
        assert _keys(await repo.visible_to(visibility_for(None)), pks) == []


async def test_visible_to_is_soonest_first_and_pages(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    staff, pks = await _seed(sessions)
    async with sessions() as session:
        repo = SqlChildRepository(session)
        mine = visibility_for(staff["iro_a"])
        whole = _keys(await repo.visible_to(mine), pks)
        assert whole == ["ruby", "noah", "zoe", "isla", "emile", "liam", "ava", "jack", "oscar"]
        pages = [_keys(await repo.visible_to(mine, limit=4, offset=o), pks) for o in (0, 4, 8)]
        assert [key for page in pages for key in page] == whole


def test_visibility_policy_is_pure_and_fails_closed() -> None:
    def member(role: str, area: str | None = None, active: bool = True) -> StaffMember:
        return StaffMember(id=7, email="x@example.org", display_name="X", role=role,
                           service_area=area, active=active)  # fmt: skip

    assert visibility_for(member("iro")) == Visibility(reviewing_iro_id=7)
    assert visibility_for(member("social_worker", CIC)) == Visibility(social_worker_id=7)
    assert visibility_for(member("service_manager", CIC)) == Visibility(service_area=CIC)
    assert visibility_for(member("service_director")) == SYSTEM
    assert visibility_for(member(Role.PRACTICE_SUPERVISOR.value)) == NOTHING
    assert visibility_for(member("qa_manager", active=False)) == NOTHING
    assert NOTHING.nothing and not SYSTEM.nothing


async def test_staff_identified_by_aad_id_then_email(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    staff, _ = await _seed(sessions)
    async with sessions() as session:
        repo = SqlStaffRepository(session)
        assert (await repo.identify("aad-iro_a", None)) == staff["iro_a"]
        assert (await repo.identify("unknown-aad", "IRO.B@Example.org ")) == staff["iro_b"]
        assert await repo.identify("aad-gone", "gone@example.org") is None  # inactive
        assert await repo.identify(None, "stranger@example.org") is None
        assert (await repo.by_email("QA@example.org")) == staff["qa"]
        assert (await repo.by_id(staff["admin"].id)) == staff["admin"]
        both = await repo.by_ids([staff["qa"].id, staff["sw_1"].id])
        assert set(both) == {staff["qa"].id, staff["sw_1"].id}


# -- plans: the reads are index scans -----------------------------------------------------------


async def _load_a_service(engine: AsyncEngine, children: int = 4000) -> None:
    """Many IROs with ~80 children each and dates over a year, so plans are realistic.

    PostgreSQL then gets ANALYZE (autovacuum does it after a bulk load); SQLite does not, as
    production never runs it there, so its plans must be right from the schema alone.
    """
    iros = children // 80
    async with engine.begin() as connection:
        await connection.execute(
            insert(Staff),
            [{"id": 1000 + i, "email": f"load.iro{i}@example.org", "display_name": f"Iro {i}",
              "role": "iro", "active": True} for i in range(iros)],
        )  # fmt: skip
        rows = []
        for i in range(children):
            child = Child(child_id=f"L{i:06d}")
            set_child_names(child, ("Amélie", "Bo", "Cai", "Dara")[i % 4], f"Family-{i % 997}")
            rows.append({
                "child_id": child.child_id, "given_name": child.given_name,
                "family_name": child.family_name, "given_name_norm": child.given_name_norm,
                "family_name_norm": child.family_name_norm,
                "full_name_norm": child.full_name_norm, "iro_id": 1000 + i % iros,
                "covering_iro_id": 1000 + (i * 7) % iros if i % 30 == 0 else None,
                "next_review_due": date(2026, 1, 1) + timedelta(days=i % 365), "uasc": False,
                "service_area": (CIC, FSW, "Children with Disabilities", "16+/Care Leavers",
                                 "Family Safeguarding East", "Family Placement Team")[i % 6],
            })  # fmt: skip
        await connection.execute(insert(Child), rows)
        if connection.dialect.name == "postgresql":
            await connection.execute(text("ANALYZE"))


async def _plan(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], call) -> str:
    async with captured_statements(engine) as seen, sessions() as session:
        await call(SqlChildRepository(session))
    statement, parameters = seen[-1]
    async with engine.connect() as connection:
        return "\n".join(await explain(connection, statement, parameters))


async def test_due_between_and_overdue_are_index_range_scans(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    staff, _ = await _seed(sessions)
    await _load_a_service(engine)
    iro = staff["iro_a"]
    due = await _plan(engine, sessions, lambda r: r.due_between(iro.id, TODAY, WINDOW_END, SYSTEM))
    late = await _plan(engine, sessions, lambda r: r.overdue(iro.id, TODAY, SYSTEM))
    if engine.dialect.name == "sqlite":
        assert (
            "ix_children_iro_next_review (iro_id=? AND next_review_due>? AND next_review_due<?)"
            in due
        )
        assert (
            "ix_children_covering_iro_next_review "
            "(covering_iro_id=? AND next_review_due>? AND next_review_due<?)"
        ) in due
        assert "ix_children_iro_next_review (iro_id=? AND next_review_due<?)" in late
        assert (
            "ix_children_covering_iro_next_review (covering_iro_id=? AND next_review_due<?)" in late
        )
        assert "SCAN children" not in due + late
    else:
        for plan in (due, late):
            assert "Seq Scan on children" not in plan
            conditions = [line for line in plan.splitlines() if "Index Cond" in line]
            assert any("iro_id =" in c and "next_review_due" in c for c in conditions), plan
            assert any("covering_iro_id =" in c and "next_review_due" in c for c in conditions)
        assert (
            "ix_children_iro_next_review" in due and "ix_children_covering_iro_next_review" in due
        )


async def test_name_search_is_an_index_range_scan(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await _seed(sessions)
    await _load_a_service(engine)
    plan = await _plan(engine, sessions, lambda r: r.find_by_name("Smith Jo", SYSTEM))
    for index in ("ix_children_full_name_norm", "ix_children_family_name_norm",
                  "ix_children_given_name_norm"):  # fmt: skip
        assert index in plan, plan
    if engine.dialect.name == "sqlite":
        assert "ix_children_full_name_norm (full_name_norm>? AND full_name_norm<?)" in plan
        assert "SCAN children" not in plan
    else:
        assert "Seq Scan on children" not in plan
        assert "Index Cond: (((full_name_norm)::text >= 'smith jo'::text) AND" in plan


async def test_each_reader_searches_names_from_the_smaller_side(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Area managers search the name indexes (not the service-area one, which SQLite would
    otherwise guess is selective); IROs search their own caseload (~80 rows, whatever N is)."""
    staff, pks = await _seed(sessions)
    await _load_a_service(engine)
    area = visibility_for(staff["tm_cic"])
    iro = visibility_for(staff["iro_a"])
    by_area = await _plan(engine, sessions, lambda r: r.find_by_name("a", area))
    by_iro = await _plan(engine, sessions, lambda r: r.find_by_name("a", iro))
    due_for_area = await _plan(
        engine, sessions, lambda r: r.due_between(staff["iro_a"].id, TODAY, WINDOW_END, area)
    )
    assert "ix_children_given_name_norm" in by_area and "ix_children_service_area" not in by_area
    assert "ix_children_iro_next_review" in by_iro
    assert "ix_children_covering_iro_next_review" in by_iro
    assert "ix_children_given_name_norm" not in by_iro
    assert "ix_children_iro_next_review" in due_for_area
    assert "ix_children_service_area" not in due_for_area
    # (At 4,000 rows PostgreSQL may hash-join the ~40 found ids against a sequential scan of
    # the table; at 100k it fetches them by primary key: see the benchmark's plans.)
    checked = [by_iro, due_for_area] + ([by_area] if engine.dialect.name == "sqlite" else [])
    for plan in checked:
        assert "SCAN children" not in plan and "Seq Scan on children" not in plan, plan
    async with sessions() as session:
        repo = SqlChildRepository(session)
        assert _keys(await repo.find_by_name("zoe", area), pks) == ["zoe"]
        assert _keys(await repo.find_by_name("zoe", visibility_for(staff["iro_b"])), pks) == [
            "zoey"
        ]
        assert _keys(await repo.find_by_name("smith", iro), pks) == ["liam"]


# -- the stored schedule ------------------------------------------------------------------------


async def _child(session: AsyncSession, child_id: str) -> Child:
    return (await session.scalars(select(Child).where(Child.child_id == child_id))).one()


async def test_recompute_follows_reviews_and_rules(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        for child_id, since in (("R1", date(2025, 9, 1)), ("R2", date(2025, 9, 1)),
                                ("R3", None)):  # fmt: skip
            child = Child(child_id=child_id, looked_after_since=since)
            set_child_names(child, "Test", child_id)
            session.add(child)
        await session.commit()
        # Small batches, so the per-batch loading is exercised across batch boundaries.
        first = await recompute_all(session, RULES, batch_size=2)
        assert (first.checked, first.changed) == (3, 2)  # R3 is not looked after: stays empty

        # CIC-1: 20 working days after Mon 1 Sep 2025 (no holiday in September) is Mon 29 Sep.
        r1 = await _child(session, "R1")
        assert (r1.next_review_due, r1.next_review_rule, r1.next_review_number) == (
            date(2025, 9, 29), "CIC-1", 1,
        )  # fmt: skip
        again = await recompute_all(session, RULES, batch_size=2)
        assert (again.checked, again.changed) == (3, 0)

        # A first review on Thu 25 Sep 2025: CIC-2 is 3 months later, Thu 25 Dec 2025, which is
        # Christmas Day, so the practical date is Wed 24 Dec.
        session.add(Review(child_pk=r1.id, held_on=date(2025, 9, 25), part="full"))
        await session.commit()
        added = await recompute_all(session, RULES, batch_size=2)
        assert (added.checked, added.changed) == (3, 1)
        r1 = await _child(session, "R1")
        await session.refresh(r1)
        assert (r1.next_review_due, r1.next_review_practical, r1.next_review_rule) == (
            date(2025, 12, 25), date(2025, 12, 24), "CIC-2",
        )  # fmt: skip

        # A second review on Thu 18 Dec 2025: CIC-3, 6 months later, Thu 18 Jun 2026.
        session.add(Review(child_pk=r1.id, held_on=date(2025, 12, 18), part="full"))
        await session.commit()
        assert (await recompute_all(session, RULES)).changed == 1
        await session.refresh(r1)
        assert (r1.next_review_due, r1.next_review_rule, r1.next_review_number) == (
            date(2026, 6, 18), "CIC-3", 3,
        )  # fmt: skip
        assert (await recompute_all(session, RULES)).changed == 0

        # An authority changes CIC-3 to 4 months: 18 Dec 2025 + 4 months is Sat 18 Apr 2026,
        # practical Fri 17 Apr (Easter 2026 is 3-6 Apr). R2 (awaiting CIC-1) is unaffected.
        toml = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
        block = toml.index("[timescales.CIC-3]")
        amount = toml.index("amount = 6", block)
        four_months = parse_rules(
            toml[:amount] + "amount = 4" + toml[amount + len("amount = 6") :], source="test"
        )
        assert four_months.timescale("CIC-3").amount == 4
        changed = await recompute_all(session, four_months)
        assert (changed.checked, changed.changed) == (3, 1)
        await session.refresh(r1)
        assert (r1.next_review_due, r1.next_review_practical) == (
            date(2026, 4, 18), date(2026, 4, 17),
        )  # fmt: skip
        assert (await recompute_all(session, four_months)).changed == 0


async def test_refresh_after_a_review_and_a_direction(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        child = Child(child_id="F1", looked_after_since=date(2025, 9, 1))
        set_child_names(child, "Ffion", "Parry-Evans")
        session.add(child)
        assert await refresh_review_schedule(session, child, RULES) is True
        assert child.next_review_due == date(2025, 9, 29)
        assert await refresh_review_schedule(session, child, RULES) is False

        session.add(Review(child_pk=child.id, held_on=date(2025, 9, 25), part="full"))
        assert await refresh_review_schedule(session, child, RULES) is True
        assert child.next_review_due == date(2025, 12, 25)

        # The IRO brings the next review forward to Fri 14 Nov 2025 (directed at the review).
        direction = BroughtForwardDirection(
            child_pk=child.id, review_by=date(2025, 11, 14), directed_on=date(2025, 9, 25),
            reason="placement move",
        )  # fmt: skip
        session.add(direction)
        assert await refresh_review_schedule(session, child, RULES) is True
        assert (child.next_review_due, child.next_review_rule) == (date(2025, 11, 14), "CIC-BF")
        # Both kinds of row come back typed (one statement; the dates are dates on SQLite too).
        session.add(Review(child_pk=child.id, held_on=date(2025, 10, 2), part="part1"))
        await session.flush()
        reviews, directions = await load_review_inputs(session, child.id)
        assert sorted(reviews) == [ReviewHeld(date(2025, 9, 25), ReviewPart.FULL),
                                   ReviewHeld(date(2025, 10, 2), ReviewPart.PART1)]  # fmt: skip
        assert directions == [
            BroughtForward(date(2025, 11, 14), date(2025, 9, 25), "placement move")
        ]
        assert all(type(r.held_on) is date for r in reviews)
        await refresh_review_schedule(session, child, RULES)
        await session.commit()
        # recompute_all agrees with the single-child refresh.
        assert (await recompute_all(session, RULES)).changed == 0
        assert normalise_name(child.family_name) == child.family_name_norm == "parry evans"


# -- iro-bot recompute ----------------------------------------------------------------------------


def test_recompute_command_reports_checked_and_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def build() -> None:
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        async with session_factory(engine)() as session:
            for child_id in ("A1", "A2"):
                child = Child(child_id=child_id, looked_after_since=date(2025, 9, 1))
                set_child_names(child, "Test", child_id)
                session.add(child)
            await session.commit()
        await engine.dispose()

    asyncio.run(build())
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("IRO_RULES", raising=False)
    assert cli.main(["recompute"]) == 0
    assert capsys.readouterr().out.startswith("Checked 2 children; 2 changed")
    assert cli.main(["recompute"]) == 0
    assert capsys.readouterr().out.startswith("Checked 2 children; 0 changed")


def test_recompute_command_on_an_empty_store_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    assert cli.main(["recompute"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "iro-bot migrate" in err and "Traceback" not in err
