"""Storing Issues Resolutions: round trips, references and optimistic concurrency, on SQLite and
PostgreSQL (see conftest.py for the ``engine``/``sessions`` fixtures)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.errors import DomainError
from domain.issues_resolution import (
    IR,
    IRStatus,
    check_consistent,
    decline,
    escalate,
    formal_deadline,
    raise_ir,
    refer_to_cafcass,
    resolve,
    respond,
    stage_deadline,
    with_reference,
)
from domain.rules import load_rules
from storage.models import Child, IrReason, IrReferenceCounter, IrStageEntry, IssueResolution, Staff
from storage.repositories.issues import (
    IrConflict,
    IrNotFound,
    UnknownStaff,
    add_ir,
    allocate_reference,
    load_ir,
    save_ir,
)

RULES = load_rules()
AREA = "Children in Care"

# key: (email, role, manager key)
STAFF = {
    "director": ("lynner@example.com", "director", None),
    "sd": ("pattif@example.com", "service_director", "director"),
    "sm": ("isaiahl@example.com", "service_manager", "sd"),
    "tm": ("adelev@example.com", "team_manager", "sm"),
    "ps": ("ps@example.com", "practice_supervisor", "tm"),
    "sw": ("meganb@example.com", "social_worker", "ps"),
    "iro": ("alexw@example.com", "iro", None),
}
EMAIL = {key: email for key, (email, _role, _manager) in STAFF.items()}


async def _people(session: AsyncSession) -> dict[str, int]:
    ids: dict[str, int] = {}
    for key, (email, role, manager) in STAFF.items():  # managers come first in the dict
        row = Staff(
            email=email,
            display_name=key,
            role=role,
            service_area=AREA if role not in ("iro", "director", "service_director") else None,
            manager_id=ids.get(manager) if manager else None,
        )
        session.add(row)
        await session.flush()
        ids[key] = row.id
    return ids


async def _setup(sessions: async_sessionmaker[AsyncSession]) -> tuple[dict[str, int], int]:
    async with sessions() as session:
        ids = await _people(session)
        child = Child(child_id="C100", service_area=AREA, iro_id=ids["iro"])
        session.add(child)
        await session.commit()
        return ids, child.id


def _raised(on: date = date(2026, 3, 2), stage: str | None = None) -> IR:
    ir, _events = raise_ir(
        RULES,
        child_id="C100",
        raised_by=EMAIL["iro"],
        reasons=["reports not available in time", "no advocate"],
        description="The SW report was not ready for the review.",
        on=on,
        stage=stage,
        owner=EMAIL["ps"] if stage is None else EMAIL["tm"],
        service_area=AREA,
        social_worker=EMAIL["sw"],
    )
    return ir


def _full_history() -> IR:
    """Every kind of step: response, decline, escalation (with a bypass), Cafcass, resolution."""
    ir = _raised(date(2026, 3, 2))
    ir, _ = respond(ir, RULES, on=date(2026, 3, 4), response="Report by Friday.",
                    target_date=date(2026, 3, 6), by=EMAIL["ps"])  # fmt: skip
    ir, _ = escalate(ir, RULES, to_stage="1", on=date(2026, 3, 9), reason="Still no report.",
                     owner=EMAIL["tm"], by=EMAIL["iro"])  # fmt: skip
    ir, _ = decline(ir, RULES, on=date(2026, 3, 11), reason="Capacity.", by=EMAIL["tm"])
    ir, _ = escalate(ir, RULES, to_stage="3", on=date(2026, 3, 12), reason="Declined.",
                     owner=EMAIL["sd"], by=EMAIL["iro"])  # fmt: skip
    ir, _ = refer_to_cafcass(ir, RULES, on=date(2026, 3, 13), by=EMAIL["iro"])
    ir, _ = resolve(ir, RULES, on=date(2026, 3, 20), outcome="Report filed.", by=EMAIL["iro"])
    return ir


async def test_add_then_load_gives_back_the_same_ir(sessions):
    ids, child_pk = await _setup(sessions)
    open_ir = _raised()
    full = _full_history()
    check_consistent(full, RULES)
    async with sessions() as session:
        first = await add_ir(session, open_ir, RULES, child_pk=child_pk,
                             raised_by_id=ids["iro"], owner_id=ids["ps"])  # fmt: skip
        second = await add_ir(session, full, RULES)  # child found by its child_id
        await session.commit()
    async with sessions() as session:
        loaded_open, row_open = await load_ir(session, first)
        loaded_full, row_full = await load_ir(session, second)
    assert loaded_open == with_reference(open_ir, first)
    assert loaded_full == with_reference(full, second)
    check_consistent(loaded_full, RULES)
    # The ids behind the e-mails, and the running deadlines only.
    assert (row_open.raised_by_id, row_open.responsible_worker_id) == (ids["iro"], ids["sw"])
    assert row_open.version == 1 and row_open.status == IRStatus.OPEN_AWAITING_RESPONSE
    assert row_open.stage_due == stage_deadline(open_ir, RULES).due
    assert row_open.formal_due is None  # informal: no IR-FORMAL clock
    assert (row_full.stage_due, row_full.formal_due) == (None, None)  # resolved
    assert row_full.cafcass_referred_by_id == ids["iro"]
    assert (row_full.stage_raised, row_full.current_stage) == ("informal", "3")
    async with sessions() as session:
        stages = (
            await session.execute(
                select(IrStageEntry.stage, IrStageEntry.owner_id, IrStageEntry.declined)
                .where(IrStageEntry.ir_id == row_full.id)
                .order_by(IrStageEntry.seq)
            )
        ).all()
    assert [tuple(s) for s in stages] == [
        ("informal", ids["ps"], False),
        ("1", ids["tm"], True),
        ("3", ids["sd"], False),
    ]


async def test_a_formal_ir_stores_both_running_deadlines(sessions):
    _ids, _child_pk = await _setup(sessions)
    # Raised Fri 20 Dec 2024 at Stage 1: the domain.md worked example (31 Dec / 22 Jan).
    ir = _raised(date(2024, 12, 20), stage="1")
    async with sessions() as session:
        reference = await add_ir(session, ir, RULES)
        await session.commit()
        _loaded, row = await load_ir(session, reference)
    assert reference == "IR-2024-0001"
    assert (row.stage_due, row.formal_due) == (date(2024, 12, 31), date(2025, 1, 22))
    assert row.formal_due == formal_deadline(ir, RULES).due


async def test_references_count_up_within_each_year(sessions):
    await _setup(sessions)
    async with sessions() as session:
        refs = [
            await add_ir(session, _raised(date(2026, 1, 5)), RULES),
            await add_ir(session, _raised(date(2026, 2, 2)), RULES),
            await add_ir(session, _raised(date(2025, 12, 1)), RULES),
            await add_ir(session, _raised(date(2026, 3, 2)), RULES),
        ]
        await session.commit()
    assert refs == ["IR-2026-0001", "IR-2026-0002", "IR-2025-0001", "IR-2026-0003"]


async def test_a_given_reference_is_kept_and_moves_the_counter_on(sessions):
    await _setup(sessions)
    async with sessions() as session:
        kept = await add_ir(session, replace(_raised(), reference="IR-2026-0041"), RULES)
        after = await add_ir(session, _raised(), RULES)
        other = await add_ir(session, replace(_raised(), reference="LEGACY-7"), RULES)
        await session.commit()
    assert (kept, after, other) == ("IR-2026-0041", "IR-2026-0042", "LEGACY-7")


async def test_concurrent_allocations_get_distinct_references(sessions):
    await _setup(sessions)
    writers = 8

    async def one() -> str:
        async with sessions() as session:
            reference = await add_ir(session, _raised(), RULES)
            await session.commit()
            return reference

    refs = await asyncio.gather(*(one() for _ in range(writers)))
    assert sorted(refs) == [f"IR-2026-{n:04d}" for n in range(1, writers + 1)]
    async with sessions() as session:
        assert await session.scalar(select(IrReferenceCounter.last_number)) == writers


async def test_a_rolled_back_allocation_leaves_no_gap(sessions):
    async with sessions() as session:
        assert await allocate_reference(session, 2026) == "IR-2026-0001"
        await session.rollback()
    async with sessions() as session:
        assert await allocate_reference(session, 2026) == "IR-2026-0001"


async def test_save_writes_each_action_and_bumps_the_version(sessions):
    _ids, _child_pk = await _setup(sessions)
    async with sessions() as session:
        reference = await add_ir(session, _raised(), RULES)
        await session.commit()

    async with sessions() as session:
        ir, row = await load_ir(session, reference)
        ir, _ = respond(ir, RULES, on=date(2026, 3, 4), response="Will do.", by=EMAIL["ps"])
        assert await save_ir(session, ir, RULES, expected_version=row.version) == 2
        await session.commit()
    async with sessions() as session:
        ir, row = await load_ir(session, reference)
        ir, _ = escalate(ir, RULES, to_stage="2", on=date(2026, 3, 10), reason="Not done.",
                         owner=EMAIL["sm"])  # fmt: skip
        assert await save_ir(session, ir, RULES, expected_version=row.version) == 3
        await session.commit()
    async with sessions() as session:
        loaded, row = await load_ir(session, reference)
    assert loaded == ir
    assert row.version == 3 and row.current_stage == "2"
    assert row.stage_due == stage_deadline(ir, RULES).due  # IR-STAGE restarted at Stage 2
    assert row.formal_since == date(2026, 3, 10)
    assert row.formal_due == formal_deadline(ir, RULES).due


async def _snapshot(session: AsyncSession, reference: str) -> tuple:
    row = await session.scalar(
        select(IssueResolution)
        .where(IssueResolution.reference == reference)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    stages = (
        await session.execute(
            select(IrStageEntry.seq, IrStageEntry.stage, IrStageEntry.response,
                   IrStageEntry.responded_on).where(IrStageEntry.ir_id == row.id)
        )
    ).all()  # fmt: skip
    reasons = await session.scalar(
        select(func.count()).select_from(IrReason).where(IrReason.ir_id == row.id)
    )
    return (row.version, row.status, row.current_stage, row.stage_due, row.outcome,
            sorted(map(tuple, stages)), reasons)  # fmt: skip


async def test_a_save_from_a_stale_version_is_refused_and_writes_nothing(sessions):
    await _setup(sessions)
    async with sessions() as session:
        reference = await add_ir(session, _raised(), RULES)
        await session.commit()

    async with sessions() as manager, sessions() as iro:
        seen_by_manager, manager_row = await load_ir(manager, reference)
        seen_by_iro, iro_row = await load_ir(iro, reference)
        assert manager_row.version == iro_row.version == 1
        # The manager answers first...
        answered, _ = respond(seen_by_manager, RULES, on=date(2026, 3, 4), response="On it.",
                              by=EMAIL["ps"])  # fmt: skip
        await save_ir(manager, answered, RULES, expected_version=1)
        await manager.commit()
        # ...then the IRO, still looking at version 1, escalates.
        escalated, _ = escalate(seen_by_iro, RULES, to_stage="1", on=date(2026, 3, 5),
                                reason="No answer.", owner=EMAIL["tm"])  # fmt: skip
        async with sessions() as check:
            before = await _snapshot(check, reference)
        with pytest.raises(IrConflict) as refused:
            await save_ir(iro, escalated, RULES, expected_version=1)
        assert (refused.value.expected_version, refused.value.actual_version) == (1, 2)
        assert "updated by someone else" in str(refused.value)
        await iro.commit()  # even committing what is left writes nothing
    async with sessions() as check:
        assert await _snapshot(check, reference) == before
        loaded, row = await load_ir(check, reference)
    assert loaded == answered and row.version == 2


async def test_of_two_concurrent_saves_from_one_version_exactly_one_wins(sessions):
    await _setup(sessions)
    async with sessions() as session:
        reference = await add_ir(session, _raised(), RULES)
        await session.commit()

    # Both read version 1 before either saves: without this, one could load, save and commit
    # before the other had read anything, and both would win from different versions (the race
    # under test would not happen at all, and the test would fail by timing).
    both_read = asyncio.Barrier(2)

    async def act(kind: str) -> str:
        async with sessions() as session:
            ir, row = await load_ir(session, reference)
            await session.commit()  # end the read (SQLite: no lock held into the barrier)
            await both_read.wait()
            if kind == "respond":
                ir, _ = respond(ir, RULES, on=date(2026, 3, 4), response="Yes.", by=EMAIL["ps"])
            else:
                ir, _ = resolve(ir, RULES, on=date(2026, 3, 4), outcome="Sorted.")
            try:
                await save_ir(session, ir, RULES, expected_version=row.version)
            except IrConflict:
                await session.rollback()
                return "refused"
            await session.commit()
            return kind

    results = await asyncio.gather(act("respond"), act("resolve"))
    assert sorted(results).count("refused") == 1, results
    async with sessions() as session:
        loaded, row = await load_ir(session, reference)
    assert row.version == 2
    winner = next(r for r in results if r != "refused")
    expected = IRStatus.RESPONDED if winner == "respond" else IRStatus.RESOLVED
    assert loaded.status is expected


async def test_unknown_staff_and_references_are_refused_clearly(sessions):
    await _setup(sessions)
    stranger = replace(_raised(), raised_by="nobody@example.com")
    async with sessions() as session:
        with pytest.raises(UnknownStaff, match=r"nobody@example\.com is not a known member"):
            await add_ir(session, stranger, RULES)
        with pytest.raises(IrNotFound, match="IR-2026-9999"):
            await load_ir(session, "IR-2026-9999")
        assert await session.scalar(select(func.count()).select_from(IssueResolution)) == 0


async def test_history_already_stored_cannot_be_rewritten(sessions):
    await _setup(sessions)
    async with sessions() as session:
        reference = await add_ir(session, _raised(), RULES)
        await session.commit()
        ir, row = await load_ir(session, reference)
        moved = replace(ir, history=(replace(ir.history[0], entered_on=date(2026, 3, 3)),),
                        raised_on=date(2026, 3, 3))  # fmt: skip
        with pytest.raises(DomainError, match="cannot change"):
            await save_ir(session, moved, RULES, expected_version=row.version)
