"""A realistic synthetic local authority for demonstrations: `iro-bot seed-demo`.

Deterministic from a seed (``random.Random(seed)``), generated offline, with every date placed
relative to ``today``. Its shape follows the West Berkshire IRO annual report 2023-24: ~200
children in care across the service areas (13% unaccompanied asylum-seeking children), six IROs
with ~33 children each, review histories with ~12% held late and a few overdue now, Part 1
reviews (mostly placement moves), minutes often later than decisions, Issues Resolutions raised
mostly about late reports and resolved at the informal stage or Stage 1, and a handful of
children who go missing repeatedly.

The Microsoft 365 Agents Playground's default users are staff, so the demo works there with no
set-up (their AAD ids are the Playground's own, see ``PLAYGROUND_USERS``): Alex Wilber reviews
~33 children, several of them allocated to the social worker Megan Bowen, whose line of managers
is a practice supervisor, Adele Vance (team manager, so Stage 1 IRs about Megan's children land
on her), Isaiah Langer (service manager), Patti Fernandez (service director) and Lynne Robbins
(director).

Every date rule is the domain's: reviews are generated one at a time around the due date that
``domain.reviews.review_schedule`` gives for the history so far; IRs go through the domain's
actions; RHI and CP dates come from their domain deadlines. This module only picks random
offsets (in working days where a meeting is involved, so meetings fall on working days). The
child's stored schedule is then written by ``storage.schedule.refresh_review_schedule``.

Nothing here commits: the caller runs ``seed_demo`` in one transaction.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.child_protection import initial_conference_due, next_review_conference_due
from domain.issues_resolution import (
    IR,
    decline,
    escalate,
    raise_ir,
    refer_to_cafcass,
    resolve,
    respond,
)
from domain.missing import return_home_interview_due
from domain.names import normalise_name
from domain.reviews import (
    BroughtForward,
    ReviewHeld,
    ReviewPart,
    decisions_due,
    minutes_due,
    review_schedule,
)
from domain.rules import RuleSet
from storage.audit import record_audit
from storage.models import (
    BroughtForwardDirection,
    Child,
    CpConference,
    CpPlan,
    MissingEpisode,
    PeriodOfCare,
    Review,
    ReviewBooking,
    Staff,
)
from storage.repositories.issues import add_ir
from storage.repositories.names import set_child_names
from storage.schedule import refresh_review_schedule

SOURCE = "demo"
T = TypeVar("T")


# -- the Agents Playground's default users ------------------------------------------------------


@dataclass(frozen=True)
class PlaygroundUser:
    display_name: str
    email: str
    aad_object_id: str
    role: str


def _playground_aad(n: int) -> str:
    # The Playground's (and the Teams App Test Tool's) default ids, as architecture.md gives
    # them: 00000000-0000-0000-0000-00000000000{20..25}. Their last group has 13 digits, one more
    # than a GUID's: that is what the Playground sends, so it is stored exactly so.
    return f"00000000-0000-0000-0000-00000000000{n}"


#: In the Playground's order (user-id-0 .. user-id-5). E-mails are its defaults
#: (``<given name><initial of family name>@example.com``). Isaiah's UPN there is
#: isaiah@example.com but his e-mail is isaiahl@example.com; the bot matches the AAD id first.
PLAYGROUND_USERS = (
    PlaygroundUser("Alex Wilber", "alexw@example.com", _playground_aad(20), "iro"),
    PlaygroundUser("Megan Bowen", "meganb@example.com", _playground_aad(21), "social_worker"),
    PlaygroundUser("Adele Vance", "adelev@example.com", _playground_aad(22), "team_manager"),
    PlaygroundUser("Isaiah Langer", "isaiahl@example.com", _playground_aad(23), "service_manager"),
    PlaygroundUser(
        "Patti Fernandez", "pattif@example.com", _playground_aad(24), "service_director"
    ),
    PlaygroundUser("Lynne Robbins", "lynner@example.com", _playground_aad(25), "director"),
)
ALEX, MEGAN, ADELE, ISAIAH, PATTI, LYNNE = PLAYGROUND_USERS
#: Megan's team: her children, and so Adele's and Isaiah's service area.
PLAYGROUND_AREA = "Children in Care"
EMAIL_DOMAIN = "example.com"


# -- synthetic names (no real person's) ----------------------------------------------------------

GIRLS = (
    "Amelia", "Olivia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Freya", "Grace", "Sophie", "Evie",
    "Poppy", "Ella", "Chloë", "Zoë", "Niamh", "Aoife", "Siân", "Maisie", "Ruby", "Daisy",
    "Willow", "Phoebe", "Amélie", "Renée", "Leah", "Jasmine", "Aaliyah", "Maryam", "Zara",
    "Kacey", "Tia", "Jade", "Skye", "Kayla-Mae", "Lacey-Rose", "Nadia", "Oksana", "Bethany",
)  # fmt: skip
BOYS = (
    "Oliver", "George", "Noah", "Arthur", "Leo", "Harry", "Oscar", "Archie", "Jack", "Charlie",
    "Freddie", "Alfie", "Theo", "Riley", "Kai", "Mason", "Tyler", "Jayden", "Callum", "Connor",
    "Seán", "Ciarán", "Rhys", "Dylan", "Joël", "José", "Mateusz", "Kacper", "Oskar", "Zoltán",
    "Lewis", "Jamie", "Ethan", "Logan", "Reece", "Tommy-Lee", "Jean-Luc", "Ibrahim", "Yusuf",
)  # fmt: skip
FAMILIES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "O'Brien", "O'Connor", "O'Neill", "D'Souza", "D'Arcy", "McAllister",
    "MacDonald", "Smith-Jones", "Hughes-Parry", "Fletcher-Hart", "Nowak", "Kowalski",
    "Wiśniewski", "Öztürk", "Müller", "Fernández", "Núñez", "Costa", "Silva", "Begum", "Khan",
    "Patel", "Hussain", "Okafor", "Mensah", "Adeyemi", "Campbell", "Murphy", "Kelly", "Doyle",
    "Lee", "Chapman", "Barker", "Hopkins", "Price", "Lloyd", "Powell", "Bennett", "Cooper",
)  # fmt: skip
UASC_BOYS = (
    "Ahmad", "Mohammed", "Mustafa", "Yonas", "Dawit", "Samuel", "Abdullah", "Reza", "Ali",
    "Hamid", "Arben", "Ermal", "Minh", "Tuan", "Omar", "Bilal", "Idris", "Kidane",
)  # fmt: skip
UASC_GIRLS = ("Selam", "Hiwot", "Fatima", "Ariana", "Merhawit")
UASC_FAMILIES = (
    "Ahmadi", "Karimi", "Hosseini", "Tesfay", "Haile", "Gebremedhin", "Berhane", "Mohammadi",
    "Rahimi", "Hoxha", "Krasniqi", "Nguyen", "Tran", "Abdi", "Osman",
)  # fmt: skip
STAFF_GIVEN = (
    "Sarah", "Rachel", "Helen", "Joanne", "Claire", "Emma", "Laura", "Kate", "Nicola", "Paul",
    "Mark", "David", "Andrew", "Gareth", "Simon", "Priya", "Aisha", "Tomasz", "Chidi",
    "Gráinne", "Siobhán", "Bethan", "Rhiannon", "Ewan", "Fiona", "Marcus", "Dominic", "Naomi",
    "Yvonne", "Imogen", "Hannah", "Owen", "Ruth", "Darren", "Leanne", "Shona",
)  # fmt: skip
STAFF_FAMILIES = (
    "Ashworth", "Brennan", "Carver", "Dunmore", "Ellison", "Fairbairn", "Garside", "Hollis",
    "Ingram", "Jessop", "Kendrick", "Lomax", "Marsden", "Norbury", "Oldfield", "Pickering",
    "Quayle", "Rowntree", "Stanley", "Thackeray", "Underwood", "Varley", "Whitfield", "Yardley",
    "O'Sullivan", "McTaggart", "Lloyd-Evans", "Bhatt", "Nwosu", "Kaczmarek", "Ó Briain",
    "Atherton", "Blackwood", "Cartwright", "Dalgleish", "Eastwood", "Fenwick", "Greenhalgh",
    "Hargreaves", "Iqbal", "Jankowski", "Kershaw", "Lindqvist", "Mahoney", "Nicholls", "Osei",
    "Penhaligon", "Radcliffe", "Sandhu", "Tremayne", "Ventura", "Wetherall", "Zielinski",
)  # fmt: skip


# -- the authority's shape ----------------------------------------------------------------------

#: Share of the children in each service area (WBC's areas, in the rules file's order).
AREA_WEIGHTS = {
    "Family Safeguarding West": 40,
    "Family Safeguarding East": 38,
    "Children with Disabilities": 22,
    "Children in Care": 50,
    "16+/Care Leavers": 30,
    "Family Placement Team": 12,
    "SEN Service": 4,
    "External provider": 4,
}
#: Ages (inclusive) of the children each area works with.
AREA_AGES = {
    "Family Safeguarding West": (0, 15),
    "Family Safeguarding East": (0, 15),
    "Children with Disabilities": (4, 17),
    "Children in Care": (3, 15),
    "16+/Care Leavers": (16, 17),
    "Family Placement Team": (1, 13),
    "SEN Service": (8, 16),
    "External provider": (12, 17),
}
IRO_COUNT = 6
CASELOAD_PER_SOCIAL_WORKER = 13
UASC_SHARE = 0.13  # report 1.8
SIBLING_SHARE = 0.12  # a child who comes into care with the previous child
PREVIOUS_PERIOD_SHARE = 0.03  # left care, came back: a new period restarts at CIC-1
MEGAN_CHILDREN_REVIEWED_BY_ALEX = 8

LATE_SHARE = 0.12  # report 8.2 had 47 of 537 late in a hard year (9 the year before)
PART1_SHARE = 0.06  # report 7.6: 73 Part 1s in 537, ~half for placement moves
BROUGHT_FORWARD_SHARE = 0.04
DECISIONS_LATE_SHARE = 0.03  # report 1.11: care plans all but always within 5 working days
MINUTES_LATE_SHARE = 0.3  # report 8.5: 217 sets of minutes after 20 working days
MISSING_SHARE = 0.1  # report 19.4: 26 of ~200 children; here, those aged 11+ in the year

#: Report 8.2: why reviews were late, with how often.
LATE_REASONS = (
    ("Foster home breakdown or change of foster home", 17),
    ("Updating information, including the care plan, not available in time", 12),
    ("The IRO was unwell", 10),
    ("Social worker availability (court, capacity or error)", 5),
    ("Foster parent availability", 5),
    ("Young person's availability", 2),
    ("IRO capacity after a transfer from another IRO", 2),
    ("IRO administrator's error in calculating the due date", 1),
    ("Social worker late notifying QAAS that the child came into care", 1),
)
#: Report 7.6: why only Part 1 of a review could be held.
PART1_REASONS = (
    ("Placement move or placement breakdown", 31),
    ("Social worker availability (sickness, annual leave or in court)", 12),
    ("IRO availability (sickness or capacity)", 6),
    ("Went ahead in the child's best interests", 5),
    ("Need to ratify the care plan before court", 4),
    ("Parental or professional availability", 3),
    ("Report not available for the review", 3),
    ("Young person not available (sickness)", 2),
    ("Foster parent not available (holiday)", 2),
)
#: Where each demo reason is in the rules file's lists (West Berkshire's, in the seed's own
#: order there): the demo stores the list's labels, as a review recorded in chat does, so a
#: report counts both in one row. Another authority's lists (of another length) keep the
#: demo's own words.
LATE_REASON_LABELS = (0, 1, 2, 3, 4, 5, 8, 6, 7)
PART1_REASON_LABELS = (0, 1, 2, 4, 3, 5, 6, 7, 8)
#: Report 11.1: where reviews were held, with how often.
LOCALITIES = (
    ("West Berkshire", 135), ("Berkshire (not West Berkshire)", 66), ("Hampshire", 29),
    ("Wiltshire", 12), ("Oxfordshire", 12), ("Lincolnshire", 10), ("Buckinghamshire", 8),
    ("Surrey", 8), ("Gloucestershire", 7), ("Bedfordshire", 6), ("Greater London", 4),
    ("Dorset", 3), ("Kent", 3), ("Somerset", 3), ("Shropshire", 2), ("Staffordshire", 2),
    ("Sussex", 2), ("Lancashire", 2),
)  # fmt: skip
BROUGHT_FORWARD_REASONS = (
    "Planned move to a long-term foster home",
    "Plan for a return home to be considered",
    "Placement with connected carers approved",
    "Care proceedings concluded: the care plan needs reviewing",
    "Move to semi-independent accommodation planned",
)
#: SSDA903 participation codes with a plausible mix (PN0 is for children under 4).
PARTICIPATION = (
    ("PN1", 40), ("PN2", 4), ("PN3", 6), ("PN4", 8), ("PN5", 22), ("PN6", 14), ("PN7", 6),
)  # fmt: skip
#: Report 19.9 and 19.10 (blank where the report's field was blank).
WHERE_FOUND = (
    (None, 45), ("Returned of their own accord", 23), ("Found by the police", 18),
    ("Found by the foster carer", 7), ("Other", 7),
)  # fmt: skip
RHI_OUTCOMES = (("completed", 53), ("refused", 25), ("not_recorded", 22))

#: Report 21.6: why IRs were raised (this year's counts, plus one so each can occur).
IR_REASONS = (
    ("reports not available in time", 7),
    ("IRO not notified of a significant event", 6),
    ("statutory visits out of time", 5),
    ("delay in care proceedings", 4),
    ("delay in allowances", 4),
    ("care plan for a child new to care not completed within 10 working days", 3),
    ("care plan filed without the IRO's view", 3),
    ("delay in later-life work", 2),
    ("no advocate", 2),
    ("delay allocating a SW", 2),
)
#: What the IRO wrote, per reason (no names: descriptions are free text about a child).
IR_DESCRIPTIONS = {
    "reports not available in time": (
        "The social work report and updated care plan were not shared 3 working days before "
        "the review, so the review could not consider them properly."
    ),
    "IRO not notified of a significant event": (
        "The IRO was not told of a change of foster home until the child mentioned it at the "
        "review."
    ),
    "statutory visits out of time": "The last two statutory visits were out of timescale.",
    "delay in care proceedings": "Care proceedings have not been issued as agreed at the review.",
    "delay in allowances": "The carers' allowances have not been set up two months after the move.",
    "care plan for a child new to care not completed within 10 working days": (
        "No care plan was in place 10 working days after the child became looked after."
    ),
    "care plan filed without the IRO's view": (
        "The care plan was filed with the court without the IRO's view being sought."
    ),
    "delay in later-life work": "Later-life work agreed at the last two reviews has not started.",
    "no advocate": "The young person asked for an advocate at the review; none is allocated yet.",
    "delay allocating a SW": "The child has had no allocated social worker for three weeks.",
    "care provider failure": (
        "The provider has not supplied items agreed in the placement plan before a religious "
        "festival."
    ),
    "SEN/education provision delay": (
        "No education provision is in place since the move out of area."
    ),
    "other": "Contact arrangements agreed at the review have not been set up.",
}
IR_OUTCOMES = {
    "reports not available in time": (
        "The team manager tightened the team's tracking of review reports."
    ),
    "IRO not notified of a significant event": (
        "The team manager apologised and reminded the team of the duty to notify the IRO."
    ),
    "statutory visits out of time": "Visits are back in timescale; the manager is monitoring.",
    "delay in care proceedings": "Proceedings were issued.",
    "delay in allowances": "Allowances were set up and back-dated.",
    "care plan for a child new to care not completed within 10 working days": (
        "The care plan was completed; the line manager addressed it as a training need."
    ),
    "care plan filed without the IRO's view": (
        "The service manager reminded staff to seek the IRO's view before filing."
    ),
    "delay in later-life work": "A worker was identified and the work has started.",
    "no advocate": "A referral was made and an advocate allocated.",
    "delay allocating a SW": "A social worker was allocated.",
    "care provider failure": "The provider apologised and bought the items without delay.",
    "SEN/education provision delay": "Alternative provision is in place while a school is found.",
    "other": "Contact is now arranged.",
}
IR_RESPONSES = (
    "Agreed. The report will be shared by the target date and tracking has been tightened.",
    "Agreed. The social worker will visit this week and the manager will monitor visits.",
    "Agreed. This has been raised with the team and will be put right by the target date.",
)
IR_DECLINES = (
    "Declined: the team has no capacity to do this before the next review.",
    "Declined: the decision rests with the court timetable, not the team.",
)
IR_ESCALATIONS = (
    "No response within 5 working days.",
    "The response did not address the delay.",
    "The agreed action has not happened by the target date.",
)


# -- what was seeded -----------------------------------------------------------------------------


@dataclass
class DemoSummary:
    """Counts of what ``seed_demo`` wrote (no names: it is printed and audited)."""

    staff: int = 0
    children: int = 0
    uasc: int = 0
    periods_of_care: int = 0
    reviews: int = 0
    reviews_late: int = 0
    reviews_counted: int = 0
    part1_reviews: int = 0
    brought_forward: int = 0
    bookings: int = 0
    overdue_now: int = 0
    missing_episodes: int = 0
    children_missing: int = 0
    cp_plans: int = 0
    irs: int = 0
    irs_open: int = 0
    irs_open_by_stage: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


async def store_is_empty(session: AsyncSession) -> bool:
    """No children and no staff: the demo would not mix with anyone's real data."""
    for model in (Child, Staff):
        if await session.scalar(select(exists().where(model.id.is_not(None)))):
            return False
    return True


# -- the generator -----------------------------------------------------------------------------


def _as_listed(table: Sequence[tuple[str, int]], labels: Sequence[str],
               where: Sequence[int]) -> tuple[tuple[str, int], ...]:  # fmt: skip
    """The demo's weighted reasons, worded as the rules file's list (``where`` maps each to its
    label's place there), or as the demo words them when the list is another one."""
    if len(labels) != len(table):
        return tuple(table)
    return tuple((labels[at], weight) for (_, weight), at in zip(table, where, strict=True))


def _weighted(rng: random.Random, table: Sequence[tuple[T, int]]) -> T:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights=weights)[0]


def _email(given: str, family: str, taken: set[str]) -> str:
    """given.family@example.com, folded (Siobhán O'Sullivan -> siobhan.osullivan@...)."""

    def fold(name: str) -> str:
        return normalise_name(name).replace(" ", "-")

    base = f"{fold(given)}.{fold(family)}"
    email, n = f"{base}@{EMAIL_DOMAIN}", 1
    while email in taken:
        n += 1
        email = f"{base}{n}@{EMAIL_DOMAIN}"
    taken.add(email)
    return email


@dataclass(eq=False)  # compared by identity: two planned people are never "the same"
class _Person:
    email: str
    name: str
    role: str
    area: str | None
    manager: _Person | None
    aad: str | None = None
    row: Staff | None = None

    def chain(self) -> list[_Person]:
        """This person's managers, nearest first."""
        found, boss = [], self.manager
        while boss is not None:
            found.append(boss)
            boss = boss.manager
        return found


@dataclass(eq=False)
class _ChildPlan:
    child_id: str
    given: str
    family: str
    sex: str
    dob: date
    since: date
    area: str
    uasc: bool
    social_worker: _Person
    iro: _Person | None = None
    covering_iro: _Person | None = None
    sibling_of: _ChildPlan | None = None  # came into care with this (older) child
    # The current period's reviews (with their other columns) and brought-forward directions.
    history: tuple[list[tuple[ReviewHeld, dict]], list[BroughtForward]] | None = None
    previous_period: tuple[date, date] | None = None
    row: Child | None = None


class _Seeder:
    def __init__(
        self, session: AsyncSession, rules: RuleSet, seed: int, children: int, today: date
    ) -> None:
        self.session = session
        self.rules = rules
        self.calendar = rules.calendar
        self.rng = random.Random(seed)
        # Where reviews were held, drawn apart so the rest of the demo stays as it was.
        self.place_rng = random.Random(seed + 1)
        self.late_reasons = _as_listed(LATE_REASONS, rules.late_reasons, LATE_REASON_LABELS)
        self.part1_reasons = _as_listed(PART1_REASONS, rules.part1_reasons, PART1_REASON_LABELS)
        self.localities = tuple((label, weight) for label, weight in LOCALITIES
                                if label in rules.localities) or LOCALITIES  # fmt: skip
        self.count = children
        self.today = today
        self.summary = DemoSummary()
        self.people: list[_Person] = []
        self.emails: set[str] = {user.email for user in PLAYGROUND_USERS}
        self.iros: list[_Person] = []
        self.staff_families: list[str] = []
        # A few children overdue now on purpose (others are overdue because their review is
        # running late, as happens): one per 50 children, at least two.
        self.overdue_target = max(2, children // 50)
        self.overdue_candidates: set[str] = set()
        # Alex (the Playground's IRO) should have one to chase: "what is overdue?".
        self.alex_has_overdue = False

    # -- small helpers: random offsets only; the calendar does the working-day counting --------

    def days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    def working_days_after(self, day: date, low: int, high: int) -> date:
        return self.calendar.add_working_days(day, self.rng.randint(low, high))

    def working_days_ago(self, n: int) -> date:
        return self.calendar.add_working_days(self.today, -n)

    def person(
        self,
        role: str,
        area: str | None,
        manager: _Person | None,
        user: PlaygroundUser | None = None,
    ) -> _Person:
        if user is not None:
            found = _Person(user.email, user.display_name, role, area, manager, user.aad_object_id)
        else:
            # Family names dealt from a shuffled deck, so colleagues rarely share one.
            if not self.staff_families:
                self.staff_families = self.rng.sample(STAFF_FAMILIES, len(STAFF_FAMILIES))
            given, family = self.rng.choice(STAFF_GIVEN), self.staff_families.pop()
            found = _Person(
                _email(given, family, self.emails), f"{given} {family}", role, area, manager
            )
        self.people.append(found)
        return found

    # -- staff ---------------------------------------------------------------------------------

    def plan_staff(self, children_per_area: dict[str, int]) -> dict[str, list[_Person]]:
        """The organisation; returns each area's social workers (Megan first in hers)."""
        director = self.person("director", None, None, LYNNE)
        service_director = self.person("service_director", None, director, PATTI)
        qa = self.person("qa_manager", None, service_director)
        self.person("admin", None, qa)
        self.iros = [self.person("iro", None, qa, ALEX)]
        self.iros += [self.person("iro", None, qa) for _ in range(IRO_COUNT - 1)]
        workers: dict[str, list[_Person]] = {}
        for area, count in children_per_area.items():
            ours = area == PLAYGROUND_AREA
            manager = self.person(
                "service_manager", area, service_director, ISAIAH if ours else None
            )
            team_manager = self.person("team_manager", area, manager, ADELE if ours else None)
            supervisor = self.person("practice_supervisor", area, team_manager)
            needed = max(1, -(-count // CASELOAD_PER_SOCIAL_WORKER))  # ceiling
            workers[area] = [
                self.person("social_worker", area, supervisor, MEGAN if ours else None)
            ]
            workers[area] += [
                self.person("social_worker", area, supervisor) for _ in range(needed - 1)
            ]
        return workers

    async def write_staff(self) -> None:
        # Managers before their reports (the list is built top-down), so manager_id is known.
        for person in self.people:
            person.row = Staff(
                email=person.email,
                display_name=person.name,
                role=person.role,
                service_area=person.area,
                manager_id=person.manager.row.id if person.manager and person.manager.row else None,
                aad_object_id=person.aad,
            )
            self.session.add(person.row)
            await self.session.flush()
        self.summary.staff = len(self.people)

    # -- children ------------------------------------------------------------------------------

    def areas_for(self, total: int) -> dict[str, int]:
        """Children per area in proportion to AREA_WEIGHTS, summing to ``total``."""
        weight = sum(AREA_WEIGHTS.values())
        counts = {area: total * w // weight for area, w in AREA_WEIGHTS.items()}
        # What rounding down left over goes to the biggest areas first.
        biggest = sorted(AREA_WEIGHTS, key=lambda area: -AREA_WEIGHTS[area])
        for i in range(total - sum(counts.values())):
            counts[biggest[i % len(biggest)]] += 1
        return counts

    def plan_children(
        self, per_area: dict[str, int], workers: dict[str, list[_Person]]
    ) -> list[_ChildPlan]:
        rng = self.rng
        plans: list[_ChildPlan] = []
        number = 0
        for area, count in per_area.items():
            low, high = AREA_AGES[area]
            for i in range(count):
                number += 1
                sibling = plans[-1] if plans and i and rng.random() < SIBLING_SHARE else None
                # Nearly all UASC arrive aged 15-17; the areas working with that age take them.
                uasc = sibling is None and high >= 15 and rng.random() < UASC_SHARE * 1.2
                sex = "1" if uasc and rng.random() < 0.9 else rng.choice("12")
                if uasc:
                    age = rng.randint(max(low, 15), high)
                    names = UASC_BOYS if sex == "1" else UASC_GIRLS
                    given, family = rng.choice(names), rng.choice(UASC_FAMILIES)
                else:
                    age = rng.randint(low, high)
                    given = rng.choice(BOYS if sex == "1" else GIRLS)
                    family = sibling.family if sibling else rng.choice(FAMILIES)
                dob = self.days_ago(age * 365 + 1, age * 365 + 364)
                if sibling is not None:
                    # A baby born after the older child came into care came in at birth.
                    since, worker = max(dob, sibling.since), sibling.social_worker
                else:
                    since = self.pick_since(dob, uasc)
                    worker = workers[area][rng.randrange(len(workers[area]))]
                plan = _ChildPlan(
                    f"DEMO-{number:04d}", given, family, sex, dob, since, area, uasc, worker
                )
                plan.sibling_of = sibling
                if (
                    sibling is None
                    and rng.random() < PREVIOUS_PERIOD_SHARE
                    and (since - dob).days > 3 * 365
                ):
                    ended = since - timedelta(days=rng.randint(120, 500))
                    started = ended - timedelta(days=rng.randint(200, 700))
                    if started > dob:
                        plan.previous_period = (started, ended)
                plans.append(plan)
        self.assign_iros(plans, workers[PLAYGROUND_AREA][0])
        return plans

    def pick_since(self, dob: date, uasc: bool) -> date:
        """When the child became looked after: some new to care, most for a year or more."""
        rng = self.rng
        age_days = (self.today - dob).days
        if uasc:
            days = rng.randint(20, 700)
        else:
            roll = rng.random()
            if roll < 0.08:
                days = rng.randint(3, 60)  # new to care: the first review is due or just held
            elif roll < 0.3:
                days = rng.randint(61, 365)
            else:
                days = rng.randint(366, 8 * 365)
        return self.today - timedelta(days=min(days, max(age_days - 1, 3)))

    def assign_iros(self, plans: list[_ChildPlan], megan: _Person) -> None:
        """~Equal caseloads; several of Megan's children reviewed by Alex; siblings together."""
        families: list[list[_ChildPlan]] = []
        for plan in plans:  # a sibling always directly follows the child it came in with
            if plan.sibling_of is None:
                families.append([plan])
            else:
                families[-1].append(plan)
        alex = self.iros[0]
        load = {id(iro): 0 for iro in self.iros}

        def give(family: list[_ChildPlan], iro: _Person) -> None:
            for plan in family:
                plan.iro = iro
            load[id(iro)] += len(family)

        for family in [f for f in families if f[0].social_worker is megan]:
            if load[id(alex)] >= MEGAN_CHILDREN_REVIEWED_BY_ALEX:
                break
            give(family, alex)
        rest = [f for f in families if f[0].iro is None]
        self.rng.shuffle(rest)
        for family in rest:
            least = min(load.values())
            give(family, self.rng.choice([iro for iro in self.iros if load[id(iro)] == least]))
        # One IRO is covering a few of a colleague's children (e.g. during a long absence).
        away, cover = self.iros[1], self.iros[2]
        for plan in [p for p in plans if p.iro is away][:3]:
            plan.covering_iro = cover

    def add_child(self, plan: _ChildPlan) -> Child:
        """The child's row (its id comes with the next flush, shared by every child)."""
        assert plan.iro is not None and plan.iro.row is not None
        assert plan.social_worker.row is not None
        child = Child(
            child_id=plan.child_id,
            date_of_birth=plan.dob,
            sex=plan.sex,
            uasc=plan.uasc,
            iro_id=plan.iro.row.id,
            covering_iro_id=plan.covering_iro.row.id
            if plan.covering_iro and plan.covering_iro.row
            else None,
            social_worker_id=plan.social_worker.row.id,
            service_area=plan.area,
            looked_after_since=plan.since,
        )
        set_child_names(child, plan.given, plan.family)
        self.session.add(child)
        plan.row = child
        self.summary.children += 1
        self.summary.uasc += plan.uasc
        return child

    def add_periods_of_care(self, plan: _ChildPlan) -> None:
        child = plan.row
        assert child is not None and child.id is not None
        periods = [(plan.since, None, None)]
        if plan.previous_period:
            started, ended = plan.previous_period
            periods.insert(0, (started, ended, "E13"))  # E13: left care to live with family
        for started_on, ended_on, reason in periods:
            self.session.add(
                PeriodOfCare(
                    child_pk=child.id,
                    started_on=started_on,
                    ended_on=ended_on,
                    reason_ended=reason,
                    source=SOURCE,
                )
            )
            self.summary.periods_of_care += 1

    # -- reviews -------------------------------------------------------------------------------

    def review_history(
        self, start: date, until: date, age_on: Callable[[date], int], allow_overdue: bool
    ) -> tuple[list[tuple[ReviewHeld, dict]], list[BroughtForward]]:
        """Reviews held from ``start`` up to (not including) ``until``, each generated around
        the due date the domain gives for the history so far, with their other columns; and the
        brought-forward directions the IRO gave.

        With ``allow_overdue``, a review that fell due in the five weeks before ``until`` is
        left unheld: the child is overdue now.
        """
        rng, cal, rules = self.rng, self.calendar, self.rules
        held: list[ReviewHeld] = []
        extra: list[tuple[ReviewHeld, dict]] = []
        directions: list[BroughtForward] = []
        previous = start
        while True:
            due = review_schedule(start, held, rules, directions).next_due
            if allow_overdue and until - timedelta(days=35) <= due.due < until:
                return extra, directions
            late = rng.random() < LATE_SHARE
            if late:
                on = self.working_days_after(due.due, 1, 25)
            else:
                room = max(0, cal.working_days_between(previous, due.practical_due) - 1)
                on = cal.add_working_days(due.practical_due, -rng.randint(0, min(12, room)))
            if on >= until:
                return extra, directions
            part1 = rng.random() < PART1_SHARE
            columns = self.review_columns(on, age_on(on), late, part1)
            review = ReviewHeld(on, ReviewPart.PART1 if part1 else ReviewPart.FULL)
            held.append(review)
            extra.append((review, columns))
            if part1:
                part2_on = self.working_days_after(on, 5, 25)
                if part2_on < until:  # otherwise Part 2 is still outstanding
                    part2 = ReviewHeld(part2_on, ReviewPart.PART2)
                    held.append(part2)
                    extra.append((part2, self.review_columns(part2_on, age_on(on), False, False)))
            elif rng.random() < BROUGHT_FORWARD_SHARE:
                # The IRO directs at this review that the next be held early (CIC-BF).
                review_by = self.working_days_after(on, 15, 40)
                directions.append(
                    BroughtForward(review_by, on, rng.choice(BROUGHT_FORWARD_REASONS))
                )
            previous = on

    def review_columns(self, on: date, age: int, late: bool, part1: bool) -> dict:
        rng = self.rng
        columns: dict = {
            "late_reason": _weighted(rng, self.late_reasons) if late else None,
            "part1_reason": _weighted(rng, self.part1_reasons) if part1 else None,
            "held_at": _weighted(self.place_rng, self.localities),
            "participation_code": self.participation(age),
            "chaired_by_child": True if age >= 15 and rng.random() < 0.05 else None,
            "decisions_sent_on": self.sent_on(
                decisions_due(on, self.rules).due, DECISIONS_LATE_SHARE, on
            ),
            "minutes_sent_on": self.sent_on(
                minutes_due(on, self.rules).due, MINUTES_LATE_SHARE, on
            ),
        }
        return columns

    def participation(self, age: int) -> str:
        """SSDA903 REVIEW_CODE: PN0 for a child under 4, else a plausible mix."""
        return "PN0" if age < 4 else _weighted(self.rng, PARTICIPATION)

    def sent_on(self, due: date, late_share: float, held_on: date) -> date | None:
        """A sent date around ``due`` (late with ``late_share``); None when not sent yet."""
        if self.rng.random() < late_share:
            sent = self.working_days_after(due, 1, 10)
        else:
            sent = max(
                self.calendar.add_working_days(due, -self.rng.randint(0, 4)),
                self.calendar.add_working_days(held_on, 1),
            )
        return sent if sent < self.today else None

    async def write_reviews(self, plan: _ChildPlan) -> None:
        child, iro = plan.row, plan.iro
        assert child is not None and iro is not None and iro.row is not None

        def age_on(day: date) -> int:
            return (day - plan.dob).days // 365

        histories = []
        if plan.previous_period:
            started, ended = plan.previous_period
            reviews, directions = self.review_history(started, ended, age_on, False)
            histories.append((reviews, directions))
        older = plan.sibling_of
        if older is not None and older.since == plan.since and older.history is not None:
            # Siblings who came into care together have their reviews on the same days.
            reviews = [
                (
                    review,
                    {**columns, "participation_code": self.participation(age_on(review.held_on))},
                )
                for review, columns in older.history[0]
            ]
            directions = older.history[1]
        else:
            allow_overdue = (
                plan.child_id in self.overdue_candidates
                and self.summary.overdue_now < self.overdue_target
            ) or (plan.iro is self.iros[0] and not self.alex_has_overdue)
            reviews, directions = self.review_history(plan.since, self.today, age_on, allow_overdue)
        plan.history = (reviews, directions)
        histories.append((reviews, directions))
        for reviews, directions in histories:
            for review, columns in reviews:
                self.session.add(
                    Review(
                        child_pk=child.id,
                        held_on=review.held_on,
                        part=review.part.value,
                        source=SOURCE,
                        recorded_by_id=iro.row.id,
                        **columns,
                    )
                )
                self.summary.part1_reviews += review.part is ReviewPart.PART1
            for bf in directions:
                self.session.add(
                    BroughtForwardDirection(
                        child_pk=child.id,
                        review_by=bf.review_by,
                        directed_on=bf.directed_on,
                        reason=bf.reason,
                        directed_by_id=iro.row.id,
                    )
                )
            self.summary.reviews += len(reviews)
            self.summary.brought_forward += len(directions)
        current, current_directions = histories[-1]
        schedule = review_schedule(
            plan.since, [r for r, _ in current], self.rules, current_directions
        )
        self.summary.reviews_counted += schedule.reviews_counted
        self.summary.reviews_late += sum(not outcome.on_time for outcome in schedule.held)
        overdue_now = schedule.next_due.due < self.today
        self.summary.overdue_now += overdue_now
        self.alex_has_overdue |= overdue_now and plan.iro is self.iros[0]
        await self.maybe_book(plan, schedule.next_due.practical_due, overdue_now)

    async def maybe_book(self, plan: _ChildPlan, practical_due: date, overdue: bool) -> None:
        """Book the next review for most children due in the next ten weeks (or overdue)."""
        assert plan.row is not None and plan.iro is not None and plan.iro.row is not None
        first_free = self.calendar.next_working_day_on_or_after(
            self.calendar.add_working_days(self.today, 1)
        )
        if overdue:
            booked = self.working_days_after(self.today, 1, 10)
        elif practical_due <= self.today + timedelta(days=70) and self.rng.random() < 0.7:
            booked = max(
                first_free, self.calendar.add_working_days(practical_due, -self.rng.randint(0, 8))
            )
        else:
            return
        self.session.add(
            ReviewBooking(child_pk=plan.row.id, booked_for=booked, booked_by_id=plan.iro.row.id)
        )
        self.summary.bookings += 1

    # -- missing episodes ----------------------------------------------------------------------

    async def write_missing(self, plans: list[_ChildPlan]) -> None:
        rng = self.rng
        old_enough = [p for p in plans if (self.today - p.dob).days >= 11 * 365 + 3]
        if not old_enough:
            return
        count = min(len(old_enough), max(3, round(len(plans) * MISSING_SHARE)))
        chosen = rng.sample(old_enough, count)
        # First: one of Alex's young people (so the Playground shows it) with 3 episodes inside
        # 3 months, which needs a strategy meeting (MISS-STRAT). Second: one who goes missing
        # again and again through the year. Third: one missing now. The rest once or twice.
        alex_first = [p for p in chosen if p.iro is self.iros[0]]
        if alex_first:
            chosen.remove(alex_first[0])
            chosen.insert(0, alex_first[0])
        for i, plan in enumerate(chosen):
            if i == 0:
                starts = [self.today - timedelta(days=d) for d in rng.sample(range(3, 76), 3)]
            elif i == 1:
                starts = [self.days_ago(10, 360) for _ in range(rng.randint(8, 12))]
            else:
                times = _weighted(rng, ((1, 6), (2, 3), (4, 1)))
                starts = [self.days_ago(3, 360) for _ in range(times)]
            missing_now = self.days_ago(0, 1) if i == 2 else None
            if missing_now is not None:
                starts.append(missing_now)
            for started in sorted(set(starts)):  # one episode per start date
                await self.write_episode(plan, started, started == missing_now)
            self.summary.children_missing += 1

    async def write_episode(self, plan: _ChildPlan, started: date, still_missing: bool) -> None:
        rng = self.rng
        assert plan.row is not None
        if still_missing:
            ended = None
        else:
            ended = started + timedelta(days=_weighted(rng, ((0, 70), (1, 16), (2, 6), (3, 3))))
            if ended >= self.today:
                ended = None
        offered = outcome = None
        where = None
        if ended is not None:
            outcome = _weighted(rng, RHI_OUTCOMES)
            where = _weighted(rng, WHERE_FOUND)
            if outcome != "not_recorded":
                due = return_home_interview_due(ended, self.rules).due
                late = rng.random() < 0.15
                offered = (
                    due + timedelta(days=rng.randint(1, 4))
                    if late
                    else (ended + timedelta(days=rng.randint(0, (due - ended).days)))
                )
                if offered >= self.today:
                    offered, outcome = None, "not_recorded"
        self.session.add(
            MissingEpisode(
                child_pk=plan.row.id,
                started_on=started,
                ended_on=ended,
                kind="M" if rng.random() < 0.85 else "A",
                rhi_offered_on=offered,
                rhi_outcome=outcome or "not_recorded",
                where_found=where,
                source=SOURCE,
            )
        )
        self.summary.missing_episodes += 1

    # -- child protection ----------------------------------------------------------------------

    async def write_cp_plans(self, plans: list[_ChildPlan]) -> None:
        """Two CP plans: one ongoing, one that ended when the child came into care."""
        rules, cal = self.rules, self.calendar
        # Family Safeguarding children who were on a plan for a while before coming into care.
        young = [
            p
            for p in plans
            if p.area.startswith("Family Safeguarding") and (p.since - p.dob).days > 300
        ]
        if len(young) < 2:
            return
        ongoing, ended = self.rng.sample(young, 2)
        for plan, strategy, until in (
            (ongoing, self.days_ago(150, 260), self.today),
            (ended, plan_start_before(ended.since, self.rng), ended.since),
        ):
            strategy = cal.next_working_day_on_or_after(strategy)
            if strategy <= plan.dob:
                continue
            assert plan.row is not None
            icpc = cal.add_working_days(
                initial_conference_due(strategy, rules).due, -self.rng.randint(0, 3)
            )
            if icpc >= until:
                continue
            cp = CpPlan(
                child_pk=plan.row.id,
                strategy_discussion_on=strategy,
                initial_conference_on=icpc,
                ended_on=None if plan is ongoing else until,
            )
            self.session.add(cp)
            await self.session.flush()
            self.session.add(CpConference(cp_plan_id=cp.id, held_on=icpc, kind="initial"))
            held: list[date] = []
            while True:
                due = next_review_conference_due(icpc, held, rules)
                on = cal.add_working_days(due.practical_due, -self.rng.randint(0, 5))
                if on >= until:
                    break
                held.append(on)
                self.session.add(CpConference(cp_plan_id=cp.id, held_on=on, kind="review"))
            self.summary.cp_plans += 1

    # -- Issues Resolutions --------------------------------------------------------------------

    def owner(self, plan: _ChildPlan, stage: str) -> str | None:
        """Who answers at ``stage`` for this child: the social worker's line manager for the
        informal stage, else the nearest manager above the social worker with the stage's role."""
        role = self.rules.stage(stage).owner_role
        chain = plan.social_worker.chain()
        if role == "line_manager":
            return chain[0].email if chain else None
        return next((p.email for p in chain if p.role == role), None)

    def run_ir(
        self,
        plan: _ChildPlan,
        script: Sequence[tuple[str, str | None]],
        dates: Sequence[date],
        reasons: Sequence[str],
    ) -> IR:
        """Play ``script`` (("raise", stage), ("respond", None), ("escalate", "2"), ...) through
        the domain's actions on ``dates``."""
        rng, rules = self.rng, self.rules
        assert plan.iro is not None
        iro = plan.iro.email
        ir: IR | None = None
        for (step, stage), on in zip(script, dates, strict=True):
            if step == "raise":
                ir, _ = raise_ir(
                    rules,
                    child_id=plan.child_id,
                    raised_by=iro,
                    reasons=reasons,
                    description=IR_DESCRIPTIONS[reasons[0]],
                    on=on,
                    stage=stage,
                    owner=self.owner(plan, stage or rules.stages[0].key),
                    service_area=plan.area,
                    social_worker=plan.social_worker.email,
                )
                continue
            assert ir is not None
            answerer = ir.current_entry.owner
            if step == "respond":
                target = self.working_days_after(on, 5, 15) if rng.random() < 0.7 else None
                ir, _ = respond(
                    ir,
                    rules,
                    on=on,
                    response=rng.choice(IR_RESPONSES),
                    target_date=target,
                    by=answerer,
                )
            elif step == "decline":
                ir, _ = decline(ir, rules, on=on, reason=rng.choice(IR_DECLINES), by=answerer)
            elif step == "escalate":
                assert stage is not None
                ir, _ = escalate(
                    ir,
                    rules,
                    to_stage=stage,
                    on=on,
                    reason=rng.choice(IR_ESCALATIONS),
                    owner=self.owner(plan, stage),
                    by=iro,
                )
            elif step == "cafcass":
                ir, _ = refer_to_cafcass(ir, rules, on=on, by=iro)
            elif step == "resolve":
                ir, _ = resolve(ir, rules, on=on, outcome=IR_OUTCOMES[reasons[0]], by=iro)
            else:  # pragma: no cover - the scripts below are fixed
                raise ValueError(step)
        assert ir is not None
        return ir

    def reasons_for(self, plan: _ChildPlan) -> list[str]:
        rng = self.rng
        if plan.area == "SEN Service":
            first = "SEN/education provision delay"
        elif plan.area == "External provider":
            first = "care provider failure"
        else:
            first = _weighted(rng, IR_REASONS)
        chosen = [first]
        if rng.random() < 0.2:
            second = _weighted(rng, IR_REASONS)
            if second != first:
                chosen.append(second)
        return chosen

    async def write_irs(self, plans: list[_ChildPlan]) -> None:
        rng, cal = self.rng, self.calendar
        alex_megan = [
            p for p in plans if p.iro is self.iros[0] and p.social_worker.email == MEGAN.email
        ]
        others = [p for p in plans if p not in alex_megan]
        irs: list[IR] = []

        def backwards(gaps: Sequence[int]) -> list[date]:
            """Dates ending ``gaps[-1]`` working days before today, each gap apart."""
            dates, back = [], sum(gaps)
            for gap in gaps:
                dates.append(self.working_days_ago(back))
                back -= gap
            return dates

        # Open now: every stage has something waiting, and the Playground's managers have work.
        open_scripts: list[tuple[list[_ChildPlan], list[tuple[str, str | None]], list[int]]] = [
            # Stage 1 about Megan's children, waiting on Adele: one fresh, one past 5 days.
            (alex_megan, [("raise", "1")], [2]),
            (alex_megan, [("raise", "1")], [7]),
            # Informal, escalated to 1 and on to 2: waiting on Isaiah.
            (alex_megan, [("raise", None), ("escalate", "1"), ("escalate", "2")], [16, 6, 3]),
            # Stage 2, escalated to 3 and referred to Cafcass: waiting on Patti; IR-FORMAL
            # (20 working days from Stage 2) has passed.
            (others, [("raise", "2"), ("escalate", "3"), ("cafcass", None)], [24, 9, 2]),
            (others, [("raise", None)], [1]),
            (others, [("raise", None), ("respond", None)], [4, 2]),
            (others, [("raise", "1"), ("respond", None)], [6, 3]),
            (others, [("raise", "1"), ("decline", None)], [5, 2]),
            (others, [("raise", "2")], [3]),
        ]
        used: set[str] = set()

        def pick(pool: list[_ChildPlan]) -> _ChildPlan | None:
            free = [p for p in pool if p.child_id not in used] or [
                p for p in plans if p.child_id not in used
            ]
            if not free:
                return None
            chosen = rng.choice(free)
            used.add(chosen.child_id)
            return chosen

        for pool, script, gaps in open_scripts:
            plan = pick(pool)
            if plan is None:
                break
            irs.append(self.run_ir(plan, script, backwards(gaps), self.reasons_for(plan)))

        # Resolved during the last year: mostly informal or Stage 1 (report 21.5).
        resolved_scripts: list[tuple[list[tuple[str, str | None]], int]] = [
            ([("raise", None), ("respond", None), ("resolve", None)], 6),
            ([("raise", None), ("resolve", None)], 1),
            ([("raise", None), ("escalate", "1"), ("respond", None), ("resolve", None)], 2),
            ([("raise", "1"), ("respond", None), ("resolve", None)], 8),
            ([("raise", "1"), ("escalate", "2"), ("respond", None), ("resolve", None)], 2),
            ([("raise", "2"), ("respond", None), ("resolve", None)], 3),
            ([("raise", "3"), ("respond", None), ("resolve", None)], 1),
            ([("raise", "2"), ("decline", None), ("escalate", "4"), ("respond", None),
              ("resolve", None)], 1),
        ]  # fmt: skip
        for _ in range(max(1, round(len(plans) * 0.11))):
            plan = pick(others)
            if plan is None:
                break
            script = _weighted(rng, resolved_scripts)
            raised = cal.next_working_day_on_or_after(self.days_ago(60, 360))
            dates = [raised]
            for _step in script[1:]:
                dates.append(self.working_days_after(dates[-1], 1, 7))
            irs.append(self.run_ir(plan, script, dates, self.reasons_for(plan)))

        # Stored in the order raised, so the references count up with time, as they would.
        by_child = {p.child_id: p for p in plans}
        for ir in sorted(irs, key=lambda ir: (ir.raised_on, ir.child_id)):
            child = by_child[ir.child_id].row
            assert child is not None
            await add_ir(self.session, ir, self.rules, child_pk=child.id, source=SOURCE)
            self.summary.irs += 1
            if not ir.is_resolved:
                self.summary.irs_open += 1
                stages = self.summary.irs_open_by_stage
                stages[ir.current_stage] = stages.get(ir.current_stage, 0) + 1

    # -- the whole ----------------------------------------------------------------------------

    async def run(self) -> DemoSummary:
        per_area = self.areas_for(self.count)
        workers = self.plan_staff(per_area)
        plans = self.plan_children(per_area, workers)
        # Children who may be left overdue, spread across the caseloads (about a quarter of
        # them have a review due in the few weeks before today; see review_history).
        picked = self.rng.sample(plans, min(len(plans), 4 * self.overdue_target))
        self.overdue_candidates = {p.child_id for p in picked}
        await self.write_staff()
        for plan in plans:
            self.add_child(plan)
        await self.session.flush()  # one batch of inserts gives every child its id
        for plan in plans:
            self.add_periods_of_care(plan)
            await self.write_reviews(plan)
        # The stored schedule, written as the product writes it whenever a review is recorded.
        # After all the children: one flush of every review rather than one per child.
        for plan in plans:
            assert plan.row is not None
            await refresh_review_schedule(self.session, plan.row, self.rules)
        await self.write_missing(plans)
        await self.write_cp_plans(plans)
        await self.write_irs(plans)
        await self.session.flush()
        return self.summary


def plan_start_before(day: date, rng: random.Random) -> date:
    """A strategy discussion some months before ``day`` (a CP plan before coming into care)."""
    return day - timedelta(days=rng.randint(100, 220))


async def seed_demo(
    session: AsyncSession,
    rules: RuleSet,
    *,
    today: date,
    seed: int = 1,
    children: int = 200,
) -> DemoSummary:
    """Write the demo authority into ``session`` (the caller commits) and audit it.

    The store should be empty (``store_is_empty``): the demo's e-mails and child ids would
    collide with an earlier seeding, and it must never mix with a real authority's data.
    """
    if children < 1:
        raise ValueError("the demo needs at least one child")
    summary = await _Seeder(session, rules, seed, children, today).run()
    await record_audit(
        session,
        "demo.seed",
        entity_type="store",
        detail={"seed": seed, "today": today.isoformat(), **summary.as_dict()},
    )
    await session.flush()
    return summary


__all__ = [
    "PLAYGROUND_AREA",
    "PLAYGROUND_USERS",
    "DemoSummary",
    "PlaygroundUser",
    "seed_demo",
    "store_is_empty",
]
