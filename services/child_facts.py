"""A child's details ("who is Sam's social worker?", "when did Sam come into care?", "is Sam
UASC?"): the facts of the child's record the bot holds, read with the actor's visibility and
audited as a read of the child's record. Returns data; ``cards.child_facts`` says it.

Legal status is not held here (the case record keeps it): ``legal_status_held`` says so rather
than the answer guessing from anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.ages import age_on, birthday
from domain.permissions import visibility_for
from domain.ports import ChildSummary, StaffMember
from services.unit_of_work import SqlUnitOfWork
from storage.repositories.caseload_lists import record_facts

#: Adulthood: a "child" is a person under 18 (Children Act 1989 s.105(1)).
ADULT_AGE = 18


@dataclass(frozen=True)
class ChildFacts:
    child: ChildSummary  # names of the IRO, covering IRO and social worker; date of birth
    uasc: bool
    in_care_since: date | None  # the start of the current period of care; None: not in care
    #: Not in care now: the day the last period of care ended (None if no period is recorded).
    left_care_on: date | None
    #: Periods of care before the current one (or before now, when not in care), and when the
    #: first of them began (None when there were none).
    earlier_periods: int
    first_in_care: date | None
    age: int | None  # on the day asked; None when no date of birth is recorded
    turns_adult_on: date | None  # the 18th birthday, while the child is under 18
    legal_status_held: bool = False  # the store has no legal status (it is in the case record)


async def child_facts(
    uow: SqlUnitOfWork, actor: StaffMember, child: ChildSummary, today: date
) -> ChildFacts | None:
    """The child's details (``child`` read with the actor's visibility by the child lookup);
    None, audited as refused, if the record is no longer one the actor may see."""
    found = await record_facts(uow.session, child.pk, visibility_for(actor))
    if found is None:
        await uow.audit.record("child.read", actor_staff_id=actor.id, entity_type="child",
                               entity_id=child.pk, outcome="refused")  # fmt: skip
        return None
    # After the read, as schedule_of does (SQLite's write lock is not held through the reads).
    await uow.audit.child_read(actor, child.pk, "child_details")
    since = child.looked_after_since
    # Earlier periods: those begun before the current one; when not in care, every period.
    earlier = [p for p in found.periods if since is None or p[0] < since]
    left = earlier[-1][1] if since is None and earlier else None
    born = child.date_of_birth
    age = age_on(born, today) if born else None
    adult = birthday(born, ADULT_AGE) if born and age is not None and age < ADULT_AGE else None
    return ChildFacts(
        child=child, uasc=found.uasc, in_care_since=since, left_care_on=left,
        earlier_periods=len(earlier), first_in_care=earlier[0][0] if earlier else None,
        age=age, turns_adult_on=adult,
    )  # fmt: skip
