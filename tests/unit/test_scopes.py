"""Whose children "my", "the team's" and "the service's" lists cover (``domain.permissions.
scope_view``): the rule behind every caseload, due and booked list, and its refusals.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.ages import age_on, birthday
from domain.permissions import (
    MANAGER_ROLES,
    CaseloadScope,
    Reach,
    may_see_scope,
    scope_view,
    visibility_for,
)
from domain.ports import NOTHING, SYSTEM, ChildSummary, Role, StaffMember, Visibility

AREAS = ("North", "South")


def person(role: Role | str, staff_id: int = 1, *, area: str | None = None,
           active: bool = True) -> StaffMember:  # fmt: skip
    return StaffMember(id=staff_id, email=f"p{staff_id}@example.com", display_name="P",
                       role=str(role), service_area=area, active=active)  # fmt: skip


def test_an_iro_sees_the_children_they_review_and_no_team_or_service_list() -> None:
    iro = person(Role.IRO, 7, area="North")
    mine = scope_view(iro, CaseloadScope.MINE)
    assert mine is not None
    assert (mine.visibility, mine.reach) == (Visibility(reviewing_iro_id=7), Reach.REVIEWED)
    # An area on an IRO's record does not make the area's children theirs to list.
    assert scope_view(iro, CaseloadScope.TEAM) is None
    assert scope_view(iro, CaseloadScope.SERVICE) is None


def test_a_social_worker_sees_the_children_allocated_to_them_only() -> None:
    sw = person(Role.SOCIAL_WORKER, 8, area="North")
    mine = scope_view(sw, CaseloadScope.MINE)
    assert mine is not None
    assert (mine.visibility, mine.reach) == (Visibility(social_worker_id=8), Reach.ALLOCATED)
    assert not may_see_scope(sw, CaseloadScope.TEAM)
    assert not may_see_scope(sw, CaseloadScope.SERVICE)


def test_a_manager_s_own_and_team_lists_are_their_service_area_and_not_the_service() -> None:
    for role in MANAGER_ROLES:
        manager = person(role, 9, area="South")
        for scope in (CaseloadScope.MINE, CaseloadScope.TEAM):
            view = scope_view(manager, scope)
            assert view is not None, (role, scope)
            assert view.visibility == Visibility(service_area="South")
            assert (view.reach, view.service_area) == (Reach.AREA, "South")
        assert scope_view(manager, CaseloadScope.SERVICE) is None, role


def test_a_director_with_no_area_spans_the_service_and_other_managers_see_nothing() -> None:
    for role in (Role.SERVICE_DIRECTOR, Role.DIRECTOR):
        for scope in CaseloadScope:
            view = scope_view(person(role), scope)
            assert view is not None and view.visibility == SYSTEM and view.reach is Reach.EVERY
    lost = person(Role.TEAM_MANAGER)  # no service area recorded: fail closed
    mine = scope_view(lost, CaseloadScope.MINE)
    assert mine is not None and (mine.visibility, mine.reach) == (NOTHING, Reach.NONE)
    assert scope_view(lost, CaseloadScope.TEAM) is None
    assert scope_view(lost, CaseloadScope.SERVICE) is None


def test_the_qa_teams_own_children_are_the_whole_service() -> None:
    for role in (Role.QA_MANAGER, Role.ADMIN):
        qa = person(role, 4)
        for scope in CaseloadScope:
            view = scope_view(qa, scope)
            assert view is not None and view.visibility == SYSTEM and view.reach is Reach.EVERY


def test_nobody_unknown_or_inactive_gets_a_list() -> None:
    for scope in CaseloadScope:
        assert scope_view(None, scope) is None
        for role in (*Role, "unknown role"):
            view = scope_view(person(role, active=False), scope)
            assert view is None or (view.visibility, view.reach) == (NOTHING, Reach.NONE)
        view = scope_view(person("unknown role"), scope)
        assert view is None or view.visibility == NOTHING


def test_the_scope_values_are_the_understanding_s() -> None:
    from understanding import Scope

    assert {s.value for s in Scope} == {s.value for s in CaseloadScope}


# -- the policy, over every member of staff and every child ---------------------------------


def _child(iro: int | None, covering: int | None, sw: int | None, area: str | None
           ) -> ChildSummary:  # fmt: skip
    return ChildSummary(1, "C1", "Sam", "Test", None, area, None, None, None, None, None, iro,
                        None, covering, None, sw, None)  # fmt: skip


staff_members = st.builds(
    person,
    role=st.sampled_from([*Role, "unknown role"]),
    staff_id=st.integers(1, 4),
    area=st.none() | st.sampled_from(AREAS),
    active=st.booleans(),
)
children = st.builds(
    _child,
    iro=st.none() | st.integers(1, 4),
    covering=st.none() | st.integers(1, 4),
    sw=st.none() | st.integers(1, 4),
    area=st.none() | st.sampled_from(AREAS),
)


@given(staff=staff_members, child=children, scope=st.sampled_from(list(CaseloadScope)))
def test_no_scope_shows_a_child_the_person_may_not_see(
    staff: StaffMember, child: ChildSummary, scope: CaseloadScope
) -> None:
    view = scope_view(staff, scope)
    if view is not None and view.visibility.allows(child):
        assert visibility_for(staff).allows(child)


@given(staff=staff_members)
def test_scopes_nest_the_service_then_the_team_then_one_s_own(staff: StaffMember) -> None:
    service, team, mine = (may_see_scope(staff, s) for s in (
        CaseloadScope.SERVICE, CaseloadScope.TEAM, CaseloadScope.MINE))  # fmt: skip
    assert not service or team
    assert not team or mine
    # Everyone identified has an answer for their own children, even if it is "none".
    assert mine
    # Only those who may see every child may ask for the service's list.
    assert service == (staff.active and visibility_for(staff).everything)
    if staff.role in (Role.IRO, Role.SOCIAL_WORKER):
        assert not team


@given(staff=staff_members, child=children)
def test_a_team_list_is_what_the_manager_or_qa_may_see_in_full(
    staff: StaffMember, child: ChildSummary
) -> None:
    team = scope_view(staff, CaseloadScope.TEAM)
    if team is not None:
        # The team's list is not a part of what they see, it is all of it: nobody is told
        # "the team's" and shown fewer children than their visibility covers.
        assert team.visibility.allows(child) == visibility_for(staff).allows(child)


# -- a birthday, as age_on counts it ------------------------------------------------------------


@given(born=st.dates(date(1990, 1, 1), date(2030, 12, 31)), years=st.integers(1, 30))
def test_the_day_a_child_reaches_an_age_is_the_first_day_age_on_says_so(
    born: date, years: int
) -> None:
    day = birthday(born, years)
    assert age_on(born, day) == years
    assert age_on(born, day - timedelta(days=1)) == years - 1


def test_a_29_february_birthday_is_reached_on_1_march() -> None:
    assert birthday(date(2008, 2, 29), 18) == date(2026, 3, 1)
    assert birthday(date(2008, 2, 29), 16) == date(2024, 2, 29)
