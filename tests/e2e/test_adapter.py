"""The adapter customisations of ``bot/adapter.py``: clients kept per service URL and app id,
msrest's retry policy built cheaply but identically, malformed tokens refused up front; and
that the bot behaves exactly as before (replies, updates, roster, proactive sends)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from aiohttp import web
from botbuilder.core import ActivityHandler, BotAdapter, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import ChannelAccount, ConversationParameters
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from msrest.universal_http import requests as msrest_requests

from bot.adapter import (
    BotFrameworkConfig,
    IroCloudAdapter,
    ReusingConnectorFactory,
    SetBasedClientRetryPolicy,
    install_msrest_retry_fix,
    token_shape_problem,
)
from bot.app import ADAPTER_KEY
from tests.e2e.conftest import ALEX, MEGAN, BotClient, local_settings
from tests.e2e.fake_connector import FakeConnector, teams_member


class ClientRecordingBot(ActivityHandler):
    """Echoes, and records which connector and user-token client each turn was given."""

    def __init__(self) -> None:
        self.connector_clients: list[Any] = []
        self.user_token_clients: list[Any] = []

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        self.connector_clients.append(turn_context.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY])
        self.user_token_clients.append(turn_context.turn_state[CloudAdapter.USER_TOKEN_CLIENT_KEY])
        await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))


# -- client reuse -------------------------------------------------------------------------------


async def test_every_turn_reuses_one_connector_client_and_one_user_token_client(
    start_app, teams, connector: FakeConnector
):
    bot = ClientRecordingBot()
    app = await start_app(bot)
    first, second = teams(app), teams(app, user=MEGAN)

    replies = [
        *(await first.send("one")),
        *(await second.send("two")),
        *(await first.send("three")),
    ]

    assert [r.text for r in replies] == ["Echo: one", "Echo: two", "Echo: three"]
    assert len({id(c) for c in bot.connector_clients}) == 1
    assert len({id(c) for c in bot.user_token_clients}) == 1
    assert isinstance(bot.connector_clients[0], ConnectorClient)


async def test_each_service_url_gets_its_own_client_and_its_own_replies(start_app, teams):
    bot = ClientRecordingBot()
    app = await start_app(bot)
    async with FakeConnector() as other_region:
        here = teams(app)
        there = BotClient(here.session, here.endpoint, other_region)
        await here.send("uk")
        await there.send("emea")
        await here.send("uk again")
        assert here.connector.texts() == ["Echo: uk", "Echo: uk again"]
        assert other_region.texts() == ["Echo: emea"]
    first, second, third = bot.connector_clients
    assert first is third and first is not second


async def test_the_stock_adapter_builds_new_clients_every_turn(connector, http, tmp_path):
    """Why the customisation exists: stock CloudAdapter, same bot, same requests."""
    settings = local_settings(tmp_path)
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(BotFrameworkConfig(settings)))
    bot = ClientRecordingBot()

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        client = BotClient(http, f"http://{host}:{port}/api/messages", connector)
        await client.send("one")
        await client.send("two")
    finally:
        await runner.cleanup()
    assert bot.connector_clients[0] is not bot.connector_clients[1]
    assert bot.user_token_clients[0] is not bot.user_token_clients[1]


async def test_the_client_cache_is_bounded():
    class CountingFactory:
        def __init__(self) -> None:
            self.made: list[str] = []

        async def create(self, service_url: str, audience: str | None = None) -> Any:
            self.made.append(service_url)
            return object()

    inner = CountingFactory()
    factory = ReusingConnectorFactory(inner, max_clients=2)  # type: ignore[arg-type]
    a = await factory.create("https://a/")
    b = await factory.create("https://b/")
    assert await factory.create("https://a/") is a  # a is now the most recent
    await factory.create("https://c/")  # evicts b, the least recently used
    assert len(factory.clients) == 2
    assert await factory.create("https://a/") is a
    assert await factory.create("https://b/") is not b
    assert inner.made == ["https://a/", "https://b/", "https://c/", "https://b/"]


# -- msrest's retry policy ----------------------------------------------------------------------


def _retry_fields(policy: msrest_requests.ClientRetryPolicy) -> dict[str, Any]:
    retry = policy()
    return {
        "status_forcelist": list(retry.status_forcelist),
        "total": retry.total,
        "connect": retry.connect,
        "read": retry.read,
        "backoff_factor": retry.backoff_factor,
        "BACKOFF_MAX": retry.BACKOFF_MAX,
        "method_whitelist": getattr(retry, "method_whitelist", None),
        "allowed_methods": retry.allowed_methods,
    }


def test_the_set_based_retry_policy_builds_the_identical_retry():
    stock = SetBasedClientRetryPolicy.__mro__[1]
    assert stock.__name__ == "ClientRetryPolicy"
    assert _retry_fields(SetBasedClientRetryPolicy()) == _retry_fields(stock())
    # Retried: 408, and every status from 500 to 998 except 501 and 505.
    expected = [408] + [code for code in range(500, 999) if code not in (501, 505)]
    assert list(SetBasedClientRetryPolicy()().status_forcelist) == expected


def test_the_set_based_retry_policy_is_much_cheaper():
    stock = SetBasedClientRetryPolicy.__mro__[1]

    def best_of(cls: type, runs: int = 5) -> float:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            cls()
            times.append(time.perf_counter() - started)
        return min(times)

    assert best_of(SetBasedClientRetryPolicy) * 10 < best_of(stock)


def test_installing_the_retry_fix_reaches_every_new_client():
    assert install_msrest_retry_fix() is True
    assert install_msrest_retry_fix() is True  # idempotent
    client = ConnectorClient(
        MicrosoftAppCredentials.empty(), base_url="https://smba.trafficmanager.net/uk/"
    )
    assert isinstance(client.config.retry_policy, SetBasedClientRetryPolicy)


def test_the_app_installs_the_retry_fix(start_app):
    # create_adapter installs it; any app built by create_app has it.
    assert msrest_requests.ClientRetryPolicy is SetBasedClientRetryPolicy


# -- malformed tokens ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("Bearer", "is not 'Bearer <token>'"),
        ("bearer a.b.c", "is not 'Bearer <token>'"),
        ("Bearer a b", "is not 'Bearer <token>'"),
        ("Bearer abc", "is not a JWT"),
        ("Bearer a..c", "is not a JWT"),
        ("Bearer a.b.c", "not base64url JSON"),
        ("Bearer é.é.é", "not base64url JSON"),
        ("Bearer W10.W10.c2ln", "not base64url JSON"),  # JSON, but arrays
    ],
)
def test_token_shape_problems_are_named(header: str, problem: str):
    assert problem in (token_shape_problem(header) or "")


def test_a_well_formed_token_has_no_shape_problem():
    from tests.e2e.tokens import SigningKeys

    header = SigningKeys().channel_token(app_id="a", service_url="https://x/")
    assert token_shape_problem(header) is None


# -- behaviour unchanged ------------------------------------------------------------------------


class TeamsBot(ActivityHandler):
    """Uses the roster, sends, then updates what it sent: the calls the real bot will make."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        me = await TeamsInfo.get_member(turn_context, turn_context.activity.from_property.id)
        page = await TeamsInfo.get_paged_members(turn_context, page_size=1)
        everyone = await TeamsInfo.get_members(turn_context)
        sent = await turn_context.send_activity(
            MessageFactory.text(f"{me.email} {len(page.members)}/{len(everyone)}")
        )
        update = MessageFactory.text("updated")
        update.id = sent.id
        await turn_context.update_activity(update)


async def test_teams_roster_sends_and_updates_work_through_the_kept_clients(
    start_app, teams, connector: FakeConnector
):
    connector.set_members([
        {**teams_member(20, "Alex Wilber"), "id": ALEX.mri, "aadObjectId": ALEX.aad_object_id},
        teams_member(21, "Megan Bowen"),
    ])  # fmt: skip
    client = teams(await start_app(TeamsBot()))
    [reply] = await client.send("who am I?")
    assert reply.text == "alex@example.com 1/2"
    [update] = connector.updates
    assert update.url_activity_id == reply.assigned_id
    assert update.body["text"] == "updated"
    operations = [c.operation for c in connector.calls]
    assert operations == ["member", "paged_members", "members", "reply", "update"]


async def test_proactive_sends_and_new_conversations_use_the_kept_clients(
    start_app, teams, connector: FakeConnector
):
    bot = ClientRecordingBot()
    app = await start_app(bot)
    client = teams(app)
    await client.send("hello")
    adapter: IroCloudAdapter = app.app[ADAPTER_KEY]
    reference = TurnContext.get_conversation_reference(
        TurnContext(adapter, _activity_from(client.message("x"))).activity
    )

    used: list[Any] = []

    async def nudge(turn_context: TurnContext) -> None:
        used.append(turn_context.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY])
        await turn_context.send_activity("A review is due soon.")

    await adapter.continue_conversation(reference, nudge, bot_app_id="")
    parameters = ConversationParameters(
        is_group=False,
        bot=ChannelAccount(id=client.bot_id),
        members=[ChannelAccount(id=MEGAN.mri)],
        tenant_id="00000000-0000-0000-0000-0000000000aa",
    )
    await adapter.create_conversation("", nudge, parameters, "msteams", client.service_url)

    assert used[0] is bot.connector_clients[0] and used[1] is bot.connector_clients[0]
    [created] = connector.created_conversations
    assert created.body["members"][0]["id"] == MEGAN.mri
    nudges = [a for a in connector.activities if a.text == "A review is due soon."]
    assert [n.conversation_id for n in nudges] == [client.conversation_id, created.assigned_id]


def _activity_from(data: dict[str, Any]) -> Any:
    from botbuilder.schema import Activity

    return Activity().deserialize(data)
