"""End-to-end fixtures: the real aiohttp app on a loopback port, a fake Bot Connector on another,
and a client that talks to ``/api/messages`` the way Teams does. Real HTTP, real sockets.

Fixtures (function-scoped):

``connector``
    A started ``FakeConnector`` (``tests/e2e/fake_connector.py``): records what the bot sends,
    serves the Teams roster, injects faults.
``e2e_settings``
    ``Settings`` for a local, unauthenticated bot (no ``MicrosoftAppId``) on a SQLite file in
    ``tmp_path``; nothing is read from the environment or ``.env`` that could change that.
``start_app``
    ``await start_app(bot, settings=None, engine=None, **create_app_kwargs) -> RunningApp``:
    ``create_app`` served by ``web.AppRunner``/``TCPSite`` on 127.0.0.1 and a free port,
    cleaned up after the test. ``RunningApp.url`` is its base URL.
``http``
    An ``aiohttp.ClientSession`` for requests the ``BotClient`` does not model.
``teams``
    ``teams(app, user=ALEX, **kwargs) -> BotClient``: a Teams client for a running app, whose
    ``serviceUrl`` is ``connector``.

``BotClient.send(text)`` posts a Teams-shaped message and returns the activities the bot
delivered in answer (waiting for them); ``BotClient.post(activity)`` returns the raw HTTP
answer (status and JSON body) for tests of the endpoint itself.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from botbuilder.core import Bot
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import create_async_engine as create_bare_async_engine
from sqlalchemy.pool import NullPool

from bot.app import create_app
from bot.settings import Settings
from storage.engine import create_engine
from tests.e2e.fake_connector import FakeConnector, Recorded
from tests.integration.conftest import postgres_url

TENANT_ID = "00000000-0000-0000-0000-0000000000aa"
BOT_ID = "28:00000000-0000-0000-0000-0000000000b0"


@dataclass(frozen=True)
class TeamsUser:
    """A Teams user as an activity's ``from`` carries one: MRI, AAD object id, display name."""

    mri: str
    aad_object_id: str
    name: str

    def account(self) -> dict[str, str]:
        return {"id": self.mri, "aadObjectId": self.aad_object_id, "name": self.name}


# The Microsoft 365 Agents Playground's demo users, with well-formed fake ids.
ALEX = TeamsUser("29:1alexw-fake-mri", "00000000-0000-0000-0000-000000000020", "Alex Wilber")
MEGAN = TeamsUser("29:1meganb-fake-mri", "00000000-0000-0000-0000-000000000021", "Megan Bowen")


@dataclass
class Posted:
    """The HTTP answer to one POST to ``/api/messages``."""

    status: int
    body: Any
    headers: Mapping[str, str]


@dataclass
class RunningApp:
    url: str
    app: web.Application

    @property
    def messages_url(self) -> str:
        return f"{self.url}/api/messages"


_activity_numbers = itertools.count(1_700_000_000_001)


@dataclass
class BotClient:
    """One Teams user in one personal chat with the bot, over HTTP."""

    session: aiohttp.ClientSession
    endpoint: str
    connector: FakeConnector
    user: TeamsUser = ALEX
    conversation_id: str = field(default_factory=lambda: f"a:1fake-personal-{uuid.uuid4().hex}")
    bot_id: str = BOT_ID
    authorization: str | None = None
    # Teams service URLs end with a slash (e.g. https://smba.trafficmanager.net/uk/).
    service_url_suffix: str = "/"

    @property
    def service_url(self) -> str:
        return self.connector.url + self.service_url_suffix

    def activity(self, activity_type: str, **fields: Any) -> dict[str, Any]:
        """An activity as Teams sends it, for this user and conversation."""
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        activity: dict[str, Any] = {
            "type": activity_type,
            "id": str(next(_activity_numbers)),
            "timestamp": now,
            "localTimestamp": now,
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": self.user.account(),
            "conversation": {
                "conversationType": "personal",
                "tenantId": TENANT_ID,
                "id": self.conversation_id,
            },
            "recipient": {"id": self.bot_id, "name": "iro-bot"},
            "locale": "en-GB",
            "entities": [
                {
                    "type": "clientInfo",
                    "locale": "en-GB",
                    "country": "GB",
                    "platform": "Web",
                    "timezone": "Europe/London",
                }
            ],
            "channelData": {"tenant": {"id": TENANT_ID}},
        }
        activity.update(fields)
        return activity

    def message(self, text: str, **fields: Any) -> dict[str, Any]:
        return self.activity("message", text=text, textFormat="plain", **fields)

    def invoke(self, name: str, value: Any, **fields: Any) -> dict[str, Any]:
        return self.activity("invoke", name=name, value=value, **fields)

    def card_action(self, verb: str, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """An ``adaptiveCard/action`` invoke, as Teams sends for an ``Action.Execute``."""
        value = {"action": {"type": "Action.Execute", "verb": verb, "data": dict(data or {})},
                 "trigger": "manual"}  # fmt: skip
        return self.invoke("adaptiveCard/action", value)

    async def post(
        self,
        activity: Mapping[str, Any] | None = None,
        *,
        data: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Posted:
        """POST ``activity`` (as JSON) or raw ``data``; the status and parsed body."""
        sent_headers = dict(headers or {})
        if self.authorization is not None:
            sent_headers.setdefault("Authorization", self.authorization)
        if activity is not None:
            data = json.dumps(activity)
            sent_headers.setdefault("Content-Type", "application/json")
        async with self.session.post(self.endpoint, data=data, headers=sent_headers) as response:
            raw = await response.read()
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            return Posted(response.status, body, dict(response.headers))

    async def send(self, text: str, *, replies: int = 1, timeout: float = 5.0) -> list[Recorded]:
        """Say ``text``; return the ``replies`` activities the bot delivered in answer."""
        return await self.send_activity(self.message(text), replies=replies, timeout=timeout)

    async def send_activity(
        self, activity: Mapping[str, Any], *, replies: int = 1, timeout: float = 5.0
    ) -> list[Recorded]:
        before = len(self.connector.activities_in(self.conversation_id))
        posted = await self.post(activity)
        assert posted.status in (200, 201, 202), (posted.status, posted.body)
        return await self.connector.wait_for_activities(
            replies, timeout=timeout, conversation_id=self.conversation_id, after=before
        )


StartApp = Callable[..., Awaitable[RunningApp]]


@pytest_asyncio.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        yield fake


@pytest.fixture
def e2e_settings(tmp_path: Path) -> Settings:
    return local_settings(tmp_path)


def local_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for tests: explicit values only (no ``.env``, environment cannot override)."""
    values: dict[str, Any] = {
        "app_id": "",
        "app_password": "",
        "app_type": "MultiTenant",
        "app_tenant_id": "",
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
        "rules_path": "",
        "log_level": "INFO",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest_asyncio.fixture
async def start_app(e2e_settings: Settings) -> AsyncIterator[StartApp]:
    runners: list[web.AppRunner] = []

    async def start(
        bot: Bot,
        *,
        settings: Settings | None = None,
        engine: AsyncEngine | None = None,
        **create_app_kwargs: Any,
    ) -> RunningApp:
        app = create_app(settings or e2e_settings, bot, engine=engine, **create_app_kwargs)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return RunningApp(f"http://{host}:{port}", app)

    yield start
    for runner in reversed(runners):
        await runner.cleanup()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def teams(http: aiohttp.ClientSession, connector: FakeConnector) -> Callable[..., BotClient]:
    def make(app: RunningApp, **kwargs: Any) -> BotClient:
        return BotClient(http, app.messages_url, connector, **kwargs)

    return make


@dataclass
class EmptyStore:
    """Where a test's store is: a URL and the connection arguments that select it."""

    url: str
    connect_args: dict[str, Any]

    def engine(self, url: str | None = None) -> AsyncEngine:
        return create_engine(url or self.url, connect_args=dict(self.connect_args))


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EmptyStore]:
    """An empty store: a SQLite file, or a fresh schema in the PostgreSQL test database."""
    if request.param == "sqlite":
        yield EmptyStore(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}", {})
        return
    url = postgres_url()
    schema = f"iro_test_{uuid.uuid4().hex[:12]}"
    admin = create_bare_async_engine(url, poolclass=NullPool)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield EmptyStore(url, {"server_settings": {"search_path": schema}})
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        await admin.dispose()
