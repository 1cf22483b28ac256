"""Who may change a child's record (domain.permissions): the rule behind every write's check,
the route table's early refusal and what help offers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.permissions import (
    ANSWERING_MOVES,
    Change,
    IrMove,
    instead,
    ir_refusal,
    may_change,
    may_ever_act_on_ir,
    may_ever_change,
    refusal,
    who_may,
)
from domain.ports import Role, StaffMember


def person(role: Role | str, staff_id: int = 1, *, active: bool = True) -> StaffMember:
    return StaffMember(id=staff_id, email=f"p{staff_id}@example.com", display_name="P",
                       role=str(role), active=active)  # fmt: skip


def test_the_childs_iro_and_the_iro_covering_may_make_every_change() -> None:
    for change in Change:
        assert may_change(person(Role.IRO, 7), change, iro_id=7, covering_iro_id=None)
        assert may_change(person(Role.IRO, 8), change, iro_id=7, covering_iro_id=8)
        assert not may_change(person(Role.IRO, 9), change, iro_id=7, covering_iro_id=8)


def test_the_qa_team_keeps_the_review_record_but_raises_no_ir() -> None:
    for role in (Role.QA_MANAGER, Role.ADMIN):
        for change in Change:
            allowed = may_change(person(role), change, iro_id=7, covering_iro_id=None)
            assert allowed == (change is not Change.RAISE_IR), (role, change)


def test_social_workers_and_managers_change_nothing() -> None:
    others = [r for r in Role if r not in (Role.IRO, Role.QA_MANAGER, Role.ADMIN)]
    assert Role.SOCIAL_WORKER in others and Role.TEAM_MANAGER in others
    for role in others:
        for change in Change:
            assert not may_ever_change(person(role), change)
            assert not may_change(person(role, 7), change, iro_id=7, covering_iro_id=7)


def test_a_refusal_says_who_can() -> None:
    assert refusal(Change.RECORD_REVIEW) == (
        "Only the child's IRO (or the IRO covering), or the QA & Safeguarding team, can record "
        "a review."
    )
    assert refusal(Change.RAISE_IR) == (
        "Only the child's IRO, or the IRO covering for them, can raise an IR."
    )
    assert all(who_may(change) in refusal(change) for change in Change)


def test_a_refusal_is_followed_by_what_to_do_instead() -> None:
    """Someone whose role may never make a change is pointed to the child's IRO."""
    assert instead(Change.RAISE_IR) == (
        "If something is going wrong for the child, tell their IRO: they can raise one, and "
        "you will see it here."
    )
    assert instead(Change.BOOK_REVIEW) == "If it needs doing, ask the child's IRO to book a review."
    assert all("IRO" in instead(change) for change in Change)


@given(
    role=st.sampled_from([*Role, "unknown role"]),
    staff_id=st.integers(1, 5),
    iro_id=st.none() | st.integers(1, 5),
    covering=st.none() | st.integers(1, 5),
    active=st.booleans(),
    change=st.sampled_from(list(Change)),
)
def test_a_change_for_one_child_is_never_allowed_beyond_the_role(
    role: str, staff_id: int, iro_id: int | None, covering: int | None, active: bool,
    change: Change,
) -> None:  # fmt: skip
    staff = person(role, staff_id, active=active)
    allowed = may_change(staff, change, iro_id=iro_id, covering_iro_id=covering)
    if allowed:
        assert may_ever_change(staff, change) and active
    if role == Role.IRO and active:
        assert allowed == (staff_id in (iro_id, covering))
    if role not in (Role.IRO, Role.QA_MANAGER, Role.ADMIN):
        assert not allowed


def test_an_ir_is_directed_only_by_iros_and_qa_managers_and_answered_by_anyone_named() -> None:
    for role in Role:
        for move in IrMove:
            allowed = may_ever_act_on_ir(person(role), move)
            # Anyone may be named a stage's owner or delegate: answering is decided IR by IR.
            expected = move in ANSWERING_MOVES or role in (Role.IRO, Role.QA_MANAGER)
            assert allowed == expected, (role, move)
            assert not may_ever_act_on_ir(person(role, active=False), move)
    assert not may_ever_act_on_ir(None, IrMove.RESPOND)
    assert not may_ever_act_on_ir(person("unknown role"), IrMove.ESCALATE)


def test_an_ir_refusal_says_who_can() -> None:
    assert ir_refusal(IrMove.ESCALATE) == (
        "Only the IRO who raised an IR, or a QA manager, can escalate it."
    )
    assert ir_refusal(IrMove.REFER) == (
        "Only the IRO who raised an IR, or a QA manager, can refer it to Cafcass."
    )
    assert ir_refusal(IrMove.RESPOND) == (
        "Only the owner of an IR's current stage, or their delegate, can respond to it."
    )
