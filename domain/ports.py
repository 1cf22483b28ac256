"""The ports the domain and its use cases read the store through, and the read models they return.

``storage/repositories`` implements these protocols over SQLAlchemy; tests may implement them
with plain lists. Everything here is standard library only, so the domain stays pure.

Who may see which child (domain.md section 5) is decided in ``domain.permissions.visibility_for``:
it turns a member of staff into a ``Visibility`` value. Every read of children takes one, so no
query can forget the policy, and a store turns the value into its own filter (SQL ``WHERE``, or
``Visibility.allows`` for an in-memory fake).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    """Staff roles, exactly as the people import spells them."""

    IRO = "iro"
    SOCIAL_WORKER = "social_worker"
    PRACTICE_SUPERVISOR = "practice_supervisor"
    TEAM_MANAGER = "team_manager"
    SERVICE_MANAGER = "service_manager"
    SERVICE_DIRECTOR = "service_director"
    DIRECTOR = "director"
    QA_MANAGER = "qa_manager"
    ADMIN = "admin"


# -- read models -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffMember:
    id: int
    email: str
    display_name: str
    role: str  # a Role value; kept as text so an unknown role read back fails closed, not loudly
    service_area: str | None = None
    aad_object_id: str | None = None
    teams_user_id: str | None = None
    manager_id: int | None = None
    delegate_id: int | None = None
    active: bool = True


@dataclass(frozen=True)
class ChildSummary:
    """What the bot shows about a child in a list or a card: no free text, no history."""

    pk: int  # the store's own key (stable, used in card actions)
    child_id: str  # the authority's identifier
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    service_area: str | None
    looked_after_since: date | None
    next_review_due: date | None
    next_review_practical: date | None  # last working day on or before next_review_due
    next_review_rule: str | None  # CIC-1, CIC-2, CIC-3 or CIC-BF
    next_review_number: int | None
    iro_id: int | None
    iro_name: str | None
    covering_iro_id: int | None
    covering_iro_name: str | None
    social_worker_id: int | None
    social_worker_name: str | None

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.given_name, self.family_name) if part)
        return name or self.child_id


@dataclass(frozen=True)
class NameCandidate:
    """A child's name for fuzzy ranking ("did you mean ...?") among the children a user sees."""

    pk: int
    child_id: str
    display_name: str
    normalised: str  # normalise_name(display_name): rank on this, show display_name
    given_name: str | None = None
    family_name: str | None = None


# -- the visibility policy ---------------------------------------------------------------------


@dataclass(frozen=True)
class Visibility:
    """Which children a reader may see. Build it with ``visibility_for`` (or ``SYSTEM``).

    The fields are alternatives (a child is visible when any one matches); all empty and
    ``everything`` False means nothing is visible.
    """

    everything: bool = False
    reviewing_iro_id: int | None = None  # the child's IRO or covering IRO
    social_worker_id: int | None = None  # the allocated social worker
    service_area: str | None = None

    @property
    def nothing(self) -> bool:
        return not self.everything and (
            self.reviewing_iro_id is None
            and self.social_worker_id is None
            and self.service_area is None
        )

    def allows(self, child: ChildSummary) -> bool:
        """The same policy for an in-memory child (fakes and double checks)."""
        if self.everything:
            return True
        return (
            (self.reviewing_iro_id is not None
             and self.reviewing_iro_id in (child.iro_id, child.covering_iro_id))
            or (self.social_worker_id is not None
                and child.social_worker_id == self.social_worker_id)
            or (self.service_area is not None and child.service_area == self.service_area)
        )  # fmt: skip


NOTHING = Visibility()
#: For scheduled jobs and the command line, which act for the service rather than a person.
SYSTEM = Visibility(everything=True)


# -- repositories ------------------------------------------------------------------------------


class StaffRepository(Protocol):
    async def by_id(self, staff_id: int) -> StaffMember | None: ...

    async def by_email(self, email: str) -> StaffMember | None:
        """Case-insensitive: e-mails and UPNs are stored lower-case."""
        ...

    async def by_aad_object_id(self, aad_object_id: str) -> StaffMember | None: ...

    async def identify(self, aad_object_id: str | None, email: str | None) -> StaffMember | None:
        """The active member of staff a Teams user is (AAD object id first, else e-mail/UPN).

        None means an unknown user: the caller refuses politely and shows no data.
        """
        ...

    async def by_ids(self, staff_ids: Sequence[int]) -> dict[int, StaffMember]: ...


class ChildRepository(Protocol):
    """Reads of children. Every method takes the reader's ``Visibility``: none bypasses it."""

    async def get(self, pk: int, visibility: Visibility) -> ChildSummary | None:
        """None when there is no such child *or* the reader may not see it (indistinguishable)."""
        ...

    async def get_by_child_id(self, child_id: str, visibility: Visibility) -> ChildSummary | None:
        """Exact match on the authority's identifier (surrounding spaces ignored)."""
        ...

    async def find_by_name(
        self, text: str, visibility: Visibility, limit: int = 20
    ) -> list[ChildSummary]:
        """Children whose name starts with ``text``, folded by ``normalise_name``.

        Matches a prefix of the full name ("zoe ob"), of the family name ("obrien") or of the
        given name ("zo"), and "family given" order ("obrien zoe"); an exact child id too. At
        most ``limit`` children, ordered by full name; fuzzy ranking is the caller's job.
        """
        ...

    async def candidate_names(
        self, visibility: Visibility, limit: int | None = None
    ) -> list[NameCandidate]:
        """Every visible child's name, for "closest names from your own caseload"."""
        ...

    async def due_between(
        self, iro_staff_id: int, first: date, last: date, visibility: Visibility
    ) -> list[ChildSummary]:
        """Children the IRO reviews or covers whose next review is due in ``[first, last]``.

        Ordered by due date, then name.
        """
        ...

    async def overdue(
        self, iro_staff_id: int, today: date, visibility: Visibility
    ) -> list[ChildSummary]:
        """Children the IRO reviews or covers whose next review was due before ``today``."""
        ...

    async def visible_to(
        self, visibility: Visibility, limit: int = 200, offset: int = 0
    ) -> list[ChildSummary]:
        """The reader's caseload, soonest due first (children with no date last)."""
        ...

    async def can_see(self, pk: int, visibility: Visibility) -> bool: ...
