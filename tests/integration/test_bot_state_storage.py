"""SqlAlchemyStorage against real SQLite and PostgreSQL (see conftest.py for the fixtures).

Part 1 is a port of botbuilder-testing 4.17.1's ``StorageBaseTests`` conformance suite
(``botbuilder/testing/storage_base_tests.py``), one test per upstream method, named after it.
A port rather than the package, because botbuilder-testing 4.17.1 requires ``pytest~=8.3.3``
(we run pytest 9) and ``botbuilder-azure`` (Azure Blob/Cosmos SDKs), and the module imports
``botbuilder.azure`` at the top, so it cannot even be imported without them. The bodies are kept
statement for statement; the only changes are marked ``PORT:``. Where upstream comments out an
assertion only because MemoryStorage stores the literal eTag ``"*"`` (see the note at the top of
the upstream file), the port restores it, marked ``RESTORED:``: our storage always issues real
eTags, so those checks from the C#/JS suites apply.

Part 2 covers what the suite does not: the exact eTag contract, atomic batches, and races
between writers holding the same eTag. Part 3 round-trips real ConversationState/DialogState.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from botbuilder.core import (
    ConversationState,
    MessageFactory,
    StoreItem,
    TurnContext,
)
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    Dialog,
    DialogSet,
    DialogState,
    DialogTurnResult,
    DialogTurnStatus,
    PromptOptions,
    PromptValidatorContext,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.state import SqlAlchemyStorage, SqlConversationState
from storage.audit import AuditValues, hold_audits, record_audit, take_held_audits
from storage.conversation_state import BotStateRecord, StorageConflictError
from storage.models import AuditEntry


@pytest.fixture
def storage(sessions: async_sessionmaker[AsyncSession]) -> SqlAlchemyStorage:
    return SqlAlchemyStorage(sessions)


# --- Part 1: port of StorageBaseTests -------------------------------------------------------


# Upstream: StorageBaseTests.return_empty_object_when_reading_unknown_key
async def test_return_empty_object_when_reading_unknown_key(storage: SqlAlchemyStorage):
    result = await storage.read(["unknown"])

    assert result is not None
    assert len(result) == 0


# Upstream: StorageBaseTests.handle_null_keys_when_reading
# PORT: upstream branches on the storage type; only MemoryStorage and Cosmos return {} for None,
# every other storage takes the "catch-all" branch kept here.
async def test_handle_null_keys_when_reading(storage: SqlAlchemyStorage):
    with pytest.raises(Exception) as err:
        await storage.read(None)
    assert err.value.args[0] == "Keys are required when reading"


# Upstream: StorageBaseTests.handle_null_keys_when_writing
async def test_handle_null_keys_when_writing(storage: SqlAlchemyStorage):
    with pytest.raises(Exception) as err:
        await storage.write(None)
    assert err.value.args[0] == "Changes are required when writing"


# Upstream: StorageBaseTests.does_not_raise_when_writing_no_items
async def test_does_not_raise_when_writing_no_items(storage: SqlAlchemyStorage):
    # PORT: upstream wraps this in try/except to call pytest.fail; an exception fails it anyway.
    await storage.write([])


# Upstream: StorageBaseTests.create_object
async def test_create_object(storage: SqlAlchemyStorage):
    store_items = {
        "createPoco": {"id": 1},
        "createPocoStoreItem": {"id": 2, "e_tag": "*"},
    }

    await storage.write(store_items)

    read_store_items = await storage.read(store_items.keys())

    assert store_items["createPoco"]["id"] == read_store_items["createPoco"]["id"]
    assert store_items["createPocoStoreItem"]["id"] == read_store_items["createPocoStoreItem"]["id"]

    # RESTORED: "If decided to validate e_tag integrity again, uncomment this code"
    assert read_store_items["createPoco"]["e_tag"] is not None
    assert read_store_items["createPocoStoreItem"]["e_tag"] is not None


# Upstream: StorageBaseTests.handle_crazy_keys
async def test_handle_crazy_keys(storage: SqlAlchemyStorage):
    key = '!@#$%^&*()_+??><":QASD~`'
    store_item = {"id": 1}
    store_items = {key: store_item}

    await storage.write(store_items)

    read_store_items = await storage.read(store_items.keys())

    assert read_store_items[key] is not None
    assert read_store_items[key]["id"] == 1


# Upstream: StorageBaseTests.update_object
async def test_update_object(storage: SqlAlchemyStorage):
    original_store_items = {
        "pocoItem": {"id": 1, "count": 1},
        "pocoStoreItem": {"id": 1, "count": 1, "e_tag": "*"},
    }

    # 1st write should work
    await storage.write(original_store_items)

    loaded_store_items = await storage.read(["pocoItem", "pocoStoreItem"])

    update_poco_item = loaded_store_items["pocoItem"]
    update_poco_item["e_tag"] = None
    update_poco_store_item = loaded_store_items["pocoStoreItem"]
    assert update_poco_store_item["e_tag"] is not None

    # 2nd write should work
    update_poco_item["count"] += 1
    update_poco_store_item["count"] += 1

    await storage.write(loaded_store_items)

    reloaded_store_items = await storage.read(loaded_store_items.keys())

    reloaded_update_poco_item = reloaded_store_items["pocoItem"]
    reloaded_update_poco_store_item = reloaded_store_items["pocoStoreItem"]

    assert reloaded_update_poco_item["count"] == 2
    assert reloaded_update_poco_store_item["count"] == 2

    # Write with old e_tag should succeed for non-storeItem
    update_poco_item["count"] = 123
    await storage.write({"pocoItem": update_poco_item})

    # Write with old eTag should FAIL for storeItem
    update_poco_store_item["count"] = 123

    # RESTORED: upstream comments this out because MemoryStorage keeps "*" as the eTag; here
    # update_poco_store_item holds the eTag from before the 2nd write, which is now stale.
    with pytest.raises(Exception) as err:
        await storage.write({"pocoStoreItem": update_poco_store_item})
    assert err.value is not None
    # PORT: also pin the exception type this storage promises.
    assert isinstance(err.value, StorageConflictError)

    reloaded_store_items2 = await storage.read(["pocoItem", "pocoStoreItem"])

    reloaded_poco_item2 = reloaded_store_items2["pocoItem"]
    reloaded_poco_item2["e_tag"] = None
    reloaded_poco_store_item2 = reloaded_store_items2["pocoStoreItem"]

    assert reloaded_poco_item2["count"] == 123
    assert reloaded_poco_store_item2["count"] == 2

    # write with wildcard etag should work
    reloaded_poco_item2["count"] = 100
    reloaded_poco_store_item2["count"] = 100
    reloaded_poco_store_item2["e_tag"] = "*"

    wildcard_etag_dict = {
        "pocoItem": reloaded_poco_item2,
        "pocoStoreItem": reloaded_poco_store_item2,
    }

    await storage.write(wildcard_etag_dict)

    reloaded_store_items3 = await storage.read(["pocoItem", "pocoStoreItem"])

    assert reloaded_store_items3["pocoItem"]["count"] == 100
    assert reloaded_store_items3["pocoStoreItem"]["count"] == 100

    # Write with empty etag should not work
    reloaded_store_items4 = await storage.read(["pocoStoreItem"])
    reloaded_store_item4 = reloaded_store_items4["pocoStoreItem"]

    assert reloaded_store_item4 is not None

    reloaded_store_item4["e_tag"] = ""
    dict2 = {"pocoStoreItem": reloaded_store_item4}

    with pytest.raises(Exception) as err:
        await storage.write(dict2)
    assert err.value is not None

    final_store_items = await storage.read(["pocoItem", "pocoStoreItem"])
    assert final_store_items["pocoItem"]["count"] == 100
    assert final_store_items["pocoStoreItem"]["count"] == 100


# Upstream: StorageBaseTests.delete_object
async def test_delete_object(storage: SqlAlchemyStorage):
    store_items = {"delete1": {"id": 1, "count": 1, "e_tag": "*"}}

    await storage.write(store_items)

    read_store_items = await storage.read(["delete1"])

    assert read_store_items["delete1"]["e_tag"]
    assert read_store_items["delete1"]["count"] == 1

    await storage.delete(["delete1"])

    reloaded_store_items = await storage.read(["delete1"])

    assert reloaded_store_items.get("delete1", None) is None


# Upstream: StorageBaseTests.delete_unknown_object
async def test_delete_unknown_object(storage: SqlAlchemyStorage):
    # PORT: upstream wraps this in try/except to call pytest.fail; an exception fails it anyway.
    await storage.delete(["unknown_key"])


# Upstream: StorageBaseTests.perform_batch_operations
async def test_perform_batch_operations(storage: SqlAlchemyStorage):
    await storage.write(
        {
            "batch1": {"count": 10},
            "batch2": {"count": 20},
            "batch3": {"count": 30},
        }
    )

    result = await storage.read(["batch1", "batch2", "batch3"])

    assert result.get("batch1", None) is not None
    assert result.get("batch2", None) is not None
    assert result.get("batch3", None) is not None
    assert result["batch1"]["count"] == 10
    assert result["batch2"]["count"] == 20
    assert result["batch3"]["count"] == 30
    # RESTORED: "If decided to validate e_tag integrity aagain, uncomment this code"
    assert result["batch1"].get("e_tag", None) is not None
    assert result["batch2"].get("e_tag", None) is not None
    assert result["batch3"].get("e_tag", None) is not None

    await storage.delete(["batch1", "batch2", "batch3"])

    result = await storage.read(["batch1", "batch2", "batch3"])

    assert result.get("batch1", None) is None
    assert result.get("batch2", None) is None
    assert result.get("batch3", None) is None


# Upstream: StorageBaseTests.proceeds_through_waterfall
async def test_proceeds_through_waterfall(storage: SqlAlchemyStorage):
    convo_state = ConversationState(storage)

    dialog_state = convo_state.create_property("dialogState")
    dialogs = DialogSet(dialog_state)

    async def exec_test(turn_context: TurnContext) -> None:
        dialog_context = await dialogs.create_context(turn_context)

        await dialog_context.continue_dialog()
        if not turn_context.responded:
            await dialog_context.begin_dialog(WaterfallDialog.__name__)
        await convo_state.save_changes(turn_context)

    adapter = TestAdapter(exec_test)

    async def prompt_validator(prompt_context: PromptValidatorContext):
        result = prompt_context.recognized.value
        if len(result) > 3:
            succeeded_message = MessageFactory.text(
                f"You got it at the {prompt_context.options.number_of_attempts}rd try!"
            )
            await prompt_context.context.send_activity(succeeded_message)
            return True

        reply = MessageFactory.text(
            "Please send a name that is longer than 3 characters. "
            f"{prompt_context.options.number_of_attempts}"
        )
        await prompt_context.context.send_activity(reply)
        return False

    async def step_1(step_context: WaterfallStepContext) -> DialogTurnStatus:
        assert isinstance(step_context.active_dialog.state["stepIndex"], int)
        await step_context.context.send_activity("step1")
        return Dialog.end_of_turn

    async def step_2(step_context: WaterfallStepContext) -> None:
        assert isinstance(step_context.active_dialog.state["stepIndex"], int)
        await step_context.prompt(
            TextPrompt.__name__,
            PromptOptions(prompt=MessageFactory.text("Please type your name")),
        )

    async def step_3(step_context: WaterfallStepContext) -> DialogTurnStatus:
        assert isinstance(step_context.active_dialog.state["stepIndex"], int)
        await step_context.context.send_activity("step3")
        return Dialog.end_of_turn

    steps = [step_1, step_2, step_3]

    dialogs.add(WaterfallDialog(WaterfallDialog.__name__, steps))

    dialogs.add(TextPrompt(TextPrompt.__name__, prompt_validator))

    step1 = await adapter.send("hello")
    step2 = await step1.assert_reply("step1")
    step3 = await step2.send("hello")
    step4 = await step3.assert_reply("Please type your name")  # None
    step5 = await step4.send("hi")
    step6 = await step5.assert_reply("Please send a name that is longer than 3 characters. 0")
    step7 = await step6.send("hi")
    step8 = await step7.assert_reply("Please send a name that is longer than 3 characters. 1")
    step9 = await step8.send("hi")
    step10 = await step9.assert_reply("Please send a name that is longer than 3 characters. 2")
    step11 = await step10.send("Kyle")
    step12 = await step11.assert_reply("You got it at the 3rd try!")
    await step12.assert_reply("step3")


# --- Part 2: the eTag contract and races -----------------------------------------------------


async def test_every_write_issues_a_new_etag(storage: SqlAlchemyStorage):
    seen: list[str] = []
    for e_tag in (None, "*", "USE_CURRENT", None, "*"):
        item: dict[str, object] = {"n": len(seen)}
        if e_tag == "USE_CURRENT":
            item["e_tag"] = seen[-1]
        elif e_tag is not None:
            item["e_tag"] = e_tag
        await storage.write({"k": item})
        stored = (await storage.read(["k"]))["k"]
        assert stored["n"] == len(seen)
        seen.append(stored["e_tag"])
    assert len(set(seen)) == len(seen)
    assert "*" not in seen


async def test_conflict_writes_nothing_in_the_whole_batch(storage: SqlAlchemyStorage):
    await storage.write({"a": {"v": 1}, "b": {"v": 1}})
    stale = await storage.read(["a", "b"])
    await storage.write({"b": {"v": 2}})  # someone else moves b on

    # "a" sorts before "b", so the storage has already written "a" when "b" conflicts.
    with pytest.raises(StorageConflictError) as err:
        await storage.write({"a": {**stale["a"], "v": 99}, "b": {**stale["b"], "v": 99}})

    assert err.value.key == "b"
    assert err.value.e_tag == stale["b"]["e_tag"]
    assert "eTag conflict writing 'b'" in str(err.value)
    assert isinstance(err.value, KeyError)  # what MemoryStorage raises, so old handlers work
    after = await storage.read(["a", "b"])
    assert after["a"] == stale["a"]  # same value and same eTag: rolled back
    assert after["b"]["v"] == 2


async def test_empty_etag_is_rejected_and_writes_nothing(storage: SqlAlchemyStorage):
    await storage.write({"k": {"v": 1}})
    before = await storage.read(["k"])
    with pytest.raises(ValueError, match="empty eTag"):
        await storage.write({"j": {"v": 2}, "k": {"v": 2, "e_tag": ""}})
    assert await storage.read(["j", "k"]) == before


async def test_etag_on_a_key_that_is_not_stored_inserts_like_memory_storage(
    storage: SqlAlchemyStorage,
):
    # MemoryStorage only compares eTags when the key is already stored; so do we.
    await storage.write({"k": {"v": 1, "e_tag": "read-before-it-was-deleted"}})
    stored = (await storage.read(["k"]))["k"]
    assert stored["v"] == 1
    assert stored["e_tag"] != "read-before-it-was-deleted"


async def test_write_does_not_modify_the_callers_items(storage: SqlAlchemyStorage):
    item = {"v": 1, "e_tag": "*", "nested": {"x": [1, 2]}}
    await storage.write({"k": item})
    assert item == {"v": 1, "e_tag": "*", "nested": {"x": [1, 2]}}


async def test_store_item_objects_round_trip_with_their_etag(storage: SqlAlchemyStorage):
    await storage.write({"obj": StoreItem(name="Ada", tags=["a", "b"], e_tag="*")})
    loaded = (await storage.read(["obj"]))["obj"]
    assert isinstance(loaded, StoreItem)
    assert (loaded.name, loaded.tags) == ("Ada", ["a", "b"])
    assert loaded.e_tag not in (None, "", "*")

    loaded.name = "Grace"
    await storage.write({"obj": loaded})
    with pytest.raises(StorageConflictError):
        await storage.write({"obj": loaded})  # same, now stale, eTag again


async def test_long_teams_conversation_keys(storage: SqlAlchemyStorage):
    # Teams channel thread ids are long; keys must not be truncated or rejected.
    key = "msteams/conversations/19:" + "x" * 1500 + "@thread.tacv2;messageid=1700000000000"
    await storage.write({key: {"v": 1}})
    assert (await storage.read([key]))[key]["v"] == 1
    await storage.delete({key})  # BotState.delete passes a set
    assert await storage.read([key]) == {}


async def test_stored_row_is_readable_json_without_the_etag(
    storage: SqlAlchemyStorage, sessions: async_sessionmaker[AsyncSession]
):
    await storage.write({"k": {"name": "Ada", "e_tag": "*"}})
    async with sessions() as session:
        row = (await session.execute(select(BotStateRecord))).scalar_one()
    assert json.loads(row.data) == {"name": "Ada"}
    assert row.etag == (await storage.read(["k"]))["k"]["e_tag"]
    assert row.updated_at is not None


RACE_ROUNDS = 10
RACE_WRITERS = 5


def _assert_exactly_one_winner(outcomes: list[BaseException | None]) -> int:
    winners = [i for i, outcome in enumerate(outcomes) if outcome is None]
    assert len(winners) == 1, f"expected exactly one winner, got {outcomes!r}"
    losers = [outcome for outcome in outcomes if outcome is not None]
    assert all(isinstance(loser, StorageConflictError) for loser in losers), outcomes
    return winners[0]


async def test_writers_racing_with_the_same_etag_exactly_one_wins(
    sessions: async_sessionmaker[AsyncSession],
):
    # One storage (and so one session per call) per writer, as separate bot workers would have.
    writers = [SqlAlchemyStorage(sessions) for _ in range(RACE_WRITERS)]
    await writers[0].write({"race": {"writer": None}})

    for round_ in range(RACE_ROUNDS):
        e_tag = (await writers[0].read(["race"]))["race"]["e_tag"]
        outcomes = await asyncio.gather(
            *(
                w.write({"race": {"writer": i, "round": round_, "e_tag": e_tag}})
                for i, w in enumerate(writers)
            ),
            return_exceptions=True,
        )
        winner = _assert_exactly_one_winner(outcomes)
        stored = (await writers[0].read(["race"]))["race"]
        assert (stored["writer"], stored["round"]) == (winner, round_)
        assert stored["e_tag"] != e_tag


async def test_writers_racing_to_create_a_key_with_the_same_etag_exactly_one_wins(
    sessions: async_sessionmaker[AsyncSession],
):
    # Each writer read the item before it was deleted, so the key is absent when they race:
    # the first insert wins, and the others must conflict rather than overwrite it or fail
    # with an IntegrityError.
    writers = [SqlAlchemyStorage(sessions) for _ in range(RACE_WRITERS)]
    for round_ in range(RACE_ROUNDS):
        key = f"fresh-{round_}"
        outcomes = await asyncio.gather(
            *(
                w.write({key: {"writer": i, "e_tag": "etag-read-before-delete"}})
                for i, w in enumerate(writers)
            ),
            return_exceptions=True,
        )
        winner = _assert_exactly_one_winner(outcomes)
        assert (await writers[0].read([key]))[key]["writer"] == winner


async def test_unconditional_writers_racing_to_create_a_key_all_succeed(
    sessions: async_sessionmaker[AsyncSession],
):
    # "*" means last writer wins: racing inserts of a new key must upsert, never raise.
    writers = [SqlAlchemyStorage(sessions) for _ in range(RACE_WRITERS)]
    for round_ in range(RACE_ROUNDS):
        key = f"wild-{round_}"
        outcomes = await asyncio.gather(
            *(w.write({key: {"writer": i, "e_tag": "*"}}) for i, w in enumerate(writers)),
            return_exceptions=True,
        )
        assert outcomes == [None] * RACE_WRITERS
        assert (await writers[0].read([key]))[key]["writer"] in range(RACE_WRITERS)


# --- Part 3: real bot state ------------------------------------------------------------------

CONVERSATION_ID = "19:" + "a" * 200 + "@thread.tacv2;messageid=1700000000000"


def _turn(text: str) -> TurnContext:
    """A Teams-shaped message turn in one fixed conversation (so one storage key)."""
    activity = Activity(
        type=ActivityTypes.message,
        text=text,
        channel_id="msteams",
        conversation=ConversationAccount(id=CONVERSATION_ID),
        from_property=ChannelAccount(id="29:user", name="Alex Wilber"),
        recipient=ChannelAccount(id="28:bot", name="iro-bot"),
    )
    return TurnContext(TestAdapter(), activity)


def _dialogs(state: ConversationState, answers: list[str]) -> DialogSet:
    """A fresh ask-name waterfall bound to ``state``: what each new process would build."""

    async def ask(step: WaterfallStepContext) -> DialogTurnResult:
        return await step.prompt("name", PromptOptions(prompt=MessageFactory.text("Name?")))

    async def record(step: WaterfallStepContext) -> DialogTurnResult:
        answers.append(step.result)
        return await step.end_dialog(step.result)

    dialogs = DialogSet(state.create_property("DialogState"))
    dialogs.add(TextPrompt("name"))
    dialogs.add(WaterfallDialog("ask-name", [ask, record]))
    return dialogs


# botbuilder's ConversationState, and ours (the product's), which must behave the same.
STATE_CLASSES = pytest.mark.parametrize(
    "state_class", [ConversationState, SqlConversationState], ids=["botbuilder", "sql"]
)


@STATE_CLASSES
async def test_conversation_and_dialog_state_round_trip_through_fresh_objects(
    storage: SqlAlchemyStorage, sessions: async_sessionmaker[AsyncSession], state_class: type
):
    answers: list[str] = []

    # Turn 1: start the dialog; it stops at the prompt and the state is saved.
    state = state_class(storage)
    first = _turn("hello")
    dc = await _dialogs(state, answers).create_context(first)
    assert (await dc.begin_dialog("ask-name")).status == DialogTurnStatus.Waiting
    await state.save_changes(first)

    async with sessions() as session:
        row = (await session.execute(select(BotStateRecord))).scalar_one()
    assert row.key == f"msteams/conversations/{CONVERSATION_ID}"
    assert json.loads(row.data)["DialogState"]["py/object"] == (
        "botbuilder.dialogs.dialog_state.DialogState"
    )

    # Turn 2, as if in a new process: new state object, new dialogs, only the storage shared.
    state = state_class(storage)
    second = _turn("Ada")
    reloaded = await state.create_property("DialogState").get(second)
    assert isinstance(reloaded, DialogState)
    assert [instance.id for instance in reloaded.dialog_stack] == ["name", "ask-name"]
    dc = await _dialogs(state, answers).create_context(second)
    result = await dc.continue_dialog()
    assert (result.status, result.result) == (DialogTurnStatus.Complete, "Ada")
    await state.save_changes(second)

    assert answers == ["Ada"]
    stored = await storage.read([f"msteams/conversations/{CONVERSATION_ID}"])
    (item,) = stored.values()
    assert item["DialogState"].dialog_stack == []


@STATE_CLASSES
async def test_concurrent_turns_on_one_conversation_one_save_conflicts(
    storage: SqlAlchemyStorage, state_class: type
):
    # The trap in docs/architecture.md: save_changes writes with the eTag it read.
    setup = state_class(storage)
    turn = _turn("setup")
    await setup.create_property("count").set(turn, 0)
    await setup.save_changes(turn)

    # Both turns load before either saves, so both hold the same eTag whatever the scheduling.
    both_loaded = asyncio.Barrier(2)

    async def one_turn(label: str) -> None:
        state = state_class(storage)
        context = _turn(label)
        count = state.create_property("count")
        await count.set(context, await count.get(context) + 1)
        await state.create_property("last").set(context, label)
        await both_loaded.wait()
        await state.save_changes(context)

    outcomes = await asyncio.gather(one_turn("a"), one_turn("b"), return_exceptions=True)

    winner = _assert_exactly_one_winner(outcomes)
    (item,) = (await storage.read([f"msteams/conversations/{CONVERSATION_ID}"])).values()
    assert (item["count"], item["last"]) == (1, "ab"[winner])


# --- SqlConversationState: one walk of the state a turn, a write only when it changed ----------

STATE_KEY = f"msteams/conversations/{CONVERSATION_ID}"


class Writes(list[str]):
    """The bot_state writes a storage's engine runs while this is listening."""

    def __init__(self, storage: SqlAlchemyStorage) -> None:
        super().__init__()
        self._engine = storage.store._engine.sync_engine
        event.listen(self._engine, "before_cursor_execute", self._record)

    def _record(self, _conn: object, _cursor: object, sql: str, *_rest: object) -> None:
        if "bot_state" in sql and sql.split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            self.append(sql.split()[0].upper())

    def stop(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._record)


async def test_a_turn_that_changes_nothing_writes_nothing(storage: SqlAlchemyStorage):
    answers: list[str] = []
    first = _turn("hello")
    state = SqlConversationState(storage)
    await _dialogs(state, answers).create_context(first)
    await (await _dialogs(state, answers).create_context(first)).begin_dialog("ask-name")
    await state.save_changes(first)
    (before,) = (await storage.read([STATE_KEY])).values()
    writes = Writes(storage)

    # A turn that reads the waiting dialog (and a property) and changes neither.
    state = SqlConversationState(storage)
    again = _turn("anything")
    dialog_state = await state.create_property("DialogState").get(again)
    assert [i.id for i in dialog_state.dialog_stack] == ["name", "ask-name"]
    await state.save_changes(again)
    assert writes == []
    (after,) = (await storage.read([STATE_KEY])).values()
    assert after["e_tag"] == before["e_tag"]

    # The same, with a change: written once, with a new eTag.
    state = SqlConversationState(storage)
    changed = _turn("change")
    await state.create_property("last_child").set(changed, {"pk": 7})
    await state.save_changes(changed)
    await state.save_changes(changed)  # nothing changed since the first save
    assert writes == ["UPDATE"]
    (stored,) = (await storage.read([STATE_KEY])).values()
    assert stored["last_child"] == {"pk": 7} and stored["e_tag"] != before["e_tag"]


async def _held_read_entry(
    sessions: async_sessionmaker[AsyncSession], child: str
) -> list[AuditValues]:
    """The entry a question's session holds for a read of ``child`` (services.context.answering)."""
    async with sessions() as session:
        hold_audits(session)
        await record_audit(session, "child.read", entity_type="child", entity_id=child)
        return take_held_audits(session)


async def _read_entries(sessions: async_sessionmaker[AsyncSession]) -> list[str | None]:
    async with sessions() as session:
        return list(await session.scalars(select(AuditEntry.entity_id).order_by(AuditEntry.id)))


class Statements(list[str]):
    """Every statement's first word, and each commit, while this is listening."""

    def __init__(self, storage: SqlAlchemyStorage) -> None:
        super().__init__()
        engine = storage.store._engine.sync_engine
        event.listen(engine, "before_cursor_execute",
                     lambda _c, _cur, sql, *_a: self.append(sql.split()[0].upper()))  # fmt: skip
        event.listen(engine, "commit", lambda _conn: self.append("COMMIT"))


async def _stored_last_child(storage: SqlAlchemyStorage, value: object) -> None:
    """An earlier turn of the conversation stored ``last_child`` (the state now has an eTag)."""
    setup = SqlConversationState(storage)
    turn = _turn("setup")
    await setup.create_property("last_child").set(turn, value)
    await setup.save_changes(turn)


async def test_a_new_conversation_s_state_is_saved_with_the_question_s_audit_entry(
    storage: SqlAlchemyStorage, sessions: async_sessionmaker[AsyncSession]
):
    state = SqlConversationState(storage)
    turn = _turn("hello")
    await state.create_property("last_child").set(turn, {"pk": 1})
    await state.save_changes_with(turn, await _held_read_entry(sessions, "1"))
    writes = Writes(storage)
    await state.save_changes(turn)  # already saved: nothing left to write
    assert writes == []
    (stored,) = (await storage.read([STATE_KEY])).values()
    assert stored["last_child"] == {"pk": 1}
    assert await _read_entries(sessions) == ["1"]


async def test_a_changed_state_and_its_audit_entry_are_written_together_in_one_round_trip(
    storage: SqlAlchemyStorage, sessions: async_sessionmaker[AsyncSession]
):
    await _stored_last_child(storage, {"pk": 1})

    state = SqlConversationState(storage)
    turn = _turn("next")
    await state.create_property("last_child").set(turn, {"pk": 2})
    entries = await _held_read_entry(sessions, "2")
    statements = Statements(storage)
    await state.save_changes_with(turn, entries)
    if storage.store._engine.dialect.name == "postgresql":
        # The eTag-checked UPDATE and the entry inserted from its RETURNING row: one statement,
        # no BEGIN or COMMIT (autocommit).
        assert statements == ["WITH"]
    else:
        # SQLite has no data-modifying CTE: the entry and the state in one transaction.
        assert statements == ["INSERT", "UPDATE", "COMMIT"]
    (stored,) = (await storage.read([STATE_KEY])).values()
    assert stored["last_child"] == {"pk": 2}
    assert await _read_entries(sessions) == ["2"]
    writes = Writes(storage)
    await state.save_changes(turn)  # the saved state counts as unchanged
    assert writes == []


async def test_a_changed_state_alone_is_one_statement_on_postgresql(storage: SqlAlchemyStorage):
    await _stored_last_child(storage, {"pk": 1})

    state = SqlConversationState(storage)
    turn = _turn("next")  # a dialog's step: the state changes, nothing is audited
    await state.create_property("last_child").set(turn, {"pk": 2})
    statements = Statements(storage)
    await state.save_changes(turn)
    if storage.store._engine.dialect.name == "postgresql":
        assert statements == ["UPDATE"]  # eTag-checked, atomic by itself: no BEGIN, COMMIT
    else:
        assert statements == ["UPDATE", "COMMIT"]
    (stored,) = (await storage.read([STATE_KEY])).values()
    assert stored["last_child"] == {"pk": 2}


async def test_a_stale_state_writes_neither_it_nor_the_question_s_audit_entry(
    storage: SqlAlchemyStorage, sessions: async_sessionmaker[AsyncSession]
):
    await _stored_last_child(storage, {"pk": 1})

    state = SqlConversationState(storage)
    mine = _turn("mine")
    await state.create_property("last_child").set(mine, {"pk": 2})
    other = SqlConversationState(storage)  # another turn of the conversation saves first
    theirs = _turn("theirs")
    await other.create_property("last_child").set(theirs, {"pk": 3})
    await other.save_changes(theirs)

    with pytest.raises(StorageConflictError):
        await state.save_changes_with(mine, await _held_read_entry(sessions, "2"))
    (stored,) = (await storage.read([STATE_KEY])).values()
    assert stored["last_child"] == {"pk": 3}
    assert await _read_entries(sessions) == []


async def test_an_unchanged_state_writes_only_the_question_s_audit_entry(
    storage: SqlAlchemyStorage, sessions: async_sessionmaker[AsyncSession]
):
    await _stored_last_child(storage, {"pk": 1})

    state = SqlConversationState(storage)
    again = _turn("again")
    assert await state.create_property("last_child").get(again) == {"pk": 1}
    statements = Statements(storage)
    await state.save_changes_with(again, await _held_read_entry(sessions, "1"))
    if storage.store._engine.dialect.name == "postgresql":
        assert statements == ["INSERT"]  # one statement is atomic by itself: no BEGIN, COMMIT
    else:
        assert statements == ["INSERT", "COMMIT"]
    assert await _read_entries(sessions) == ["1"]


# Text PostgreSQL stores (no NUL, no lone surrogates); keys that are not jsonpickle's tags.
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text("abcxyz", max_size=4), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=JSON_VALUES,
    change=st.one_of(st.none(), JSON_VALUES),
)
async def test_stored_state_is_written_exactly_when_it_changed(
    storage: SqlAlchemyStorage, value: object, change: object
):
    """Property: whatever JSON a property holds, reading it back and saving writes nothing;
    giving it a different value writes it, once."""
    first = _turn("first")
    state = SqlConversationState(storage)
    await state.create_property("p").set(first, value)
    await state.save_changes(first)
    writes = Writes(storage)
    try:
        state = SqlConversationState(storage)
        turn = _turn("next")
        assert await state.create_property("p").get(turn) == value
        if change is not None:
            await state.create_property("p").set(turn, change)
        await state.save_changes(turn)
        changed = change is not None and json.dumps(change) != json.dumps(value)
        assert writes == (["UPDATE"] if changed else [])
    finally:
        writes.stop()
