"""Reminders: the four jobs that put due reminders into the outbox, each deciding with
``domain.reminders`` what is due today.

``ir``         IR-STAGE reminders to the stage owner (and delegate), the IRO's offer to escalate
               an overdue stage, IR-FORMAL warnings and breaches to the IRO and QA managers;
``reports``    CIC-REPORTS nudges to the social worker before a booked review;
``follow_ups`` CIC-DECISIONS and CIC-MINUTES reminders to the IRO;
``digest``     the weekly digest to each IRO.

When they run is the scheduler's business (``bot/workers/scheduler.py``: working days and hours,
a tick every few minutes); what each says is the surface's (``NudgeWording``, ``cards.nudges``),
handed in, because a reminder's card is rendered when it is enqueued and ``services/`` may not
import ``cards/``. The dispatcher delivers what lands in the outbox.

Shape (Netflix dispatch's scheduled jobs, with its lessons): ``_run_job`` gives each job its own
sessions and rolls back on failure, so one job failing leaves the others alone; inside a job,
``_each`` wraps every item that touches the store (one IR, one digest, one outbox row) in a
SAVEPOINT and ``_safely`` every piece of pure work (one booking's rules, one card), so one bad
record is logged (ids only) and skipped while the rest go out. Nothing here reads the clock:
``today`` and the time are passed in, and every rule is in the domain, tested without a clock.

Each job reads first (a snapshot), works out its reminders, drops those whose idempotency key
the outbox already holds, builds the cards of the rest, and only then opens a short write
transaction (``BEGIN IMMEDIATE`` on SQLite) for the new ones. So a tick with nothing new never
writes, and several bot instances ticking at once send each reminder once: the outbox ignores
a key it has seen (``storage.outbox.enqueue``).

Logs carry job names, counts, kinds, idempotency keys (IR references, record ids, staff ids and
dates) and exception classes: never names, card text or exception messages.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.permissions import CardRights, card_rights
from domain.ports import StaffMember
from domain.reminders import (
    BookingFacts,
    HeldReviewFacts,
    RecipientRole,
    Reminder,
    ReminderPolicy,
    booking_window,
    digest_due,
    digest_reminders,
    digest_window,
    follow_up_lookback,
    follow_up_reminders,
    ir_horizon,
    ir_reminders,
    job_applies,
    report_reminders,
)
from domain.rules import RuleSet
from services.ir_cards import IrCardView, LoadedIrCard, load_ir_card
from services.unit_of_work import SqlUnitOfWork
from storage.audit import record_audit
from storage.dispatch_queue import REPORT_TO
from storage.outbox import enqueue
from storage.reminder_queries import (
    ChildLabel,
    DigestData,
    active_iros,
    active_staff,
    booking_facts,
    child_labels,
    digest_data,
    existing_keys,
    held_review_facts,
    ir_candidates,
    ir_facts,
    qa_manager_ids,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: The digest lists decisions and minutes not sent for reviews held this far back (about three
#: months): older gaps are history to tidy in the case records, not this week's work.
DIGEST_LOOKBACK_WORKING_DAYS = 60


# -- what each reminder says (the surface's) ----------------------------------------------------


class Nudge(Protocol):
    def payload(self, **routing: Any) -> dict[str, Any]: ...


class NudgeWording(Protocol):
    """The cards of the four kinds of reminder; ``cards.nudges`` is the one in use."""

    def ir_nudge(self, reminder: Reminder, view: IrCardView, rights: CardRights,
                 today: date) -> Nudge: ...  # fmt: skip

    def reports_nudge(self, reminder: Reminder, child: ChildLabel, booked_for: date,
                      today: date) -> Nudge: ...  # fmt: skip

    def follow_up_nudge(self, reminder: Reminder, child: ChildLabel, held_on: date,
                        today: date) -> Nudge: ...  # fmt: skip

    def digest_nudge(self, data: DigestData, rules: RuleSet, today: date) -> Nudge | None: ...


# -- what a run did ----------------------------------------------------------------------------


@dataclass
class TickReport:
    """Counts only (they are logged)."""

    at: datetime  # local time
    skipped: str | None = None  # why nothing ran: "not a working day", "outside working hours"
    enqueued: Counter[str] = field(default_factory=Counter)  # by notification kind
    already: int = 0  # reminders whose key the outbox already held
    unreachable: int = 0  # recipients who are not active staff
    failed: int = 0  # items that failed (logged; the next tick tries them again)
    failed_jobs: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.enqueued.values())


@dataclass(frozen=True)
class Moment:
    """When the jobs run: the authority's today and local time, and the moment in UTC."""

    today: date
    local_time: time
    now_utc: datetime


@dataclass(frozen=True)
class _Outgoing:
    """A reminder with its payload, ready to enqueue."""

    reminder: Reminder
    payload: dict[str, Any]
    audit_children: Sequence[int] = ()  # the digest: children it names, for the audit log


# -- the jobs' frame ---------------------------------------------------------------------------


class ReminderJobs:
    """The four jobs over one store; ``enqueue_due`` runs them all for a moment."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        rules: RuleSet,
        policy: ReminderPolicy,
        wording: NudgeWording,
    ) -> None:
        self.sessions = sessions
        self.rules = rules
        self.policy = policy
        self.wording = wording
        # Digests with nothing in them this week: not sent, and not worked out again each run.
        self._empty_digests: set[str] = set()

    async def enqueue_due(self, moment: Moment, report: TickReport) -> None:
        """Enqueue every reminder due at ``moment`` not yet enqueued; counts in ``report``."""
        for name, gather in (
            ("ir", self._gather_irs),
            ("reports", self._gather_reports),
            ("follow_ups", self._gather_follow_ups),
            ("digest", self._gather_digests),
        ):
            await self._run_job(name, gather, moment, report)

    async def _run_job(
        self,
        name: str,
        gather: Callable[[AsyncSession, Moment, TickReport], Awaitable[list[_Outgoing]]],
        context: Moment,
        report: TickReport,
    ) -> None:
        """One job: read and build in one session, write the new reminders in another. A
        failure here rolls the job back and is logged; the other jobs still run."""
        try:
            async with self._transaction(write=False) as session:
                outgoing = await gather(session, context, report)
            if outgoing:
                await self._write(name, outgoing, context, report)
        except Exception as exc:
            report.failed_jobs.append(name)
            logger.error("Reminder job %s failed: %s", name, type(exc).__name__)

    @asynccontextmanager
    async def _transaction(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        """A session in an explicit transaction, so SAVEPOINTs nest on SQLite too (its driver
        otherwise opens the transaction at the first savepoint and commits when that is
        released). Writes take SQLite's write lock at once (``BEGIN IMMEDIATE``): reading and
        then upgrading could fail with "database is locked". Committed only when ``write``."""
        async with self.sessions() as session:
            connection = await session.connection()
            if connection.dialect.name == "sqlite":
                await connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            if write:
                await session.commit()
            else:
                await session.rollback()

    async def _each(
        self,
        session: AsyncSession,
        job: str,
        ident: object,
        report: TickReport,
        action: Callable[[], Awaitable[T]],
    ) -> T | None:
        """Run ``action`` (which uses the store) for one item inside a SAVEPOINT; on failure
        roll back that item only, log its id and the exception class, and return None."""
        savepoint = await session.begin_nested()
        try:
            result = await action()
        except Exception as exc:
            await savepoint.rollback()
            self._failed(job, ident, exc, report)
            return None
        await savepoint.commit()
        return result

    def _safely(self, job: str, ident: object, report: TickReport,
                action: Callable[[], T]) -> T | None:  # fmt: skip
        """The same for pure work (the rules, building a card): no savepoint needed."""
        try:
            return action()
        except Exception as exc:
            self._failed(job, ident, exc, report)
            return None

    @staticmethod
    def _failed(job: str, ident: object, exc: Exception, report: TickReport) -> None:
        report.failed += 1
        # The class, never the message: a message can quote the data (a name) it failed on.
        logger.error("Reminder job %s: item %s failed: %s", job, ident, type(exc).__name__)

    async def _new_for_active_staff(
        self, session: AsyncSession, reminders: Iterable[Reminder], report: TickReport
    ) -> tuple[list[Reminder], dict[int, StaffMember]]:
        """Reminders the outbox does not hold yet, to staff who are still active."""
        candidates = list({r.key: r for r in reminders}.values())
        held = await existing_keys(session, [r.key for r in candidates])
        report.already += len(held)
        fresh = [r for r in candidates if r.key not in held]
        staff = await active_staff(session, {r.recipient_id for r in fresh})
        reachable = [r for r in fresh if r.recipient_id in staff]
        report.unreachable += len(fresh) - len(reachable)
        return reachable, staff

    async def _write(
        self, job: str, outgoing: list[_Outgoing], context: Moment, report: TickReport
    ) -> None:
        enqueued: Counter[str] = Counter()
        async with self._transaction(write=True) as session:
            for item in outgoing:

                async def put(item: _Outgoing = item) -> bool:
                    reminder = item.reminder
                    new = await enqueue(session, key=reminder.key, kind=reminder.kind.value,
                                        recipient_staff_id=reminder.recipient_id,
                                        payload=item.payload, due_at=context.now_utc)  # fmt: skip
                    if new and item.audit_children:
                        # A digest lists children to someone: audited like "what's due for me".
                        detail = {"via": "digest", "for_staff_id": reminder.recipient_id,
                                  "children": list(item.audit_children)}  # fmt: skip
                        await record_audit(session, "child.list", entity_type="child",
                                           detail=detail)  # fmt: skip
                    return new

                new = await self._each(session, job, item.reminder.key, report, put)
                if new:
                    enqueued[item.reminder.kind.value] += 1
                elif new is not None:
                    report.already += 1  # another instance enqueued it since we looked
            if enqueued:
                await record_audit(session, "reminder.enqueue", entity_type="notification",
                                   detail={"job": job, "today": context.today.isoformat(),
                                           "kinds": dict(sorted(enqueued.items()))})  # fmt: skip
        report.enqueued.update(enqueued)

    # -- the jobs -----------------------------------------------------------------------------

    async def _gather_irs(
        self, session: AsyncSession, context: Moment, report: TickReport
    ) -> list[_Outgoing]:
        rules, today = self.rules, context.today
        if not job_applies("ir", rules):
            return []
        references = await ir_candidates(session, ir_horizon(today, rules))
        qa = await qa_manager_ids(session)
        reminders: list[Reminder] = []
        for reference in references:

            async def due(reference: str = reference) -> list[Reminder]:
                return ir_reminders(await ir_facts(session, reference), rules, today, qa)

            reminders += await self._each(session, "ir", reference, report, due) or []
        fresh, staff = await self._new_for_active_staff(session, reminders, report)
        loaded: dict[str, LoadedIrCard] = {}
        out: list[_Outgoing] = []
        for reminder in fresh:

            async def build(reminder: Reminder = reminder) -> _Outgoing:
                reference = reminder.ir_reference
                assert reference is not None  # every IR reminder names its IR
                if reference not in loaded:
                    loaded[reference] = await load_ir_card(
                        SqlUnitOfWork(session), rules, reference, today
                    )
                card = loaded[reference]
                viewer = staff[reminder.recipient_id]
                rights = card_rights(card.parties, viewer)
                nudge = self.wording.ir_nudge(reminder, card.view, rights, today)
                routing: dict[str, Any] = {
                    # An IR card: the dispatcher renders it again at send time for the
                    # recipient and keeps every copy up to date (services/ir_cards.py).
                    "ir_reference": reference, "ir_version": card.view.version, "ir_card": True,
                }  # fmt: skip
                iro = card.parties.raised_by_id
                if reminder.recipient_role is not RecipientRole.IRO and iro is not None:
                    routing[REPORT_TO] = iro  # the IRO is told if it cannot be delivered
                return _Outgoing(reminder, nudge.payload(**routing))

            built = await self._each(session, "ir", reminder.key, report, build)
            if built is not None:
                out.append(built)
        return out

    async def _gather_reports(
        self, session: AsyncSession, context: Moment, report: TickReport
    ) -> list[_Outgoing]:
        rules, today = self.rules, context.today
        if not job_applies("reports", rules):
            return []
        first, last = booking_window(today, rules, self.policy)
        bookings: dict[str, BookingFacts] = {}
        reminders: list[Reminder] = []
        for booking in await booking_facts(session, first, last):
            found = self._safely(
                "reports", f"booking-{booking.booking_id}", report,
                lambda booking=booking: report_reminders(booking, rules, today, self.policy),
            ) or []  # fmt: skip
            for reminder in found:
                bookings[reminder.subject] = booking
            reminders += found
        fresh, _ = await self._new_for_active_staff(session, reminders, report)
        labels = await child_labels(session, [r.child_pk for r in fresh])
        out: list[_Outgoing] = []
        for reminder in fresh:

            def build(reminder: Reminder = reminder) -> _Outgoing:
                assert reminder.child_pk is not None
                child = labels[reminder.child_pk]
                booked_for = bookings[reminder.subject].booked_for
                nudge = self.wording.reports_nudge(reminder, child, booked_for, today)
                routing: dict[str, Any] = {}
                if child.iro_id is not None and child.iro_id != reminder.recipient_id:
                    routing[REPORT_TO] = child.iro_id  # the IRO is waiting for these reports
                return _Outgoing(reminder, nudge.payload(**routing))

            built = self._safely("reports", reminder.key, report, build)
            if built is not None:
                out.append(built)
        return out

    async def _gather_follow_ups(
        self, session: AsyncSession, context: Moment, report: TickReport
    ) -> list[_Outgoing]:
        rules, today = self.rules, context.today
        if not job_applies("follow_ups", rules):
            return []
        held_from = follow_up_lookback(today, rules, self.policy)
        reviews: dict[str, HeldReviewFacts] = {}
        reminders: list[Reminder] = []
        for review in await held_review_facts(session, held_from, today):
            found = self._safely(
                "follow_ups", f"review-{review.review_id}", report,
                lambda review=review: follow_up_reminders(review, rules, today, self.policy),
            ) or []  # fmt: skip
            for reminder in found:
                reviews[reminder.subject] = review
            reminders += found
        fresh, _ = await self._new_for_active_staff(session, reminders, report)
        labels = await child_labels(session, [r.child_pk for r in fresh])
        out: list[_Outgoing] = []
        for reminder in fresh:

            def build(reminder: Reminder = reminder) -> _Outgoing:
                assert reminder.child_pk is not None
                held_on = reviews[reminder.subject].held_on
                child = labels[reminder.child_pk]
                nudge = self.wording.follow_up_nudge(reminder, child, held_on, today)
                return _Outgoing(reminder, nudge.payload())

            built = self._safely("follow_ups", reminder.key, report, build)
            if built is not None:
                out.append(built)
        return out

    async def _gather_digests(
        self, session: AsyncSession, context: Moment, report: TickReport
    ) -> list[_Outgoing]:
        rules, today, calendar = self.rules, context.today, self.rules.calendar
        if not digest_due(today, context.local_time, calendar, self.policy):
            return []
        iros = {iro.id: iro for iro in await active_iros(session)}
        due = digest_reminders(iros, today, context.local_time, calendar, self.policy)
        due = [r for r in due if r.key not in self._empty_digests]
        fresh, _ = await self._new_for_active_staff(session, due, report)
        first, last = digest_window(today, calendar, self.policy)
        held_from = calendar.add_working_days(today, -DIGEST_LOOKBACK_WORKING_DAYS)
        out: list[_Outgoing] = []
        for reminder in fresh:

            async def build(reminder: Reminder = reminder) -> _Outgoing | None:
                data = await digest_data(session, iros[reminder.recipient_id], first, last,
                                         held_from)  # fmt: skip
                nudge = self.wording.digest_nudge(data, rules, today)
                if nudge is None:
                    self._empty_digests.add(reminder.key)
                    return None
                return _Outgoing(reminder, nudge.payload(), audit_children=data.child_pks)

            built = await self._each(session, "digest", reminder.key, report, build)
            if built is not None:
                out.append(built)
        return out
