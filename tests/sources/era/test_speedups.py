"""Compiled (mypyc) and pure-Python parser modules: same results, pure path always available."""

from __future__ import annotations

import ast
import os
import pickle
import random
import subprocess
import sys
from pathlib import Path

import pytest

from connector.sources.era import speedups
from tests.sources.era.helpers import FILES, REPO, outcome, samples_dir
from workshop.era_synth import SynthOptions, to_bytes

SYNTH = [
    SynthOptions(claims=60, claims_per_transaction=25, reversal_every=9, seed=5),
    SynthOptions(claims=40, claims_per_transaction=10, transactions_per_group=2,
                 groups_per_interchange=2, element="|", component=">", segment="\n",
                 newline="", seed=6),
    SynthOptions(claims=20, claims_per_transaction=20, denied_every=3, test=True, seed=8),
]  # fmt: skip
EDITS = [b"*", b"~", b"", b"-", b".", b"0", b"9", b"1.005", b"CAS*PR*1*10*1*2*5~",
         b"DTM*472*20261301~", b"SVC*AD>D1*1*1~", b"LQ*HE*N1~", b"\xff"]  # fmt: skip


def _corpus() -> list[tuple[str, bytes]]:
    """Test files, public samples, generated files and seeded random edits of them."""
    files = [(p.name, p.read_bytes()) for p in sorted(FILES.iterdir())]
    samples = samples_dir()
    if samples is not None:
        files += [(p.name, p.read_bytes()) for p in sorted(samples.iterdir()) if p.suffix != ".md"]
    files += [(f"synth{i}.835", to_bytes(options)) for i, options in enumerate(SYNTH)]
    base = list(files)
    rng = random.Random(4)
    for number in range(150):
        name, data = rng.choice(base)
        edited = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(max(len(edited), 1))
            if rng.random() < 0.5 and edited:
                digits = [i for i in range(len(edited)) if 48 <= edited[i] <= 57]
                edited[rng.choice(digits or [pos])] = rng.choice(b"0123456789.-")
            else:
                edited[pos:pos] = rng.choice(EDITS)
        files.append((f"edit{number}-{name}", bytes(edited)))
    return files


_PURE_RUN = """
import pickle, sys
from connector.sources.era import speedups
from tests.sources.era.helpers import outcome
corpus = pickle.load(sys.stdin.buffer)
results = [(speedups.build(), [outcome(data, name) for name, data in corpus])]
sys.stdout.buffer.write(pickle.dumps(results))
"""


def _run_pure(corpus: list[tuple[str, bytes]]) -> tuple[str, list[object]]:
    env = dict(os.environ, **{speedups.PURE_ENV: "1"})
    done = subprocess.run([sys.executable, "-c", _PURE_RUN], input=pickle.dumps(corpus),
                          capture_output=True, check=True, env=env, cwd=REPO)  # fmt: skip
    build, results = pickle.loads(done.stdout)[0]  # our own subprocess's output
    return build, results


def test_pure_and_present_build_give_identical_results() -> None:
    """Whichever build is installed parses every file exactly as the forced pure path does.

    Without ``make era-fast`` both sides are the pure modules (the check still runs the pure
    path in a separate interpreter); with it, this compares the compiled modules with the
    pure ones on the samples, generated files and randomly edited copies (errors included).
    """
    corpus = _corpus()
    build, pure = _run_pure(corpus)
    assert build == "pure"
    here = [outcome(data, name) for name, data in corpus]
    for (name, _), mine, theirs in zip(corpus, here, pure, strict=True):
        assert mine == theirs, name
    assert sum(1 for result in here if result[0] == "ParseError") > 10  # the edits bite
    assert sum(1 for result in here if result[0] != "ParseError") > 10


def test_compiled_build_is_used_when_current() -> None:
    """After ``make era-fast`` every hot module runs compiled (skipped without the build)."""
    if not speedups.extensions_present():
        pytest.skip("no compiled build (make era-fast)")
    if os.environ.get(speedups.PURE_ENV) == "1":
        pytest.skip("pure path forced by the environment")
    assert speedups.extensions_current()
    assert speedups.build() == "compiled"


@pytest.mark.parametrize(
    ("pure_env", "some", "present", "current", "expected"),
    [
        (False, False, False, False, False),  # pure install: nothing to steer
        (False, True, True, True, False),  # complete, current build: use it
        (True, True, True, True, True),  # forced
        (False, True, True, False, True),  # stale: a source changed since the build
        (False, True, False, True, True),  # partial build
    ],
)
def test_pure_path_is_chosen_when_forced_or_when_the_build_is_unusable(
    pure_env: bool, some: bool, present: bool, current: bool, expected: bool
) -> None:
    """The pure modules load when forced, or when the extensions are stale or incomplete."""
    assert speedups.use_pure(pure_env, some, present, current) is expected


@pytest.mark.parametrize(
    ("setup_name", "known", "suffix"),
    [("ERA_HOT_MODULES", speedups.HOT_MODULES, ".py"), ("ERA_C_MODULES", speedups.C_MODULES, ".c")],
)
def test_setup_builds_exactly_the_modules_the_switch_knows(
    setup_name: str, known: tuple[str, ...], suffix: str
) -> None:
    """setup.py's mypyc and C module lists are the ones the import switch knows about."""
    tree = ast.parse((REPO / "setup.py").read_text())
    listed = next(
        ast.literal_eval(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == setup_name for t in node.targets)
    )
    assert tuple(listed) == known
    for name in listed:
        assert (Path(speedups.__file__).parent / f"{name}{suffix}").is_file()
