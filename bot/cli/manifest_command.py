"""`iro-bot manifest build --bot-id ID [--app-id ID] --out appPackage.zip`: the Teams app package.

The package is what a Teams administrator uploads (Teams admin centre, or "Upload a custom app"):
a zip holding exactly ``manifest.json``, ``color.png`` (192x192) and ``outline.png`` (32x32). The
manifest comes from ``manifest/manifest.template.json``, whose ``${{NAME}}`` placeholders are
filled here; anything left unfilled is an error, not a broken package.

Choices:

- Scope ``personal`` only. Every answer names children in care; in a team channel or a group
  chat each member would see them, while the bot decides what each *person* may see. A team or
  group-chat scope needs its own rules about who may read what, so it is left out for now.
- The app id defaults to a UUID derived from the bot id, so rebuilding the package for the same
  bot gives the same app id and Teams treats the upload as an update, not as a second app.
- The zip is deterministic (fixed entry order and timestamps): the same inputs give the same
  bytes, so a package can be checked against the one that was approved.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from domain.errors import DomainError

SOURCE = Path(__file__).resolve().parents[2] / "manifest"
TEMPLATE = "manifest.template.json"
ICONS = ("color.png", "outline.png")
# uuid5 namespace for app ids derived from bot ids (any fixed UUID; this one is random).
_APP_ID_NAMESPACE = uuid.UUID("6b0f3c1e-2d4a-4e8b-9c57-1f0a9e3d7b21")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)$")
_DOMAIN = re.compile(r"^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?::\d+)?$")
_PLACEHOLDER = re.compile(r"\$\{\{([A-Z_]+)\}\}")
# 1980-01-01, the earliest time a zip entry can hold: no build time leaks into the package.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

DEFAULTS = {
    "DEVELOPER_NAME": "West Berkshire Council",
    "WEBSITE_URL": "https://www.westberks.gov.uk",
}


def register(subparsers: Any) -> None:  # argparse's subparsers action has no public type
    parser = subparsers.add_parser(
        "manifest",
        help="build the Teams app package (manifest.json and icons, zipped)",
        description="Build the Teams app package to upload to Teams.",
    )
    actions = parser.add_subparsers(dest="manifest_action", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build",
        help="fill in the ids and write the package zip",
        description="Fill the manifest template with the bot's ids and write the zip "
        "(manifest.json, color.png, outline.png) that a Teams administrator uploads.",
    )
    build.add_argument("--bot-id", required=True, metavar="ID", help="the bot's Microsoft App ID")
    build.add_argument(
        "--app-id", metavar="ID", help="the Teams app id (default: derived from the bot id)"
    )
    build.add_argument("--out", default="appPackage.zip", metavar="PATH", help="the zip to write")
    build.add_argument(
        "--version", dest="app_version", metavar="X.Y.Z", help="app version (default: iro-bot's)"
    )
    build.add_argument(
        "--domain",
        action="append",
        default=[],
        metavar="HOST",
        help="a domain the app may open, e.g. the bot's own host (repeatable)",
    )
    build.add_argument("--developer-name", metavar="NAME", help="shown in Teams' app details")
    build.add_argument("--website-url", metavar="URL", help="https URL of the developer's site")
    build.add_argument("--privacy-url", metavar="URL", help="https URL of the privacy notice")
    build.add_argument("--terms-url", metavar="URL", help="https URL of the terms of use")
    build.add_argument(
        "--source",
        metavar="DIR",
        help="folder with manifest.template.json and the icons (default: the repo's manifest/)",
    )
    build.set_defaults(handler=run_build)


def default_app_id(bot_id: str) -> str:
    return str(uuid.uuid5(_APP_ID_NAMESPACE, bot_id.lower()))


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("iro-bot")
    except PackageNotFoundError:
        return "0.0.0"


def fill(template: Any, values: Mapping[str, str]) -> Any:
    """``template`` with every ``${{NAME}}`` in its strings replaced; unknown names are errors."""
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(item, values) for item in template]
    if isinstance(template, str):

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise DomainError(f"the manifest template has ${{{{{name}}}}}, which has no value")
            return values[name]

        return _PLACEHOLDER.sub(one, template)
    return template


def build_manifest(
    template: Mapping[str, Any],
    *,
    bot_id: str,
    app_id: str | None = None,
    version: str | None = None,
    domains: Sequence[str] = (),
    urls: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """The filled manifest; a bad id, version, domain or URL raises ``DomainError``."""
    app_id = app_id or default_app_id(bot_id)
    for name, value in (("--bot-id", bot_id), ("--app-id", app_id)):
        if not _GUID.match(value):
            raise DomainError(
                f"{name} {value!r} is not a GUID (like 00000000-0000-0000-0000-000000000000): "
                "use the Microsoft App ID from the bot's Azure registration"
            )
    version = version or _package_version()
    if not _SEMVER.match(version):
        raise DomainError(f"--version {version!r} is not a version like 1.2.3")
    hosts: list[str] = []
    for domain in domains:
        host = domain.strip().lower()
        if not _DOMAIN.match(host):
            raise DomainError(
                f"--domain {domain!r} is not a host name: give it without https:// or a path, "
                "e.g. iro-bot.example.gov.uk"
            )
        if host not in hosts:
            hosts.append(host)
    values = {**DEFAULTS, "BOT_ID": bot_id.lower(), "APP_ID": app_id.lower(), "VERSION": version}
    chosen = {k: v for k, v in (urls or {}).items() if v}
    values.update(chosen)
    values.setdefault("PRIVACY_URL", values["WEBSITE_URL"])
    values.setdefault("TERMS_URL", values["WEBSITE_URL"])
    for key in ("WEBSITE_URL", "PRIVACY_URL", "TERMS_URL"):
        if not values[key].startswith("https://"):
            option = "--" + key.lower().replace("_", "-")
            raise DomainError(f"{option} {values[key]!r} must be an https:// URL")
    manifest = fill(dict(template), values)
    if hosts:
        manifest["validDomains"] = [*manifest.get("validDomains", []), *hosts]
    return manifest


def package_bytes(manifest: Mapping[str, Any], icons: Mapping[str, bytes]) -> bytes:
    """The zip: manifest.json then the icons, at the root, with fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = [("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")]
        for name, content in [*entries, *icons.items()]:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def run_build(args: argparse.Namespace) -> int:
    source = Path(args.source) if args.source else SOURCE
    template_path = source / TEMPLATE
    if not template_path.is_file():
        raise DomainError(
            f"there is no {TEMPLATE} in {source}: give --source the folder holding it and the "
            "icons (the repository's manifest/)"
        )
    try:
        template = json.loads(template_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DomainError(f"{template_path} is not valid JSON: {exc}") from None
    icons: dict[str, bytes] = {}
    for name in ICONS:
        path = source / name
        if not path.is_file():
            raise DomainError(f"the icon {path} is missing (run manifest/make_icons.py)")
        icons[name] = path.read_bytes()
    manifest = build_manifest(
        template,
        bot_id=args.bot_id.strip(),
        app_id=args.app_id.strip() if args.app_id else None,
        version=args.app_version,
        domains=args.domain,
        urls={
            "DEVELOPER_NAME": args.developer_name,
            "WEBSITE_URL": args.website_url,
            "PRIVACY_URL": args.privacy_url,
            "TERMS_URL": args.terms_url,
        },
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(package_bytes(manifest, icons))
    print(
        f"Wrote {out}: Teams app {manifest['id']} version {manifest['version']} for bot "
        f"{args.bot_id.strip().lower()} (manifest {manifest['manifestVersion']})"
    )
    return 0
