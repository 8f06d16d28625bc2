"""Cross-check: on files with injected defects our verdicts agree with oxedi and pyx12.

The oracles are test-only dependencies (``pip install -e '.[oracles]'``). Each is compared only
on what it checks (see the peer table in shared/reference/x12-835.md):

* oxedi reports control counts/numbers and the service-line, claim and transaction balances;
* pyx12's TR3 validator reports control counts/numbers but does no money balancing, so on a
  balancing defect it must still say OK (proving the defect is purely about money).

Our ``claim_line_payments`` rule (Σ SVC03 - claim CAS = CLP04) has no counterpart in oxedi and
is left out of the comparison.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connector.errors import ParseError
from tests.sources.era.helpers import parse_bytes
from workshop.era_synth import SynthOptions, to_bytes

oxedi = pytest.importorskip("oxedi", reason="oracle 'oxedi' not installed (extra 'oracles')")
pyx12_doc = pytest.importorskip(
    "pyx12.x12n_document", reason="oracle 'pyx12' not installed (extra 'oracles')"
)
import pyx12.params  # noqa: E402 - only after importorskip

# ST03 left out: pyx12's 5010 map marks it "not used" (and 4.0.0 fails building its 999).
BASE = to_bytes(SynthOptions(claims=40, claims_per_transaction=40, reversal_every=10, seed=5,
                             st03=False))  # fmt: skip
_OUR_RULES = {
    "line_balance": "line",
    "claim_balance": "claim",
    "transaction_balance": "transaction",
}
_OXEDI_RULES = {"service_balance": "line", "claim_balance": "claim",
                "transaction_balance": "transaction"}  # fmt: skip


def _edit(sid: str, match: Callable[[list[str]], bool], change: Callable[[list[str]], None]) -> \
        Callable[[bytes], bytes]:  # fmt: skip
    """A defect: change the elements of the first segment ``sid`` that ``match`` accepts."""

    def apply(data: bytes) -> bytes:
        segments = data.decode().split("~\n")
        for index, seg in enumerate(segments):
            elements = seg.split("*")
            if elements[0] == sid and match(elements):
                change(elements)
                segments[index] = "*".join(elements)
                return "~\n".join(segments).encode()
        raise AssertionError(f"no {sid} segment to change")

    return apply


def _plus(index: int, amount: str = "1.00") -> Callable[[list[str]], None]:
    def change(elements: list[str]) -> None:
        elements[index] = str(Decimal(elements[index]) + Decimal(amount))

    return change


def _set(index: int, value: str) -> Callable[[list[str]], None]:
    def change(elements: list[str]) -> None:
        elements[index] = value

    return change


def _any(_: list[str]) -> bool:
    return True


DEFECTS: dict[str, Callable[[bytes], bytes]] = {
    "clean": lambda data: data,
    "SE01 +5": _edit("SE", _any, lambda e: e.__setitem__(1, str(int(e[1]) + 5))),
    "GE01 wrong": _edit("GE", _any, _set(1, "2")),
    "IEA01 wrong": _edit("IEA", _any, _set(1, "2")),
    "IEA02 differs": _edit("IEA", _any, _set(2, "999999999")),
    "CLP04 +1.00": _edit("CLP", lambda e: e[2] == "1", _plus(4)),
    "BPR02 +1.00": _edit("BPR", _any, _plus(2)),
    "SVC03 +1.00": _edit("SVC", _any, _plus(3)),
    "line CAS +1.00": _edit("CAS", lambda e: e[1] == "CO", _plus(3)),
    "PLB +1.00": _edit("PLB", _any, _plus(4)),
    "reversal CLP04 -1.00": _edit("CLP", lambda e: e[2] == "22", _plus(4, "-1.00")),
}


def _ours(data: bytes) -> set[str]:
    try:
        remittances = parse_bytes(data)
    except ParseError as exc:
        return {f"control:{exc.element}"}
    return {
        f"balance:{_OUR_RULES[err.rule]}"
        for rem in remittances
        for err in rem.balance_errors
        if err.rule in _OUR_RULES
    }


def _oxedi(data: bytes) -> set[str]:
    verdict = set()
    for diag in oxedi.parse(data).diagnostics:
        if diag.kind in ("ControlCountMismatch", "ControlNumberMismatch"):
            verdict.add(f"control:{diag.rule.split()[0]}")
        elif diag.kind == "BalanceMismatch":
            rule = diag.rule.split('"')[1]
            verdict.add(f"balance:{_OXEDI_RULES[rule]}")
        else:
            verdict.add(f"other:{diag.kind}")
    return verdict


def _pyx12(data: bytes, tmp_path: Path) -> tuple[bool, set[str]]:
    path = tmp_path / "oracle.835"
    path.write_bytes(data)
    out = io.StringIO()
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    ok = pyx12_doc.x12n_document(param=pyx12.params.params(), src_file=str(path), fd_997=None,
                                 fd_html=None, fd_json=out)  # fmt: skip
    found: list[dict[str, Any]] = []
    _collect(json.loads(out.getvalue()), found)
    verdict = set()
    for err in found:
        text = err["err_str"]
        if text.startswith("SE count"):
            verdict.add("control:SE01")
        elif text.startswith("GE count"):
            verdict.add("control:GE01")
        elif text.startswith("IEA count"):
            verdict.add("control:IEA01")
        elif text.startswith("IEA id"):
            verdict.add("control:IEA02")
        else:
            verdict.add(f"other:{text}")
    return bool(ok), verdict


def _collect(node: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "errors" and isinstance(value, list):
                out.extend(value)
            else:
                _collect(value, out)
    elif isinstance(node, list):
        for value in node:
            _collect(value, out)


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_verdicts_agree_with_oxedi(defect: str) -> None:
    """Our control-count and balancing verdicts equal oxedi's diagnostics for each defect."""
    data = DEFECTS[defect](BASE)
    ours = _ours(data)
    assert ours == _oxedi(data)
    assert (ours == set()) == (defect == "clean")  # every injected defect is caught


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_control_verdicts_agree_with_pyx12(defect: str, tmp_path: Path) -> None:
    """pyx12's TR3 validator agrees on control counts and numbers and passes money defects."""
    data = DEFECTS[defect](BASE)
    ours = _ours(data)
    ok, theirs = _pyx12(data, tmp_path)
    assert {v for v in ours if v.startswith("control:")} == theirs
    assert ok == (not theirs)
