"""The outbox as a work queue: claiming due notifications, and recording what became of them.

Every function here is one short statement (or two) on the caller's session; the caller owns
the transaction. ``bot/workers/dispatcher.py`` drives them; nothing here knows about Teams.

**Claiming** (``claim_due``) hands a dispatcher a *lease*: the rows it returns are ``sending``,
``claimed_by`` a token unique to that claim, ``claimed_until`` the lease's end. A row is due
when it is ``pending`` with ``due_at`` passed, or ``sending`` with its lease expired (the
dispatcher that claimed it died or stalled). Two dispatchers never hold the same row at once:

- PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` then ``UPDATE ... WHERE id = ANY(...)``, in
  one transaction. Rows another claimer has locked are skipped, not waited for; a row another
  claimer has already committed as ``sending`` fails the re-check PostgreSQL makes on the new
  row version, so it is not taken twice.
- SQLite: one ``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING``. SQLite has one writer
  at a time and the statement is atomic under the write lock, so the sub-select cannot see a
  row another claimer is taking.

**Fencing.** Every later change (``mark_sent``, ``schedule_retry``, ...) applies only ``WHERE
claimed_by = <my token> AND status = 'sending'``, and returns whether it applied. A dispatcher
whose lease expired and was taken over cannot overwrite the new owner's outcome.

``attempts`` counts attempts *begun*: it goes up when a row is claimed, so a notification that
kills its dispatcher every time (and so never reaches ``schedule_retry``) still runs out of
attempts. ``release`` gives the attempt back when a claimed row was never tried.

Times are passed in (``now``), never read here: tests control them, and every dispatcher
compares leases with the same kind of clock (UTC from the application host; hosts are assumed
NTP-synchronised to well within a lease).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationRef, Notification, Staff
from storage.outbox import NotificationStatus

#: Payload key naming the member of staff to tell when a notification cannot be delivered (for
#: IR notifications, the IRO who raised the IR). Without it a failure is logged and audited only.
REPORT_TO = "report_to_staff_id"
#: ``kind`` of the notifications that tell someone another notification could not be delivered.
#: They are never themselves reported on (no loops).
DELIVERY_REPORT_KIND = "delivery_report"

# Conversation types a notification may go to: a 1:1 chat with the bot. A reference stored from
# a group chat or a team channel is never used: a nudge about a child must not land in front of
# a whole team. None: channels that do not say (the emulator, the terminal) and only have 1:1s.
PERSONAL_CONVERSATION_TYPES = ("personal",)

# The UPDATEs here load no ORM objects, so there is nothing in the session to synchronise.
_NO_SYNC = {"synchronize_session": False}

_DUE_COLUMNS = (
    Notification.id,
    Notification.idempotency_key,
    Notification.recipient_staff_id,
    Notification.kind,
    Notification.payload,
    Notification.attempts,
    Notification.claimed_until,
)


@dataclass(frozen=True)
class ClaimedNotification:
    """A notification this dispatcher holds a lease on, identified by ``token``."""

    id: int
    key: str
    recipient_staff_id: int | None
    kind: str
    payload: dict[str, Any]
    # Attempts begun, including this one.
    attempts: int
    token: str
    lease_until: datetime


@dataclass(frozen=True)
class StoredReference:
    """A stored 1:1 conversation reference (``reference`` is the serialised Bot Framework
    ``ConversationReference``)."""

    id: int
    reference: dict[str, Any]
    service_url: str
    tenant_id: str | None


@dataclass(frozen=True)
class Recipient:
    """What the dispatcher needs to reach one member of staff."""

    staff_id: int
    display_name: str
    active: bool
    teams_user_id: str | None
    aad_object_id: str | None
    # Usable 1:1 references, newest first (none marked unreachable).
    references: tuple[StoredReference, ...] = ()
    # Where to open a new 1:1 if need be: from any of their references, newest first.
    service_url: str | None = None
    tenant_id: str | None = None


@dataclass(frozen=True)
class TeamsContext:
    """Where and as whom to open a 1:1 for someone the bot has never talked to: the newest
    Teams reference in the store (one authority is one tenant, served from one region)."""

    service_url: str
    tenant_id: str | None
    bot: dict[str, Any] = field(default_factory=dict)


def aware(moment: datetime | None) -> datetime | None:
    """``moment`` as an aware UTC datetime: SQLite hands timestamps back naive (they are UTC)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _is_postgresql(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def _due(now: datetime) -> Any:
    return or_(
        and_(Notification.status == NotificationStatus.PENDING, Notification.due_at <= now),
        and_(
            Notification.status == NotificationStatus.SENDING,
            Notification.claimed_until <= now,
        ),
    )


async def claim_due(
    session: AsyncSession,
    *,
    token: str,
    now: datetime,
    lease: timedelta,
    limit: int,
) -> list[ClaimedNotification]:
    """Lease up to ``limit`` due notifications to ``token`` (oldest due first)."""
    if limit <= 0:
        return []
    lease_until = now + lease
    claim = {
        "status": NotificationStatus.SENDING,
        "claimed_by": token,
        "claimed_until": lease_until,
        "attempts": Notification.attempts + 1,
    }
    if _is_postgresql(session):
        ids = list(
            await session.scalars(
                select(Notification.id)
                .where(_due(now))
                .order_by(Notification.due_at, Notification.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        statement = update(Notification).where(Notification.id.in_(ids))
    else:
        due_ids = (
            select(Notification.id)
            .where(_due(now))
            .order_by(Notification.due_at, Notification.id)
            .limit(limit)
        )
        statement = update(Notification).where(Notification.id.in_(due_ids.scalar_subquery()))
    rows = (
        await session.execute(
            statement.values(**claim).returning(*_DUE_COLUMNS), execution_options=_NO_SYNC
        )
    ).all()
    claimed = [
        ClaimedNotification(
            id=row.id,
            key=row.idempotency_key,
            recipient_staff_id=row.recipient_staff_id,
            kind=row.kind,
            payload=_as_dict(row.payload),
            attempts=row.attempts,
            token=token,
            lease_until=aware(row.claimed_until) or lease_until,
        )
        for row in rows
    ]
    # RETURNING gives no order guarantee; deliver oldest first as claimed.
    claimed.sort(key=lambda item: item.id)
    return claimed


def _as_dict(payload: Any) -> dict[str, Any]:
    if isinstance(payload, dict):
        return payload
    if isinstance(payload, str):  # a JSON column read back as text by some drivers
        value = json.loads(payload)
        return value if isinstance(value, dict) else {}
    return {}


def _mine(notification_id: int, token: str) -> Any:
    return and_(
        Notification.id == notification_id,
        Notification.claimed_by == token,
        Notification.status == NotificationStatus.SENDING,
    )


async def _fenced(session: AsyncSession, notification_id: int, token: str, **values: Any) -> bool:
    result = await session.execute(
        update(Notification).where(_mine(notification_id, token)).values(**values),
        execution_options=_NO_SYNC,
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_sent(
    session: AsyncSession, notification_id: int, token: str, *, now: datetime
) -> bool:
    """Record delivery; False when the lease was lost (someone else now holds the row)."""
    return await _fenced(
        session,
        notification_id,
        token,
        status=NotificationStatus.SENT,
        sent_at=now,
        claimed_until=None,
        last_error=None,
    )


async def mark_many_sent(
    session: AsyncSession, claims: Sequence[tuple[int, str]], *, now: datetime
) -> set[int]:
    """Record delivery of several claimed rows, each ``(id, token)``, in one statement (the
    dispatcher's group commit); returns the ids whose lease was still held."""
    if not claims:
        return set()
    result = await session.execute(
        update(Notification)
        .where(
            Notification.status == NotificationStatus.SENDING,
            tuple_(Notification.id, Notification.claimed_by).in_(list(claims)),
        )
        .values(status=NotificationStatus.SENT, sent_at=now, claimed_until=None, last_error=None)
        .returning(Notification.id),
        execution_options=_NO_SYNC,
    )
    return set(result.scalars())


async def schedule_retry(
    session: AsyncSession,
    notification_id: int,
    token: str,
    *,
    due_at: datetime,
    error: str,
) -> bool:
    """Put the row back in the queue, due again at ``due_at``."""
    return await _fenced(
        session,
        notification_id,
        token,
        status=NotificationStatus.PENDING,
        due_at=due_at,
        claimed_by=None,
        claimed_until=None,
        last_error=error[:500],
    )


async def mark_failed(
    session: AsyncSession, notification_id: int, token: str, *, error: str
) -> bool:
    """Give up on the row (bounded retries used up, or a message the connector refuses)."""
    return await _fenced(
        session,
        notification_id,
        token,
        status=NotificationStatus.FAILED,
        claimed_until=None,
        last_error=error[:500],
    )


async def mark_unreachable(
    session: AsyncSession, notification_id: int, token: str, *, error: str
) -> bool:
    """The recipient cannot be reached (bot not installed, chat gone, no longer staff)."""
    return await _fenced(
        session,
        notification_id,
        token,
        status=NotificationStatus.UNREACHABLE,
        claimed_until=None,
        last_error=error[:500],
    )


async def release(session: AsyncSession, notification_id: int, token: str) -> bool:
    """Hand back a claimed row that was never tried (stopping, or its lease ran short): it is
    due again at once, for any dispatcher, and the attempt the claim counted is given back."""
    return await _fenced(
        session,
        notification_id,
        token,
        status=NotificationStatus.PENDING,
        claimed_by=None,
        claimed_until=None,
        attempts=Notification.attempts - 1,
    )


async def mark_conversation_unreachable(
    session: AsyncSession, reference_id: int, *, now: datetime
) -> None:
    """A send through this reference came back 403/404: stop using it. The handler clears the
    mark when the person next talks to the bot (``storage.conversations``)."""
    await session.execute(
        update(ConversationRef)
        .where(ConversationRef.id == reference_id, ConversationRef.unreachable_since.is_(None))
        .values(unreachable_since=now),
        execution_options=_NO_SYNC,
    )


async def recipients(session: AsyncSession, staff_ids: Iterable[int]) -> dict[int, Recipient]:
    """Staff by id with their usable 1:1 references (two queries for a whole batch)."""
    wanted = sorted(set(staff_ids))
    if not wanted:
        return {}
    staff_rows = (
        await session.execute(
            select(
                Staff.id,
                Staff.display_name,
                Staff.active,
                Staff.teams_user_id,
                Staff.aad_object_id,
            ).where(Staff.id.in_(wanted))
        )
    ).all()
    ref_rows = (
        await session.execute(
            select(
                ConversationRef.id,
                ConversationRef.staff_id,
                ConversationRef.conversation_type,
                ConversationRef.channel_id,
                ConversationRef.service_url,
                ConversationRef.tenant_id,
                ConversationRef.reference_json,
                ConversationRef.unreachable_since,
            )
            .where(ConversationRef.staff_id.in_(wanted))
            .order_by(
                ConversationRef.staff_id,
                ConversationRef.updated_at.desc(),
                ConversationRef.id.desc(),
            )
        )
    ).all()
    usable: dict[int, list[StoredReference]] = {}
    hints: dict[int, tuple[str, str | None]] = {}
    for row in ref_rows:
        if row.service_url and row.staff_id not in hints:
            hints[row.staff_id] = (row.service_url, row.tenant_id)
        one_to_one = row.conversation_type in PERSONAL_CONVERSATION_TYPES or (
            row.conversation_type is None and row.channel_id != "msteams"
        )
        if not one_to_one or row.unreachable_since is not None:
            continue
        try:
            reference = json.loads(row.reference_json)
        except ValueError:
            continue
        usable.setdefault(row.staff_id, []).append(
            StoredReference(row.id, reference, row.service_url, row.tenant_id)
        )
    found: dict[int, Recipient] = {}
    for row in staff_rows:
        service_url, tenant_id = hints.get(row.id, (None, None))
        found[row.id] = Recipient(
            staff_id=row.id,
            display_name=row.display_name,
            active=bool(row.active),
            teams_user_id=row.teams_user_id,
            aad_object_id=row.aad_object_id,
            references=tuple(usable.get(row.id, ())),
            service_url=service_url,
            tenant_id=tenant_id,
        )
    return found


async def latest_teams_context(session: AsyncSession) -> TeamsContext | None:
    """The newest Teams conversation reference's service URL, tenant and bot account."""
    row = (
        await session.execute(
            select(
                ConversationRef.service_url,
                ConversationRef.tenant_id,
                ConversationRef.reference_json,
            )
            .where(ConversationRef.channel_id == "msteams", ConversationRef.service_url != "")
            .order_by(ConversationRef.updated_at.desc(), ConversationRef.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    try:
        bot = json.loads(row.reference_json).get("bot") or {}
    except ValueError:
        bot = {}
    return TeamsContext(row.service_url, row.tenant_id, bot if isinstance(bot, dict) else {})


async def staff_exists(session: AsyncSession, staff_id: int) -> bool:
    return (await session.scalar(select(Staff.id).where(Staff.id == staff_id))) is not None


async def counts_by_status(session: AsyncSession) -> dict[str, int]:
    """How many notifications are in each status (for the benchmark and for monitoring)."""
    rows = await session.execute(
        select(Notification.status, func.count()).group_by(Notification.status)
    )
    return {status: count for status, count in rows.all()}


# -- backoff --------------------------------------------------------------------------------------


def retry_delay(
    attempts: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before the next attempt, after ``attempts`` attempts have failed.

    Capped exponential backoff with "equal jitter": half the exponential step is fixed, half is
    random, so dispatchers that failed together (a 503 from the connector) do not retry together,
    and no retry comes sooner than half its step. A ``Retry-After`` the connector sent is a floor
    (429: Teams says when to come back), but is capped too, so a bogus header cannot park a
    notification for a week.
    """
    step = min(cap, base * (2 ** max(0, attempts - 1)))
    delay = step / 2 + (rng or random).uniform(0, step / 2)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, cap))
    return delay


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """A ``Retry-After`` header (delta-seconds or an HTTP date) in seconds, or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (aware(moment) - now).total_seconds())  # type: ignore[operator]
