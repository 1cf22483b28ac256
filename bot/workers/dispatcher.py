"""Delivering the outbox: proactive Teams messages, each notification once, none lost silently.

``Dispatcher(adapter, sessions, app_id=...)`` runs until ``stop()``: it claims due
notifications (``storage.dispatch_queue.claim_due``: a lease, on PostgreSQL with ``FOR UPDATE
SKIP LOCKED``), delivers each one, and records what became of it. Several dispatchers (bot
instances, ``iro-bot worker`` processes) can share one store.

Delivering one notification
---------------------------
1. A stored 1:1 ``ConversationReference`` for the recipient (newest first, never a group chat or
   channel, never one marked unreachable): ``adapter.continue_conversation``.
2. Else a new 1:1 (``adapter.create_conversation``) with their **Teams user id** (``29:...``),
   learnt from their activities and from rosters. Only where that is unknown, with their AAD
   object id: Teams accepts a conversation created with an AAD id, but messages in it can then
   fail with ``UserNotFound`` (verified in the Agents Playground). The new reference is stored,
   so the next notification takes path 1.
3. Outcomes, each notification on its own (one failing never holds up another):

   ============================================  =========================================
   what happened                                 what the dispatcher does
   ============================================  =========================================
   accepted (2xx)                                ``sent``
   429, 408, 412, 5xx, 401, timeout, no answer   retry: capped exponential backoff with
                                                 jitter, ``Retry-After`` honoured (capped);
                                                 after ``max_attempts`` attempts ``failed``
   403/404, ``BotNotInConversationRoster``,      the reference is marked unreachable, the
   ``ConversationNotFound``, ``UserNotFound``;   notification ``unreachable``
   no Teams/AAD id; not (active) staff
   other 4xx (the connector refuses the message) ``failed``
   ============================================  =========================================

   ``failed`` and ``unreachable`` are audited (ids only) and, in the same transaction, a
   ``delivery_report`` notification is enqueued to the member of staff named by the payload's
   ``report_to_staff_id`` (for IR notifications, the raising IRO), saying in plain words who could
   not be reached, why, and what to do. A delivery report that cannot itself be delivered is
   marked ``failed`` and logged: never reported on, so there is no loop.

What "exactly once" means here
------------------------------
*Claiming* is exactly once: at any moment at most one dispatcher holds a notification's lease,
and every outcome is fenced by the claim's token, so a dispatcher that lost its lease cannot
overwrite another's result. *Delivery* is exactly once except in one window, which no design
can close because the Bot Connector has no idempotent send: **the connector accepted the
message, then the dispatcher died (or lost the database) before committing ``sent``**. The
notification's lease then expires and another dispatcher sends it again. So it is at-least-once
with the duplicate window kept small:

- ``sent`` is committed as soon as the connector answers: at once when nothing else is being
  recorded, else in the very next commit (a group commit: whatever finished while one commit
  ran goes into the next, so the window grows by one commit at most, and a busy dispatcher does
  one transaction for many deliveries); retried if the database blips, never left to a timer;
- the lease (``lease_seconds``) is much longer than one send can take: each send is cut off at
  ``send_timeout`` (the connector client's own socket timeout is lowered to match, so the
  thread msrest sends on gives up too instead of completing the send long after a retry was
  scheduled), and a claimed notification whose lease
  has less than ``send_timeout`` plus a margin left is released untried, not sent late;
- a timeout is ambiguous (the connector may have accepted the message before the answer was
  lost) and is retried: a possible duplicate, the price of not losing the message;
- every activity carries the idempotency key in ``channelData.iroNotification.key``, so a
  duplicate can be recognised (the tests and the benchmark count them at the fake connector).

How wide the window is, exactly: from the moment a send's request is written to the socket
until ``sent`` commits. Not only "accepted, then killed before recording": a request the
process wrote just before it died is still delivered by the kernel and accepted by the connector
after the death, and its lease-holder can never learn of it. So a crash duplicates at most the
sends it had in flight (``concurrency``), typically those whose requests had left. Rows it had
claimed but not begun are not duplicated: they were never sent. What a crashed dispatcher's
expired leases hold cannot be told apart (begun or not, accepted or not) without a record
written before every send, which would only label the doubt, not remove it; so they are sent
again. The choice is at-least-once over at-most-once: a reminder about a child's review seen
twice is better than one never seen.

Measured (``BENCHMARKS.md``, "Delivery" and RELIABILITY "Faults"): two dispatcher processes on
PostgreSQL delivered 10,000 notifications with no duplicate; killed by SIGKILL repeatedly
(``python -m benchmarks.faults kill-dispatch``), none were lost and each kill duplicated
0-8 sends with ``concurrency`` 8 (0-2 with 2), never more than ``concurrency``.

Logs carry ids, kinds, counts, HTTP statuses and Bot Framework error codes: never names,
message text or card content.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from botbuilder.core import BotAdapter, CardFactory, MessageFactory, TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)
from msrest.exceptions import ClientRequestError, HttpOperationError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.log_format import correlated
from bot.settings import Settings
from storage import dispatch_queue as queue
from storage.audit import record_audit
from storage.conversations import remember_conversation
from storage.dispatch_queue import (
    DELIVERY_REPORT_KIND,
    REPORT_TO,
    ClaimedNotification,
    Recipient,
    StoredReference,
    TeamsContext,
)
from storage.engine import session_factory
from storage.outbox import enqueue

logger = logging.getLogger(__name__)

#: Where a delivered activity carries its notification's idempotency key.
CHANNEL_DATA_KEY = "iroNotification"

# Statuses after which the same message may succeed later.
_RETRY_STATUSES = frozenset({401, 408, 412, 429})
# The recipient cannot be reached this way (bot not installed, conversation or user gone).
_UNREACHABLE_STATUSES = frozenset({403, 404})
_UNREACHABLE_CODES = frozenset(
    {"BotNotInConversationRoster", "ConversationNotFound", "UserNotFound", "BotDisabledByAdmin"}
)


@dataclass(frozen=True)
class DispatchPolicy:
    """How a dispatcher claims, paces and retries. The defaults suit production."""

    batch_size: int = 50  # claimed at a time; also how many claimed rows may wait to be sent
    concurrency: int = 8  # sends in flight at once
    lease_seconds: float = 120.0
    send_timeout: float = 20.0  # one continue_conversation/create_conversation, end to end
    poll_interval: float = 1.0  # how often to look for due work when there was none
    max_attempts: int = 8
    retry_base: float = 10.0  # first retry after 5-10 s, then doubling ...
    retry_cap: float = 900.0  # ... to at most 15 minutes (also the cap on Retry-After)

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.concurrency < 1 or self.max_attempts < 1:
            raise ValueError("batch_size, concurrency and max_attempts must be at least 1")
        if self.lease_seconds < 2 * self.send_timeout:
            # Otherwise a send could still be running when the lease ends and another dispatcher
            # takes the notification: a duplicate by design.
            raise ValueError("lease_seconds must be at least twice send_timeout")

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    @property
    def start_margin(self) -> float:
        """A send starts only with this much lease left: its timeout plus time to record it."""
        return self.send_timeout + min(5.0, self.lease_seconds / 10)


@dataclass
class DispatchStats:
    """Counts since start (for logs, tests and the benchmark)."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0
    released: int = 0
    reported: int = 0
    created_conversations: int = 0
    # Delivered, but the lease had been lost before ``sent`` was recorded: a possible duplicate.
    lost_leases: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Delivered:
    """Where a notification landed: what a card update later needs (``update_activity``)."""

    conversation_id: str
    activity_id: str | None
    service_url: str
    via: str  # "reference", "teams_id" or "aad_id"
    # The reference to store when the conversation was created for this delivery.
    new_reference: dict[str, Any] | None = None


#: Called right before a send, in a read transaction: returns the payload to send (e.g. an IR
#: card rendered now, for this recipient, so a notification that waited in the outbox while the
#: IR moved on is still true; ``services.ir_cards.prepare_delivery``).
PrepareHook = Callable[[AsyncSession, ClaimedNotification], Awaitable[Mapping[str, Any]]]
#: Called in the transaction that records ``sent`` (only if this dispatcher still held the
#: lease), with the payload as prepared: e.g. to remember which message shows an IR's card so
#: it can be updated in place (``services.ir_cards.record_delivery``).
SentHook = Callable[[AsyncSession, ClaimedNotification, Delivered], Awaitable[None]]


@dataclass(frozen=True)
class DispatchHooks:
    """What other parts of the bot add around a send. Both optional; see the types above."""

    prepare: PrepareHook | None = None
    on_sent: SentHook | None = None


@dataclass(eq=False)  # an exception: compared and hashed by identity
class DeliveryFailure(Exception):
    """Why a delivery did not happen, and what to do about it."""

    action: str  # "retry", "unreachable" or "failed"
    reason: str  # a short code for last_error and logs: "http 429 Throttled", "timeout"
    cause: str = "error"  # for the report: see REASONS
    status: int | None = None
    retry_after: float | None = None
    reference_id: int | None = None  # the stored reference that was refused
    new_reference: dict[str, Any] | None = None  # a conversation created before the failure

    def __str__(self) -> str:
        return self.reason


# What the IRO reads: why someone could not be reached, and what they can do about it.
REASONS = {
    "not_installed": "Teams says the IRO bot isn't installed for them (or they removed it)",
    "conversation_gone": "Teams says their chat with the IRO bot no longer exists",
    "user_not_found": "Teams doesn't recognise their account",
    "no_teams_identity": "they have never used the IRO bot and aren't in any team or chat it "
    "has been added to, so I have no way to message them yet",
    "not_staff": "they aren't an active member of staff in the IRO bot any more",
    "gave_up": "Teams kept failing to take the message",
    "rejected": "Teams refused the message",
    "error": "something went wrong on my side",
}
ADVICE_INSTALL = (
    "Please ask them to add the IRO bot in Teams (Apps, search for the IRO bot, Add), "
    "and contact them another way in the meantime."
)
ADVICE_OTHER = "Please contact them another way: I have stopped trying."


def report_text(name: str, cause: str, about: str | None, *, detail: str | None = None) -> str:
    """The plain-words message telling someone a notification could not be delivered."""
    reason = REASONS.get(cause, REASONS["error"])
    if detail:
        reason = f"{reason} ({detail})"
    advice = ADVICE_INSTALL if cause in {"not_installed", "no_teams_identity"} else ADVICE_OTHER
    text = f"I couldn't deliver a message to {name}: {reason}. {advice}"
    if about:
        text += f"\n\nThe message was: \u201c{about}\u201d"
    return text


def with_headline(card: dict[str, Any], text: str) -> dict[str, Any]:
    """``card`` with ``text`` as a wrapped first block (a new dict; the payload is left alone)."""
    headline = {"type": "TextBlock", "text": text, "wrap": True, "weight": "Bolder"}
    return {**card, "body": [headline, *card.get("body", [])]}


def build_activity(item: ClaimedNotification) -> Activity:
    """The message for a notification: its card (its text as the card's first line, its summary
    for notifications) or its text. The idempotency key rides in ``channelData``."""
    payload = item.payload
    card = payload.get("card")
    text = payload.get("text")
    if isinstance(card, dict):
        # The text goes inside the card, as its first line, not beside it: a text+card activity
        # is one message in Teams, but the Agents Playground splits it in two and answers 202
        # without an activity id, so that copy could never be edited in place. The summary is
        # what notifications show.
        if text:
            card = with_headline(card, str(text))
        activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
        summary = payload.get("summary") or text
        if summary:
            activity.summary = str(summary)[:500]
    elif text:
        activity = MessageFactory.text(str(text))
    else:
        raise DeliveryFailure("failed", "payload has no text or card", cause="error")
    # notification.alert: Teams also raises it in the recipient's activity feed.
    activity.channel_data = {
        "notification": {"alert": True},
        CHANNEL_DATA_KEY: {"key": item.key, "id": item.id},
    }
    return activity


def classify(error: BaseException, *, now: datetime) -> DeliveryFailure:
    """What a send failure means for the notification."""
    if isinstance(error, DeliveryFailure):
        return error
    if isinstance(error, TimeoutError):
        return DeliveryFailure("retry", "timeout", cause="gave_up", status=None)
    if isinstance(error, HttpOperationError):
        response = getattr(error, "response", None)
        status = getattr(response, "status_code", None)
        code = _error_code(error)
        reason = f"http {status} {code}".strip() if code else f"http {status}"
        headers = getattr(response, "headers", None) or {}
        retry_after = queue.parse_retry_after(headers.get("Retry-After"), now=now)
        if status in _UNREACHABLE_STATUSES or code in _UNREACHABLE_CODES:
            cause = {
                "ConversationNotFound": "conversation_gone",
                "UserNotFound": "user_not_found",
            }.get(code or "", "conversation_gone" if status == 404 else "not_installed")
            return DeliveryFailure("unreachable", reason, cause=cause, status=status)
        if isinstance(status, int) and (status in _RETRY_STATUSES or status >= 500):
            return DeliveryFailure(
                "retry", reason, cause="gave_up", status=status, retry_after=retry_after
            )
        return DeliveryFailure("failed", reason, cause="rejected", status=status)
    if isinstance(error, ClientRequestError | OSError):
        # Connection refused/reset, DNS, the requests-level timeout: the message may not have
        # reached the connector; try again.
        return DeliveryFailure("retry", f"no answer ({type(error).__name__})", cause="gave_up")
    # A bug or an unforeseen botbuilder error: bounded retries, then failed and reported.
    return DeliveryFailure("retry", f"error {type(error).__name__}", cause="error")


def _error_code(error: HttpOperationError) -> str | None:
    body = getattr(error, "error", None)
    inner = getattr(body, "error", None)
    code = getattr(inner, "code", None)
    return str(code) if code else None


def default_name() -> str:
    """A dispatcher's name: host, pid and a random suffix (unique even across restarts)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _utcnow() -> datetime:
    return datetime.now(UTC)


_Job = tuple[ClaimedNotification, Recipient | None]
# Deliveries recorded in one transaction at most.
_MAX_GROUP_COMMIT = 200


@dataclass
class _SentRecord:
    item: ClaimedNotification
    recipient: Recipient
    delivered: Delivered
    # True: recorded; False: the lease had been lost; None: could not be recorded.
    done: asyncio.Future[bool | None]


class Dispatcher:
    """Claims due notifications and delivers them until ``stop()``; see the module docstring."""

    def __init__(
        self,
        adapter: BotAdapter,
        sessions: async_sessionmaker[AsyncSession],
        *,
        app_id: str = "",
        policy: DispatchPolicy | None = None,
        name: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
        hooks: DispatchHooks | None = None,
    ) -> None:
        self.adapter = adapter
        self.sessions = sessions
        self.app_id = app_id
        self.policy = policy or DispatchPolicy()
        self.name = (name or default_name())[:80]
        self.clock = clock
        self.hooks = hooks or DispatchHooks()
        self.stats = DispatchStats()
        self._claims = 0
        self._stopping = asyncio.Event()
        self._wakeup = asyncio.Event()
        self._hungry = asyncio.Event()
        self._queue: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._teams_context: TeamsContext | None = None
        # Connector clients whose socket timeout has been lowered to ``send_timeout``.
        self._prepared_clients: weakref.WeakSet[Any] = weakref.WeakSet()
        self._running = False
        self._sent_pending: list[_SentRecord] = []
        self._sent_flusher: asyncio.Task[None] | None = None
        # Sends in progress, and "the last claim found nothing while nothing was in flight".
        self._busy = 0
        self._idle = asyncio.Event()

    # -- control ------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask ``run`` to finish: sends in flight complete, claimed rows not yet tried are
        released at once (another dispatcher can take them without waiting for the lease)."""
        self._stopping.set()

    def wake(self) -> None:
        """Look for due work now rather than at the next poll (e.g. right after an enqueue)."""
        self._wakeup.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def run(self) -> None:
        """Deliver until ``stop()``. Never raises for a delivery or a store failure."""
        if self._running:
            raise RuntimeError("this dispatcher is already running")
        self._running = True
        logger.info(
            "Dispatcher %s started (batch %d, concurrency %d, lease %.0fs, max attempts %d)",
            self.name,
            self.policy.batch_size,
            self.policy.concurrency,
            self.policy.lease_seconds,
            self.policy.max_attempts,
        )
        workers = [
            asyncio.create_task(self._work(), name=f"dispatch-{index}")
            for index in range(self.policy.concurrency)
        ]
        try:
            await self._feed()
        finally:
            # Workers release whatever is still queued (stopping is set), then take a sentinel.
            self._stopping.set()
            for _ in workers:
                self._queue.put_nowait(None)
            await asyncio.gather(*workers, return_exceptions=True)
            self._running = False
            logger.info("Dispatcher %s stopped: %s", self.name, self.stats.as_dict())

    async def run_until_idle(self, *, timeout: float = 30.0) -> DispatchStats:
        """Deliver until nothing is due now and nothing is in flight, then stop (for tests and
        scripts; a retry scheduled for later is left for a later run)."""

        async def stop_when_idle() -> None:
            await self._idle.wait()
            self.stop()

        watcher = asyncio.create_task(stop_when_idle())
        try:
            async with asyncio.timeout(timeout):
                await self.run()
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            self._stopping.clear()
            self._idle.clear()
        return self.stats

    # -- claiming -----------------------------------------------------------------------------

    async def _feed(self) -> None:
        low_water = max(1, self.policy.batch_size // 2)
        backoff = self.policy.poll_interval
        while not self.stopping:
            if self._queue.qsize() > low_water:
                self._hungry.clear()
                await self._wait(self._hungry, timeout=None)
                continue
            want = self.policy.batch_size - self._queue.qsize()
            # Read before claiming: whatever a finished send enqueued (a delivery report) was
            # committed before it stopped being busy, so this claim sees it.
            quiet = self._busy == 0 and self._queue.qsize() == 0
            try:
                jobs = await self._claim(want)
            except Exception as exc:  # the store is down or busy: keep trying, gently
                logger.warning(
                    "Dispatcher %s could not claim work: %s (retrying in %.0fs)",
                    self.name,
                    type(exc).__name__,
                    backoff,
                )
                await self._wait(self._wakeup, timeout=backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = self.policy.poll_interval
            for job in jobs:
                self._queue.put_nowait(job)
            if len(jobs) < want:
                if quiet and not jobs:
                    self._idle.set()
                # Nothing more due now: wait for the poll interval, a wake-up or stop.
                self._wakeup.clear()
                await self._wait(self._wakeup, timeout=self.policy.poll_interval)

    async def _claim(self, limit: int) -> list[_Job]:
        now = self.clock()
        self._claims += 1
        # Unique per claim, not just per dispatcher: a stalled batch of ours whose lease was
        # re-claimed by ourselves must not be able to record over the newer claim.
        token = f"{self.name}#{self._claims}"
        async with self.sessions() as session, session.begin():
            claimed = await queue.claim_due(
                session, token=token, now=now, lease=self.policy.lease, limit=limit
            )
            if not claimed:
                return []
            found = await queue.recipients(
                session, (c.recipient_staff_id for c in claimed if c.recipient_staff_id)
            )
            if any(not r.references and not r.service_url for r in found.values()):
                self._teams_context = await queue.latest_teams_context(session)
        self.stats.claimed += len(claimed)
        logger.debug("Dispatcher %s claimed %d", self.name, len(claimed))
        return [(c, found.get(c.recipient_staff_id or -1)) for c in claimed]

    async def _wait(self, event: asyncio.Event, *, timeout: float | None) -> None:
        """Until ``event`` or stop is set, or ``timeout`` seconds pass."""
        waiters = [
            asyncio.ensure_future(event.wait()),
            asyncio.ensure_future(self._stopping.wait()),
        ]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    # -- delivering ---------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            if job is None:
                return
            if self._queue.qsize() <= self.policy.batch_size // 2:
                self._hungry.set()
            self._busy += 1
            try:
                await self._handle(*job)
            except Exception as exc:  # a bug here must not stop the other deliveries
                logger.error(
                    "Dispatcher %s: notification %d not handled: %s (its lease will expire "
                    "and it will be tried again)",
                    self.name,
                    job[0].id,
                    type(exc).__name__,
                )
            finally:
                self._busy -= 1

    async def _handle(self, item: ClaimedNotification, recipient: Recipient | None) -> None:
        with correlated("notification"):  # every line about this notification carries its id
            await self._handle_one(item, recipient)

    async def _handle_one(self, item: ClaimedNotification, recipient: Recipient | None) -> None:
        now = self.clock()
        left = (item.lease_until - now).total_seconds()
        if self.stopping or left < self.policy.start_margin:
            await self._release(item)
            return
        if item.attempts > self.policy.max_attempts:
            # Only reachable through repeated claims that never finished (crashes).
            failure = DeliveryFailure("failed", "attempts used up", cause="gave_up")
            await self._record_failure(item, recipient, failure)
            return
        if recipient is None or not recipient.active:
            failure = DeliveryFailure("unreachable", "not active staff", cause="not_staff")
            await self._record_failure(item, recipient, failure)
            return
        try:
            if self.hooks.prepare is not None:
                async with self.sessions() as session, session.begin():
                    item = replace(item, payload=dict(await self.hooks.prepare(session, item)))
            async with asyncio.timeout(self.policy.send_timeout):
                delivered = await self._deliver(item, recipient)
        except Exception as exc:
            await self._record_failure(item, recipient, classify(exc, now=self.clock()))
            return
        await self._record_sent(item, recipient, delivered)

    async def _deliver(self, item: ClaimedNotification, recipient: Recipient) -> Delivered:
        activity = build_activity(item)
        if recipient.references:
            reference = recipient.references[0]
            try:
                return await self._continue(reference, activity)
            except Exception as exc:
                failure = classify(exc, now=self.clock())
                failure.reference_id = reference.id
                raise failure from exc
        return await self._create(recipient, activity)

    async def _continue(self, stored: StoredReference, activity: Activity) -> Delivered:
        reference = ConversationReference().deserialize(stored.reference)
        await self._prepare_client(reference.service_url)
        sent: list[Any] = []

        async def send(turn_context: TurnContext) -> None:
            # Errors are kept, not raised: raised inside the pipeline they would reach the
            # adapter's on_turn_error (which apologises to the user) and be swallowed.
            try:
                sent.append(await turn_context.send_activity(activity))
            except Exception as exc:
                sent.append(exc)

        await self.adapter.continue_conversation(reference, send, bot_app_id=self.app_id)
        outcome = sent[0] if sent else RuntimeError("the send callback did not run")
        if isinstance(outcome, Exception):
            raise outcome
        return Delivered(
            conversation_id=reference.conversation.id,
            activity_id=getattr(outcome, "id", None),
            service_url=reference.service_url,
            via="reference",
        )

    async def _create(self, recipient: Recipient, activity: Activity) -> Delivered:
        if recipient.teams_user_id:
            member_id, via = recipient.teams_user_id, "teams_id"
        elif recipient.aad_object_id:
            member_id, via = recipient.aad_object_id, "aad_id"
        else:
            raise DeliveryFailure("unreachable", "no teams identity", cause="no_teams_identity")
        context = self._teams_context
        service_url = recipient.service_url or (context.service_url if context else None)
        if not service_url:
            raise DeliveryFailure("unreachable", "no service url", cause="no_teams_identity")
        tenant_id = recipient.tenant_id or (context.tenant_id if context else None)
        bot = dict(context.bot) if context and context.bot else {}
        bot.setdefault("id", f"28:{self.app_id}")
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=bot["id"], name=bot.get("name")),
            members=[ChannelAccount(id=member_id, aad_object_id=recipient.aad_object_id)],
            tenant_id=tenant_id,
            channel_data={"tenant": {"id": tenant_id}} if tenant_id else None,
        )
        await self._prepare_client(service_url)
        outcome: list[Any] = []

        async def send(turn_context: TurnContext) -> None:
            reference = TurnContext.get_conversation_reference(turn_context.activity)
            # The create activity names no user and no conversation type; say what it is.
            reference.activity_id = None
            reference.user = ChannelAccount(id=member_id, aad_object_id=recipient.aad_object_id)
            reference.conversation.conversation_type = "personal"
            outcome.append(reference.serialize())
            try:
                outcome.append(await turn_context.send_activity(activity))
            except Exception as exc:
                outcome.append(exc)

        await self.adapter.create_conversation(
            self.app_id, send, parameters, "msteams", service_url
        )
        self.stats.created_conversations += 1
        if len(outcome) < 2:
            raise RuntimeError("the create-conversation callback did not run")
        new_reference, result = outcome
        if isinstance(result, Exception):
            failure = classify(result, now=self.clock())
            failure.new_reference = new_reference
            raise failure from result
        return Delivered(
            conversation_id=new_reference["conversation"]["id"],
            activity_id=getattr(result, "id", None),
            service_url=service_url,
            via=via,
            new_reference=new_reference,
        )

    async def _prepare_client(self, service_url: str) -> None:
        """Lower the kept connector client's socket timeout to ``send_timeout``.

        msrest sends on a worker thread with ``requests`` (default timeout 100 s); cancelling
        the awaiting coroutine does not stop that thread. Were its socket timeout longer than
        ours, a send we had given up on (and scheduled for retry) could still land later: a
        duplicate. The client is shared with the bot's own replies, for which 20 s is ample.
        """
        # Only our adapter keeps clients; a stock one builds a new client per send anyway.
        authentication = getattr(self.adapter, "reusing_authentication", None)
        if authentication is None:
            return
        factory = authentication.create_connector_factory(
            self.adapter.create_claims_identity(self.app_id)  # type: ignore[attr-defined]
        )
        client = await factory.create(service_url, None)
        if client in self._prepared_clients:
            return
        connection = getattr(getattr(client, "config", None), "connection", None)
        if connection is not None:
            current = getattr(connection, "timeout", None)
            if current is None or current > self.policy.send_timeout:
                connection.timeout = self.policy.send_timeout
        self._prepared_clients.add(client)

    # -- recording ----------------------------------------------------------------------------

    async def _release(self, item: ClaimedNotification) -> None:
        try:
            async with self.sessions() as session, session.begin():
                released = await queue.release(session, item.id, item.token)
        except Exception as exc:  # the lease will expire and free it anyway
            logger.warning("Could not release notification %d: %s", item.id, type(exc).__name__)
            return
        if released:
            self.stats.released += 1

    async def _record_sent(
        self, item: ClaimedNotification, recipient: Recipient, delivered: Delivered
    ) -> None:
        """Record a delivery, in the next group commit (see ``_flush_sent``)."""
        record = _SentRecord(item, recipient, delivered, asyncio.get_running_loop().create_future())
        self._sent_pending.append(record)
        if self._sent_flusher is None or self._sent_flusher.done():
            self._sent_flusher = asyncio.create_task(self._flush_sent(), name="record-sent")
        mine = await record.done
        if mine is None:
            logger.error(
                "Notification %d was delivered but could not be recorded: it will be sent again "
                "when its lease expires",
                item.id,
            )
        elif mine:
            self.stats.sent += 1
            logger.debug("Notification %d (%s) sent via %s", item.id, item.kind, delivered.via)
        else:
            self.stats.lost_leases += 1
            logger.warning(
                "Notification %d was delivered after this dispatcher's lease was lost: "
                "another dispatcher may deliver it again",
                item.id,
            )

    async def _flush_sent(self) -> None:
        """Group commit: every delivery recorded while the previous commit ran goes into the
        next one, as one fenced UPDATE. Nothing waits for a batch to fill, so a lone delivery
        is recorded at once; under load, one transaction records many. The window in which a
        crash means a duplicate grows by at most one commit (a few ms), and the store does a
        fraction of the work, which is what lets several dispatchers keep up."""
        while self._sent_pending:
            batch = self._sent_pending[:_MAX_GROUP_COMMIT]
            del self._sent_pending[:_MAX_GROUP_COMMIT]
            try:
                mine = await self._write_sent(batch)
            except Exception as exc:
                # One by one, so a failing hook or a blip cannot hold the others back.
                logger.warning("Group commit of %d failed (%s)", len(batch), type(exc).__name__)
                for record in batch:
                    record.done.set_result(await self._write_sent_alone(record))
                continue
            for record in batch:
                record.done.set_result(record.item.id in mine)

    async def _write_sent(self, batch: list[_SentRecord], *, hooks: bool = True) -> set[int]:
        async with self.sessions() as session, session.begin():
            mine = await queue.mark_many_sent(
                session, [(r.item.id, r.item.token) for r in batch], now=self.clock()
            )
            for record in batch:
                if record.delivered.new_reference is not None:
                    await remember_conversation(
                        session, record.recipient.staff_id, record.delivered.new_reference, None
                    )
                if hooks and record.item.id in mine and self.hooks.on_sent is not None:
                    await self.hooks.on_sent(session, record.item, record.delivered)
        return mine

    async def _write_sent_alone(self, record: _SentRecord) -> bool | None:
        """Record one delivery, retrying: every moment until this commits is the window in
        which a crash means a duplicate. A hook that keeps failing is dropped, not the record:
        a delivery left unrecorded would be delivered again."""
        hooks = True
        for attempt, pause in enumerate((0.0, 0.2, 1.0, 3.0)):
            if pause:
                await asyncio.sleep(pause)
            try:
                return record.item.id in await self._write_sent([record], hooks=hooks)
            except Exception as exc:
                logger.warning(
                    "Could not record notification %d as sent (try %d%s): %s",
                    record.item.id,
                    attempt + 1,
                    "" if hooks else ", without the on-sent hook",
                    type(exc).__name__,
                )
                hooks = attempt < 1  # after two failures, try without the hook
        return None

    async def _record_failure(
        self, item: ClaimedNotification, recipient: Recipient | None, failure: DeliveryFailure
    ) -> None:
        now = self.clock()
        is_report = item.kind == DELIVERY_REPORT_KIND
        action = failure.action
        if action == "retry" and item.attempts >= self.policy.max_attempts:
            action = "failed"
        if action == "unreachable" and is_report:
            action = "failed"  # a report that cannot be delivered is never reported on
        delay = 0.0
        reported_to: int | None = None
        try:
            async with self.sessions() as session, session.begin():
                if failure.new_reference is not None and recipient is not None:
                    await remember_conversation(
                        session, recipient.staff_id, failure.new_reference, None
                    )
                if failure.action == "unreachable" and failure.reference_id is not None:
                    await queue.mark_conversation_unreachable(
                        session, failure.reference_id, now=now
                    )
                if action == "retry":
                    delay = queue.retry_delay(
                        item.attempts,
                        base=self.policy.retry_base,
                        cap=self.policy.retry_cap,
                        retry_after=failure.retry_after,
                    )
                    due_at = now + timedelta(seconds=delay)
                    mine = await queue.schedule_retry(
                        session, item.id, item.token, due_at=due_at, error=failure.reason
                    )
                else:
                    mark = queue.mark_unreachable if action == "unreachable" else queue.mark_failed
                    mine = await mark(session, item.id, item.token, error=failure.reason)
                    if mine and not is_report:
                        reported_to = await self._report(session, item, recipient, failure)
                    if mine:
                        await self._audit(session, item, action, failure, reported_to)
        except Exception as exc:
            logger.error(
                "Could not record the outcome of notification %d: %s (its lease will expire "
                "and it will be tried again)",
                item.id,
                type(exc).__name__,
            )
            return
        if not mine:
            self.stats.lost_leases += 1
            logger.warning("Notification %d: lease lost before its outcome was recorded", item.id)
            return
        if action == "retry":
            self.stats.retried += 1
            logger.info(
                "Notification %d (%s) attempt %d failed (%s): retry in %.1fs",
                item.id,
                item.kind,
                item.attempts,
                failure.reason,
                delay,
            )
            return
        if action == "unreachable":
            self.stats.unreachable += 1
        else:
            self.stats.failed += 1
        if reported_to is not None:
            self.stats.reported += 1
        # Nobody was told: an operator must see it.
        log = logger.warning if reported_to is not None else logger.error
        log(
            "Notification %d (%s) to staff %s %s after %d attempt(s): %s; reported to staff %s",
            item.id,
            item.kind,
            item.recipient_staff_id,
            action,
            item.attempts,
            failure.reason,
            reported_to,
        )

    @staticmethod
    async def _audit(
        session: AsyncSession,
        item: ClaimedNotification,
        action: str,
        failure: DeliveryFailure,
        reported_to: int | None,
    ) -> None:
        await record_audit(
            session,
            f"notification.{action}",
            entity_type="notification",
            entity_id=item.id,
            outcome="error",
            detail={
                "kind": item.kind,
                "recipient_staff_id": item.recipient_staff_id,
                "attempts": item.attempts,
                "error": failure.reason,
                "reported_to_staff_id": reported_to,
            },
        )

    async def _report(
        self,
        session: AsyncSession,
        item: ClaimedNotification,
        recipient: Recipient | None,
        failure: DeliveryFailure,
    ) -> int | None:
        """Enqueue, in the caller's transaction, the message telling the IRO concerned."""
        report_to = item.payload.get(REPORT_TO)
        if not isinstance(report_to, int) or isinstance(report_to, bool):
            return None
        if report_to == item.recipient_staff_id or not await queue.staff_exists(session, report_to):
            return None
        name = recipient.display_name if recipient is not None else "a member of staff"
        detail = None
        if failure.cause == "gave_up":
            detail = f"{item.attempts} attempts; the last: {failure.reason}"
        elif failure.cause == "rejected":
            detail = failure.reason
        about = item.payload.get("summary") or item.payload.get("text")
        about_text = str(about)[:300] if about else None
        await enqueue(
            session,
            key=f"delivery-report:{item.id}",
            recipient_staff_id=report_to,
            kind=DELIVERY_REPORT_KIND,
            payload={
                "text": report_text(name, failure.cause, about_text, detail=detail),
                "about_notification_id": item.id,
                "about_staff_id": item.recipient_staff_id,
                "cause": failure.cause,
            },
            due_at=self.clock(),
        )
        return report_to


# -- wiring -------------------------------------------------------------------------------------

DISPATCHER_KEY = web.AppKey("dispatcher", Dispatcher)
_DISPATCHER_TASK_KEY = web.AppKey("dispatcher_task", asyncio.Task)


def build_dispatcher(
    settings: Settings,
    adapter: BotAdapter,
    engine: AsyncEngine,
    *,
    policy: DispatchPolicy | None = None,
    name: str | None = None,
    hooks: DispatchHooks | None = None,
) -> Dispatcher:
    """The dispatcher as ``iro-bot worker`` and ``iro-bot serve`` run it: the one place that
    decides its default hooks (e.g. the IR cards' ``prepare``/``on_sent``), so both deliver
    alike."""
    return Dispatcher(
        adapter,
        session_factory(engine),
        app_id=settings.app_id,
        policy=policy,
        name=name,
        hooks=hooks or default_hooks(settings),
    )


def default_hooks(settings: Settings) -> DispatchHooks:
    """IR cards are rendered for each recipient at send time (so a card that waited in the
    outbox shows the IR as it is now), and where each was posted is recorded for later edits."""
    from cards.ir_card import ir_card
    from domain.rules import load_rules
    from services.clock import today_in
    from services.ir_cards import IrCardHooks

    rules = load_rules(settings.rules_path or None)
    cards = IrCardHooks(rules, today=lambda: today_in(rules.timezone), render=ir_card)
    return DispatchHooks(prepare=cards.prepare, on_sent=cards.on_sent)


def attach_dispatcher(app: web.Application, dispatcher: Dispatcher) -> None:
    """Run ``dispatcher`` for the life of ``app``: started with it, stopped (sends in flight
    finish, untried claims released) when it shuts down, before the adapter's clients close
    (so register this before the handler that closes them)."""

    async def start(app: web.Application) -> None:
        app[_DISPATCHER_TASK_KEY] = asyncio.create_task(dispatcher.run(), name="dispatcher")

    async def stop(app: web.Application) -> None:
        task = app.get(_DISPATCHER_TASK_KEY)
        if task is None:
            return
        dispatcher.stop()
        try:
            await asyncio.wait_for(task, dispatcher.policy.send_timeout + 10)
        except Exception as exc:  # shutdown goes on; leases expire and free the rows
            logger.warning("Dispatcher did not stop cleanly: %s", type(exc).__name__)

    app[DISPATCHER_KEY] = dispatcher
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
