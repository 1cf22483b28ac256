"""`iro-bot run`'s Agents Playgrounds: who each is signed in as, and how each is started.

The Playground (0.2.28, pinned in package.json) refuses a config that breaks its JSON schema or
its own checks (unique user ids; unique chat, team and channel ids). ``PLAYGROUND_SCHEMA`` below
restates the parts of that schema a config can break, from the package's ``config.schema.json``
0.1.1 (the package's licence does not let us copy the file itself). The walkthrough in the README
was run with these configs.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from bot.cli import build_parser, run_command
from bot.cli.demo_data import ADELE, ALEX, LYNNE, MEGAN, PLAYGROUND_USERS
from bot.cli.playground import (
    DEFAULT_PEOPLE,
    FIRST_PORT,
    UnknownPersonError,
    config_for,
    port_for,
    teams_user_id,
    who,
    write_config,
)

_USER = {
    "type": "object",
    "required": ["id", "name", "userPrincipleName", "aadObjectId", "givenName", "surname",
                 "email"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"}, "name": {"type": "string", "maxLength": 256},
        "userPrincipleName": {"type": "string"}, "aadObjectId": {"type": "string"},
        "givenName": {"type": "string", "maxLength": 256},
        "surname": {"type": "string", "maxLength": 256}, "email": {"type": "string"},
    },
}  # fmt: skip
_ID_ONLY = {"type": "object", "required": ["id"], "additionalProperties": False,
            "properties": {"id": {"type": "string"}}}  # fmt: skip
_NAMED = {"type": "object", "required": ["id", "name"], "additionalProperties": False,
          "properties": {"id": {"type": "string"},
                         "name": {"type": "string", "maxLength": 256}}}  # fmt: skip
PLAYGROUND_SCHEMA = {
    "type": "object",
    "required": ["version", "tenantId", "bot", "currentUser", "users", "personalChat",
                 "groupChat", "team"],
    "additionalProperties": False,
    "properties": {
        "version": {"enum": ["0.1.0", "0.1.1"]},
        "tenantId": {"type": "string"},
        "bot": {"type": "object", "required": ["id", "name"], "additionalProperties": False,
                "properties": {"id": {"type": "string"},
                               "name": {"type": "string", "maxLength": 42}}},
        "currentUser": _USER,
        "users": {"type": "array", "items": _USER, "minItems": 5, "maxItems": 5},
        "personalChat": _ID_ONLY,
        "groupChat": _NAMED,
        "team": {"type": "object", "required": ["id", "name", "aadGroupId", "channels"],
                 "additionalProperties": False,
                 "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                                "aadGroupId": {"type": "string"},
                                "channels": {"type": "array", "items": _NAMED, "maxItems": 1}}},
    },
}  # fmt: skip


@pytest.mark.parametrize("person", PLAYGROUND_USERS, ids=lambda u: u.email)
def test_each_persons_config_is_one_the_playground_accepts(person) -> None:
    config = config_for(person)
    jsonschema.validate(config, PLAYGROUND_SCHEMA)
    user_ids = [config["currentUser"]["id"]] + [u["id"] for u in config["users"]]
    assert len(set(user_ids)) == 6
    team = config["team"]
    place_ids = [config["personalChat"]["id"], config["groupChat"]["id"], team["id"]]
    place_ids += [channel["id"] for channel in team["channels"]]
    assert len(set(place_ids)) == len(place_ids)


@pytest.mark.parametrize("person", PLAYGROUND_USERS, ids=lambda u: u.email)
def test_the_signed_in_user_is_the_person_and_the_other_five_are_the_rest(person) -> None:
    config = config_for(person)
    current = config["currentUser"]
    assert (current["name"], current["email"], current["aadObjectId"]) == (
        person.display_name, person.email, person.aad_object_id)  # fmt: skip
    # The bot matches staff on the AAD id, else the e-mail or UPN: all three are the demo's.
    others = {(u["aadObjectId"], u["email"], u["userPrincipleName"]) for u in config["users"]}
    assert others == {(u.aad_object_id, u.email, u.email) for u in PLAYGROUND_USERS
                      if u != person}  # fmt: skip


def test_a_person_has_the_same_teams_id_in_every_playground() -> None:
    # Adele's id in Alex's roster must be the id her own Playground signs her in with, or the
    # bot would learn two ids for her.
    seen: dict[str, set[str]] = {}
    for person in PLAYGROUND_USERS:
        config = config_for(person)
        for account in [config["currentUser"], *config["users"]]:
            seen.setdefault(account["email"], set()).add(account["id"])
    assert seen == {u.email: {teams_user_id(u)} for u in PLAYGROUND_USERS}
    assert teams_user_id(ALEX) == "user-id-0"  # the Playground's own default for Alex


def test_ports_and_personal_chats_differ_from_person_to_person() -> None:
    ports = [port_for(u) for u in PLAYGROUND_USERS]
    chats = [config_for(u)["personalChat"]["id"] for u in PLAYGROUND_USERS]
    assert ports[0] == FIRST_PORT == 56150
    assert len(set(ports)) == len(set(chats)) == len(PLAYGROUND_USERS)


def test_a_config_is_the_same_from_one_run_to_the_next(tmp_path: Path) -> None:
    # Stored conversation references name the chat and the service URL (the port): both fixed.
    first = write_config(ADELE, tmp_path / "one").read_text(encoding="utf-8")
    second = write_config(ADELE, tmp_path / "two").read_text(encoding="utf-8")
    assert first == second
    assert json.loads(first) == config_for(ADELE)


@pytest.mark.parametrize(
    ("name", "person"),
    [("adele", ADELE), ("Adele", ADELE), ("adelev@example.com", ADELE),
     (" MEGANB@example.com ", MEGAN), ("lynne", LYNNE)],
)  # fmt: skip
def test_a_person_is_named_by_first_name_or_email(name: str, person) -> None:
    assert who(name) == person


@pytest.mark.parametrize("name", ["", "bob", "adelev", "vance", "adele vance"])
def test_someone_not_in_the_playground_is_refused_with_the_choices(name: str) -> None:
    with pytest.raises(UnknownPersonError, match="choose from: alex, megan, adele, isaiah"):
        who(name)


def _run_args(*argv: str):
    return build_parser("run").parse_args(["run", *argv])


def test_run_opens_alex_megan_and_adele_by_default() -> None:
    assert _run_args().people == [who(name) for name in DEFAULT_PEOPLE] == [ALEX, MEGAN, ADELE]


def test_run_as_names_whose_playgrounds_to_open() -> None:
    assert _run_args("--as", "adele", "lynnER@example.com").people == [ADELE, LYNNE]


def test_run_as_someone_unknown_is_one_line_and_exit_status_2(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        _run_args("--as", "alex", "bob")
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "argument --as: 'bob' is not a Playground user; choose from: alex," in error
    assert "Traceback" not in error


def _fake_playground(tmp_path: Path) -> Path:
    """An executable that records its arguments and the config it was given, as a Playground
    started by ``iro-bot run`` would read them."""
    script = tmp_path / "agentsplayground"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "config = os.environ['M365_AGENTS_PLAYGROUND_CONFIG_PATH']\n"
        "record = {'argv': sys.argv[1:], 'config': json.load(open(config)),\n"
        "          'browser': os.environ.get('TEAMSAPPTESTER_BROWSER'),\n"
        "          'log': os.environ.get('M365_AGENTS_PLAYGROUND_LOGFILE')}\n"
        "name = record['config']['currentUser']['email']\n"
        f"json.dump(record, open(os.path.join({str(tmp_path)!r}, name + '.json'), 'w'))\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def _records(folder: Path, emails: list[str]) -> dict[str, dict]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all((folder / f"{email}.json").exists() for email in emails):
            try:
                return {e: json.loads((folder / f"{e}.json").read_text()) for e in emails}
            except json.JSONDecodeError:  # a process still writing its record
                pass
        time.sleep(0.05)
    raise AssertionError("the Playground processes did not start")


def test_one_playground_per_person_each_with_its_own_config_and_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(run_command, "PLAYGROUND_BIN", _fake_playground(tmp_path))
    monkeypatch.setattr(run_command.shutil, "which", lambda name: f"/usr/bin/{name}")
    processes = run_command.start_playgrounds([ALEX, ADELE, ALEX], 3999, tmp_path / "devTools")
    try:
        assert len(processes) == 2  # Alex once
        records = _records(tmp_path, [ALEX.email, ADELE.email])
    finally:
        run_command.stop(processes)
    for person in (ALEX, ADELE):
        record = records[person.email]
        assert record["config"] == config_for(person)
        argv = record["argv"]
        assert argv[argv.index("-e") + 1] == "http://127.0.0.1:3999/api/messages"
        assert argv[argv.index("-c") + 1] == "msteams"
        assert argv[argv.index("-p") + 1] == str(port_for(person))
        assert record["browser"] == "none"  # else the Playground exits with no browser to open
        assert os.path.dirname(record["log"]) == str((tmp_path / "devTools").resolve())
    printed = capsys.readouterr().out
    assert "as Alex Wilber (iro): open http://127.0.0.1:56150" in printed
    assert "as Adele Vance (team manager): open http://127.0.0.1:56152" in printed


def test_without_the_playground_installed_nothing_starts_and_the_terminal_is_offered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(run_command, "PLAYGROUND_BIN", tmp_path / "not-installed")
    assert run_command.start_playgrounds([ALEX], 3978, tmp_path / "devTools") == []
    assert "iro-bot chat --as alexw@example.com" in capsys.readouterr().out
    assert not (tmp_path / "devTools").exists()
