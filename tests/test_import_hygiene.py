"""The dependency arrow is tui -> sync -> schema: the core must not pull in the UI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"schema": ("sync", "tui", "textual", "httpx", "starlette", "uvicorn"), "sync": ("tui", "textual")}


def imported_packages(package: str) -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            found.update((str(path.relative_to(ROOT)), n.split(".")[0]) for n in names)
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_upward(package):
    bad = sorted(f"{where} imports {name}" for where, name in imported_packages(package) if name in FORBIDDEN[package])
    assert bad == []


def test_importing_sync_does_not_load_the_ui():
    code = "import sys, sync.client, sync.server; print(sorted(m for m in sys.modules if m.split('.')[0] in ('tui', 'textual')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
