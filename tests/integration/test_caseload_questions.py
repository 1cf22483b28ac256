"""The everyday questions answered from the store (issue 17, item 7): a child's details, booked
reviews (one child's, or a caseload's with the children due and not booked), "my caseload" (a
count or a list) and what is due for a team or the service, on SQLite and PostgreSQL.

Each runs in the session questions use (``Services.answering``: reads only, audit entries held
and written at the end), as the handler runs them. What is checked: who sees which children (an
IRO, a social worker, a manager, the QA team, a director), a scope refused with what the person
can see and never a narrower answer, the audit entries written (read back from the table), and
the facts themselves (UASC, age, dates into care). The answers' own words are checked by calling
``bot.answers`` with an ``Understanding`` built by hand, as ``understand()`` will give it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import answers
from cards.elements import card_to_text
from domain.permissions import CaseloadScope, Reach
from domain.ports import SYSTEM, ChildSummary, StaffMember
from domain.rules import load_rules
from services import caseload
from services.child_facts import child_facts
from services.context import Services
from storage.models import AuditEntry, Child, PeriodOfCare, ReviewBooking, Staff
from storage.repositories import SqlChildRepository
from storage.repositories.names import set_child_names
from storage.repositories.staff import to_staff_member
from understanding import (
    ChildDetail,
    ChildRef,
    ChildRefKind,
    DuePeriod,
    Intent,
    Scope,
    Understanding,
)

RULES = load_rules()
TODAY = date(2026, 3, 2)  # a Monday
NORTH, SOUTH = "Family Safeguarding West", "Family Safeguarding East"


@dataclass
class World:
    services: Services
    sessions: async_sessionmaker[AsyncSession]
    staff: dict[str, StaffMember]
    children: dict[str, int]  # child id -> key

    async def child(self, child_id: str) -> ChildSummary:
        """The child as the handler's lookup gives it (read with the system's visibility here;
        the use cases are handed a child the lookup found visible)."""
        async with self.sessions() as session:
            found = await SqlChildRepository(session).get(self.children[child_id], SYSTEM)
        assert found is not None
        return found

    async def audit(self) -> list[tuple[str, int | None, str | None, str, dict[str, Any]]]:
        async with self.sessions() as session:
            rows = await session.execute(select(
                AuditEntry.action, AuditEntry.actor_staff_id, AuditEntry.entity_id,
                AuditEntry.outcome, AuditEntry.detail,
            ).order_by(AuditEntry.id))  # fmt: skip
            return [(a, s, e, o, d or {}) for a, s, e, o, d in rows]


def _child(child_id: str, area: str, iro: int | None, sw: int | None, *,
           since: date | None, due: date | None, covering: int | None = None,
           born: date | None = None, uasc: bool = False) -> Child:  # fmt: skip
    child = Child(child_id=child_id, service_area=area, iro_id=iro, covering_iro_id=covering,
                  social_worker_id=sw, looked_after_since=since, next_review_due=due,
                  next_review_practical=due, next_review_rule="CIC-2" if due else None,
                  date_of_birth=born, uasc=uasc)  # fmt: skip
    set_child_names(child, "Sam", f"Test {child_id}")
    return child


@pytest_asyncio.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> World:
    """Two areas. Isla (IRO) reviews C1 and C5 and covers C2; Otto (IRO) reviews the rest. Sol
    (SW) has C1 and C2; Sia (SW) the others. Tam manages the West area, Sue the East; Quinn is a
    QA manager, Dora a director with no area, Lost a team manager with none recorded."""
    people = {
        "isla": ("iro", None), "otto": ("iro", None), "sol": ("social_worker", NORTH),
        "sia": ("social_worker", SOUTH), "tam": ("team_manager", NORTH),
        "sue": ("service_manager", SOUTH), "quinn": ("qa_manager", None),
        "dora": ("director", None), "lost": ("team_manager", None),
    }  # fmt: skip
    async with sessions() as session, session.begin():
        rows = {key: Staff(email=f"{key}@example.com", display_name=key.title(), role=role,
                           service_area=area, active=True)
                for key, (role, area) in people.items()}  # fmt: skip
        session.add_all(rows.values())
        await session.flush()
        s = {key: row.id for key, row in rows.items()}
        children = {
            # In care since December, UASC, born 3 May 2010, an earlier period in 2019.
            "C1": _child("C1", NORTH, s["isla"], s["sol"], since=date(2025, 12, 19),
                         due=TODAY + timedelta(days=20), born=date(2010, 5, 3), uasc=True),
            "C2": _child("C2", NORTH, s["otto"], s["sol"], covering=s["isla"],
                         since=date(2025, 6, 1), due=TODAY + timedelta(days=40)),
            "C3": _child("C3", SOUTH, s["otto"], s["sia"], since=date(2024, 1, 5),
                         due=TODAY + timedelta(days=20), born=date(2008, 2, 29)),
            # Left care last year: on the record, not in care, no review due.
            "C4": _child("C4", NORTH, s["otto"], s["sia"], since=None, due=None),
            "C5": _child("C5", NORTH, s["isla"], s["sia"], since=date(2025, 1, 10),
                         due=TODAY - timedelta(days=3)),
        }  # fmt: skip
        session.add_all(children.values())
        await session.flush()
        pk = {cid: child.id for cid, child in children.items()}
        session.add_all([
            PeriodOfCare(child_pk=pk["C1"], started_on=date(2019, 3, 1),
                         ended_on=date(2020, 1, 10)),
            PeriodOfCare(child_pk=pk["C1"], started_on=date(2025, 12, 19)),
            PeriodOfCare(child_pk=pk["C4"], started_on=date(2023, 4, 1),
                         ended_on=date(2025, 9, 30)),
            # C1: booked in ten days (in time); one from last week never marked held.
            ReviewBooking(child_pk=pk["C1"], booked_for=TODAY + timedelta(days=10)),
            ReviewBooking(child_pk=pk["C1"], booked_for=TODAY - timedelta(days=5)),
            # C2: a cancelled booking is no booking.
            ReviewBooking(child_pk=pk["C2"], booked_for=TODAY + timedelta(days=7),
                          status="cancelled"),
            # C3: booked ten days after it is due.
            ReviewBooking(child_pk=pk["C3"], booked_for=TODAY + timedelta(days=30)),
        ])  # fmt: skip
        staff = {key: to_staff_member(row) for key, row in rows.items()}
    services = Services(sessions, RULES, clock=lambda: TODAY)
    return World(services, sessions, staff, pk)


def keys(world: World, children: list[ChildSummary]) -> list[str]:
    by_pk = {pk: cid for cid, pk in world.children.items()}
    return [by_pk[c.pk] for c in children]


# -- a child's details --------------------------------------------------------------------------


async def test_a_childs_details_uasc_age_and_periods_of_care(world: World) -> None:
    child, isla = await world.child("C1"), world.staff["isla"]
    async with world.services.answering() as uow:
        facts = await child_facts(uow, isla, child, TODAY)
    assert facts is not None
    assert facts.uasc is True
    assert facts.in_care_since == date(2025, 12, 19) and facts.left_care_on is None
    assert (facts.earlier_periods, facts.first_in_care) == (1, date(2019, 3, 1))
    assert facts.age == 15  # born 3 May 2010; 16 on 3 May 2026
    assert facts.turns_adult_on == date(2028, 5, 3)
    assert facts.child.social_worker_name == "Sol" and facts.child.iro_name == "Isla"
    assert facts.legal_status_held is False
    assert await world.audit() == [
        ("child.read", isla.id, str(child.pk), "ok", {"what": "child_details"})
    ]


async def test_a_child_out_of_care_and_a_leap_day_birthday(world: World) -> None:
    quinn = world.staff["quinn"]
    async with world.services.answering() as uow:
        gone = await child_facts(uow, quinn, await world.child("C4"), TODAY)
        leap = await child_facts(uow, quinn, await world.child("C3"), TODAY)
    assert gone is not None and leap is not None
    assert gone.in_care_since is None and gone.left_care_on == date(2025, 9, 30)
    assert gone.uasc is False and gone.age is None and gone.turns_adult_on is None
    # Born 29 February 2008: 18 on 1 March 2026, the day before TODAY.
    assert leap.age == 18 and leap.turns_adult_on is None


async def test_a_childs_details_are_not_read_for_someone_who_may_not_see_them(
    world: World,
) -> None:
    # The lookup never hands such a child over; the use case still reads with the actor's
    # visibility, so a child moved off the caseload between the two is refused and audited.
    sia, child = world.staff["sia"], await world.child("C1")
    async with world.services.answering() as uow:
        assert await child_facts(uow, sia, child, TODAY) is None
    assert [(a, o) for a, _, _, o, _ in await world.audit()] == [("child.read", "refused")]


# -- my caseload: a count or a list, and scopes ------------------------------------------------


async def caseload_of(world: World, who: str, scope: CaseloadScope, *, count_only: bool = False
                      ) -> caseload.Caseload | caseload.ScopeRefused:  # fmt: skip
    async with world.services.answering() as uow:
        return await caseload.caseload_of(uow, world.staff[who], scope, count_only=count_only)


@pytest.mark.parametrize(
    ("who", "scope", "reach", "expected"),
    [
        ("isla", CaseloadScope.MINE, Reach.REVIEWED, ["C5", "C1", "C2"]),  # C2 covered
        ("sol", CaseloadScope.MINE, Reach.ALLOCATED, ["C1", "C2"]),
        ("tam", CaseloadScope.MINE, Reach.AREA, ["C5", "C1", "C2", "C4"]),
        ("tam", CaseloadScope.TEAM, Reach.AREA, ["C5", "C1", "C2", "C4"]),
        ("sue", CaseloadScope.TEAM, Reach.AREA, ["C3"]),
        # The QA manager's own children are the service's (domain.md: QA sees all children).
        ("quinn", CaseloadScope.MINE, Reach.EVERY, ["C5", "C1", "C3", "C2", "C4"]),
        ("quinn", CaseloadScope.TEAM, Reach.EVERY, ["C5", "C1", "C3", "C2", "C4"]),
        ("quinn", CaseloadScope.SERVICE, Reach.EVERY, ["C5", "C1", "C3", "C2", "C4"]),
        ("dora", CaseloadScope.SERVICE, Reach.EVERY, ["C5", "C1", "C3", "C2", "C4"]),
        ("lost", CaseloadScope.MINE, Reach.NONE, []),
    ],
)
async def test_who_sees_which_caseload(
    world: World, who: str, scope: CaseloadScope, reach: Reach, expected: list[str]
) -> None:
    found = await caseload_of(world, who, scope)
    assert isinstance(found, caseload.Caseload)
    assert found.view.reach is reach
    # Soonest due first (C1 and C3 are due the same day: by name), those not due last.
    assert keys(world, found.children) == expected
    assert found.total == len(expected)
    assert found.in_care == len([c for c in expected if c != "C4"])
    [entry] = await world.audit()
    assert entry[:4] == ("child.list", world.staff[who].id, None, "ok")
    assert entry[4] == {"what": "caseload", "scope": scope.value, "count": len(expected),
                        "listed": len(expected)}  # fmt: skip


async def test_a_count_lists_nobody(world: World) -> None:
    found = await caseload_of(world, "tam", CaseloadScope.TEAM, count_only=True)
    assert isinstance(found, caseload.Caseload)
    assert (found.total, found.in_care, found.children) == (4, 3, [])


@pytest.mark.parametrize(
    ("who", "scope", "own_reach", "own_count"),
    [
        ("isla", CaseloadScope.TEAM, Reach.REVIEWED, 3),
        ("isla", CaseloadScope.SERVICE, Reach.REVIEWED, 3),
        ("sol", CaseloadScope.TEAM, Reach.ALLOCATED, 2),
        ("tam", CaseloadScope.SERVICE, Reach.AREA, 4),
        ("lost", CaseloadScope.TEAM, Reach.NONE, 0),
    ],
)
async def test_a_scope_the_person_may_not_see_is_refused_with_what_they_can(
    world: World, who: str, scope: CaseloadScope, own_reach: Reach, own_count: int
) -> None:
    found = await caseload_of(world, who, scope)
    assert isinstance(found, caseload.ScopeRefused)
    assert (found.asked, found.own.reach, found.own_count) == (scope, own_reach, own_count)
    [entry] = await world.audit()
    assert entry[:4] == ("child.list", world.staff[who].id, None, "refused")
    assert entry[4] == {"what": "caseload", "scope": scope.value, "own_count": own_count}


# -- what is due, for a team or the service -----------------------------------------------------


async def due(world: World, who: str, scope: CaseloadScope, *, overdue: bool = True,
              first: date | None = None, last: date | None = None,
              ) -> caseload.DueChildren | caseload.ScopeRefused:  # fmt: skip
    async with world.services.answering() as uow:
        return await caseload.due_children(uow, world.staff[who], first, last, TODAY,
                                           overdue=overdue, scope=scope)  # fmt: skip


async def test_overdue_across_the_team_is_the_team_s_or_refused_never_one_s_own(
    world: World,
) -> None:
    mine = await due(world, "isla", CaseloadScope.MINE)
    assert isinstance(mine, caseload.DueChildren) and keys(world, mine.children) == ["C5"]
    team = await due(world, "isla", CaseloadScope.TEAM)
    assert isinstance(team, caseload.ScopeRefused) and team.own_count == 3
    managed = await due(world, "tam", CaseloadScope.TEAM)
    assert isinstance(managed, caseload.DueChildren) and keys(world, managed.children) == ["C5"]
    service = await due(world, "quinn", CaseloadScope.SERVICE, overdue=False, first=TODAY,
                        last=TODAY + timedelta(days=30))  # fmt: skip
    assert isinstance(service, caseload.DueChildren)
    assert keys(world, service.children) == ["C1", "C3"]
    south = await due(world, "sue", CaseloadScope.MINE, overdue=False, first=TODAY,
                      last=TODAY + timedelta(days=60))  # fmt: skip
    assert isinstance(south, caseload.DueChildren) and keys(world, south.children) == ["C3"]
    assert [(a, o, d.get("scope")) for a, _, _, o, d in await world.audit()] == [
        ("child.list", "ok", "mine"), ("child.list", "refused", "team"),
        ("child.list", "ok", "team"), ("child.list", "ok", "service"),
        ("child.list", "ok", "mine"),
    ]  # fmt: skip


async def test_a_qa_managers_own_list_is_the_services(world: World) -> None:
    found = await due(world, "quinn", CaseloadScope.MINE)
    service = await due(world, "quinn", CaseloadScope.SERVICE)
    assert isinstance(found, caseload.DueChildren) and isinstance(service, caseload.DueChildren)
    assert found.children == service.children != []
    has_some = await due(world, "isla", CaseloadScope.MINE, overdue=False, first=TODAY,
                         last=TODAY)  # fmt: skip
    # An IRO has no wider list to be pointed to: their empty list costs no count.
    assert isinstance(has_some, caseload.DueChildren) and has_some.caseload_size is None


# -- booked reviews ------------------------------------------------------------------------------


async def test_one_childs_booked_reviews_from_today_on(world: World) -> None:
    isla, child = world.staff["isla"], await world.child("C1")
    async with world.services.answering() as uow:
        found = await caseload.bookings_of(uow, isla, child, TODAY)
    # Not last week's booking (never marked held), and measured against the stored due date.
    assert found.booked == [TODAY + timedelta(days=10)]
    assert found.child.next_review_due == TODAY + timedelta(days=20)
    assert await world.audit() == [
        ("child.read", isla.id, str(child.pk), "ok", {"what": "booked_reviews"})
    ]


async def bookings(world: World, who: str, scope: CaseloadScope
                   ) -> caseload.Bookings | caseload.ScopeRefused:  # fmt: skip
    async with world.services.answering() as uow:
        return await caseload.bookings_for(uow, world.staff[who], scope, TODAY)


async def test_an_iros_booked_reviews_and_who_is_due_with_none(world: World) -> None:
    found = await bookings(world, "isla", CaseloadScope.MINE)
    assert isinstance(found, caseload.Bookings)
    assert [(b.child.child_id, b.booked_for) for b in found.booked] == [
        ("C1", TODAY + timedelta(days=10))
    ]
    # C5 is overdue and C2 (covered) due in 40 days, neither booked (C2's booking cancelled).
    assert keys(world, found.unbooked) == ["C5", "C2"]
    assert found.until == TODAY + timedelta(weeks=12)
    assert not found.more_booked and not found.more_unbooked
    [entry] = await world.audit()
    assert entry[3:] == ("ok", {"what": "booked_reviews", "scope": "mine", "count": 1,
                                "unbooked": 2})  # fmt: skip


async def test_booked_reviews_for_an_area_the_service_and_a_refusal(world: World) -> None:
    south = await bookings(world, "sue", CaseloadScope.TEAM)
    assert isinstance(south, caseload.Bookings)
    assert [b.child.child_id for b in south.booked] == ["C3"] and south.unbooked == []
    every = await bookings(world, "quinn", CaseloadScope.SERVICE)
    assert isinstance(every, caseload.Bookings)
    assert [(b.child.child_id, b.booked_for, b.child.next_review_due) for b in every.booked] == [
        ("C1", TODAY + timedelta(days=10), TODAY + timedelta(days=20)),
        ("C3", TODAY + timedelta(days=30), TODAY + timedelta(days=20)),
    ]
    assert keys(world, every.unbooked) == ["C5", "C2"]
    own = await bookings(world, "quinn", CaseloadScope.MINE)
    assert isinstance(own, caseload.Bookings) and own.booked == every.booked
    refused = await bookings(world, "sol", CaseloadScope.SERVICE)
    assert isinstance(refused, caseload.ScopeRefused) and refused.own_count == 2


# -- the answers' words ---------------------------------------------------------------------------


#: The answers bot/routes.py names for these intents (bot.routes itself imports the dialogs).
ANSWERS = {Intent.CHILD_DETAILS: answers.child_details, Intent.DUE_FOR_ME: answers.due_for_me,
           Intent.MY_CASELOAD: answers.my_caseload,
           Intent.BOOKED_REVIEWS: answers.booked_reviews}  # fmt: skip


async def answer(world: World, who: str, heard: Understanding, child: str | None = None
                 ) -> str:  # fmt: skip
    found = await world.child(child) if child else None
    async with world.services.answering() as uow:
        asked = answers.Asked(uow, RULES, world.staff[who], heard, TODAY, found)
        reply = await ANSWERS[heard.intent](asked)
    assert reply is not None
    return reply.text if reply.card is None else card_to_text(reply.card)


async def test_the_answers_say_one_fact_or_all_of_them(world: World) -> None:
    def details(detail: ChildDetail | None) -> Understanding:
        return Understanding(Intent.CHILD_DETAILS, detail=detail)

    said = await answer(world, "isla", details(ChildDetail.SOCIAL_WORKER), "C1")
    assert said.startswith("Sam Test C1's social worker is Sol.")
    said = await answer(world, "isla", details(ChildDetail.UASC), "C1")
    assert said.startswith("Sam Test C1 is an unaccompanied asylum-seeking child (UASC).")
    said = await answer(world, "isla", details(ChildDetail.IRO), "C2")
    assert said.startswith("Sam Test C2's IRO is Otto. Isla is covering.")
    said = await answer(world, "isla", details(ChildDetail.CARE_START), "C1")
    assert said.startswith("Sam Test C1 came into care on Friday 19 December 2025. That is "
                           "their current period of care; they first came into care on "
                           "Friday 1 March 2019.")  # fmt: skip
    said = await answer(world, "isla", details(ChildDetail.AGE), "C1")
    assert said.startswith("Sam Test C1 is 15 (born 3 May 2010).")
    said = await answer(world, "isla", details(ChildDetail.LEGAL_STATUS), "C1")
    assert said.startswith("I don't hold legal status; it's in the case record.")
    said = await answer(world, "quinn", details(ChildDetail.CARE_START), "C4")
    assert said.startswith("Sam Test C4 is not in care now. Their last period of care ended on "
                           "Tuesday 30 September 2025.")  # fmt: skip
    every = await answer(world, "isla", details(None), "C1")
    for line in ("Social worker: Sol", "IRO: Isla", "In care since: Friday 19 December 2025",
                 "Age: 15 (born 3 May 2010); 18 on 3 May 2028", "UASC: yes",
                 "Legal status: not held here: it's in the case record"):  # fmt: skip
        assert line in every.splitlines(), line
    assert "Covering IRO" not in every


async def test_the_answers_refuse_a_scope_plainly_and_never_answer_a_narrower_one(
    world: World,
) -> None:
    refusal = ("You can see only the children you review or cover (3); a team's caseload is "
               "for its managers and the QA team.")  # fmt: skip
    overdue = DuePeriod(None, None, overdue=True)
    assert await answer(world, "isla", Understanding(Intent.DUE_FOR_ME, period=overdue,
                                                     scope=Scope.TEAM)) == refusal  # fmt: skip
    assert await answer(world, "isla", Understanding(Intent.MY_CASELOAD,
                                                     scope=Scope.TEAM)) == refusal  # fmt: skip
    assert await answer(world, "sol", Understanding(Intent.BOOKED_REVIEWS,
                                                    scope=Scope.SERVICE)) == (
        "You can see only the children allocated to you (2); the whole service's is for the QA "
        "team and the directors."
    )  # fmt: skip
    assert await answer(world, "tam", Understanding(Intent.MY_CASELOAD, scope=Scope.SERVICE,
                                                    count_only=True)) == (
        f"You can see only the children in the {NORTH} service area (4); the whole service's is "
        "for the QA team and the directors."
    )  # fmt: skip


async def test_the_answers_for_each_role(world: World) -> None:
    overdue = DuePeriod(None, None, overdue=True)
    team = await answer(world, "tam", Understanding(Intent.DUE_FOR_ME, period=overdue,
                                                    scope=Scope.TEAM))  # fmt: skip
    assert team.startswith(f"Overdue reviews: {NORTH}") and "Sam Test C5" in team
    qa_own = await answer(world, "quinn", Understanding(Intent.DUE_FOR_ME, period=overdue))
    qa_service = await answer(world, "quinn", Understanding(Intent.DUE_FOR_ME, period=overdue,
                                                            scope=Scope.SERVICE))  # fmt: skip
    assert qa_own == qa_service and "Sam Test C5" in qa_own
    assert qa_own.startswith("Overdue reviews: the whole service")
    count = await answer(world, "isla", Understanding(Intent.MY_CASELOAD, count_only=True))
    assert count == "You review or cover 3 children."
    count = await answer(world, "tam", Understanding(Intent.MY_CASELOAD, count_only=True))
    assert count == f"There are 4 children in the {NORTH} service area (3 in care now)."
    count = await answer(world, "sol", Understanding(Intent.MY_CASELOAD, count_only=True))
    assert count == "2 children are allocated to you."
    listed = await answer(world, "quinn", Understanding(Intent.MY_CASELOAD, scope=Scope.SERVICE))
    assert listed.startswith("Caseload: the whole service\nThere are 5 children in the "
                             "service (4 in care now).")  # fmt: skip
    assert "Sam Test C4: C4, not in care" in listed.splitlines()
    booked = (await answer(world, "isla", Understanding(Intent.BOOKED_REVIEWS))).splitlines()
    assert booked[:3] == ["Booked reviews",
                          "Thu 12 March 2026: Sam Test C1: by the due date, 22 March 2026",
                          "Due by 25 May 2026 with no review booked"]  # fmt: skip
    assert booked[3].startswith("Sam Test C5: due Fri 27 February 2026: overdue")
    assert booked[4] == "Sam Test C2: due Sat 11 April 2026: 27 working days left"
    one = await answer(world, "sue", Understanding(Intent.BOOKED_REVIEWS), "C3")
    assert "after the due date, 22 March 2026" in one


async def test_a_child_named_but_not_looked_up_is_asked_for_not_answered_with_a_list(
    world: World,
) -> None:
    heard = Understanding(Intent.BOOKED_REVIEWS, child=ChildRef(ChildRefKind.NAME, "Sam"))
    assert await answer(world, "isla", heard) == answers.WHICH_CHILD
    assert await world.audit() == []
