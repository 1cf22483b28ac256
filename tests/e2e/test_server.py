"""The server over real HTTP: round trip, health, bad requests, authentication, start-up rules,
the adaptiveCard/action invoke trap, and what a failing turn does."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from botbuilder.core import ActivityHandler, InvokeResponse, MessageFactory, TurnContext
from botbuilder.schema import AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue
from botframework.connector.auth import MicrosoftAppCredentials

from bot import cli
from bot.app import APOLOGY, StartupRefusedError, check_startup, is_loopback
from bot.settings import Settings
from bot.wiring import build_bot
from cards.common import UNKNOWN_USER
from storage.engine import create_engine
from storage.migrate import head_revisions, upgrade
from tests.e2e.conftest import ALEX, BOT_ID, BotClient, local_settings
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.tokens import CHANNEL_METADATA_URL, SigningKeys, forbid_key_fetches, new_key

#: The schema this code needs: what /readyz reports when ready.
HEAD_REVISION = ",".join(sorted(head_revisions()))

REPO = Path(__file__).resolve().parents[2]


class EchoBot(ActivityHandler):
    """The samples' echo bot, recording the turns it saw."""

    def __init__(self) -> None:
        self.seen: list[str | None] = []

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        self.seen.append(turn_context.activity.id)
        await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))


class SilentBot(ActivityHandler):
    """Records turns and sends nothing (for requests whose reply is beside the point)."""

    def __init__(self) -> None:
        self.seen: list[str | None] = []

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        self.seen.append(turn_context.activity.id)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- a message, there and back ------------------------------------------------------------------


async def test_a_message_round_trips_through_the_endpoint_to_the_connector(
    start_app, teams, connector: FakeConnector
):
    bot = EchoBot()
    client: BotClient = teams(await start_app(bot))
    inbound = client.message("hello there")

    posted = await client.post(inbound)
    assert posted.status == 201
    [reply] = await connector.wait_for_activities(1)

    assert bot.seen == [inbound["id"]]
    assert reply.operation == "reply"
    assert reply.conversation_id == client.conversation_id
    assert reply.url_activity_id == inbound["id"]
    assert reply.text == "Echo: hello there"
    assert reply.body["replyToId"] == inbound["id"]
    assert reply.body["from"]["id"] == BOT_ID
    assert reply.body["recipient"]["id"] == ALEX.mri
    assert reply.authorization is None  # no app id: nothing to sign with


async def test_a_round_trip_at_debug_level_logs_no_message_text_or_names(
    start_app, teams, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    client: BotClient = teams(await start_app(EchoBot()))
    [reply] = await client.send("Zebedee Quaintance")
    assert reply.text == "Echo: Zebedee Quaintance"
    assert caplog.records  # botbuilder, msrest and urllib3 did log
    assert "Zebedee" not in caplog.text and "Quaintance" not in caplog.text
    assert "Alex" not in caplog.text


async def test_turns_in_two_conversations_get_their_own_replies(start_app, teams):
    app = await start_app(EchoBot())
    first, second = teams(app), teams(app)
    assert [r.text for r in await first.send("one")] == ["Echo: one"]
    assert [r.text for r in await second.send("two")] == ["Echo: two"]
    assert [r.text for r in await first.send("three")] == ["Echo: three"]


async def test_the_wired_bot_refuses_a_user_who_is_not_staff(
    start_app, teams, e2e_settings: Settings
):
    engine = create_engine(e2e_settings.database_url)
    try:
        await upgrade(engine)
        client = teams(await start_app(build_bot(e2e_settings, engine), engine=engine))
        [reply] = await client.send("when is the next review?")
        assert reply.text == UNKNOWN_USER
    finally:
        await engine.dispose()


# -- /healthz (liveness) and /readyz (readiness) -------------------------------------------------


async def test_healthz_is_200_whenever_the_process_serves(
    start_app, http: aiohttp.ClientSession, tmp_path: Path
):
    """Liveness reads nothing: a store that is down never gets a healthy process restarted."""
    url = f"postgresql+asyncpg://iro:secret@127.0.0.1:{free_port()}/iro"
    app = await start_app(EchoBot(), settings=local_settings(tmp_path, database_url=url))
    async with http.get(f"{app.url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "alive"}


async def test_readyz_is_200_when_the_store_answers_and_its_schema_is_current(
    start_app, http: aiohttp.ClientSession, e2e_settings
):
    engine = create_engine(e2e_settings.database_url)
    try:
        await upgrade(engine)
        app = await start_app(EchoBot(), engine=engine)
        async with http.get(f"{app.url}/readyz") as response:
            assert response.status == 200
            assert await response.json() == {"status": "ready", "schema": HEAD_REVISION}
    finally:
        await engine.dispose()


async def test_readyz_is_503_until_the_schema_is_migrated(
    start_app, http: aiohttp.ClientSession, e2e_settings
):
    engine = create_engine(e2e_settings.database_url)
    try:
        app = await start_app(EchoBot(), engine=engine)
        async with http.get(f"{app.url}/readyz") as response:
            assert response.status == 503
            assert await response.json() == {"status": "not ready", "schema": "none",
                                             "needs": HEAD_REVISION}  # fmt: skip
        await upgrade(engine, "0003")  # behind this code (a rollback, or a migration not run)
        async with http.get(f"{app.url}/readyz") as response:
            assert (response.status, (await response.json())["schema"]) == (503, "0003")
        await upgrade(engine)
        async with http.get(f"{app.url}/readyz") as response:
            assert response.status == 200
    finally:
        await engine.dispose()


@pytest.mark.parametrize("store", ["postgresql-closed-port", "sqlite-missing-directory"])
async def test_readyz_is_503_when_the_store_is_down(
    store: str, start_app, http: aiohttp.ClientSession, tmp_path: Path
):
    if store == "postgresql-closed-port":
        url = f"postgresql+asyncpg://iro:secret@127.0.0.1:{free_port()}/iro"
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'no-such-directory' / 'iro.db'}"
    app = await start_app(EchoBot(), settings=local_settings(tmp_path, database_url=url))

    started = time.perf_counter()
    async with http.get(f"{app.url}/readyz") as response:
        body = await response.json()
    assert response.status == 503
    assert body["status"] == "unavailable"
    assert "secret" not in str(body)  # no URL, no password
    assert time.perf_counter() - started < 3
    # aiosqlite stops the worker thread of a failed connection asynchronously; let it finish
    # before this test's event loop closes (else it reports "Event loop is closed").
    await asyncio.sleep(0.1)


async def test_readyz_gives_up_on_a_store_that_never_answers(
    start_app, http: aiohttp.ClientSession, tmp_path: Path
):
    # A "database" that accepts the connection and then says nothing.
    silent = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    url = f"postgresql+asyncpg://iro@127.0.0.1:{port}/iro"
    try:
        app = await start_app(
            EchoBot(), settings=local_settings(tmp_path, database_url=url), health_timeout=0.3
        )
        started = time.perf_counter()
        async with http.get(f"{app.url}/readyz") as response:
            assert response.status == 503
            assert await response.json() == {"status": "unavailable", "store": "timeout"}
        assert time.perf_counter() - started < 2
    finally:
        silent.close()


# -- requests that are not activities -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"", "application/json", 400),
        (b"\xff\xfe\x00garbage", "application/json", 400),
        (b"[1, 2, 3]", "application/json", 400),
        (b'"a string"', "application/json", 400),
        (b"null", "application/json", 400),
        (b'{"text": "no type"}', "application/json", 400),
        (b'{"type": ""}', "application/json", 400),
        (b'{"type": "message", "from": "not an object"}', "application/json", 400),
        (b'{"type": "message", "conversation": {"id": "c"}}', "application/json", 400),
        (b'{"type": "message", "serviceUrl": "http://127.0.0.1:9/"}', "application/json", 400),
        (b'{"type": "message"}', "text/plain", 415),
        (b'{"type": "message"}', None, 415),
    ],
    ids=[
        "malformed-json",
        "empty-body",
        "not-utf8",
        "json-array",
        "json-string",
        "json-null",
        "no-type",
        "empty-type",
        "wrong-field-type",
        "no-service-url",
        "no-conversation",
        "text-plain",
        "no-content-type",
    ],
)
async def test_a_body_that_is_not_an_activity_is_a_4xx_not_a_500(
    data: bytes, content_type: str | None, status: int, start_app, teams, connector
):
    bot = EchoBot()
    client: BotClient = teams(await start_app(bot))
    headers = {"Content-Type": content_type} if content_type else {}
    if content_type is None:
        # aiohttp would add application/octet-stream; send no Content-Type at all.
        headers = {"Content-Type": ""}
    posted = await client.post(data=data, headers=headers)
    assert posted.status == status, posted.body
    assert isinstance(posted.body, dict) and posted.body["error"]
    assert bot.seen == [] and connector.calls == []


async def test_a_body_over_a_megabyte_is_413(start_app, teams, connector):
    bot = EchoBot()
    client: BotClient = teams(await start_app(bot))
    posted = await client.post(client.message("x" * (1024 * 1024 + 1)))
    assert posted.status == 413
    assert bot.seen == [] and connector.calls == []


async def test_only_post_is_accepted(start_app, http: aiohttp.ClientSession):
    app = await start_app(EchoBot())
    async with http.get(app.messages_url) as response:
        assert response.status == 405


# -- authentication -----------------------------------------------------------------------------

APP_ID = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def authenticated_settings(tmp_path: Path) -> Settings:
    return local_settings(tmp_path, app_id=APP_ID, app_password="not-a-real-secret")


@pytest.fixture
def signing_keys(monkeypatch: pytest.MonkeyPatch) -> SigningKeys:
    keys = SigningKeys()
    keys.install(monkeypatch)
    return keys


async def test_without_a_token_a_request_gets_401(
    start_app, teams, authenticated_settings: Settings, connector
):
    bot = EchoBot()
    client: BotClient = teams(await start_app(bot, settings=authenticated_settings))
    posted = await client.post(client.message("hello"))
    assert posted.status == 401
    assert bot.seen == [] and connector.calls == []


def _unsigned_jwt(header: dict[str, Any], payload: dict[str, Any]) -> str:
    import base64
    import json

    def segment(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{segment(header)}.{segment(payload)}.c2lnbmF0dXJl"


GARBAGE_HEADERS = {
    "not-a-jwt": "Bearer garbage",
    "empty-bearer": "Bearer ",
    "basic-scheme": "Basic dXNlcjpwYXNz",
    "three-junk-segments": "Bearer a.b.c",
    "alg-none": "Bearer " + _unsigned_jwt({"alg": "none", "kid": "k"},
                                          {"iss": "https://api.botframework.com"}),
    "hs256": "Bearer " + _unsigned_jwt({"alg": "HS256", "kid": "k"},
                                       {"iss": "https://api.botframework.com"}),
    "no-kid": "Bearer " + _unsigned_jwt({"alg": "RS256"}, {"iss": "https://api.botframework.com"}),
    "no-issuer": "Bearer " + _unsigned_jwt({"alg": "RS256", "kid": "k"}, {"aud": APP_ID}),
    "huge": "Bearer " + "A" * 8_000,  # aiohttp itself refuses headers over 8190 bytes
}  # fmt: skip


@pytest.mark.parametrize("authorization", GARBAGE_HEADERS.values(), ids=GARBAGE_HEADERS.keys())
async def test_a_garbage_token_gets_401_fast_and_without_the_network(
    authorization: str,
    start_app,
    teams,
    authenticated_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
):
    # No signing keys cached: if anything reached botbuilder's key fetch, it would be recorded.
    fetches = forbid_key_fetches(monkeypatch)
    bot = EchoBot()
    client: BotClient = teams(
        await start_app(bot, settings=authenticated_settings), authorization=authorization
    )
    started = time.perf_counter()
    posted = await client.post(client.message("hello"))
    assert posted.status == 401
    assert time.perf_counter() - started < 1.0  # generous for a busy machine: it is ~1 ms
    assert fetches.urls == [] and bot.seen == []


async def test_an_unknown_issuer_gets_401_without_the_network(
    start_app, teams, authenticated_settings, monkeypatch: pytest.MonkeyPatch
):
    fetches = forbid_key_fetches(monkeypatch)
    keys = SigningKeys()  # not installed: botbuilder must not even look for keys
    client: BotClient = teams(await start_app(EchoBot(), settings=authenticated_settings))
    client.authorization = keys.channel_token(
        app_id=APP_ID, service_url=client.service_url, issuer="https://evil.example.com"
    )
    assert (await client.post(client.message("hello"))).status == 401
    assert fetches.urls == []


@pytest.mark.parametrize(
    "forgery",
    ["signed-by-another-key", "unknown-key-id", "wrong-audience", "wrong-service-url", "expired",
     "not-endorsed-for-teams"],
)  # fmt: skip
async def test_a_forged_or_misdirected_token_gets_401(
    forgery: str,
    start_app,
    teams,
    authenticated_settings,
    signing_keys: SigningKeys,
    monkeypatch: pytest.MonkeyPatch,
):
    fetches = forbid_key_fetches(monkeypatch)
    bot = SilentBot()
    client: BotClient = teams(await start_app(bot, settings=authenticated_settings))
    claims: dict[str, Any] = {"app_id": APP_ID, "service_url": client.service_url}
    if forgery == "signed-by-another-key":
        claims["key"] = new_key()
    elif forgery == "unknown-key-id":
        claims["kid"] = "some-other-key"
    elif forgery == "wrong-audience":
        claims["app_id"] = "99999999-0000-0000-0000-000000000000"
    elif forgery == "wrong-service-url":
        claims["service_url"] = "https://smba.trafficmanager.net/uk/"
    elif forgery == "expired":
        claims["expires_in"] = -3600
    elif forgery == "not-endorsed-for-teams":
        signing_keys.endorsements = ("webchat",)
        signing_keys.install(monkeypatch)
    client.authorization = signing_keys.channel_token(**claims)

    posted = await client.post(client.message("hello"))
    assert posted.status == 401
    assert bot.seen == []
    assert fetches.urls == []  # the cached keys are fresh: no refresh was needed


async def test_a_valid_channel_token_is_accepted_and_replies_are_signed(
    start_app,
    teams,
    authenticated_settings,
    signing_keys: SigningKeys,
    connector: FakeConnector,
    monkeypatch: pytest.MonkeyPatch,
):
    forbid_key_fetches(monkeypatch)
    # Outbound, the bot signs replies with an AAD token; MSAL would fetch one from
    # login.microsoftonline.com. Count the credentials objects made instead.
    made: list[int] = []
    monkeypatch.setattr(
        MicrosoftAppCredentials,
        "get_access_token",
        lambda self, force_refresh=False: made.append(id(self)) or "outbound-token",
    )
    bot = EchoBot()
    client: BotClient = teams(await start_app(bot, settings=authenticated_settings))
    client.authorization = signing_keys.channel_token(app_id=APP_ID, service_url=client.service_url)
    first = await client.send("one")
    second = await client.send("two")

    assert [r.text for r in first + second] == ["Echo: one", "Echo: two"]
    assert {r.authorization for r in first + second} == {"Bearer outbound-token"}
    assert len(set(made)) == 1  # one credentials object (and token cache) for both turns


async def test_a_token_check_that_needs_the_network_does_not_block_the_bot(
    start_app,
    teams,
    authenticated_settings,
    http: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
):
    """botbuilder fetches signing keys with a blocking requests.get. Here it hangs for two
    seconds (no keys cached); meanwhile the server must keep answering, then refuse with 503
    when the check's time (1 s here) is up."""
    from botframework.connector.auth import jwt_token_extractor

    from bot.adapter import create_adapter

    class SlowRequests:
        RequestException = Exception

        @staticmethod
        def get(url: str, *args: Any, **kwargs: Any) -> Any:
            time.sleep(2.0)
            raise jwt_token_extractor.requests.ConnectionError("network unreachable")

    monkeypatch.setattr(jwt_token_extractor, "requests", SlowRequests)
    monkeypatch.delitem(
        jwt_token_extractor.JwtTokenExtractor.metadataCache, CHANNEL_METADATA_URL, raising=False
    )
    adapter = create_adapter(authenticated_settings, auth_timeout=1.0)
    app = await start_app(EchoBot(), settings=authenticated_settings, adapter=adapter)
    client: BotClient = teams(app)
    client.authorization = SigningKeys().channel_token(
        app_id=APP_ID, service_url=client.service_url
    )

    turn = asyncio.create_task(client.post(client.message("hello")))
    await asyncio.sleep(0.1)
    started = time.perf_counter()
    async with http.get(f"{app.url}/healthz") as response:
        assert response.status == 200
    # The event loop was free: /healthz answered while the token check was still blocked.
    assert not turn.done()
    assert time.perf_counter() - started < 0.8
    posted = await turn
    assert posted.status == 503
    assert posted.headers.get("Retry-After")


# -- start-up rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("LOCALHOST", True), ("0.0.0.0", False), ("::", False),
     ("192.168.1.10", False), ("10.0.0.1", False), ("example.com", False), ("", False)],
)  # fmt: skip
def test_which_addresses_are_loopback(host: str, loopback: bool):
    assert is_loopback(host) is loopback


def test_without_an_app_id_only_loopback_is_allowed(tmp_path: Path):
    settings = local_settings(tmp_path)
    check_startup(settings, "127.0.0.1")
    check_startup(settings, "localhost")
    with pytest.raises(StartupRefusedError, match="without MicrosoftAppId"):
        check_startup(settings, "0.0.0.0")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"app_id": APP_ID}, "MicrosoftAppPassword is empty"),
        ({"app_id": APP_ID, "app_password": "p", "app_type": "SingleTenant"},
         "needs MicrosoftAppTenantId"),
        ({"app_type": "Anonymous"}, "MicrosoftAppType is 'Anonymous'"),
    ],
)  # fmt: skip
def test_half_configured_credentials_refuse_to_start(
    overrides: dict[str, str], message: str, tmp_path: Path
):
    with pytest.raises(StartupRefusedError, match=message):
        check_startup(local_settings(tmp_path, **overrides), "0.0.0.0")


def test_complete_credentials_may_bind_anywhere(tmp_path: Path):
    check_startup(local_settings(tmp_path, app_id=APP_ID, app_password="p"), "0.0.0.0")
    check_startup(
        local_settings(tmp_path, app_id=APP_ID, app_type="UserAssignedMSI", app_tenant_id="t"),
        "0.0.0.0",
    )


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No Bot Framework settings in the environment and no .env in the working directory."""
    for name in ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType",
                 "MicrosoftAppTenantId", "DATABASE_URL", "LOG_LEVEL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_serve_refuses_a_public_address_without_an_app_id(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
):
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "refusing to listen on 0.0.0.0 without MicrosoftAppId" in err


def test_serve_refuses_an_unsupported_database_url(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("DATABASE_URL", "mysql://iro:secret@db/iro")
    assert cli.main(["serve", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert "DATABASE_URL must start" in err and "secret" not in err


def test_serve_refuses_a_store_that_is_not_migrated(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{clean_environment / 'new.db'}")
    assert cli.main(["serve", "--port", str(free_port())]) == 1
    err = capsys.readouterr().err
    assert "iro-bot migrate" in err
    assert "Traceback" not in err


async def _wait_until_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            if process.poll() is not None:
                raise AssertionError("iro-bot serve exited early")
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("iro-bot serve did not become healthy in 10s")


@pytest.fixture
async def served(
    clean_environment: Path, connector: FakeConnector
) -> AsyncIterator[tuple[str, subprocess.Popen[bytes]]]:
    """`iro-bot serve` as a real process, on a migrated SQLite store."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("Microsoft")}
    environment["DATABASE_URL"] = f"sqlite+aiosqlite:///{clean_environment / 'served.db'}"
    environment["PYTHONPATH"] = str(REPO)
    command = [sys.executable, "-m", "bot.cli"]
    subprocess.run([*command, "migrate"], env=environment, cwd=clean_environment, check=True,
                   capture_output=True)  # fmt: skip
    port = free_port()
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port)],
        env=environment,
        cwd=clean_environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        await _wait_until_healthy(f"http://127.0.0.1:{port}", process)
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_serve_runs_warns_answers_and_stops_gracefully(
    served: tuple[str, subprocess.Popen[bytes]], http: aiohttp.ClientSession, connector
):
    url, process = served
    client = BotClient(http, f"{url}/api/messages", connector)
    # A fresh store has no staff: the wired bot refuses politely and shows nothing.
    [reply] = await client.send("hello")
    assert reply.text == UNKNOWN_USER

    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.to_thread(process.communicate, timeout=10)
    assert process.returncode == 0
    log = err.decode()
    assert "requests to http://127.0.0.1:" in log and "NOT\n!!  AUTHENTICATED" in log
    assert "Shutting down" in log
    assert "hello" not in log  # no message text in the logs, even at INFO with access logs


# -- the adaptiveCard/action invoke trap --------------------------------------------------------

CARD = {
    "type": "AdaptiveCard",
    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Saved", "wrap": True}],
}


class CardActionBot(ActivityHandler):
    """Answers ``adaptiveCard/action`` the recommended way: an InvokeResponse whose body is the
    ``AdaptiveCardInvokeResponse`` model (serialised once, by the adapter)."""

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        if turn_context.activity.name == "adaptiveCard/action":
            verb = turn_context.activity.value["action"]["verb"]
            card = {**CARD, "body": [{"type": "TextBlock", "text": f"Done: {verb}"}]}
            return InvokeResponse(
                status=200,
                body=AdaptiveCardInvokeResponse(
                    status_code=200, type="application/vnd.microsoft.card.adaptive", value=card
                ),
            )
        return await super().on_invoke_activity(turn_context)


class DefaultPathCardBot(ActivityHandler):
    """Answers through ActivityHandler's own path (on_adaptive_card_invoke), which serialises
    the body itself: stock CloudAdapter then serialises it again and answers 500."""

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        return AdaptiveCardInvokeResponse(
            status_code=200, type="application/vnd.microsoft.card.adaptive", value=CARD
        )


async def test_a_card_action_answered_with_a_model_body_is_200_with_the_card(start_app, teams):
    client: BotClient = teams(await start_app(CardActionBot()))
    posted = await client.post(client.card_action("saveReview", {"childId": "C1"}))
    assert posted.status == 200
    assert posted.body == {
        "statusCode": 200,
        "type": "application/vnd.microsoft.card.adaptive",
        "value": {**CARD, "body": [{"type": "TextBlock", "text": "Done: saveReview"}]},
    }


async def test_a_card_action_answered_through_the_default_path_is_200_too(start_app, teams):
    client: BotClient = teams(await start_app(DefaultPathCardBot()))
    posted = await client.post(client.card_action("anything"))
    assert posted.status == 200
    assert posted.body == {
        "statusCode": 200,
        "type": "application/vnd.microsoft.card.adaptive",
        "value": CARD,
    }


async def test_an_invoke_nobody_handles_is_501(start_app, teams):
    client: BotClient = teams(await start_app(CardActionBot()))
    posted = await client.post(client.invoke("composeExtension/unknown", {}))
    assert posted.status == 501


# -- a turn that fails --------------------------------------------------------------------------


class FailingBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        # Exceptions often quote the data they failed on; that must not reach the logs.
        raise LookupError(f"no child called {turn_context.activity.text}")


async def test_a_failing_turn_apologises_and_logs_no_text_or_names(
    start_app, teams, caplog: pytest.LogCaptureFixture
):
    client: BotClient = teams(await start_app(FailingBot()))
    caplog.set_level(logging.DEBUG)
    inbound = client.message("Zebedee Quaintance")
    [reply] = await client.send_activity(inbound)

    assert reply.text == APOLOGY
    log = caplog.text
    assert "LookupError" in log and inbound["id"] in log and client.conversation_id in log
    assert "Zebedee" not in log and "Quaintance" not in log
    assert ALEX.name not in log and "Alex" not in log


async def test_when_the_connector_fails_once_the_user_still_gets_the_apology(
    start_app, teams, connector: FakeConnector
):
    client: BotClient = teams(await start_app(EchoBot()))
    connector.fail("reply", status=500)
    [reply] = await client.send("hello")
    assert reply.text == APOLOGY
    assert [c.status for c in connector.calls] == [500, 200]


async def test_when_the_connector_is_down_the_request_still_ends_cleanly(
    start_app, teams, connector: FakeConnector, caplog: pytest.LogCaptureFixture
):
    client: BotClient = teams(await start_app(EchoBot()))
    connector.fail("reply", status=403, code="BotNotInConversationRoster", times=None)
    posted = await client.post(client.message("hello"))
    assert posted.status == 201
    assert connector.activities == []
    assert "ErrorResponseException" in caplog.text
    assert "Could not send the apology either" in caplog.text
