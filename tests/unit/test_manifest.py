"""The Teams app package: `iro-bot manifest build` and what Teams requires of the result.

The manifest is validated against Microsoft's official Teams manifest schema, v1.30 from the npm
package @microsoft/app-manifest 1.1.2, vendored in manifest/schema/ (see its README for why a
copy, and the check below that keeps it equal to the pinned package's file).
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from PIL import Image

from bot.cli import main
from bot.cli.manifest_command import build_manifest, default_app_id
from understanding import Intent, understand

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "manifest"
SCHEMA_PATH = MANIFEST / "schema" / "MicrosoftTeams.v1.30.schema.json"
PINNED_PACKAGE = ROOT / "node_modules" / "@microsoft" / "app-manifest"
BOT_ID = "8E1D6B3A-7C2F-4B1E-9A0D-3F5C2B1A0E9D"
APP_ID = "2f6c1b7e-0a3d-4e59-8b1c-6d2e9f0a4b73"


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def build(tmp_path: Path, capsys, *extra: str) -> tuple[int, Path, str]:
    out = tmp_path / "appPackage.zip"
    status = main(["manifest", "build", "--bot-id", BOT_ID, "--out", str(out), *extra])
    captured = capsys.readouterr()
    return status, out, captured.out + captured.err


def test_the_package_holds_exactly_a_valid_manifest_and_two_icons(tmp_path, capsys):
    status, out, printed = build(
        tmp_path, capsys, "--app-id", APP_ID, "--domain", "IRO-bot.example.gov.uk"
    )
    assert status == 0, printed
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == ["manifest.json", "color.png", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        color = Image.open(io.BytesIO(archive.read("color.png")))
        outline = Image.open(io.BytesIO(archive.read("outline.png")))

    validator = Draft4Validator(schema())
    errors = sorted(validator.iter_errors(manifest), key=str)
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []
    # The validator does reject what Teams would: not a vacuous pass.
    broken = json.loads(json.dumps(manifest))
    broken["bots"][0]["scopes"] = ["everyone"]
    del broken["icons"]["outline"]
    assert len(list(validator.iter_errors(broken))) == 2
    assert manifest["manifestVersion"] == "1.30"
    assert manifest["$schema"].endswith("/teams/v1.30/MicrosoftTeams.schema.json")
    assert manifest["id"] == APP_ID
    assert manifest["bots"][0]["botId"] == BOT_ID.lower()
    assert manifest["bots"][0]["scopes"] == ["personal"]
    assert manifest["validDomains"] == ["iro-bot.example.gov.uk"]
    assert "${{" not in json.dumps(manifest)
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}

    assert (color.format, color.size) == ("PNG", (192, 192))
    assert (outline.format, outline.size, outline.mode) == ("PNG", (32, 32), "RGBA")
    # The outline icon: white on transparent, nothing else (Teams rejects other colours).
    pixels = list(outline.get_flattened_data())
    assert {p[:3] for p in pixels if p[3]} == {(255, 255, 255)}
    assert pixels[0][3] == 0 and sum(1 for p in pixels if p[3] == 0) > 32 * 32 / 2


def test_committed_icons_are_the_right_sizes():
    with Image.open(MANIFEST / "color.png") as color, Image.open(MANIFEST / "outline.png") as o:
        assert color.size == (192, 192) and o.size == (32, 32) and o.mode == "RGBA"


def test_every_command_in_the_list_is_understood():
    """A command picked from Teams' list is sent as its title; with a child where needed."""
    manifest = json.loads((MANIFEST / "manifest.template.json").read_text(encoding="utf-8"))
    commands = {c["title"] for c in manifest["bots"][0]["commandLists"][0]["commands"]}
    expected = {
        "next review": Intent.NEXT_REVIEW,
        "due this week": Intent.DUE_FOR_ME,
        "raise IR": Intent.RAISE_IR,
        "my IRs": Intent.MY_IRS,
        "help": Intent.HELP,
    }
    assert commands == set(expected)
    today = date(2026, 4, 1)
    for title, intent in expected.items():
        text = f"{title} for Sam Taylor" if intent is Intent.NEXT_REVIEW else title
        assert understand(text, today).intent is intent, title


def test_rebuilding_gives_the_same_bytes_and_the_same_derived_app_id(tmp_path, capsys):
    status, first, _ = build(tmp_path, capsys)
    assert status == 0
    once = first.read_bytes()
    status, again, _ = build(tmp_path, capsys)
    assert status == 0 and again.read_bytes() == once
    with zipfile.ZipFile(first) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["id"] == default_app_id(BOT_ID) != BOT_ID.lower()
    assert manifest["validDomains"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bot-id", "not-a-guid"], "--bot-id 'not-a-guid' is not a GUID"),
        (["--app-id", "123"], "--app-id '123' is not a GUID"),
        (["--domain", "https://bot.example.org/api"], "is not a host name"),
        (["--version", "1.2"], "is not a version like 1.2.3"),
        (["--privacy-url", "http://example.org/privacy"], "must be an https:// URL"),
        (["--source", "/nonexistent"], "there is no manifest.template.json"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, args, message):
    status, out, printed = build(tmp_path, capsys, *args)
    assert status == 2
    assert message in printed and printed.count("\n") == 1, printed
    assert not out.exists()


def test_an_unfilled_placeholder_is_an_error():
    from domain.errors import DomainError

    with pytest.raises(DomainError, match=r"\$\{\{TENANT\}\}, which has no value"):
        build_manifest({"x": "${{TENANT}}"}, bot_id=BOT_ID)


def test_the_vendored_schema_is_the_pinned_packages():
    """The copy must equal @microsoft/app-manifest's file at the version package.json pins.

    node_modules/ exists after `npm ci` (as `make run` does); without it this is skipped,
    since the vendored copy, not node_modules, is what the manifest is validated against.
    """
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    assert pinned["@microsoft/app-manifest"] == "1.1.2"
    assert "`@microsoft/app-manifest` 1.1.2" in (MANIFEST / "schema" / "README.md").read_text()
    if not PINNED_PACKAGE.is_dir():
        pytest.skip("node_modules/@microsoft/app-manifest is not installed (run `npm ci`)")
    installed = json.loads((PINNED_PACKAGE / "package.json").read_text())["version"]
    assert installed == "1.1.2", "node_modules is out of date: run `npm ci`"
    original = PINNED_PACKAGE / "build/json-schemas/teams/v1.30/MicrosoftTeams.schema.json"
    assert original.read_bytes() == SCHEMA_PATH.read_bytes()
