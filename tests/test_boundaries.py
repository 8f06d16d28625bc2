"""The product is not the workshop: nothing shipped imports the workshop, tests or benchmarks,
and the packaging ships only the product."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from tests.support.paths import REPO

PRODUCT = ("connector", "adapters")
NEVER_FROM_PRODUCT = ("workshop", "tests", "bench")


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def product_files() -> list[Path]:
    """Every Python file of the shipped packages."""
    return sorted(p for package in PRODUCT for p in (REPO / package).rglob("*.py"))


def test_the_product_never_imports_the_workshop_tests_or_benchmarks() -> None:
    """An import-boundary check over the whole product tree (lazy imports included)."""
    files = product_files()
    assert len(files) > 100  # the walk really covers the tree
    crossings = [
        f"{path.relative_to(REPO)}:{line} imports {module}"
        for path in files
        for line, module in _imported_modules(path)
        if module.split(".")[0] in NEVER_FROM_PRODUCT
    ]
    assert crossings == []


def test_the_check_sees_a_crossing(tmp_path: Path) -> None:
    """The walk finds both a top-level and a function-level import of the workshop."""
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    from workshop.sandbox import demo\n")
    assert [m for _, m in _imported_modules(module)] == ["os", "workshop.sandbox"]


def test_packaging_ships_only_the_product() -> None:
    """The wheel's package list takes connector* and adapters* only; no workshop, no C."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    found = config["tool"]["setuptools"]["packages"]["find"]
    assert found["include"] == ["connector*", "adapters*"]
    from setuptools import find_packages

    packages = find_packages(str(REPO), include=found["include"])
    assert packages and all(p.split(".")[0] in PRODUCT for p in packages)
    assert not any("sandbox" in p or p.endswith(".memory_seed") for p in packages)
    shipped = [p for package in PRODUCT for p in (REPO / package).rglob("*") if p.is_file()]
    leftovers = [
        str(p.relative_to(REPO))
        for p in shipped
        if p.suffix in {".c", ".so", ".pyd"} or p.name in {"seed.py", "schema.sql", "synth.py"}
    ]
    assert leftovers == []


def test_layers_keep_their_direction() -> None:
    """Adapters never import the posting rules; posting never imports a source; the item
    records import nothing above the foundation (sources and posting both read them)."""

    def imports_of(package: str) -> list[str]:
        return [
            f"{path.relative_to(REPO)}:{line} imports {module}"
            for path in sorted((REPO / package).rglob("*.py"))
            for line, module in _imported_modules(path)
            if module.startswith(FORBIDDEN[package])
        ]

    assert imports_of("adapters") == []
    assert imports_of("connector/posting") == []
    assert imports_of("connector/records") == []


ABOVE_RECORDS = (
    "connector.sources", "connector.posting", "connector.store", "connector.console",
    "connector.commands", "connector.reconcile", "connector.reports", "connector.config",
    "connector.alerts", "connector.daemon", "connector.jobs", "adapters",
)  # fmt: skip
FORBIDDEN = {
    "adapters": ("connector.posting",),
    "connector/posting": ("connector.sources",),
    "connector/records": ABOVE_RECORDS,
}
