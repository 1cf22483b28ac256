"""A fake Bot Connector: the part of the Bot Framework service a Teams bot talks back to.

The bot answers a turn by calling the ``serviceUrl`` on the inbound activity. Point that URL at a
``FakeConnector`` and every outbound call lands here, over real HTTP on 127.0.0.1, where it is
recorded and answered the way the Bot Connector answers it:

========  ==================================================  =====================
method    path                                                operation name
========  ==================================================  =====================
POST      /v3/conversations                                   ``create_conversation``
POST      /v3/conversations/{cid}/activities                  ``send``
POST      /v3/conversations/{cid}/activities/{aid}            ``reply``
PUT       /v3/conversations/{cid}/activities/{aid}            ``update``
DELETE    /v3/conversations/{cid}/activities/{aid}            ``delete``
GET       /v3/conversations/{cid}/members                     ``members``
GET       /v3/conversations/{cid}/pagedmembers                ``paged_members``
GET       /v3/conversations/{cid}/members/{mid}               ``member``
========  ==================================================  =====================

(The last three are what ``TeamsInfo.get_members/get_paged_members/get_member`` call; the roster
is ``FakeConnector.members``, the same for every conversation unless set per conversation.)

Faults: ``fail(operation, status=..., times=...)`` makes the next calls of an operation answer
with that status (and an ``ErrorResponse`` body, e.g. ``BotNotInConversationRoster``), and
``delay(operation, seconds)`` makes them slow; both are consumed in order, one per call.

Waiting: ``await connector.wait_for_activities(n)`` returns once ``n`` activities have been
posted (sent or replied), or fails after a timeout with what did arrive.

Used by the e2e tests (``conftest.py``) and by ``benchmarks/turn_bench.py``, so the handlers do
the least work that answers correctly: the floor the benchmark measures includes them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

OPERATIONS = (
    "create_conversation",
    "send",
    "reply",
    "update",
    "delete",
    "members",
    "paged_members",
    "member",
)
# The operations that deliver an activity to the user: what "the bot answered" means.
POSTING_OPERATIONS = frozenset({"send", "reply"})


@dataclass
class Recorded:
    """One call the bot made to the connector."""

    operation: str
    method: str
    path: str
    conversation_id: str | None
    # The activity id in the URL: the one replied to, updated or deleted.
    url_activity_id: str | None
    body: Any
    authorization: str | None
    status: int
    # The id this connector gave the posted activity (or the member id asked for).
    assigned_id: str | None = None

    @property
    def text(self) -> str | None:
        return self.body.get("text") if isinstance(self.body, dict) else None

    @property
    def activity_type(self) -> str | None:
        return self.body.get("type") if isinstance(self.body, dict) else None

    @property
    def attachments(self) -> list[dict[str, Any]]:
        if isinstance(self.body, dict):
            return list(self.body.get("attachments") or [])
        return []


@dataclass
class Fault:
    """What the next ``remaining`` calls of an operation get instead of the normal answer.

    ``status`` None means "answer normally, after ``delay`` seconds".
    """

    status: int | None = 500
    delay: float = 0.0
    body: Any = None
    remaining: int | None = 1  # None: every call from now on
    headers: Mapping[str, str] | None = None  # e.g. {"Retry-After": "2"} with a 429


@dataclass
class _Waiter:
    count: int
    predicate: Callable[[Recorded], bool]
    future: asyncio.Future[list[Recorded]]


@dataclass
class FakeConnector:
    """The fake connector server. ``async with FakeConnector() as connector: connector.url``."""

    members: list[dict[str, Any]] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0

    calls: list[Recorded] = field(default_factory=list, init=False)
    members_by_conversation: dict[str, list[dict[str, Any]]] = field(
        default_factory=dict, init=False
    )
    #: Called with each call before it is recorded; returning False drops it from ``calls``
    #: (the bot is still answered). ``benchmarks/faults.py`` uses it to kill the bot at an exact
    #: moment, and to model a message lost with the process that was sending it.
    observer: Callable[[Recorded], bool] | None = field(default=None, init=False)
    _faults: dict[str, list[Fault]] = field(default_factory=dict, init=False)
    _waiters: list[_Waiter] = field(default_factory=list, init=False)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1), init=False)
    _runner: web.AppRunner | None = field(default=None, init=False)
    _url: str | None = field(default=None, init=False)

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        conv = "/v3/conversations/{cid}"
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post(conv + "/activities", self._send)
        app.router.add_post(conv + "/activities/{aid}", self._reply)
        app.router.add_put(conv + "/activities/{aid}", self._update)
        app.router.add_delete(conv + "/activities/{aid}", self._delete)
        app.router.add_get(conv + "/members", self._members)
        app.router.add_get(conv + "/pagedmembers", self._paged_members)
        app.router.add_get(conv + "/members/{mid}", self._member)
        # No access log: the benchmark's floor should not pay for one.
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"
        return self._url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.cancel()
        self._waiters.clear()

    async def __aenter__(self) -> FakeConnector:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """The base URL to use as an activity's ``serviceUrl`` (no trailing slash)."""
        if self._url is None:
            raise RuntimeError("FakeConnector.start() has not been awaited")
        return self._url

    # -- what the tests read ------------------------------------------------------------------

    @property
    def activities(self) -> list[Recorded]:
        """Activities delivered (sent or replied, answered 2xx), in arrival order."""
        return [c for c in self.calls if c.operation in POSTING_OPERATIONS and c.status < 300]

    @property
    def updates(self) -> list[Recorded]:
        return [c for c in self.calls if c.operation == "update" and c.status < 300]

    @property
    def created_conversations(self) -> list[Recorded]:
        return [c for c in self.calls if c.operation == "create_conversation" and c.status < 300]

    def activities_in(self, conversation_id: str) -> list[Recorded]:
        return [a for a in self.activities if a.conversation_id == conversation_id]

    def texts(self, conversation_id: str | None = None) -> list[str | None]:
        found = self.activities if conversation_id is None else self.activities_in(conversation_id)
        return [a.text for a in found]

    def clear(self) -> None:
        """Forget recorded calls and pending faults (the roster stays)."""
        self.calls.clear()
        self._faults.clear()

    async def wait_for_activities(
        self,
        count: int,
        *,
        timeout: float = 5.0,
        conversation_id: str | None = None,
        after: int = 0,
    ) -> list[Recorded]:
        """Wait until ``count`` activities (in ``conversation_id``, if given) have been delivered,
        not counting the first ``after`` of them; return those ``count``."""

        def matches(call: Recorded) -> bool:
            return (
                call.operation in POSTING_OPERATIONS
                and call.status < 300
                and (conversation_id is None or call.conversation_id == conversation_id)
            )

        wanted = after + count
        current = [c for c in self.calls if matches(c)]
        if len(current) >= wanted:
            return current[after:wanted]
        future: asyncio.Future[list[Recorded]] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(wanted, matches, future)
        self._waiters.append(waiter)
        try:
            found = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            got = [c for c in self.calls if matches(c)][after:]
            raise AssertionError(
                f"expected {count} activities within {timeout}s, got {len(got)}: "
                f"{[(c.operation, c.activity_type, c.text) for c in got]}"
            ) from None
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
        return found[after:wanted]

    # -- configuring answers ------------------------------------------------------------------

    def set_members(
        self, members: Sequence[Mapping[str, Any]], *, conversation_id: str | None = None
    ) -> None:
        """The roster TeamsInfo sees: for every conversation, or for one."""
        roster = [dict(m) for m in members]
        if conversation_id is None:
            self.members = roster
        else:
            self.members_by_conversation[conversation_id] = roster

    def fail(
        self,
        operation: str,
        *,
        status: int = 500,
        times: int | None = 1,
        delay: float = 0.0,
        code: str = "ServiceError",
        message: str = "Injected fault",
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """The next ``times`` calls of ``operation`` (None: all) answer ``status`` with a
        Bot Connector ``ErrorResponse`` body; e.g. ``fail("reply", status=403,
        code="BotNotInConversationRoster")``."""
        body = {"error": {"code": code, "message": message}}
        return self._add_fault(operation, Fault(status, delay, body, times, headers))

    def delay(self, operation: str, seconds: float, *, times: int | None = 1) -> Fault:
        """The next ``times`` calls of ``operation`` (None: all) are answered normally, late."""
        return self._add_fault(operation, Fault(None, seconds, None, times))

    def _add_fault(self, operation: str, fault: Fault) -> Fault:
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; one of {', '.join(OPERATIONS)}")
        self._faults.setdefault(operation, []).append(fault)
        return fault

    def _next_fault(self, operation: str) -> Fault | None:
        queue = self._faults.get(operation)
        if not queue:
            return None
        fault = queue[0]
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
        return fault

    # -- handlers -----------------------------------------------------------------------------

    async def _handle(
        self,
        request: web.Request,
        operation: str,
        answer: Callable[[Recorded], tuple[int, Any]],
        *,
        read_body: bool = False,
    ) -> web.Response:
        body: Any = None
        if read_body and request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        call = Recorded(
            operation=operation,
            method=request.method,
            path=request.path,
            conversation_id=request.match_info.get("cid"),
            url_activity_id=request.match_info.get("aid"),
            body=body,
            authorization=request.headers.get("Authorization"),
            status=200,
        )
        fault = self._next_fault(operation)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status is not None:
                call.status = fault.status
                self._record(call)
                response = _json(fault.body, fault.status)
                response.headers.update(fault.headers or {})
                return response
        call.status, payload = answer(call)
        self._record(call)
        return _json(payload, call.status)

    def _record(self, call: Recorded) -> None:
        if self.observer is not None and not self.observer(call):
            return
        self.calls.append(call)
        if not self._waiters:
            return
        for waiter in list(self._waiters):
            if waiter.future.done():
                continue
            if waiter.predicate(call):
                found = [c for c in self.calls if waiter.predicate(c)]
                if len(found) >= waiter.count:
                    waiter.future.set_result(found)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids)}"

    async def _create_conversation(self, request: web.Request) -> web.Response:
        def answer(call: Recorded) -> tuple[int, Any]:
            call.assigned_id = self._new_id("conversation")
            activity_id = self._new_id("activity")
            return 200, {"id": call.assigned_id, "activityId": activity_id, "serviceUrl": self.url}

        return await self._handle(request, "create_conversation", answer, read_body=True)

    def _posted(self, call: Recorded) -> tuple[int, Any]:
        call.assigned_id = self._new_id("activity")
        return 200, {"id": call.assigned_id}

    async def _send(self, request: web.Request) -> web.Response:
        return await self._handle(request, "send", self._posted, read_body=True)

    async def _reply(self, request: web.Request) -> web.Response:
        return await self._handle(request, "reply", self._posted, read_body=True)

    async def _update(self, request: web.Request) -> web.Response:
        def answer(call: Recorded) -> tuple[int, Any]:
            call.assigned_id = call.url_activity_id
            return 200, {"id": call.url_activity_id}

        return await self._handle(request, "update", answer, read_body=True)

    async def _delete(self, request: web.Request) -> web.Response:
        return await self._handle(request, "delete", lambda call: (200, None))

    def _roster(self, conversation_id: str | None) -> list[dict[str, Any]]:
        if conversation_id is not None and conversation_id in self.members_by_conversation:
            return self.members_by_conversation[conversation_id]
        return self.members

    async def _members(self, request: web.Request) -> web.Response:
        return await self._handle(
            request, "members", lambda call: (200, self._roster(call.conversation_id))
        )

    async def _paged_members(self, request: web.Request) -> web.Response:
        def answer(call: Recorded) -> tuple[int, Any]:
            roster = self._roster(call.conversation_id)
            try:
                size = max(1, int(request.query.get("pageSize", "") or 50))
                start = int(request.query.get("continuationToken", "") or 0)
            except ValueError:
                return 400, {"error": {"code": "BadArgument", "message": "bad paging"}}
            page = roster[start : start + size]
            result: dict[str, Any] = {"members": page}
            if start + size < len(roster):
                result["continuationToken"] = str(start + size)
            return 200, result

        return await self._handle(request, "paged_members", answer)

    async def _member(self, request: web.Request) -> web.Response:
        def answer(call: Recorded) -> tuple[int, Any]:
            member_id = request.match_info["mid"]
            call.assigned_id = member_id
            for member in self._roster(call.conversation_id):
                if member_id in (member.get("id"), member.get("aadObjectId")):
                    return 200, member
            error = {"code": "MemberNotFoundInConversation", "message": "Member not found"}
            return 404, {"error": error}

        return await self._handle(request, "member", answer)


def _json(payload: Any, status: int) -> web.Response:
    if payload is None:
        return web.Response(status=status)
    return web.json_response(payload, status=status)


def teams_member(
    number: int,
    name: str,
    *,
    email: str | None = None,
    tenant_id: str = "00000000-0000-0000-0000-0000000000aa",
) -> dict[str, Any]:
    """A roster entry shaped like Teams' ``TeamsChannelAccount`` (ids are fake but well-formed:
    a ``29:`` MRI and an AAD object id)."""
    given, _, surname = name.partition(" ")
    upn = email or f"{given.lower()}@example.com"
    return {
        "id": f"29:1fake-user-mri-{number:04d}",
        "name": name,
        "aadObjectId": f"00000000-0000-0000-0000-{number:012d}",
        "givenName": given,
        "surname": surname,
        "email": upn,
        "userPrincipalName": upn,
        "tenantId": tenant_id,
        "userRole": "user",
    }
