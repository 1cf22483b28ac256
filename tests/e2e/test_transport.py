"""The aiohttp transport (bot/adapter.py, item 7) sends and retries exactly as msrest's does.

Each case runs twice against the fake Bot Connector, once on a stock ``ConnectorClient``
(msrest: ``requests`` on a thread, urllib3's ``Retry``) and once on the same client given
``use_aiohttp_transport``; what the connector saw (every call's status) and what the caller got
(the result, or the exception's type) must be the same.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials

from bot.adapter import (
    AiohttpSender,
    SignedHeaderPolicy,
    install_msrest_retry_fix,
    use_aiohttp_transport,
)
from tests.e2e.fake_connector import FakeConnector

Call = Callable[[ConnectorClient], Awaitable[Any]]
REPLY: Call = lambda c: c.conversations.reply_to_activity("a:1", "1", Activity(type="message"))  # noqa: E731
UPDATE: Call = lambda c: c.conversations.update_activity("a:1", "1", Activity(type="message"))  # noqa: E731
MEMBERS: Call = lambda c: c.conversations.get_conversation_members("a:1")  # noqa: E731


@dataclass(frozen=True)
class Case:
    name: str
    call: Call
    fault: Callable[[FakeConnector], object] | None = None
    timeout: float | None = None


CASES = [
    Case("a reply is posted once", REPLY),
    # POST is never retried on a status: a reply must not be delivered twice.
    Case("a reply answered 503 is not retried", REPLY, lambda c: c.fail("reply", status=503)),
    Case("a 403 is the caller's to handle", REPLY,
         lambda c: c.fail("reply", status=403, code="BotNotInConversationRoster")),
    Case("an update answered 503 is retried", UPDATE, lambda c: c.fail("update", status=503)),
    Case("an update's retries run out", UPDATE, lambda c: c.fail("update", status=503, times=4)),
    Case("501 is not retried", UPDATE, lambda c: c.fail("update", status=501)),
    Case("429 is not retried", UPDATE, lambda c: c.fail("update", status=429)),
    Case("a roster read answered 502 is retried", MEMBERS, lambda c: c.fail("members", status=502)),
    Case("Retry-After is honoured", UPDATE,
         lambda c: c.fail("update", status=503, headers={"Retry-After": "1"})),
    Case("an unreadable Retry-After fails", UPDATE,
         lambda c: c.fail("update", status=503, headers={"Retry-After": "0.2"})),
    Case("a reply that times out is not sent again", REPLY, lambda c: c.delay("reply", 1.0),
         timeout=0.3),
    Case("an update that times out is sent again", UPDATE, lambda c: c.delay("update", 1.0),
         timeout=0.3),
]  # fmt: skip


async def outcome(connector: FakeConnector, case: Case, *, aiohttp: bool) -> tuple[Any, ...]:
    install_msrest_retry_fix()
    connector.calls.clear()
    client = ConnectorClient(MicrosoftAppCredentials.empty(), connector.url + "/")
    client.config.retry_policy.backoff_factor = 0.01  # the same schedule, faster
    if case.timeout is not None:
        client.config.connection.timeout = case.timeout
    if aiohttp:
        assert await use_aiohttp_transport(client)
        assert isinstance(client.config.pipeline._sender, AiohttpSender)
    if case.fault is not None:
        case.fault(connector)
    try:
        result: Any = type(await case.call(client)).__name__
    except Exception as exc:
        # What callers read from msrest's errors: the type, and the response as requests
        # gives it (status and headers), e.g. bot/workers/dispatcher.py's classification.
        response = getattr(exc, "response", None)
        result = (type(exc).__name__, type(response).__name__,
                  getattr(response, "status_code", None),
                  (getattr(response, "headers", None) or {}).get("Content-Type"))  # fmt: skip
    finally:
        await client.__aexit__(None, None, None)
    return result, [call.status for call in connector.calls]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_the_same_calls_and_the_same_outcome_as_msrest(
    connector: FakeConnector, case: Case
) -> None:
    stock = await outcome(connector, case, aiohttp=False)
    ours = await outcome(connector, case, aiohttp=True)
    assert ours == stock


async def test_a_connection_never_made_is_retried_then_fails_as_msrest_fails() -> None:
    results = []
    for aiohttp in (False, True):
        client = ConnectorClient(MicrosoftAppCredentials.empty(), "http://127.0.0.1:9/")
        client.config.retry_policy.backoff_factor = 0.01
        if aiohttp:
            await use_aiohttp_transport(client)
        try:
            await REPLY(client)
        except Exception as exc:
            results.append(type(exc).__name__)
        finally:
            await client.__aexit__(None, None, None)
    assert results == ["ClientRequestError", "ClientRequestError"]


async def test_the_backoff_is_urllib3_s(connector: FakeConnector) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    client = ConnectorClient(MicrosoftAppCredentials.empty(), connector.url + "/")
    await use_aiohttp_transport(client)
    client.config.pipeline._sender._sleep = sleep
    connector.fail("update", status=503, times=3)
    await UPDATE(client)
    await client.__aexit__(None, None, None)
    assert slept == [0.0, 1.6, 3.2]  # msrest's backoff factor 0.8: 0, 0.8x2, 0.8x4


async def test_the_token_goes_on_the_request(connector: FakeConnector) -> None:
    class Credentials(MicrosoftAppCredentials):
        def get_access_token(self, force_refresh: bool = False) -> str:
            return "token-from-msal-cache"

    client = ConnectorClient(Credentials("app-id", "secret"), connector.url + "/")
    assert await use_aiohttp_transport(client)
    assert any(isinstance(p, SignedHeaderPolicy) for p in client.config.pipeline._impl_policies)
    await REPLY(client)
    await client.__aexit__(None, None, None)
    assert connector.calls[-1].authorization == "Bearer token-from-msal-cache"


async def test_settings_it_does_not_carry_keep_msrest_s_transport() -> None:
    client = ConnectorClient(MicrosoftAppCredentials.empty(), "https://smba.example/")
    client.config.connection.verify = False
    assert not await use_aiohttp_transport(client)
    await client.__aexit__(None, None, None)


@pytest.mark.parametrize("bypassed", [False, True], ids=["proxied", "NO_PROXY"])
async def test_the_environment_s_proxy_is_used_as_msrest_uses_it(
    connector: FakeConnector, monkeypatch: pytest.MonkeyPatch, bypassed: bool
) -> None:
    """HTTP_PROXY / NO_PROXY from the environment (msrest's ``use_env_settings``): a reply goes
    through the proxy, or straight to the connector for a host NO_PROXY names, on both
    transports."""
    seen: list[str] = []

    async def proxy(request: web.Request) -> web.Response:
        seen.append(f"{request.method} {request.url.path}")
        return web.json_response({"id": "via-proxy"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    if bypassed:
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    try:
        results = []
        for aiohttp in (False, True):
            seen.clear()
            connector.calls.clear()
            client = ConnectorClient(MicrosoftAppCredentials.empty(), connector.url + "/")
            if aiohttp:
                assert await use_aiohttp_transport(client)
            reply = await REPLY(client)
            await client.__aexit__(None, None, None)
            results.append((reply.id == "via-proxy", list(seen), len(connector.calls)))
    finally:
        await runner.cleanup()
    expected = (
        (False, [], 1) if bypassed else (True, ["POST /v3/conversations/a:1/activities/1"], 0)
    )
    assert results == [expected, expected]
