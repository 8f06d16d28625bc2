"""No import circles between the shipped modules (``connector``, ``adapters``).

Every ``import`` counts, wherever it is written (module level, ``if TYPE_CHECKING``, inside a
function): a circle that only a lazy import hides is still two modules that cannot be read,
tested or moved one without the other. ``from package import module`` counts as importing
that module (not the package's ``__init__``).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.paths import REPO


def _modules() -> dict[str, Path]:
    found = {}
    for package in ("connector", "adapters"):
        for path in (REPO / package).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            known = [name for name in submodules if name in modules]
            names.update(known)
            if len(known) < len(submodules):
                names.add(node.module)
    return {name for name in names if name in modules}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in graph[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_the_shipped_modules_import_each_other_without_circles() -> None:
    """Dentrix/Eaglesoft ``adapter``/``claims`` and ERA ``replay``/``source`` were the last."""
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    assert _circles(graph) == []


def test_a_circle_is_found() -> None:
    """The check itself sees a circle of two and of three."""
    graph = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": set()}
    assert sorted(_circles(graph)) == [["a", "b"], ["c", "d", "e"]]
