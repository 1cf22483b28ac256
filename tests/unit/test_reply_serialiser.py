"""``ModelBodySerializer`` (bot/adapter.py, items 6 and 8) writes exactly the body msrest writes.

It skips msrest's rebuild-and-validate of a reply model, writes it with ``ModelWriter`` (the
attribute map compiled) and passes plain JSON through; the connector must receive the same JSON
either way, key order included, for every kind of body the bot sends: replies, card edits,
typing, and the parameters of a new conversation. Generated models: tests/unit/test_model_json.py.
"""

from __future__ import annotations

import copy
import json
import math
from datetime import UTC, date, datetime
from enum import StrEnum

import pytest
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    CardAction,
    ChannelAccount,
    ConversationParameters,
    Entity,
    HeroCard,
    InputHints,
    SuggestedActions,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from msrest.serialization import Serializer

from bot.adapter import ModelBodySerializer, is_plain_json, use_model_body_serializer
from bot.handler import reply_activity
from bot.model_json import Unsure
from cards.asking import choose_child_card
from cards.common import help_card, welcome_card
from cards.due import due_list_card, next_review_card
from cards.ir import reasons_card
from dialogs.prompts import card_message, stamp, to_activity
from domain.ports import ChildSummary
from domain.reviews import review_schedule
from domain.rules import load_rules

RULES = load_rules()
TODAY = date(2026, 11, 26)
CHILD = ChildSummary(7, "C0000007", "Zoë", "O'Brien-Ní Bhriain", date(2015, 1, 2),
                     "Children in Care", date(2024, 3, 1), date(2026, 12, 3), date(2026, 12, 3),
                     "CIC-3", 4, 2, "Alex Wilber", None, None, 3, "Megan Bowen")  # fmt: skip
INBOUND = Activity().deserialize({
    "type": "message", "id": "1700000000001", "serviceUrl": "https://smba.example/uk/",
    "channelId": "msteams", "from": {"id": "29:1abc", "aadObjectId": "a-b-c", "name": "Alex"},
    "conversation": {"id": "a:1conv", "conversationType": "personal", "tenantId": "t"},
    "recipient": {"id": "28:bot", "name": "iro-bot"}, "locale": "en-GB", "text": "hi",
    "channelData": {"tenant": {"id": "t"}},
})  # fmt: skip


class Colour(StrEnum):
    RED = "red"


def as_sent(activity: Activity) -> Activity:
    """The reply as botbuilder hands it to the connector client (a copy with the reference)."""
    reply = TurnContext.apply_conversation_reference(
        copy.deepcopy(activity), TurnContext.get_conversation_reference(INBOUND)
    )
    reply.reply_to_id = INBOUND.id
    return reply


def replies() -> list[Activity]:
    due = review_schedule(date(2024, 3, 1), [], RULES, []).next_due
    cards = [
        next_review_card(CHILD, due, TODAY),
        due_list_card("Reviews due", [CHILD], TODAY, RULES.calendar, "None"),
        help_card(),
        welcome_card("Alex"),
        choose_child_card("Zoe", [(7, "Zoë O'Brien", "C7"), (8, "Zoe Obrien", "C8")]),
        stamp(reasons_card("Zoë", RULES.reasons, [RULES.reasons[0]]), "nonce"),
    ]
    found = [as_sent(reply_activity(card)) for card in cards]
    found.append(as_sent(to_activity(card_message(cards[0]), expecting_input=True)))
    found.append(as_sent(MessageFactory.text("You're welcome.")))
    hero = MessageFactory.attachment(CardFactory.hero_card(HeroCard(title="t", buttons=[
        CardAction(type="imBack", title="Yes", value="yes")])))  # fmt: skip
    hero.suggested_actions = SuggestedActions(actions=[CardAction(type="imBack", title="No",
                                                                  value="no")])  # fmt: skip
    found.append(as_sent(hero))
    odd = Activity(
        type=ActivityTypes.message, text="odd", input_hint=InputHints.accepting_input,
        timestamp=datetime(2026, 11, 26, 9, 30, tzinfo=UTC),
        channel_data={"notification": {"alert": True}, "n": 1.5, "colour": Colour.RED,
                      "when": datetime(2026, 1, 2, tzinfo=UTC), "t": (1, 2)},
        entities=[Entity(type="mention")], value={"a": [1, None, True]},
        from_property=ChannelAccount(id="28:bot"),
    )  # fmt: skip
    found.append(as_sent(odd))
    edit = reply_activity(cards[0])  # an IR card edited in place (handler._edit_card)
    edit.id = "1700000000002"
    found.append(as_sent(edit))
    found.append(as_sent(Activity(type=ActivityTypes.typing)))
    return found


#: The one reply above with values msrest itself must write (an enum, a datetime and a tuple
#: in its channel data).
ODD = 9


def new_conversation() -> ConversationParameters:
    """What the dispatcher sends to open a 1:1 (bot/workers/dispatcher.py)."""
    return ConversationParameters(
        is_group=False, bot=ChannelAccount(id="28:bot", name="iro-bot"),
        members=[ChannelAccount(id="29:1abc", aad_object_id="a-b-c")], tenant_id="t",
        channel_data={"tenant": {"id": "t"}},
    )  # fmt: skip


@pytest.fixture
def serialisers() -> tuple[Serializer, ModelBodySerializer]:
    client = ConnectorClient(MicrosoftAppCredentials.empty(), "https://smba.example/uk/")
    return client._serialize, ModelBodySerializer(client._serialize.dependencies)


@pytest.mark.parametrize("index", range(len(replies())))
def test_every_kind_of_reply_serialises_exactly_as_msrest_does(
    serialisers: tuple[Serializer, ModelBodySerializer], index: int
) -> None:
    stock, ours = serialisers
    reply = replies()[index]
    written = ours.body(reply, "Activity")
    assert written == stock.body(copy.deepcopy(reply), "Activity")
    assert json.dumps(written) == json.dumps(stock.body(copy.deepcopy(reply), "Activity"))


@pytest.mark.parametrize("index", range(len(replies())))
def test_replies_are_written_without_msrest_s_walk(
    serialisers: tuple[Serializer, ModelBodySerializer], index: int
) -> None:
    stock, ours = serialisers
    reply = replies()[index]
    if index == ODD:
        with pytest.raises(Unsure):
            ours.writer.write(reply)
    else:
        assert json.dumps(ours.writer.write(reply)) == json.dumps(stock.body(reply, "Activity"))


def test_a_new_conversation_is_written_as_msrest_writes_it(
    serialisers: tuple[Serializer, ModelBodySerializer],
) -> None:
    stock, ours = serialisers
    written = ours.writer.write(new_conversation())
    assert json.dumps(written) == json.dumps(
        stock.body(new_conversation(), "ConversationParameters")
    )
    assert ours.body(new_conversation(), "ConversationParameters") == written


def test_a_plain_dict_body_takes_msrest_s_own_path(
    serialisers: tuple[Serializer, ModelBodySerializer],
) -> None:
    stock, ours = serialisers
    body = {"type": "message", "text": "hi", "channelData": {"x": [1, 2]}}
    assert ours.body(body, "Activity") == stock.body(body, "Activity")


def test_plain_json_is_exactly_json_types() -> None:
    assert is_plain_json({"a": [1, 2.5, "x", None, True, {"b": []}]})
    assert not is_plain_json({"a": Colour.RED})  # a str subclass: msrest writes its value
    assert not is_plain_json({"a": (1, 2)})
    assert not is_plain_json({1: "x"})
    assert not is_plain_json({"a": datetime(2026, 1, 1)})
    assert not is_plain_json(math.nan)


def test_kept_clients_get_the_serialiser_and_other_objects_are_left_alone() -> None:
    client = ConnectorClient(MicrosoftAppCredentials.empty(), "https://smba.example/uk/")
    use_model_body_serializer(client)
    assert type(client._serialize) is ModelBodySerializer
    assert client.conversations._serialize is client._serialize
    assert client.attachments._serialize is client._serialize
    use_model_body_serializer(object())  # a test double: nothing to do, no error
