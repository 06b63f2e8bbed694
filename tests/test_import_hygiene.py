"""The architecture, kept by a test: tui -> sync -> schema, sync.laptop never loads sync.server,
and no import circles anywhere (a circle is two modules that cannot be read one without the other).

Every import counts, including those inside functions and under `TYPE_CHECKING`: an import moved
into a function to dodge a circle is still a circle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("schema", "sync", "tui")
FORBIDDEN = {
    "schema": ("sync", "tui", "textual", "httpx", "starlette", "uvicorn"),
    "sync": ("tui", "textual"),
    "sync.laptop": ("sync.server", "starlette", "uvicorn", "psycopg"),
}
"""Package -> what no module inside it may import (a name and everything under it)."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def imports_of(module: str) -> Iterator[str]:
    """The absolute names `module` imports (for `from a import b`: `a.b` when that is a module)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)


def graph() -> dict[str, set[str]]:
    return {m: {name for name in imports_of(m) if name in MODULES and name != m} for m in MODULES}


def test_the_layout_is_found():
    assert {"schema.store.connection", "sync.laptop.client", "sync.server.app", "tui.cli.main"} <= set(MODULES)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_what_it_must_not(package):
    bad = sorted(
        f"{module} imports {name}"
        for module in MODULES
        if module == package or module.startswith(package + ".")
        for name in imports_of(module)
        for banned in FORBIDDEN[package]
        if name == banned or name.startswith(banned + ".")
    )
    assert bad == []


def find_circles(edges: dict[str, set[str]]) -> list[str]:
    """Every circle a depth-first walk of `edges` meets, as 'a -> b -> a'."""
    circles: list[str] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                circles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    return circles


def test_there_are_no_import_circles():
    assert find_circles(graph()) == []


def test_the_circle_check_finds_circles_and_reads_our_imports():
    assert find_circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a -> b -> c -> a"]
    edges = graph()
    assert "schema.store.transactions" in edges["schema.store.connection"]
    assert "tui.screens.inspection" in edges["tui.navigation"]  # imported inside a function: it counts too
    assert "tui.cli.main" in edges["tui.cli.hazard"]


def test_importing_sync_does_not_load_the_ui():
    code = (
        "import sys, sync.laptop.client, sync.server.app;"
        " print(sorted(m for m in sys.modules if m.split('.')[0] in ('tui', 'textual')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_a_laptop_sync_loads_no_server_code():
    code = (
        "import sys, sync.laptop.enrolment, sync.laptop.client, sync.laptop.conflicts;"
        " print(sorted(m for m in sys.modules if m.startswith('sync.server') or m.split('.')[0] in ('starlette', 'uvicorn')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
