"""domain/ is pure: it must not import the outer layers, botbuilder, SQLAlchemy or aiohttp.

Checked two ways: statically over every module's import statements (so an import inside a
function is caught too), and by importing every domain module in a fresh interpreter and looking
at what got loaded.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
FORBIDDEN = ("bot", "dialogs", "storage", "botbuilder", "botframework", "sqlalchemy", "aiohttp",
             "alembic", "asyncpg", "aiosqlite", "pydantic", "pydantic_settings")  # fmt: skip


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_modules_exist() -> None:
    # Guards against the test passing vacuously if the folder moved.
    assert len(list(DOMAIN.rglob("*.py"))) >= 8


def test_no_domain_module_imports_an_outer_layer() -> None:
    offenders = {
        str(path.relative_to(DOMAIN.parent)): sorted(imported_roots(path) & set(FORBIDDEN))
        for path in DOMAIN.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_catches_an_outer_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from storage.models import Child\n    import sqlalchemy\n")
    assert imported_roots(bad) >= {"storage", "sqlalchemy"}


def test_importing_the_domain_loads_no_outer_layer() -> None:
    modules = sorted(
        ".".join(p.relative_to(DOMAIN.parent).with_suffix("").parts)
        for p in DOMAIN.rglob("*.py")
        if p.name != "__init__.py"
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
