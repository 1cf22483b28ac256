"""The Agents Playground's people are the demo staff, one Playground for each person to be.

The Microsoft 365 Agents Playground (a local Teams simulator, pinned in package.json) has one
signed-in user and no way to switch to another in its page. Who that user is, and who else is
in the tenant, it reads from a config file (``M365_AGENTS_PLAYGROUND_CONFIG_PATH``; its schema
wants exactly five other users: the demo has six people). So ``iro-bot run`` starts one
Playground per person asked for, each with its own config and port, all talking to the one bot:
each person's Playground is their own Teams, and a card the bot sends Adele after Alex raises
an IR arrives in Adele's Playground, as it would in Teams.

Everything that identifies a person is fixed, so what the bot stores stays valid from one run
to the next: the Teams user id (``user-id-N``, the Playground's own ids, in ``PLAYGROUND_USERS``
order), the AAD object id and e-mail (the demo's), the personal chat's id, and the port, hence
the connector's service URL ``http://localhost:<port>/_connector``. (The Playground keeps its
messages in memory only: a card shown before a restart is gone after it.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.cli.demo_data import PLAYGROUND_USERS, PlaygroundUser

FIRST_PORT = 56150  # the Playground's default port, Alex's; the others follow in demo order
TENANT_ID = "00000000-0000-0000-0000-0000000000001"  # the Playground's default tenant
BOT_ID = "00000000-0000-0000-0000-00000000000011"  # and its default bot id
CONFIG_VERSION = "0.1.1"  # the config schema the pinned Playground validates against
# The three people of a Stage 1 IR: the IRO, the child's social worker, her team manager.
DEFAULT_PEOPLE = ("alexw@example.com", "meganb@example.com", "adelev@example.com")


class UnknownPersonError(ValueError):
    """A name given to ``--as`` that is not one of the demo's Playground users."""


def first_name(user: PlaygroundUser) -> str:
    """How ``--as`` names a person for short: ``adele``."""
    return user.display_name.split()[0].lower()


def who(name: str) -> PlaygroundUser:
    """The demo user meant by an e-mail (``adelev@example.com``) or a first name (``adele``)."""
    wanted = name.strip().lower()
    for user in PLAYGROUND_USERS:
        if wanted in (user.email, first_name(user)):
            return user
    choices = ", ".join(first_name(user) for user in PLAYGROUND_USERS)
    raise UnknownPersonError(f"{name!r} is not a Playground user; choose from: {choices}")


def _index(user: PlaygroundUser) -> int:
    return PLAYGROUND_USERS.index(user)


def port_for(user: PlaygroundUser) -> int:
    return FIRST_PORT + _index(user)


def teams_user_id(user: PlaygroundUser) -> str:
    return f"user-id-{_index(user)}"


def _local_part(user: PlaygroundUser) -> str:
    return user.email.split("@", 1)[0]


def _account(user: PlaygroundUser) -> dict[str, str]:
    given, _, surname = user.display_name.partition(" ")
    return {
        "id": teams_user_id(user),
        "name": user.display_name,
        # The Playground's spelling; it becomes userPrincipalName in rosters.
        "userPrincipleName": user.email,
        "aadObjectId": user.aad_object_id,
        "givenName": given,
        "surname": surname,
        "email": user.email,
    }


def config_for(current: PlaygroundUser) -> dict[str, Any]:
    """The Playground config in which ``current`` is signed in and the other five are colleagues.

    The group chat and the team hold all six, as the Playground builds them from ``users``.
    """
    return {
        "version": CONFIG_VERSION,
        "tenantId": TENANT_ID,
        "bot": {"id": BOT_ID, "name": "IRO assistant"},
        "currentUser": _account(current),
        "users": [_account(user) for user in PLAYGROUND_USERS if user != current],
        "personalChat": {"id": f"personal-chat-{_local_part(current)}"},
        "groupChat": {"id": "group-chat-iro-service", "name": "IRO service"},
        "team": {
            "id": "team-children-in-care",
            "name": "Children in Care",
            "aadGroupId": "00000000-0000-0000-0000-000000000031",
            "channels": [{"id": "channel-children-in-care-announcements", "name": "Announcements"}],
        },
    }


def write_config(current: PlaygroundUser, folder: Path) -> Path:
    """Write ``current``'s config into ``folder`` and return its path.

    JSON, which is YAML too: the Playground parses its config with a YAML 1.2 parser, and this
    keeps the project free of a YAML writer.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"playground-{_local_part(current)}.yml"
    path.write_text(json.dumps(config_for(current), indent=2) + "\n", encoding="utf-8")
    return path
