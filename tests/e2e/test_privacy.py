"""Children's data over real HTTP, on SQLite and PostgreSQL: every read of a child's record is
audited, and a run of conversations at DEBUG leaves no child's name and no typed free text in
the logs.

The conversations cover every intent that shows a child (next review, why, CP conference, the
due and overdue lists, my IRs, IR status, a choice between two children, suggestions for a name
that matches nobody) and every dialog (record, book and bring forward a review, record its
paperwork as sent, raise an IR up to saving it), plus a stage owner answering the IR card with
free text.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.log_format import CorrelationFilter, JsonFormatter, correlated
from storage.engine import PARAMETER_LOGGERS, session_factory
from storage.models import AuditEntry, Child, IssueResolution, Staff
from tests.e2e.hostile import DEMO_USERS, HostileWorld, hostile_world
from tests.integration.conftest import empty_engine  # noqa: F401  (the sqlite/postgresql fixture)

ALEX, MEGAN, ADELE = DEMO_USERS[0], DEMO_USERS[1], DEMO_USERS[2]


@pytest_asyncio.fixture
async def world(empty_engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[HostileWorld]:  # noqa: F811
    async with hostile_world(empty_engine, tmp_path) as running:
        yield running


async def _scalar(world: HostileWorld, query: object) -> object:
    # The test's own reads are marked as its own (correlation "test-..."), apart from the bot's.
    with correlated("test"):
        async with session_factory(world.engine)() as session:
            return await session.scalar(query)  # type: ignore[call-overload]


async def alex_child(world: HostileWorld, *, megans: bool = False) -> Child:
    """One of Alex's children (the first; with ``megans``, one whose social worker is Megan)."""
    alex_id = await _scalar(world, select(Staff.id).where(Staff.aad_object_id ==
                                                          ALEX.aad_object_id))  # fmt: skip
    query = select(Child).where(Child.iro_id == alex_id).order_by(Child.id)
    if megans:
        megan_id = await _scalar(world, select(Staff.id).where(Staff.aad_object_id ==
                                                               MEGAN.aad_object_id))  # fmt: skip
        query = query.where(Child.social_worker_id == megan_id)
    child = await _scalar(world, query)
    assert isinstance(child, Child)
    return child


async def audit_since(world: HostileWorld, after: int) -> list[tuple[str, str | None, str]]:
    async with session_factory(world.engine)() as session:
        columns = (AuditEntry.action, AuditEntry.entity_id, AuditEntry.outcome)
        rows = await session.execute(select(*columns).where(AuditEntry.id > after))
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def last_audit_id(world: HostileWorld) -> int:
    return int(await _scalar(world, select(func.coalesce(func.max(AuditEntry.id), 0))))  # type: ignore[arg-type]


# -- every read is audited ------------------------------------------------------------------------


async def test_every_answer_and_dialog_that_shows_a_child_audits_the_read(
    world: HostileWorld,
) -> None:
    child = await alex_child(world)
    pk, cid = str(child.id), child.child_id
    alex_ir = next(ir for ir in world.irs if ALEX.aad_object_id in ir.entitled)
    # (what is typed, in one new conversation; audit entries that must follow, as
    # (action, entity id)). Dialogs are cancelled once they have shown the child's record.
    scripts: list[tuple[list[str], set[tuple[str, str | None]]]] = [
        ([f"when is {cid}'s next review due?"], {("child.read", pk)}),
        ([f"why is {cid}'s review due then?"], {("child.read", pk)}),
        ([f"when is {cid}'s next CP conference?"], {("child.read", pk)}),
        (["what's due this fortnight?"], {("child.list", None)}),
        (["anything overdue?"], {("child.list", None)}),
        (["my IRs"], {("ir.list", None)}),
        ([f"status of {alex_ir.reference}"], {("ir.read", alex_ir.reference)}),
        ([f"record a review for {cid} held yesterday", "full", "cancel"], {("child.read", pk)}),
        ([f"book {cid}'s review for 3rd December", "cancel"], {("child.read", pk)}),
        ([f"bring {cid}'s review forward to 1st December because of a move", "cancel"],
         {("child.read", pk)}),
        ([f"raise an IR for {cid}", "1", "Reports were late.", "informal", "cancel"],
         {("child.read", pk)}),
        ([f"{cid}'s review minutes were sent yesterday", "cancel"], {("child.read", pk)}),
    ]  # fmt: skip
    for typed, expected in scripts:
        before = await last_audit_id(world)
        client = world.client(ALEX)
        for text in typed:
            await client.send(text)
        written = await audit_since(world, before)
        assert expected <= {(action, entity) for action, entity, _ in written}, (typed, written)
        assert all(outcome == "ok" for *_, outcome in written), (typed, written)


async def test_a_child_outside_the_caseload_is_neither_shown_nor_read(
    world: HostileWorld,
) -> None:
    megan_id = await _scalar(world, select(Staff.id).where(Staff.aad_object_id ==
                                                           MEGAN.aad_object_id))  # fmt: skip
    alex_id = await _scalar(world, select(Staff.id).where(Staff.aad_object_id ==
                                                          ALEX.aad_object_id))  # fmt: skip
    not_megans = (Child.iro_id == alex_id, Child.social_worker_id != megan_id)
    child = await _scalar(world, select(Child).where(*not_megans).order_by(Child.id))
    assert isinstance(child, Child)
    before = await last_audit_id(world)
    [reply] = await world.client(MEGAN).send(f"when is {child.child_id}'s next review due?")
    assert (reply.text or "").startswith("I couldn't find a child called")
    assert child.given_name not in reply.text and child.family_name not in reply.text
    assert ("child.read", str(child.id), "ok") not in await audit_since(world, before)


# -- nothing about a child in the logs at DEBUG --------------------------------------------------

#: Free text typed during the run: distinctive words, each of which must not reach a log.
FREE_TEXT = {
    "description": "Zebulonian paperwork vanished before the Quoggle review.",
    "late reason": "Xanthippe's report was stuck.",
    "bring forward reason": "because of Wombleford placement move",
    "card response": "Brindlewick will chase the report.",
}
#: The loggers a deployment might turn up to DEBUG (LOG_LEVEL=DEBUG sets the root).
NOISY = ("", "bot", "dialogs", "storage", "botbuilder", "botframework", "msrest", "aiohttp",
         "asyncio", "urllib3", "sqlalchemy", "alembic")  # fmt: skip


class Everything(logging.Handler):
    def __init__(self, log_format: str = "text") -> None:
        super().__init__(logging.DEBUG)
        self.json = log_format == "json"
        # The JSON lines are what LOG_FORMAT=json writes (bot/log_format.py), correlation ids
        # included; the text lines keep the name and level in plain sight for the checks.
        self.setFormatter(JsonFormatter() if self.json else
                          logging.Formatter("%(name)s %(levelname)s %(message)s"))  # fmt: skip
        self.addFilter(CorrelationFilter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # with any exception's text


@pytest.fixture(params=["text", "json"])
def debug_logs(request: pytest.FixtureRequest) -> Iterator[Everything]:
    """Every logger a deployment could turn up at DEBUG, captured formatted. The driver
    parameter loggers are left where ``create_engine`` holds them (WARNING): that hold is the
    product's rule (README, "Children's data"), and the test checks it is still in place."""
    handler = Everything(request.param)
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level for name in NOISY}
    root.addHandler(handler)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


async def test_a_run_of_conversations_at_debug_logs_no_child_name_or_free_text(
    world: HostileWorld, debug_logs: Everything
) -> None:
    child = await alex_child(world, megans=True)
    cid = child.child_id
    with correlated("test"):
        async with session_factory(world.engine)() as session:
            names = {n for row in await session.execute(
                select(Child.given_name, Child.family_name)) for n in row if n}  # fmt: skip
            alex_id = await session.scalar(select(Staff.id).where(
                Staff.aad_object_id == ALEX.aad_object_id))  # fmt: skip
            families = Counter(await session.scalars(
                select(Child.family_name).where(Child.iro_id == alex_id)))  # fmt: skip
    shared = next(name for name, times in families.items() if times > 1)
    alex = world.client(ALEX)
    for text in [
        f"when is {child.given_name} {child.family_name}'s next review due?",
        "why is her review due then?",
        f"when is {cid}'s next CP conference?",
        "what's due this fortnight?", "anything overdue?", "my IRs",
        f"when is {shared}'s next review due?",  # a choice between two children
        "when is Zzyzx Qwertyuiop's review?",  # nobody: suggestions from the caseload
        f"record a review for {cid} held on 02/11/2026", "full", FREE_TEXT["late reason"],
        "cancel",
        f"bring {cid}'s review forward to 1st December {FREE_TEXT['bring forward reason']}",
        "cancel", f"book {cid}'s review for 3rd December", "cancel",
        f"{child.given_name} {child.family_name}'s review minutes were sent yesterday", "yes",
        f"raise an IR for {cid}", "1", FREE_TEXT["description"], "stage 1", "yes",
    ]:  # fmt: skip
        await alex.send(text)
    reference = await _scalar(world, select(IssueResolution.reference)
                              .order_by(IssueResolution.id.desc()))  # fmt: skip
    await alex.send(f"status of {reference}")
    adele = world.client(ADELE)
    response = {"ir": reference, "version": 1, "response": FREE_TEXT["card response"]}
    answered = await adele.post(adele.card_action("ir.respond", response))
    assert "Your response is recorded" in str(answered.body)

    log = "\n".join(debug_logs.lines)
    # The capture worked: the bot logged each turn, and DEBUG lines were kept.
    assert sum("Message understood as" in line for line in debug_logs.lines) >= 10
    if debug_logs.json:
        # One JSON object a line, each carrying the id of the turn that logged it: every line
        # here was logged inside one of the conversation's requests.
        parsed = [json.loads(line) for line in debug_logs.lines]
        assert any(p["level"] == "DEBUG" for p in parsed)
        missing = [p for p in parsed
                   if not str(p["correlation_id"] or "").startswith(("turn-", "test-"))]
        assert missing == []
        turns = {p["correlation_id"] for p in parsed if p["correlation_id"].startswith("turn-")}
        assert len(turns) >= 10  # a turn, an id
    else:
        assert any(" DEBUG " in line for line in debug_logs.lines)
    leaked = sorted(n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", log))
    assert leaked == []
    for what, text in FREE_TEXT.items():
        for word in re.findall(r"[A-Z][a-z]{5,}", text):
            assert word not in log, (what, word)
    for name in PARAMETER_LOGGERS:
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING
