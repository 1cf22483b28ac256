"""A fuzzer for ``/api/messages``: the real app on a seeded store, hostile requests, and checks.

Used by ``python -m benchmarks.hostile`` (thousands of requests, figures printed) and by
``tests/e2e/test_hostile.py`` (a few hundred, on SQLite and PostgreSQL). Everything is on
loopback: the bot, the fake Bot Connector its replies go to, the requests.

``hostile_world(database_url)`` starts the wired bot (``build_bot``) on the demo authority
(``seed_demo``, seed 7, today pinned), with every Agents Playground user having said "hello"
once (so the bot already knows their Teams ids). ``generate_cases(rng, world, n)`` draws
requests from the kinds below, from a seeded ``random.Random``; ``run_cases`` sends them one at
a time and checks each; ``Report`` holds the counts.

Kinds of request:

- ``body:*`` bodies that are not activities: malformed or truncated JSON, invalid UTF-8, JSON
  that is not an object, nesting 100,000 deep, wrong or missing Content-Type;
- ``wrong-type:<field>`` a message with one field (top level or nested) given a value of the
  wrong type; ``missing:<field>`` the same field removed;
- ``huge:*`` a message whose body is just under, or just over, the 1 MiB limit;
- ``text:<category>`` a message whose text comes from ``tests/hostile_text.py`` (surrogates,
  NUL, bidi overrides, zero-width, combining marks, emoji, long names, markup, markdown, SQL);
- ``value:*`` an Action.Submit-style message whose ``value`` is hostile (a forged choose-child
  button, a stale dialog nonce, wrong types);
- ``card:*`` forged ``adaptiveCard/action`` invokes: another user's IR (``card:not-theirs``), a
  stale version, unknown verbs, wrong data types, missing ids, unknown references, hostile text
  in every field; sent by demo staff (a refusal is audited against them) or by a stranger (the
  access refusal is audited).
- ``invoke:*`` invoke names the bot does not offer (botbuilder answers 501, the protocol's
  "not implemented"; counted apart from failures).

Every message goes to a new conversation, so no request can continue a dialog another began:
a single request can start a dialog but never confirm one. Card actions never combine an
entitled actor with the IR's current version (that would be a genuine action, not a forgery).

Checks per request: no 5xx (but the 501 above); no ERROR logged by the bot (``Turn failed``,
``IR card action ... failed``, a dialog parser failing); no apology sent; a card action by staff
adds audit entries, all refusals (or a refresh's read); a stranger's adds ``access.refused``.
Checks at the end (``Report.problems``): the business tables are unchanged row for row
(``snapshot``: every table but the audit log, the conversation state and the conversation
references, which a turn writes by design), and the server still answers a real question.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import APOLOGY, create_app
from bot.cli.demo_data import PLAYGROUND_USERS, seed_demo
from bot.handler import CARD_ACTION_FAILED
from bot.settings import Settings
from bot.wiring import build_bot
from cards.asking import SOMETHING_WRONG
from cards.elements import card_to_text
from domain.permissions import may_answer, may_direct
from domain.rules import load_rules
from services.ir_actions import CardVerb
from services.ir_cards import load_ir_card
from services.unit_of_work import SqlUnitOfWork
from storage.base import Base
from storage.engine import session_factory
from storage.migrate import upgrade
from storage.models import AuditEntry, IssueResolution, Staff
from storage.repositories.staff import to_staff_member
from tests.e2e.conftest import BotClient, TeamsUser, local_settings
from tests.e2e.fake_connector import FakeConnector
from tests.hostile_text import hostile_string

TODAY = date(2026, 11, 26)
DEMO_SEED = 7
BODY_LIMIT = 1024 * 1024  # aiohttp's client_max_size, which the app keeps
#: Written by every turn by design (conversation state, where to reach people), not business
#: data: compared by row count only. The audit log is the point: it must grow.
NOT_COMPARED = ("audit_log", "bot_state", "conversation_refs")
STRANGER = TeamsUser("29:1stranger-hostile", "11111111-2222-3333-4444-555555555555", "Someone")
DEMO_USERS = tuple(
    TeamsUser(f"29:1{u.email.split('@')[0]}-hostile", u.aad_object_id, u.display_name)
    for u in PLAYGROUND_USERS
)
#: What the bot says when a turn went wrong on its side: any of them is a failure here.
FAILURE_TEXTS = (APOLOGY, CARD_ACTION_FAILED, SOMETHING_WRONG)
RULES = load_rules()


# -- the world -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenIr:
    reference: str
    version: int
    #: AAD ids of the demo users who may answer or direct it (never sent its current version).
    entitled: frozenset[str]


@dataclass
class HostileWorld:
    engine: AsyncEngine
    url: str
    connector: FakeConnector
    session: aiohttp.ClientSession
    irs: list[OpenIr]
    children: list[tuple[int, str]]  # (pk, child_id) of every child, for forged buttons

    def client(self, user: TeamsUser) -> BotClient:
        """A client in a new personal conversation (fresh id: no dialog carries over)."""
        return BotClient(self.session, f"{self.url}/api/messages", self.connector, user=user)


@contextlib.asynccontextmanager
async def hostile_world(engine: AsyncEngine, tmp: Path) -> AsyncIterator[HostileWorld]:
    """The seeded bot on ``engine`` (an empty store; the caller disposes of the engine)."""
    settings: Settings = local_settings(tmp, database_url=str(engine.url))
    await upgrade(engine)
    async with session_factory(engine)() as session, session.begin():
        await seed_demo(session, RULES, today=TODAY, seed=DEMO_SEED)
    app = create_app(settings, build_bot(settings, engine, clock=lambda: TODAY), engine=engine)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        async with FakeConnector() as connector, aiohttp.ClientSession() as http:
            world = HostileWorld(engine, f"http://{host}:{port}", connector, http, [], [])
            for user in DEMO_USERS:  # the bot learns each user's Teams id, as on install
                await world.client(user).send("hello")
            world.irs = await _open_irs(engine)
            world.children = await _children(engine)
            yield world
    finally:
        await runner.cleanup()


async def _open_irs(engine: AsyncEngine) -> list[OpenIr]:
    async with session_factory(engine)() as session:
        references = list(await session.scalars(
            select(IssueResolution.reference).order_by(IssueResolution.id)))  # fmt: skip
        staff = {s.aad_object_id: to_staff_member(s) for s in await session.scalars(
            select(Staff).where(Staff.aad_object_id.is_not(None)))}  # fmt: skip
        irs = []
        for reference in references:
            loaded = await load_ir_card(SqlUnitOfWork(session), RULES, reference, TODAY)
            entitled = frozenset(aad for aad, member in staff.items()
                                 if may_answer(loaded.parties, member)
                                 or may_direct(loaded.parties, member))  # fmt: skip
            irs.append(OpenIr(reference, loaded.view.version, entitled))
        return irs


async def _children(engine: AsyncEngine) -> list[tuple[int, str]]:
    from storage.models import Child

    async with session_factory(engine)() as session:
        return [(pk, cid) for pk, cid in await session.execute(select(Child.id, Child.child_id))]


# -- snapshots -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    rows: dict[str, list[tuple[Any, ...]]]  # compared tables, every row in key order
    counts: dict[str, int]  # NOT_COMPARED tables: row counts


async def snapshot(engine: AsyncEngine) -> Snapshot:
    rows: dict[str, list[tuple[Any, ...]]] = {}
    counts: dict[str, int] = {}
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in NOT_COMPARED:
                counts[table.name] = await connection.scalar(
                    select(func.count()).select_from(table)
                )
                continue
            rows[table.name] = [tuple(r) for r in await connection.execute(_ordered(table))]
    return Snapshot(rows, counts)


def _ordered(table: Table) -> Any:
    return select(table).order_by(*table.primary_key.columns)


def differences(before: Snapshot, after: Snapshot) -> list[str]:
    """Tables whose rows changed, with how many rows differ."""
    changed = []
    for name, old in before.rows.items():
        new = after.rows.get(name, [])
        if old != new:
            gone, added = set(old) - set(new), set(new) - set(old)
            changed.append(f"{name}: {len(gone)} rows changed or removed, {len(added)} new")
    return changed


# -- cases ---------------------------------------------------------------------------------------


@dataclass
class Case:
    kind: str
    body: bytes
    content_type: str = "application/json"
    conversation_id: str | None = None
    #: "staff" (an audited refusal or read is expected), "stranger" (access.refused), or None.
    card_actor: str | None = None
    invoke_name: str | None = None


def _json(activity: Any) -> bytes:
    # allow_nan (the default) writes Infinity and NaN, which json.loads accepts; ensure_ascii
    # writes lone surrogates and NUL as \uXXXX escapes, as a hostile client would.
    return json.dumps(activity).encode()


WRONG_VALUES: tuple[Any, ...] = (None, 0, -1, 2**70, 1e308, float("inf"), float("nan"), True, "",
                                 "x", [], [1, "a"], {}, {"a": {"b": []}}, "9" * 200)  # fmt: skip
#: Paths into a message activity that are fuzzed (serviceUrl only by type: a reply must never
#: leave loopback, and ``from`` always keeps a consistent identity, see generate_cases).
FIELDS = (("type",), ("id",), ("timestamp",), ("localTimestamp",), ("serviceUrl",),
          ("channelId",), ("conversation",), ("conversation", "id"),
          ("conversation", "conversationType"), ("conversation", "tenantId"), ("recipient",),
          ("recipient", "id"), ("locale",), ("entities",), ("channelData",),
          ("channelData", "tenant"), ("text",), ("textFormat",), ("value",), ("attachments",),
          ("replyToId",), ("name",), ("from",))  # fmt: skip


def _set(activity: dict[str, Any], path: tuple[str, ...], value: Any, *, delete: bool) -> None:
    target = activity
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    if delete:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value


def generate_cases(rng: random.Random, world: HostileWorld, count: int) -> list[Case]:
    makers: list[tuple[Callable[[random.Random, HostileWorld], Case], int]] = [
        (_body_case, 8), (_field_case, 14), (_huge_case, 2), (_text_case, 30),
        (_value_case, 8), (_card_case, 34), (_invoke_case, 4),
    ]  # fmt: skip
    choices, weights = zip(*makers, strict=True)
    return [rng.choices(choices, weights)[0](rng, world) for _ in range(count)]


def _someone(rng: random.Random) -> TeamsUser:
    return rng.choice(DEMO_USERS) if rng.random() < 0.9 else STRANGER


def _body_case(rng: random.Random, world: HostileWorld) -> Case:
    client = world.client(_someone(rng))
    good = _json(client.message("when is the next review due?"))
    kind, body, content_type = rng.choice([
        ("truncated-json", good[: rng.randint(0, len(good) - 1)], "application/json"),
        ("random-bytes", rng.randbytes(rng.randint(1, 2000)), "application/json"),
        ("invalid-utf8", good.replace(b"when", b"\xff\xfe\xc3"), "application/json"),
        ("json-scalar", rng.choice([b"1", b'"x"', b"null", b"true", b"[]", b"[{}]"]),
         "application/json"),
        ("deep-nesting", b'{"type": "message", "value": ' + b"[" * 100_000 + b"]" * 100_000
         + b"}", "application/json"),
        ("deep-object", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "application/json"),
        ("duplicate-keys", good[:-1] + b', "type": "invoke", "type": 7}', "application/json"),
        ("wrong-content-type", good, rng.choice(["text/plain", "application/xml", "",
                                                 "application/json; charset=latin-1",
                                                 "application/json; charset=no-such-codec"])),
        ("bom", b"\xef\xbb\xbf" + good, "application/json"),
        ("utf16", good.decode().encode("utf-16"), "application/json"),
    ])  # fmt: skip
    return Case(f"body:{kind}", body, content_type, client.conversation_id)


def _field_case(rng: random.Random, world: HostileWorld) -> Case:
    user = _someone(rng)
    client = world.client(user)
    activity = client.message(rng.choice(("when is the next review due?", "my IRs", "help")))
    path = rng.choice(FIELDS)
    delete = rng.random() < 0.3
    value = copy.deepcopy(rng.choice(WRONG_VALUES))
    if path == ("from",) and not delete:
        # A sender whose fields are all the wrong type, or a stranger's shape with wrong types:
        # never a known aadObjectId with another Teams id (only a forged token could do that).
        value = rng.choice([value, {"id": value, "aadObjectId": value, "name": value}])
    _set(activity, path, value, delete=delete)
    label = ".".join(path)
    return Case(f"{'missing' if delete else 'wrong-type'}:{label}", _json(activity),
                conversation_id=client.conversation_id)  # fmt: skip


def _huge_case(rng: random.Random, world: HostileWorld) -> Case:
    client = world.client(_someone(rng))
    over = rng.random() < 0.5
    frame = client.message("")
    room = BODY_LIMIT - len(_json(frame))
    size = room + rng.randint(1, 4096) if over else room - rng.randint(1, 4096)
    piece, _ = hostile_string(rng)
    piece = piece.encode("utf-8", "replace").decode() or "x"
    # ASCII pieces keep the byte count honest; a non-ASCII piece is escaped as \uXXXX (6 bytes).
    unit = len(_json(piece)) - 2
    text = (piece * (size // max(unit, 1) + 1))[: max(size // max(unit, 1), 1) * len(piece)]
    body = _json(client.message(text))
    while len(body) > BODY_LIMIT and not over:
        text = text[: len(text) - max(len(text) // 100, 1)]
        body = _json(client.message(text))
    kind = "huge:over-limit" if len(body) > BODY_LIMIT else "huge:under-limit"
    return Case(kind, body, conversation_id=client.conversation_id)


def _text_case(rng: random.Random, world: HostileWorld) -> Case:
    client = world.client(_someone(rng))
    text, category = hostile_string(rng)
    return Case(f"text:{category}", _json(client.message(text)),
                conversation_id=client.conversation_id)  # fmt: skip


def _value_case(rng: random.Random, world: HostileWorld) -> Case:
    client = world.client(_someone(rng))
    pk = rng.choice(world.children)[0]
    hostile, _ = hostile_string(rng)
    kind, value = rng.choice([
        ("choose-child-no-question", {"iro_action": "choose_child", "child_pk": pk}),
        ("choose-child-wrong-type", {"iro_action": "choose_child",
                                     "child_pk": copy.deepcopy(rng.choice(WRONG_VALUES))}),
        ("choose-child-huge", {"iro_action": "choose_child", "child_pk": 10**rng.randint(10, 400)}),
        ("stale-dialog-nonce", {"iro_dialog": uuid.uuid4().hex, "child_pk": pk}),
        ("nonce-wrong-type", {"iro_dialog": copy.deepcopy(rng.choice(WRONG_VALUES))}),
        ("hostile-keys", {hostile: hostile, "iro_action": hostile}),
        ("not-an-object", copy.deepcopy(rng.choice(WRONG_VALUES))),
    ])  # fmt: skip
    activity = client.message(rng.choice(("", hostile)), value=value)
    return Case(f"value:{kind}", _json(activity), conversation_id=client.conversation_id)


VERBS = tuple(v.value for v in CardVerb if v is not CardVerb.REFRESH)
UNKNOWN_VERBS = ("ir.delete", "IR.RESPOND", "ir.respond ", "respond", "ir.", "admin", "ir.raise",
                 "refresh\x00", "ir.respond\u200b")  # fmt: skip


def _card_case(rng: random.Random, world: HostileWorld) -> Case:
    stranger = rng.random() < 0.08
    user = STRANGER if stranger else rng.choice(DEMO_USERS)
    client = world.client(user)
    ir = rng.choice(world.irs)
    entitled = user.aad_object_id in ir.entitled
    verb = rng.choice(VERBS)
    stale = ir.version + rng.choice((-1, 1, 2, 50, 10**9)) if ir.version > 1 else ir.version + 1
    data: Any = {"ir": ir.reference, "version": stale}
    hostile, category = hostile_string(rng)
    roll = rng.randrange(9)
    if roll == 0 and not entitled:
        kind, data["version"] = "not-theirs", ir.version  # another user's IR, current version
    elif roll == 0 or roll == 1:
        kind = "stale-version"
        data["version"] = rng.choice((stale, str(stale), float(stale)))
    elif roll == 2:
        kind, verb = "unknown-verb", rng.choice((*UNKNOWN_VERBS, hostile))
    elif roll == 3:
        kind = "wrong-type"
        key = rng.choice(("ir", "version", "response", "target_date", "to_stage", "outcome"))
        data[key] = copy.deepcopy(rng.choice(WRONG_VALUES))
        if key == "version" and entitled and data[key] == ir.version:
            data[key] = stale  # 1.0 or True could equal the current version: keep it forged
    elif roll == 4:
        kind = "missing-id"
        for key in rng.sample(["ir", "version"], rng.randint(1, 2)):
            del data[key]
    elif roll == 5:
        kind = "unknown-reference"
        data["ir"] = rng.choice(("IR-1999-0001", "IR-2026-9999", hostile, "x" * 5000))
        data["version"] = rng.choice((1, ir.version))
    elif roll == 6:
        kind = f"hostile-inputs:{category}"
        for key in ("response", "decline_reason", "escalate_reason", "outcome", "target_date",
                    "to_stage"):  # fmt: skip
            data[key] = hostile
    elif roll == 7:
        kind = "data-not-object"
        data = copy.deepcopy(rng.choice(WRONG_VALUES))
    else:
        kind = "refresh"
        verb = CardVerb.REFRESH.value
        data["version"] = rng.choice((ir.version, stale))
    activity = client.card_action(verb, data if isinstance(data, dict) else {})
    if not isinstance(data, dict):
        activity["value"]["action"]["data"] = data
    if kind == "unknown-verb" and rng.random() < 0.3:
        broken = (None, [], "x", {"type": "Action.Submit"}, {"type": "Action.Execute", "verb": 7})
        activity["value"]["action"] = rng.choice(broken)
        kind = "no-verb"
    actor = "stranger" if stranger else "staff"
    return Case(f"card:{kind}", _json(activity), conversation_id=client.conversation_id,
                card_actor=actor, invoke_name="adaptiveCard/action")  # fmt: skip


def _invoke_case(rng: random.Random, world: HostileWorld) -> Case:
    client = world.client(_someone(rng))
    name = rng.choice(("composeExtension/query", "task/fetch", "signin/verifyState",
                       "nonsense/invoke", "adaptiveCard/actionx", ""))  # fmt: skip
    value = copy.deepcopy(rng.choice(WRONG_VALUES))
    return Case(f"invoke:{name or 'empty-name'}", _json(client.invoke(name, value)),
                conversation_id=client.conversation_id, invoke_name=name)  # fmt: skip


# -- running -------------------------------------------------------------------------------------


class ErrorLog(logging.Handler):
    """Counts records at ERROR and above, from any logger (the bot's, aiohttp's, botbuilder's)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()[:300]}")


@dataclass
class Report:
    sent: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # one line per failing request
    card_actions: int = 0
    card_actions_audited: int = 0
    audit_rows_added: int = 0
    table_changes: list[str] = field(default_factory=list)
    not_compared: dict[str, tuple[int, int]] = field(default_factory=dict)
    still_answers: bool = False

    @property
    def problems(self) -> list[str]:
        found = list(self.failures)
        found += [f"data changed: {change}" for change in self.table_changes]
        if not self.still_answers:
            found.append("the server did not answer a real question afterwards")
        return found


async def run_cases(
    world: HostileWorld, cases: list[Case], *, seconds: float | None = None
) -> Report:
    """Send ``cases`` one at a time (stopping early after ``seconds``), checking each."""
    report = Report()
    errors = ErrorLog()
    root = logging.getLogger()
    root.addHandler(errors)
    before = await snapshot(world.engine)
    last_audit = await _last_audit_id(world.engine)
    started = time.perf_counter()
    try:
        for case in cases:
            if seconds is not None and time.perf_counter() - started > seconds:
                break
            logged = len(errors.messages)
            status, body = await _post(world, case)
            problem, outcome = _judge(world, case, status, body)
            if case.card_actor is not None and status == 200:
                report.card_actions += 1
                added = await _audit_since(world.engine, last_audit)
                audit_problem = _audit_problem(case, added)
                if audit_problem is None:
                    report.card_actions_audited += 1
                problem = problem or audit_problem
            new_errors = errors.messages[logged:]
            if new_errors and problem is None:
                problem = f"logged an error: {new_errors[0]}"
            last_audit = await _last_audit_id(world.engine)
            report.sent += 1
            report.statuses[status] += 1
            report.outcomes[outcome] += 1
            report.kinds[case.kind.split(":")[0]] += 1
            if problem is not None:
                report.failures.append(f"{case.kind}: {problem}")
        report.seconds = time.perf_counter() - started
    finally:
        root.removeHandler(errors)
    after = await snapshot(world.engine)
    report.table_changes = differences(before, after)
    report.not_compared = {n: (before.counts[n], after.counts[n]) for n in NOT_COMPARED}
    report.audit_rows_added = after.counts["audit_log"] - before.counts["audit_log"]
    report.still_answers = await _still_answers(world)
    return report


async def _post(world: HostileWorld, case: Case) -> tuple[int, Any]:
    headers = {"Content-Type": case.content_type}
    async with world.session.post(f"{world.url}/api/messages", data=case.body,
                                  headers=headers) as response:  # fmt: skip
        raw = await response.read()
    try:
        return response.status, json.loads(raw) if raw else None
    except ValueError:
        return response.status, raw.decode("utf-8", "replace")


def _judge(world: HostileWorld, case: Case, status: int, body: Any) -> tuple[str | None, str]:
    """(what went wrong or None, the outcome's name for the counts)."""
    replies = world.connector.activities_in(case.conversation_id) if case.conversation_id else []
    said = [_shown(r.body) for r in replies]
    if case.invoke_name == "adaptiveCard/action" and status == 200:
        said.append(_shown(body.get("value") if isinstance(body, dict) else None))
    failed = [s for s in said if any(s.startswith(f) for f in FAILURE_TEXTS)]
    if status == 501 and case.invoke_name not in (None, "adaptiveCard/action"):
        return None, "501 invoke name not offered"
    if status >= 500:
        return f"HTTP {status}", f"{status} server error"
    if failed:
        return f"the bot apologised: {failed[0][:60]!r}", "apology (turn failed)"
    if status >= 400:
        return None, f"{status} refused at the edge"
    if case.invoke_name == "adaptiveCard/action":
        return None, "card answered"
    return None, "answered" if said else "accepted, no reply"


def _shown(activity_or_card: Any) -> str:
    if not isinstance(activity_or_card, dict):
        return ""
    if activity_or_card.get("type") == "AdaptiveCard":
        return card_to_text(activity_or_card)
    for attachment in activity_or_card.get("attachments") or []:
        content = attachment.get("content")
        if isinstance(content, dict) and content.get("type") == "AdaptiveCard":
            return card_to_text(content)
    return str(activity_or_card.get("text") or "")


def _audit_problem(case: Case, added: list[tuple[str, str]]) -> str | None:
    """A card action must leave an audit entry: refusals only (a refresh may be a read)."""
    if not added:
        return "a card action left no audit entry"
    if case.card_actor == "stranger":
        ok = all(action == "access.refused" for action, _ in added)
        return None if ok else f"a stranger's card action audited as {added}"
    allowed = {("ir.read", "ok")} if case.kind == "card:refresh" else set()
    wrong = [a for a in added if a[1] != "refused" and a not in allowed]
    return f"a forged card action was audited as done: {wrong}" if wrong else None


async def _last_audit_id(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return (await connection.scalar(select(func.max(AuditEntry.id)))) or 0


async def _audit_since(engine: AsyncEngine, after_id: int) -> list[tuple[str, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(AuditEntry.action, AuditEntry.outcome).where(AuditEntry.id > after_id)
        )
        return [(action, outcome) for action, outcome in rows]


async def _still_answers(world: HostileWorld) -> bool:
    async with world.session.get(f"{world.url}/healthz") as response:
        if response.status != 200:
            return False
    replies = await world.client(DEMO_USERS[0]).send("what's due this fortnight?")
    return bool(replies) and _shown(replies[0].body).startswith("Reviews due")
