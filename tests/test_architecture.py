"""The package's rooms and the one direction their imports run (docs/architecture.md).

Every import counts, also those inside functions: a circle through a lazy import is
still a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "vcfix"

# Lower rank = nearer the bottom; a module may import its own room and lower ranks.
RANKS = {
    "vcfix": 0,  # __init__, errors, clock, redact: what every room uses
    "vcfix.appliance": 1,
    "vcfix.answers": 2,
    "vcfix.ui": 3,
    "vcfix.diagnose": 4,
    "vcfix.fix": 5,
    "vcfix.preupgrade": 5,
    "vcfix.commands": 6,
    "vcfix.cli": 7,
    "vcfix.__main__": 8,
    "vcfix.bundle_main": 8,  # the entry point of dist/vcfix.pyz
}
TOP_LEVEL = {"__init__", "__main__", "bundle_main", "cli", "errors", "clock", "redact", "install"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> Dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: Path) -> Set[str]:
    """Every vcfix module this one imports, at the top or inside a function."""
    known = modules()
    found: Set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("vcfix"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if not base.startswith("vcfix"):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
    found.discard(name)
    return found


def room(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in TOP_LEVEL - {"cli", "__main__", "bundle_main"}:
        return "vcfix"
    return ".".join(parts[:2])


def graph() -> Dict[str, Set[str]]:
    return {name: imports_of(name, path) for name, path in modules().items()}


def test_top_level_holds_only_what_every_room_uses() -> None:
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top <= TOP_LEVEL, f"modules at the top that belong in a room: {top - TOP_LEVEL}"


def test_every_room_is_a_known_layer() -> None:
    rooms = {room(m) for m in modules() if not m.startswith("vcfix.lab")}
    assert rooms <= set(RANKS), rooms - set(RANKS)


def test_imports_run_one_way() -> None:
    wrong: List[str] = []
    for name, targets in graph().items():
        if name.startswith("vcfix.lab"):
            continue
        here = room(name)
        for target in targets:
            there = room(target)
            if target.startswith("vcfix.lab"):
                if name != "vcfix.commands.lab":
                    wrong.append(f"{name} -> {target} (only commands/lab.py may use the lab)")
            elif there != here and RANKS[there] >= RANKS[here]:
                wrong.append(f"{name} -> {target}")
    assert not wrong, "imports against the layering:\n" + "\n".join(sorted(wrong))


def test_the_lab_uses_only_the_bottom_of_vcfix() -> None:
    wrong = [
        f"{name} -> {target}"
        for name, targets in graph().items() if name.startswith("vcfix.lab")
        for target in targets
        if not target.startswith("vcfix.lab") and room(target) != "vcfix"
    ]
    assert not wrong, wrong


def test_no_import_circles() -> None:
    edges = graph()
    state: Dict[str, int] = {}
    circles: List[str] = []

    def visit(node: str, trail: List[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                circles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt in edges and nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert not circles, circles


@pytest.mark.parametrize("name", sorted(modules()))
def test_every_module_opens_with_a_docstring(name: str) -> None:
    path = modules()[name]
    assert ast.get_docstring(ast.parse(path.read_text())), f"{path} has no opening docstring"
