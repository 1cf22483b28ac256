"""The folders depend inwards only, read from the code's own imports (every import statement,
inside functions too), so a shortcut across layers fails here rather than in review:

- ``domain/`` imports no project package;
- ``storage/`` imports only ``domain/``;
- ``services/`` imports only ``domain/`` and ``storage/``;
- botbuilder (and botframework) is imported only under ``bot/`` and ``dialogs/``, so a move to
  the Microsoft 365 Agents SDK touches only those folders;
- ``dialogs/`` never imports ``bot/``, and no two top-level packages import each other, directly
  or round a longer loop.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "cards", "dialogs", "domain", "services", "storage", "understanding")
SDK = ("botbuilder", "botframework")
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "storage": {"domain"},
    "services": {"domain", "storage"},
}


def imports_of(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def package_imports() -> dict[str, dict[str, set[str]]]:
    """package -> imported root -> the modules of the package that import it."""
    found: dict[str, dict[str, set[str]]] = {p: {} for p in PACKAGES}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for name in imports_of(path):
                root = name.split(".")[0]
                if root != package:
                    found[package].setdefault(root, set()).add(module)
    return found


IMPORTS = package_imports()


def test_every_package_is_read() -> None:
    # Guards against passing vacuously if a folder moved or the walk found nothing.
    for package in PACKAGES:
        assert len(list((ROOT / package).rglob("*.py"))) >= 3, package
    assert IMPORTS["bot"] and IMPORTS["services"] and IMPORTS["storage"]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_inner_layers_import_only_what_is_inside_them(package: str) -> None:
    project = {root: modules for root, modules in IMPORTS[package].items() if root in PACKAGES}
    outside = {root: sorted(m) for root, m in project.items() if root not in ALLOWED[package]}
    assert outside == {}


def test_only_bot_and_dialogs_import_the_bot_sdk() -> None:
    offenders = {
        package: sorted(set().union(*(IMPORTS[package].get(sdk, set()) for sdk in SDK)))
        for package in PACKAGES
        if package not in ("bot", "dialogs")
    }
    assert {p: m for p, m in offenders.items() if m} == {}


def test_dialogs_do_not_import_bot() -> None:
    assert sorted(IMPORTS["dialogs"].get("bot", set())) == []


def test_no_cycle_between_top_level_packages() -> None:
    graph = {p: {r for r in IMPORTS[p] if r in PACKAGES} for p in PACKAGES}
    cycles = []
    for start in PACKAGES:
        seen, todo = set(), list(graph[start])
        while todo:
            node = todo.pop()
            if node == start:
                cycles.append(start)
                break
            if node not in seen:
                seen.add(node)
                todo.extend(graph[node])
    assert cycles == []


def test_the_checks_catch_a_crossing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from bot.handler import IroBot\n    import botbuilder.core\n")
    assert set(imports_of(bad)) == {"bot.handler", "botbuilder.core"}
