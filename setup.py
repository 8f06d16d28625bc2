"""Optional compiled (mypyc) build of the ERA parser's hot modules.

A normal ``pip install -e .`` builds nothing here: the project is pure Python and the
metadata is in pyproject.toml. With ``CONNECTOR_MYPYC=1`` the modules in ``ERA_HOT_MODULES``
are compiled to C extensions with mypyc (part of mypy, a test dependency) and placed next to
their sources, where Python's import system prefers them; ``connector.sources.era.speedups``
falls back to the pure modules when the extensions are missing or older than the sources.

    make era-fast                                      # = the line below
    CONNECTOR_MYPYC=1 .venv/bin/python setup.py build_ext --inplace
    CONNECTOR_MYPYC=1 .venv/bin/pip install --no-build-isolation -e .   # same, via pip

See docs/benchmarks-era.md for what it gains.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from setuptools import Extension, setup  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent
ERA = ROOT / "connector" / "sources" / "era"
# Keep in sync with connector.sources.era.speedups.HOT_MODULES (a test checks it).
ERA_HOT_MODULES = ("segcache", "values", "validate", "tokenizer", "segments", "claimloop",
                   "transaction", "envelope", "parser")  # fmt: skip
# Keep in sync with connector.sources.era.speedups.C_MODULES (a test checks it).
ERA_C_MODULES = ("_claimloop", "_segsplit")
STAMP = ERA / "_compiled.json"


def _ext_modules() -> list[object]:
    if os.environ.get("CONNECTOR_MYPYC") != "1":
        return []
    from mypyc.build import mypycify  # noqa: PLC0415 - only the compiled build needs mypy

    sources = [ERA / f"{name}.py" for name in ERA_HOT_MODULES]
    # The stamp records which source each extension was built from; an extension whose
    # source changed since is ignored at import (connector.sources.era.speedups).
    STAMP.write_text(json.dumps(
        {p.stem: hashlib.sha256(p.read_bytes()).hexdigest()
         for p in [*sources, *(ERA / f"{name}.c" for name in ERA_C_MODULES)]}, indent=1
    ))  # fmt: skip
    # mypyc type-checks what it compiles. Not with the project's [tool.mypy] settings: those
    # check every package (strict, and `make typecheck` does that), which would make the build
    # fail on an unrelated module whose dependency is not installed. Imported modules are
    # read for their types only.
    config = Path(tempfile.mkdtemp()) / "mypyc.ini"
    config.write_text("[mypy]\npython_version = 3.11\nfollow_imports = silent\n"
                      "ignore_missing_imports = True\n")  # fmt: skip
    # separate=True: one self-contained extension per module, inside the package directory
    # (a shared library would land at the top of sys.path, outside the editable install).
    paths = ["--config-file", str(config), *(str(p.relative_to(ROOT)) for p in sources)]
    # The hand-written C claim loop (same behaviour as claimloop.py; see its header).
    # Hand-written C: the claim loop and the segment splitter (same behaviour as
    # claimloop.py and tokenizer.split_segments; see the header of each .c file).
    hand_written = [
        Extension(
            f"connector.sources.era.{name}",
            [str((ERA / f"{name}.c").relative_to(ROOT))],
            extra_compile_args=["-O3", "-Wall", "-Wextra", "-Wno-unused-parameter",
                                "-Wno-missing-field-initializers", "-Wno-cast-function-type"],
        )  # fmt: skip
        for name in ERA_C_MODULES
    ]
    return [*mypycify(paths, opt_level="3", separate=True), *hand_written]


setup(ext_modules=_ext_modules())
