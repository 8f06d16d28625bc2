"""Chooses between the compiled (mypyc) and the pure-Python ERA parser modules.

``make era-fast`` compiles :data:`HOT_MODULES` into C extensions next to their sources
(setup.py). Python prefers an extension over the ``.py`` of the same name, so nothing else
changes when they are present. :func:`install` (run by the package ``__init__``, before any of
these modules is imported) makes the import system load the pure ``.py`` files instead when:

* ``CONNECTOR_ERA_PURE=1`` is set (tests and benchmarks compare the two this way), or
* the extensions are stale: ``_compiled.json``, written by the build, does not match the
  current sources (an edited module must never be shadowed by an old compiled copy).

Both builds run the same source, so they give the same results
(tests/sources/era/test_speedups.py checks that on the sample and generated files).

The same build also compiles the hand-written C files :data:`C_MODULES` (the claim loop and
the segment splitter). They are not the same source as their Python twins, so they are used
only through :func:`c_module` (and :func:`c_function`, :func:`c_claim_loop`), which give None
(so the Python code runs) when the pure path is forced, ``CONNECTOR_ERA_NO_C=1`` is set, or
the extension is missing or stale (tests/sources/era/test_claimloop.py and test_tokenizer.py
compare each with its twin).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Final

PACKAGE: Final = "connector.sources.era"
HOT_MODULES: Final = ("segcache", "values", "validate", "tokenizer", "segments", "claimloop",
                      "transaction", "envelope", "parser")  # fmt: skip
# Hand-written C extensions (``<name>.c`` next to this file), built by the same command.
C_MODULES: Final = ("_claimloop", "_segsplit")
PURE_ENV: Final = "CONNECTOR_ERA_PURE"
# Set to 1 to run without the C claim loop but with the mypyc modules (benchmarks, tests).
NO_C_ENV: Final = "CONNECTOR_ERA_NO_C"
_HERE: Final = Path(__file__).resolve().parent
STAMP: Final = _HERE / "_compiled.json"


class _PureFinder(importlib.abc.MetaPathFinder):
    """Finds the hot modules as ``.py`` sources, ahead of their compiled extensions."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        """A source spec for a hot module, None for anything else."""
        package, _, name = fullname.rpartition(".")
        if package != PACKAGE or name not in HOT_MODULES:
            return None
        return importlib.util.spec_from_file_location(fullname, _HERE / f"{name}.py")


def extensions_present() -> bool:
    """True when a compiled extension of every hot module sits next to its source."""
    return all(_has_extension(name) for name in HOT_MODULES)


def extensions_current() -> bool:
    """True when the extensions were built from the sources as they are now."""
    try:
        stamp = json.loads(STAMP.read_text())
        return all(stamp.get(name) == _source_hash(name) for name in HOT_MODULES)
    except (OSError, ValueError, AttributeError):
        return False


def _source_hash(name: str) -> str:
    suffix = ".c" if name in C_MODULES else ".py"
    return hashlib.sha256((_HERE / f"{name}{suffix}").read_bytes()).hexdigest()


def install() -> None:
    """Make the pure modules load when asked to, or when the compiled ones are unusable."""
    if any(isinstance(finder, _PureFinder) for finder in sys.meta_path):
        return
    some = any(_has_extension(name) for name in HOT_MODULES)
    present = some and extensions_present()
    if use_pure(os.environ.get(PURE_ENV) == "1", some, present, present and extensions_current()):
        sys.meta_path.insert(0, _PureFinder())


def use_pure(forced: bool, some_compiled: bool, all_present: bool, current: bool) -> bool:
    """Whether the pure modules must be loaded instead of the extensions next to them."""
    return forced or (some_compiled and not (all_present and current))


def _has_extension(name: str) -> bool:
    return any(
        (_HERE / f"{name}{suffix}").exists() for suffix in importlib.machinery.EXTENSION_SUFFIXES
    )


def compiled_modules() -> list[str]:
    """The hot modules that are running compiled (empty: the pure-Python parser)."""
    found = []
    for name in HOT_MODULES:
        module = sys.modules.get(f"{PACKAGE}.{name}")
        if module is None:
            module = importlib.import_module(f"{PACKAGE}.{name}")
        if not (module.__file__ or "").endswith(".py"):
            found.append(name)
    return found


def build() -> str:
    """``"compiled"``, ``"pure"`` or ``"mixed"`` (some modules compiled), for reports."""
    compiled = compiled_modules()
    if not compiled:
        return "pure"
    return "compiled" if len(compiled) == len(HOT_MODULES) else "mixed"


_C_MODULES_LOADED: dict[str, ModuleType | None] = {}  # resolved once per process


def c_module(name: str) -> ModuleType | None:
    """The C extension ``name`` (one of :data:`C_MODULES`), or None to use its Python twin.

    None when the pure path is forced (:data:`PURE_ENV`), the C code is switched off
    (:data:`NO_C_ENV`), or the extension is missing or was built from another ``.c`` source.
    """
    if name not in _C_MODULES_LOADED:
        found: ModuleType | None = None
        if os.environ.get(PURE_ENV) != "1" and os.environ.get(NO_C_ENV) != "1" and _c_current(name):
            try:
                found = importlib.import_module(f"{PACKAGE}.{name}")
            except ImportError:
                found = None
        _C_MODULES_LOADED[name] = found
    return _C_MODULES_LOADED[name]


def c_function(module_name: str, name: str) -> Any:
    """``name`` from the C extension ``module_name``, or None (see :func:`c_module`)."""
    return getattr(c_module(module_name), name, None)


def c_claim_loop() -> type | None:
    """The C claim loop (``_claimloop.ClaimLoop``), or None to use the Python one."""
    found: type | None = c_function("_claimloop", "ClaimLoop")
    return found


def _c_current(name: str) -> bool:
    if not _has_extension(name):
        return False
    try:
        stamp = json.loads(STAMP.read_text())
        return bool(stamp.get(name) == _source_hash(name))
    except (OSError, ValueError, AttributeError):
        return False
