"""Start-up and authentication, as the issue asks: production settings without credentials
refuse to start, whatever the combination; with credentials, a request to the real bot without a
valid token is 401 and touches nothing.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from bot.app import StartupRefusedError, check_startup, is_loopback
from bot.cli.demo_data import seed_demo
from bot.settings import Settings
from bot.wiring import build_bot
from domain.rules import load_rules
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from tests.e2e.conftest import BotClient, local_settings
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.hostile import DEMO_USERS, TODAY, differences, snapshot
from tests.e2e.test_server import GARBAGE_HEADERS
from tests.e2e.tokens import SigningKeys, forbid_key_fetches, new_key

APP_ID = "11111111-2222-3333-4444-555555555555"
TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI", "multitenant", "SINGLETENANT",
         "Anonymous", "")  # fmt: skip
KNOWN_TYPES = {"multitenant", "singletenant", "userassignedmsi"}


def should_start(host: str, app_id: str, password: str, app_type: str, tenant: str) -> bool:
    """The rule, written out apart from the code: credentials complete and tidy, or none at all
    and only this machine can connect."""
    if app_type.lower() not in KNOWN_TYPES:
        return False
    if any(value != value.strip() for value in (app_id, password, tenant)):
        return False
    if not app_id:
        return host in ("127.0.0.1", "localhost", "::1")
    if app_type.lower() != "userassignedmsi" and not password:
        return False
    return app_type.lower() == "multitenant" or bool(tenant)


MATRIX = list(itertools.product(
    ("127.0.0.1", "0.0.0.0", "10.1.2.3", "localhost"), ("", APP_ID, " ", f"{APP_ID} "),
    ("", "secret", "secret "), TYPES, ("", "tenant-id"),
))  # fmt: skip


def test_every_combination_of_settings_starts_only_when_it_should(tmp_path: Path) -> None:
    started, refused = 0, 0
    for host, app_id, password, app_type, tenant in MATRIX:
        settings = local_settings(tmp_path, app_id=app_id, app_password=password,
                                  app_type=app_type, app_tenant_id=tenant)  # fmt: skip
        expected = should_start(host, app_id, password, app_type, tenant)
        try:
            check_startup(settings, host)
        except StartupRefusedError as refusal:
            assert not expected, (host, app_id, password, app_type, tenant, str(refusal))
            assert "\n" not in str(refusal) and "secret" not in str(refusal)
            refused += 1
        else:
            assert expected, (host, app_id, password, app_type, tenant)
            # Whatever starts without an app id is reachable from this machine only.
            assert app_id or is_loopback(host)
            started += 1
    assert started > 20 and refused > 500  # both sides of the rule were exercised


@pytest.fixture
def production_settings(tmp_path: Path) -> Settings:
    return local_settings(tmp_path, app_id=APP_ID, app_password="not-a-real-secret")


TOKENS = {"no-token": None, **GARBAGE_HEADERS, "signed-by-another-key": "forged"}


async def test_without_a_valid_token_the_real_bot_answers_401_and_writes_nothing(
    production_settings: Settings,
    start_app,
    teams,
    connector: FakeConnector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fetches = forbid_key_fetches(monkeypatch)
    keys = SigningKeys()
    keys.install(monkeypatch)
    engine = create_engine(production_settings.database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session, session.begin():
            await seed_demo(session, load_rules(), today=TODAY, seed=7)
        before = await snapshot(engine)
        bot = build_bot(production_settings, engine, clock=lambda: TODAY)
        app = await start_app(bot, settings=production_settings, engine=engine)
        for (name, token), kind in itertools.product(
            TOKENS.items(), ("message", "card-action", "invoke-other")
        ):
            client: BotClient = teams(app, user=DEMO_USERS[0])
            if token == "forged":
                token = keys.channel_token(app_id=APP_ID, service_url=client.service_url,
                                           key=new_key())  # fmt: skip
            client.authorization = token
            activity = {
                "message": client.message("when is the next review due?"),
                "card-action": client.card_action("ir.respond", {"ir": "IR-2026-0001"}),
                "invoke-other": client.invoke("composeExtension/query", {}),
            }[kind]
            assert (await client.post(activity)).status == 401, (name, kind)
        assert connector.calls == [] and fetches.urls == []
        after = await snapshot(engine)
        # Not a row anywhere: no audit entry, no conversation reference, no state.
        assert differences(before, after) == [] and after.counts == before.counts
    finally:
        await engine.dispose()
